"""The activity import form: the workbook, the plan version the user saw, and (when the plan
already has activities) the confirmation that they are to be replaced."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SubmitField, ValidationError

from ..forms_base import VersionedForm
from .activity_import import MAX_BYTES


class ImportForm(VersionedForm):
    # Set by the view: whether the plan has activities that the import would replace.
    replaces_activities = False

    workbook = FileField(
        _l("Workbook (.xlsx)"),
        validators=[FileRequired(_l("Choose the filled-in workbook (.xlsx)."))],
        render_kw={"accept": ".xlsx"},
    )
    replace = BooleanField(_l("Replace the current activities and their funding"))
    submit = SubmitField(_l("Import"))

    def validate_replace(self, field: BooleanField) -> None:
        if self.replaces_activities and not field.data:
            raise ValidationError(
                _l("Tick this box to confirm that the current activities will be replaced.")
            )

    def content(self) -> bytes:
        """The uploaded bytes, at most one byte past the limit (the reader names the limit)."""
        upload: Any = self.workbook.data
        return upload.read(MAX_BYTES + 1)

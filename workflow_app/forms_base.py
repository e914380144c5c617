"""Base classes for every form: WTForms' own messages speak the interface language, and no
NUL character reaches the database.

WTForms ships no Indonesian catalogue. Its built-in messages ("This field is required.", …)
are marked below so that they are extracted into our catalogue, and the forms' Meta hands
WTForms the app's translations instead of its own.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, FieldList, Form, IntegerField
from wtforms.validators import InputRequired
from wtforms.widgets import HiddenInput

from .pending_forms.restore import restore_into


def N_(message: str) -> str:
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    return singular, plural


# The WTForms messages our fields and validators can produce, exactly as WTForms writes them.
WTFORMS_MESSAGES = (
    N_("This field is required."),
    N_("Invalid input."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid float value."),
    N_("Not a valid choice."),
    N_("Invalid Choice: could not coerce."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    Nn_(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
    ),
    Nn_(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
    ),
)


class _TranslatedMeta:
    def get_translations(self, form: Form) -> object:
        return get_translations()

    def wrap_formdata(self, form: Form, formdata: object) -> object:
        """Drop NUL characters from every submitted text: PostgreSQL refuses them in text
        columns (a 500), and no person types one."""
        data = super().wrap_formdata(form, formdata)  # type: ignore[misc]
        if data is None:
            return None
        return MultiDict(
            (key, value.replace("\x00", "") if isinstance(value, str) else value)
            for key, value in data.items(multi=True)
        )


class BaseForm(FlaskForm):
    """A top-level form: CSRF from Flask-WTF, messages from our catalogue. A form built for
    display gets back what its user typed into it when that submission was refused because
    their session had ended (pending_forms)."""

    class Meta(_TranslatedMeta):
        pass

    def __init__(self, formdata: Any = _Auto, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        if formdata is _Auto or formdata is None:  # not built from a submission
            restore_into(self)


class BaseSubForm(Form):
    """A row inside a FieldList(FormField(...)): no CSRF of its own, messages translated."""

    class Meta(_TranslatedMeta):
        pass


class RemovableRow(BaseSubForm):
    """A row of a FieldList. A row marked for removal or left blank is skipped entirely."""

    remove = BooleanField(_l("Remove"))

    def is_blank(self) -> bool:
        return False

    def is_skipped(self) -> bool:
        return bool(self.remove.data) or self.is_blank()

    def validate(self, extra_validators: Any = None) -> bool:
        if self.is_skipped():
            return True
        return super().validate(extra_validators)


class VersionedForm(BaseForm):
    """Every edit form carries the version of the case the user loaded, for optimistic
    locking: a stale save is refused as "changed by someone else"."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    def expected_version(self) -> int:
        return int(self.version.data)


def add_row(rows: FieldList) -> bool:
    """Append an empty row unless the list is full; True if a row was added."""
    if rows.max_entries and len(rows.entries) >= rows.max_entries:
        return False
    rows.append_entry()
    return True


def live_rows(rows: FieldList) -> list[Any]:
    """The row forms that are neither removed nor blank, in order."""
    return [entry.form for entry in rows.entries if not entry.form.is_skipped()]

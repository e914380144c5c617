"""The small comment form shown under each item of a plan under review."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from ..forms_base import BaseForm
from .operations import BODY_MAX_LENGTH


class CommentForm(BaseForm):
    """Which item (`item_id` empty for the plan as a whole) and the comment itself."""

    item_type = HiddenField(validators=[DataRequired(), Length(max=20)])
    item_id = HiddenField(validators=[Length(max=12)])
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=BODY_MAX_LENGTH)])

    def item_key(self) -> tuple[str, int | None]:
        """(item_type, item_id) as sent; an id that is not a number matches no item."""
        raw = (self.item_id.data or "").strip()
        if not raw:
            return self.item_type.data or "", None
        return self.item_type.data or "", int(raw) if raw.isdigit() else -1


class ReplyForm(BaseForm):
    """An answer in a comment's thread (the comment is named by the URL)."""

    body = TextAreaField(_l("Reply"), validators=[DataRequired(), Length(max=BODY_MAX_LENGTH)])


class ResolutionForm(BaseForm):
    """Mark a comment resolved ("1") or open again ("0")."""

    resolved = HiddenField(validators=[DataRequired(), AnyOf(["1", "0"])])

"""The form behind every action button on the plan page (submit, forward, return, …)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import HiddenInput

from ..forms_base import BaseForm

COMMENT_MAX_LENGTH = 5000


class TransitionForm(BaseForm):
    """Which action, on which version of the plan the user saw, with an optional comment.
    Whether the comment is required is the engine's decision, so it is not validated here."""

    trigger = HiddenField(validators=[DataRequired(), Length(max=40)])
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=COMMENT_MAX_LENGTH)])

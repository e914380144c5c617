"""Forms of the admin area. Buttons that only change a row are forms too: they carry the
CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from ..deadlines.operations import NOTE_LENGTH
from ..forms_base import N_, BaseForm

# WTForms' own message for a bad date, marked so that our catalogue translates it.
DATE_MESSAGE = N_("Not a valid date value.")

HOLIDAY, WORKING_DAY = "holiday", "working_day"


class ButtonForm(BaseForm):
    """A POST button: the CSRF token and nothing else."""


class OverrideForm(BaseForm):
    day = DateField(_l("Date"), validators=[InputRequired()])
    kind = SelectField(
        _l("Change"),
        choices=[(HOLIDAY, _l("Day off (holiday)")), (WORKING_DAY, _l("Working day after all"))],
        default=HOLIDAY,
    )
    note = StringField(_l("Note"), validators=[Length(max=NOTE_LENGTH)])

"""The forms of the report page: the figures of every activity and indicator in one form, and
the evidence upload. They only validate and convert; `operations` stores."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import Field, Form, FormField, IntegerField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..forms_base import BaseForm, BaseSubForm, VersionedForm
from ..number_fields import LocalDecimalField, RupiahField
from ..plans.forms import values_of
from .models import ProgressReport
from .operations import TEXT_LENGTH, LineData


class InRange:
    """A number between `low` and `high` (either may be None). Silent on an empty field and on
    one already refused as "not a number", so a bad entry gets one message, not two."""

    def __init__(self, message: Any, low: Decimal | None = None, high: Decimal | None = None):
        self.message, self.low, self.high = message, low, high

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is None or field.process_errors:
            return
        if (self.low is not None and field.data < self.low) or (
            self.high is not None and field.data > self.high
        ):
            raise ValidationError(self.message)


class LineFields(BaseSubForm):
    """One activity's figures, cumulative within the year up to the end of the quarter."""

    physical_progress = LocalDecimalField(
        _l("Physical progress (%)"),
        validators=[
            Optional(),
            InRange(_l("Enter a percentage from 0 to 100."), Decimal(0), Decimal(100)),
        ],
    )
    spent = RupiahField(_l("Money spent so far this year (Rp)"), validators=[Optional()])
    output_achieved = LocalDecimalField(
        _l("Output achieved"),
        validators=[Optional(), InRange(_l("The output cannot be negative."), Decimal(0))],
    )
    obstacles = TextAreaField(
        _l("Obstacles"), validators=[Length(max=TEXT_LENGTH)], render_kw={"rows": 2}
    )
    follow_up = TextAreaField(
        _l("Follow-up"), validators=[Length(max=TEXT_LENGTH)], render_kw={"rows": 2}
    )


# The figures of a line, as stored and as the form's fields are named.
LINE_FIGURES = ("physical_progress", "spent", "output_achieved", "obstacles", "follow_up")


def line_name(activity_id: int) -> str:
    return f"line_{activity_id}"


def indicator_name(indicator_id: int) -> str:
    return f"indicator_{indicator_id}"


class ReportFormBase(VersionedForm):
    """Fields are named by activity and indicator id (`line_12-spent`, `indicator_5`), so a
    posted value can never land on another row than the one it was typed in."""

    activity_ids: tuple[int, ...] = ()
    indicator_ids: tuple[int, ...] = ()

    save = SubmitField(_l("Save report"))

    def line(self, activity_id: int) -> LineFields:
        return self[line_name(activity_id)].form  # type: ignore[return-value]

    def indicator(self, indicator_id: int) -> LocalDecimalField:
        return self[indicator_name(indicator_id)]  # type: ignore[return-value]

    def lines(self) -> list[LineData]:
        return [
            LineData(
                activity_id=activity_id,
                physical_progress=fields.physical_progress.data,
                spent=fields.spent.data,
                output_achieved=fields.output_achieved.data,
                obstacles=fields.obstacles.data or "",
                follow_up=fields.follow_up.data or "",
            )
            for activity_id in self.activity_ids
            for fields in [self.line(activity_id)]
        ]

    def indicator_values(self) -> dict[int, Decimal | None]:
        return {i: self.indicator(i).data for i in self.indicator_ids}

    @staticmethod
    def data_of(report: ProgressReport) -> dict[str, Any]:
        return {
            "version": report.version,
            **{line_name(ln.activity_id): values_of(ln, *LINE_FIGURES) for ln in report.lines},
            **{indicator_name(v.indicator_id): v.value for v in report.indicator_values},
        }


@lru_cache(maxsize=256)
def _form_class(
    activity_ids: tuple[int, ...], indicator_ids: tuple[int, ...]
) -> type[ReportFormBase]:
    fields: dict[str, Any] = {"activity_ids": activity_ids, "indicator_ids": indicator_ids}
    for activity_id in activity_ids:
        fields[line_name(activity_id)] = FormField(LineFields)
    for indicator_id in indicator_ids:
        fields[indicator_name(indicator_id)] = LocalDecimalField(
            _l("Achieved value"),
            validators=[Optional(), InRange(_l("The value cannot be negative."), Decimal(0))],
        )
    return type("ReportForm", (ReportFormBase,), fields)


def report_form(report: ProgressReport, *, posted: bool) -> ReportFormBase:
    """The form of `report`: filled from the request when `posted`, else from the report."""
    form_class = _form_class(
        tuple(line.activity_id for line in report.lines),
        tuple(indicator.id for indicator in report.plan.indicators),
    )
    if posted:
        return form_class()
    return form_class(formdata=None, data=ReportFormBase.data_of(report))


class AttachmentForm(BaseForm):
    """An evidence file for the whole report, or for one line (`line_id`)."""

    file = FileField(_l("Evidence file (PDF, PNG or JPEG)"), validators=[FileRequired()])
    line_id = IntegerField(widget=HiddenInput(), validators=[Optional()])

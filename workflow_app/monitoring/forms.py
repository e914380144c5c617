"""The forms of the report page: the figures of every activity and indicator in one form, and
the evidence upload. They only validate and convert; `operations` stores."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import FormField, IntegerField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.widgets import HiddenInput

from ..forms_base import BaseForm, BaseSubForm, VersionedForm
from ..number_fields import LocalDecimalField, RupiahField
from ..number_input import DECIMAL, PERCENT, NumberKind
from ..plans.forms import values_of
from ..plans.vocabulary import indicator_value_kind
from .models import ProgressReport
from .operations import TEXT_LENGTH, LineData


class LineFields(BaseSubForm):
    """One activity's figures, cumulative within the year up to the end of the quarter."""

    physical_progress = LocalDecimalField(
        _l("Physical progress (%)"), validators=[Optional()], kind=PERCENT
    )
    spent = RupiahField(_l("Money spent so far this year (Rp)"), validators=[Optional()])
    output_achieved = LocalDecimalField(
        _l("Output achieved"),
        validators=[Optional()],
        kind=DECIMAL.within(0, message=_l("The output cannot be negative.")),
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
    activity_ids: tuple[int, ...], indicators: tuple[tuple[int, NumberKind], ...]
) -> type[ReportFormBase]:
    fields: dict[str, Any] = {
        "activity_ids": activity_ids,
        "indicator_ids": tuple(indicator_id for indicator_id, _kind in indicators),
    }
    for activity_id in activity_ids:
        fields[line_name(activity_id)] = FormField(LineFields)
    for indicator_id, kind in indicators:
        fields[indicator_name(indicator_id)] = LocalDecimalField(
            _l("Achieved value"), validators=[Optional()], kind=kind
        )
    return type("ReportForm", (ReportFormBase,), fields)


def report_form(report: ProgressReport, *, posted: bool) -> ReportFormBase:
    """The form of `report`: filled from the request when `posted`, else from the report.
    An indicator's value is held to the bounds of its unit (a percentage is 0–100)."""
    form_class = _form_class(
        tuple(line.activity_id for line in report.lines),
        tuple((i.id, indicator_value_kind(i.unit)) for i in report.plan.indicators),
    )
    if posted:
        return form_class()
    return form_class(formdata=None, data=ReportFormBase.data_of(report))


class AttachmentForm(BaseForm):
    """An evidence file for the whole report, or for one line (`line_id`)."""

    file = FileField(_l("Evidence file (PDF, PNG or JPEG)"), validators=[FileRequired()])
    line_id = IntegerField(widget=HiddenInput(), validators=[Optional()])

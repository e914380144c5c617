"""The one door for every change to a progress report: opening it when its quarter ends,
filling it in, its evidence, and its transitions. Like the plan operations they flush and
never commit; the caller wraps them in `unit_of_work()`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from .. import policy
from ..accounts.models import User
from ..deadlines.scheduling import due_time
from ..engine import (
    InvalidInput,
    OutOfScope,
    Role,
    StaleObject,
)
from ..engine.calendar import WorkingCalendar
from ..extensions import db
from ..firing import fire, record_opening
from ..models_base import utcnow
from ..number_input import NumberError, check_number
from ..plans.models import ActionPlan, Activity, Indicator
from ..plans.vocabulary import indicator_value_kind
from ..unit_of_work import STALE_MESSAGE
from ..versions.store import remember as remember_version
from ..workflows import REPORT_WORKFLOW, registry
from . import evidence
from .models import (
    REPORT_KIND_NAME,
    ProgressReport,
    ReportAttachment,
    ReportIndicatorValue,
    ReportLine,
)
from .quarters import Quarter, report_clock_start

OPEN_TRIGGER = "open"  # pseudo-trigger of a report's first history row
TEXT_LENGTH = 2000


@dataclass
class LineData:
    """What the drafter reports for one activity (cumulative within the year)."""

    activity_id: int
    physical_progress: Decimal | None
    spent: int | None
    output_achieved: Decimal | None = None
    obstacles: str = ""
    follow_up: str = ""


def load_visible_report(actor: User, report_id: int) -> ProgressReport:
    """The report, if `actor` may see its plan; otherwise 'not found', never 'forbidden'."""
    return policy.find_visible(actor, REPORT_KIND_NAME, report_id)


def year_budget(activity: Activity, year: int) -> int:
    """The activity's money for `year`, all sources together."""
    return sum(f.amount for f in activity.funding if f.year == year)


def activities_in_year(plan: ActionPlan, year: int) -> list[Activity]:
    return [a for a in plan.activities if a.start_year <= year <= a.end_year]


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise StaleObject(STALE_MESSAGE) from exc


def _check_version(report: ProgressReport, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != report.version:
        raise StaleObject(STALE_MESSAGE)


# --- opening a report ---------------------------------------------------------------------


def open_report(
    actor: User, plan: ActionPlan, quarter: Quarter, calendar: WorkingCalendar
) -> ProgressReport | None:
    """Open the plan's report for `quarter` (None if it exists already): one line per activity
    scheduled that year, carrying over the cumulative figures of the year's previous report.
    Its deadline counts from the quarter's end, however late the report is opened."""
    exists = db.session.scalar(
        select(ProgressReport.id).where(
            ProgressReport.plan_id == plan.id,
            ProgressReport.year == quarter.year,
            ProgressReport.quarter == quarter.number,
        )
    )
    if exists is not None:
        return None
    definition = registry().latest(REPORT_WORKFLOW)
    clock_start = report_clock_start(quarter, calendar)
    report = ProgressReport(
        plan=plan,
        year=quarter.year,
        quarter=quarter.number,
        state=definition.initial,
        workflow_name=definition.name,
        workflow_version=definition.version,
        state_entered_at=clock_start,
        due_at=due_time(definition, definition.initial, clock_start, calendar),
    )
    earlier = _previous_report_of_year(plan.id, quarter)
    for position, activity in enumerate(activities_in_year(plan, quarter.year)):
        carried = earlier.line_for(activity.id) if earlier is not None else None
        report.lines.append(
            ReportLine(
                activity_id=activity.id,
                position=position,
                budget=year_budget(activity, quarter.year),
                physical_progress=carried.physical_progress if carried else None,
                spent=carried.spent if carried else None,
                output_achieved=carried.output_achieved if carried else None,
                obstacles="",
                follow_up="",
            )
        )
    db.session.add(report)
    remember_version(definition)  # the version this case keeps, stored once
    _flush()
    record_opening(
        actor, report, trigger=OPEN_TRIGGER, role=Role.SYSTEM, calendar=calendar, notify=True
    )
    return report


def _previous_report_of_year(plan_id: int, quarter: Quarter) -> ProgressReport | None:
    return db.session.scalar(
        select(ProgressReport)
        .where(
            ProgressReport.plan_id == plan_id,
            ProgressReport.year == quarter.year,
            ProgressReport.quarter < quarter.number,
        )
        .order_by(ProgressReport.quarter.desc())
        .limit(1)
    )


# --- filling it in ----------------------------------------------------------------------------


def _check_fillable(actor: User, report: ProgressReport, expected_version: int | None) -> None:
    policy.check_edit(actor, report)
    _check_version(report, expected_version)


def check_fillable(actor: User, report: ProgressReport) -> None:
    """Raise the refusal an edit by `actor` would meet now, so a form is never shown in vain."""
    _check_fillable(actor, report, None)


def save_report(
    actor: User,
    report: ProgressReport,
    *,
    expected_version: int | None,
    lines: Sequence[LineData],
    indicator_values: Mapping[int, Decimal | None] | None = None,
) -> None:
    """Store the figures the drafter typed. Lines name activities of the report; the year's
    budget is taken again from the plan's funding, so the percentage matches the plan."""
    _check_fillable(actor, report, expected_version)
    by_activity = {line.activity_id: line for line in report.lines}
    for data in lines:
        line = by_activity.get(data.activity_id)
        if line is None:
            raise InvalidInput(
                _("The report has no line for activity %(id)s.", id=data.activity_id)
            )
        _check_line(data)
        line.physical_progress = data.physical_progress
        line.spent = data.spent
        line.output_achieved = data.output_achieved
        line.obstacles = data.obstacles.strip()[:TEXT_LENGTH]
        line.follow_up = data.follow_up.strip()[:TEXT_LENGTH]
        line.budget = year_budget(line.activity, report.year)
    if indicator_values is not None:
        _apply_indicator_values(report, indicator_values)
    # An UPDATE of the report row even when only its lines changed (and the clock has not
    # moved): it bumps the version, so a second form open on the old figures turns stale.
    report.updated_at = utcnow()
    flag_modified(report, "updated_at")
    _flush()


def _check_line(data: LineData) -> None:
    if data.physical_progress is not None and not 0 <= data.physical_progress <= 100:
        raise InvalidInput(_("Physical progress is a percentage from 0 to 100."))
    if data.spent is not None and data.spent < 0:
        raise InvalidInput(_("Money spent cannot be negative."))
    if data.output_achieved is not None and data.output_achieved < 0:
        raise InvalidInput(_("The output achieved cannot be negative."))


def _check_indicator_value(indicator: Indicator, value: Decimal | None) -> None:
    """Within the bounds of the indicator's unit (a percentage is 0–100)."""
    if value is None:
        return
    try:
        check_number(value, indicator_value_kind(indicator.unit))
    except NumberError as exc:
        raise InvalidInput(
            _("Indicator “%(name)s”: %(problem)s", name=indicator.name, problem=exc)
        ) from None


def _apply_indicator_values(report: ProgressReport, values: Mapping[int, Decimal | None]) -> None:
    known = {indicator.id: indicator for indicator in report.plan.indicators}
    unknown = set(values) - set(known)
    if unknown:
        raise InvalidInput(_("The plan has no indicator %(id)s.", id=min(unknown)))
    for indicator_id, value in values.items():
        _check_indicator_value(known[indicator_id], value)
    existing = {v.indicator_id: v for v in report.indicator_values}
    kept = []
    for indicator_id, value in values.items():
        if value is None:
            continue
        row = existing.get(indicator_id) or ReportIndicatorValue(indicator_id=indicator_id)
        row.value = value
        kept.append(row)
    kept.extend(v for i, v in existing.items() if i not in values)
    report.indicator_values = kept


# --- evidence ----------------------------------------------------------------------------------


def add_attachment(
    actor: User,
    report: ProgressReport,
    *,
    line_id: int | None,
    filename: str,
    data: bytes,
    expected_version: int | None = None,
) -> ReportAttachment:
    """Attach a PDF or image to the report (or one of its lines), checked by its content;
    with `expected_version`, only to the report as the caller read it (stale otherwise)."""
    _check_fillable(actor, report, expected_version)
    if line_id is not None and all(line.id != line_id for line in report.lines):
        raise InvalidInput(_("The report has no such line."))
    checked = evidence.inspect(filename, data)
    # Under the report's row lock (a no-op UPDATE locks on PostgreSQL and SQLite alike), so two
    # uploads at once are counted one after the other and cannot both fill the last room.
    db.session.execute(
        update(ProgressReport).where(ProgressReport.id == report.id).values(id=ProgressReport.id)
    )
    evidence.room_of(report.id).check(checked.display_name, checked.size)
    attachment = ReportAttachment(
        report_id=report.id,
        line_id=line_id,
        original_name=checked.display_name,
        stored_name=evidence.store(checked, data),
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by_id=actor.id,
    )
    db.session.add(attachment)
    _flush()
    return attachment


def remove_attachment(
    actor: User,
    report: ProgressReport,
    attachment_id: int,
    *,
    expected_version: int | None = None,
) -> None:
    """Take an attachment back while the report can still be changed. The file stays on disk
    until the transaction commits (it is deleted then) so a rollback loses nothing."""
    _check_fillable(actor, report, expected_version)
    attachment = next((a for a in report.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise OutOfScope("attachment not found")
    report.attachments.remove(attachment)
    evidence.delete_after_commit(attachment.stored_name)
    _flush()


# --- transitions -------------------------------------------------------------------------------


# A report's transition goes through the same door as a plan's (firing.fire); its history
# row joins the plan's trail.
report_transition = fire

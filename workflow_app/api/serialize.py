"""Model rows → response bodies. Read-only; the access checks happened before.

What every kind of case shares (its state, actions and history) is serialized once; only what
really differs, a plan's contents and a report's lines, has a function of its own."""

from __future__ import annotations

from typing import Any

from .. import policy
from ..accounts.models import User
from ..engine import guards
from ..extensions import db
from ..history import CaseTransition, history_of
from ..monitoring.models import REPORT_KIND_NAME, ProgressReport
from ..plans.models import ActionPlan
from ..regions.models import Region
from ..subjects import kind_of
from ..workflows import definition_of
from . import schemas as s
from .errors import problem_body


def label(case: Any, state: str) -> s.Label:
    text = definition_of(case).states[state].label
    return s.Label(id=text.id, en=text.en)


def _user(user: User | None) -> s.UserRef | None:
    return s.UserRef(username=user.username, full_name=user.full_name) if user else None


def _region(region: Region) -> s.RegionRef:
    return s.RegionRef(code=region.code, name=region.name)


def _case(case: Any) -> dict[str, Any]:
    """The fields every kind of case's summary has: its id, state and deadline."""
    return {
        "id": case.id,
        "state": case.state,
        "state_label": label(case, case.state),
        "version": case.version,
        "due_at": case.due_at,
    }


def transitions(user: User, case: Any) -> list[s.AvailableTransition]:
    """What `user` may fire on `case` now, with what would block it: its guards and its
    declared checks (`requires:`)."""
    kind = kind_of(case)
    return [
        s.AvailableTransition(
            trigger=step.trigger,
            label=s.Label(id=step.label.id, en=step.label.en),
            to_state=step.dest,
            comment_required=step.comment_required,
            confirm=step.confirm,
            consequence=(
                s.Label(id=step.consequence.id, en=step.consequence.en)
                if step.consequence
                else None
            ),
            problems=[
                s.Problem(**problem_body(p))
                for p in [p for name in step.guards for p in guards.get(name)(case)]
                + kind.requirements(case, step)
            ],
        )
        for step in policy.actions(user, case)
    ]


def history_entry(row: CaseTransition) -> s.HistoryEntry:
    return s.HistoryEntry(
        id=row.id,
        at=row.created_at,
        trigger=row.trigger,
        from_state=row.from_state,
        to_state=row.to_state,
        actor=_user(row.actor),
        acting_for=_user(row.acting_for),
        role=row.role,
        comment=row.comment,
        report_id=row.subject_id if row.subject_kind == REPORT_KIND_NAME else None,
    )


def history(case: Any) -> list[s.HistoryEntry]:
    """The case's own history, oldest first."""
    return [history_entry(row) for row in db.session.scalars(history_of(case))]


# --- plans ----------------------------------------------------------------------------------


def plan_summary(plan: ActionPlan) -> s.PlanSummary:
    return s.PlanSummary(
        **_case(plan),
        title=plan.title,
        region=_region(plan.region),
        period_start=plan.period_start,
        period_end=plan.period_end,
        updated_at=plan.updated_at,
    )


def plan_detail(user: User, plan: ActionPlan) -> s.PlanDetail:
    return s.PlanDetail(
        **plan_summary(plan).model_dump(),
        workflow=plan.workflow_name,
        workflow_version=plan.workflow_version,
        created_at=plan.created_at,
        challenges=[c.description for c in plan.challenges],
        indicators=[
            s.IndicatorOut(
                id=i.id,
                name=i.name,
                unit=i.unit,
                baseline_year=i.baseline_year,
                baseline_value=i.baseline_value,
                targets=[s.Target(year=t.year, value=t.value) for t in i.targets],
            )
            for i in plan.indicators
        ],
        activities=[
            s.ActivityOut(
                id=a.id,
                title=a.title,
                sub_sector=a.sub_sector,
                activity_type=a.activity_type,
                location=a.location,
                volume=a.volume,
                unit=a.unit,
                agency=s.AgencyRef(
                    id=a.agency.id, short_name=a.agency.short_name, name=a.agency.name
                )
                if a.agency
                else None,
                start_year=a.start_year,
                end_year=a.end_year,
                funding=[
                    s.FundingOut(year=f.year, source=f.source, amount=f.amount) for f in a.funding
                ],
            )
            for a in plan.activities
        ],
        transitions=transitions(user, plan),
    )


# --- reports --------------------------------------------------------------------------------


def report_summary(report: ProgressReport) -> s.ReportSummary:
    return s.ReportSummary(
        **_case(report),
        plan_id=report.plan_id,
        year=report.year,
        quarter=report.quarter,
        submitted_at=report.submitted_at,
    )


def report_detail(user: User, report: ProgressReport) -> s.ReportDetail:
    return s.ReportDetail(
        **report_summary(report).model_dump(),
        region=_region(report.plan.region),
        lines=[
            s.ReportLineOut(
                id=line.id,
                activity_id=line.activity_id,
                activity_title=line.activity.title,
                physical_progress=line.physical_progress,
                spent=line.spent,
                budget=line.budget,
                spent_percent=line.spent_percent,
                output_achieved=line.output_achieved,
                obstacles=line.obstacles,
                follow_up=line.follow_up,
            )
            for line in report.lines
        ],
        indicator_values=[
            s.IndicatorValueOut(indicator_id=v.indicator_id, name=v.indicator.name, value=v.value)
            for v in report.indicator_values
        ],
        transitions=transitions(user, report),
        history=history(report),
    )

"""Model rows → response bodies. Read-only; the access checks happened before."""

from __future__ import annotations

from ..accounts.models import User
from ..engine import available_transitions, guards
from ..monitoring.models import ProgressReport
from ..plans.access import scope_of
from ..plans.models import ActionPlan, PlanTransition
from ..workflows import definition_of, roles
from . import schemas as s


def label(subject: ActionPlan | ProgressReport, state: str) -> s.Label:
    text = definition_of(subject).states[state].label
    return s.Label(id=text.id, en=text.en)


def _user(user: User | None) -> s.UserRef | None:
    return s.UserRef(username=user.username, full_name=user.full_name) if user else None


def plan_summary(plan: ActionPlan) -> s.PlanSummary:
    return s.PlanSummary(
        id=plan.id,
        title=plan.title,
        region=s.RegionRef(code=plan.region.code, name=plan.region.name),
        period_start=plan.period_start,
        period_end=plan.period_end,
        state=plan.state,
        state_label=label(plan, plan.state),
        version=plan.version,
        due_at=plan.due_at,
        updated_at=plan.updated_at,
    )


def transitions(user: User, subject: ActionPlan | ProgressReport) -> list[s.AvailableTransition]:
    """What `user` may fire on `subject` now, with what would block it (its guards)."""
    plan = subject if isinstance(subject, ActionPlan) else subject.plan
    definition = definition_of(subject)
    offered = available_transitions(
        definition, subject.state, user.grants(), scope_of(plan), roles()
    )
    return [
        s.AvailableTransition(
            trigger=step.trigger,
            label=s.Label(id=step.label.id, en=step.label.en),
            to_state=step.dest,
            comment_required=step.comment_required,
            problems=[str(p) for name in step.guards for p in guards.get(name)(subject)],
        )
        for step in offered
    ]


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


def history_entry(row: PlanTransition) -> s.HistoryEntry:
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
        report_id=row.report_id,
    )


def report_summary(report: ProgressReport) -> s.ReportSummary:
    return s.ReportSummary(
        id=report.id,
        plan_id=report.plan_id,
        year=report.year,
        quarter=report.quarter,
        state=report.state,
        state_label=label(report, report.state),
        version=report.version,
        due_at=report.due_at,
        submitted_at=report.submitted_at,
    )


def report_detail(user: User, report: ProgressReport) -> s.ReportDetail:
    region = report.plan.region
    return s.ReportDetail(
        **report_summary(report).model_dump(),
        region=s.RegionRef(code=region.code, name=region.name),
        lines=[
            s.ReportLineOut(
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
        history=[history_entry(row) for row in report.history],
    )

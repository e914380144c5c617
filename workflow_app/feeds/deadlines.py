"""The deadlines a user's calendar feed lists: what "My tasks" shows as waiting for them with a
due time (plans, reports and every declared kind of case waiting for their action, and the
opinions asked of them), each with what to do, read through the same queries as that page,
so the feed shows no case the user may not see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from ..accounts.models import User
from ..cases.queries import declared_tasks, opinions_waiting
from ..engine import TransitionDef
from ..monitoring.queries import report_task_page
from ..notifications.rendering import case_path, is_report
from ..plans.queries import my_task_page
from ..subjects import kind_of
from ..workflows import definition_of


@dataclass(frozen=True)
class Deadline:
    """One deadline of the user's: `key` is stable for as long as it is the same deadline (the
    same stay of the case in its state, or the same opinion asked), whatever its time becomes
    when the admin changes the calendar."""

    key: str
    due_at: datetime
    title: str
    action: str
    task: str
    region: str
    path: str


def _title(facts: dict[str, Any]) -> str:
    if facts.get("case_title"):
        return str(facts["case_title"])
    if is_report(facts):
        return _(
            "Report %(quarter)s: %(plan)s",
            quarter=facts.get("quarter", ""),
            plan=facts["plan_title"],
        )
    return str(facts.get("plan_title", ""))


def _task_text(case: Any, language: str) -> str:
    state = definition_of(case).states.get(case.state)
    return state.task.get(language) if state is not None and state.task is not None else ""


def _case_deadline(case: Any, actions: Iterable[TransitionDef], language: str) -> Deadline:
    kind = kind_of(case)
    facts = kind.facts_of(case)
    entered = int(case.state_entered_at.timestamp())
    return Deadline(
        key=f"{kind.name}-{case.id}-{case.state}-{entered}",
        due_at=case.due_at,
        title=_title(facts),
        action=" / ".join(step.label.get(language) for step in actions),
        task=_task_text(case, language),
        region=str(facts.get("region_name", "")),
        path=case_path(facts) or "",
    )


def open_deadlines(user: User, language: str) -> list[Deadline]:
    """The user's open deadlines, the earliest first (call under the user's locale)."""
    cases: list[tuple[Any, list[TransitionDef]]] = [
        (task.plan, task.actions) for task in my_task_page(user, None).items
    ]
    cases += [(task.report, task.actions) for task in report_task_page(user, None).items]
    for section in declared_tasks(user, None):
        cases += [(task.case, task.actions) for task in section.page.items]
    found = [_case_deadline(case, actions, language) for case, actions in cases if case.due_at]
    opinions, _dues = opinions_waiting(user)
    for opinion in opinions:
        facts = kind_of(opinion.case).facts_of(opinion.case)
        found.append(
            Deadline(
                key=f"sign-off-{opinion.row.id}",
                due_at=opinion.row.due_at,
                title=_title(facts),
                action=_("Give your opinion"),
                task="",
                region=str(facts.get("region_name", "")),
                path=case_path(facts) or "",
            )
        )
    return sorted(found, key=lambda deadline: (deadline.due_at, deadline.key))

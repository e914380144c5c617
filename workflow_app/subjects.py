"""The kinds of case the core knows: each feature registers its own, the core never imports
a feature. A kind tells the core how to find its cases' workflow state, how its history and
scheduled steps are keyed, and which workflow its new cases start under."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement


@dataclass(frozen=True)
class CaseKind:
    name: str  # "plan", "report"
    model: type  # a mapped class with id, state, workflow_name, workflow_version, due_at …
    workflow: str  # the definition its new cases start under
    # The ScheduledStep rows of a case of this kind (a join condition on the model).
    steps_of: Callable[[], ColumnElement[bool]]
    # The keys of its history and step rows: {"plan_id": …, "report_id": …}.
    row_keys: Callable[[Any], dict[str, int | None]]


_kinds: dict[str, CaseKind] = {}


def register_kind(kind: CaseKind) -> CaseKind:
    _kinds[kind.name] = kind
    return kind


def case_kinds() -> list[CaseKind]:
    return list(_kinds.values())


def kinds_of_workflow(workflow: str) -> list[CaseKind]:
    return [kind for kind in _kinds.values() if kind.workflow == workflow]

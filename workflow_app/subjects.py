"""The kinds of case the core knows, and how the core's own rows refer to a case.

Each feature registers its kind (plans/kind.py, monitoring/kind.py); the core never imports a
feature. History rows, scheduled steps and outbox rows name their case generically, by kind
and id (`SubjectRef`); the kind tells the core everything else it needs: where its cases
live (scope), who may see one, which history chain its rows join, the facts its emails show
and the page they link to, and whether its deadlines still chase anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, Integer, Select, String, and_, true
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .engine import Scope

if TYPE_CHECKING:
    from .accounts.models import User


def _always(case: Any) -> bool:
    return True


@dataclass(frozen=True)
class CaseKind:
    name: str  # "plan", "report": stored in the core's rows, so never renamed
    model: type  # a mapped class with id, state, version, workflow_name, workflow_version,
    # state_entered_at and due_at
    workflow: str  # the definition its new cases start under
    scope_of: Callable[[Any], Scope]
    visible_to: Callable[[User, Any], bool]
    # The same rule as SQL: a SELECT of the cases a user may see.
    visible_query: Callable[[User], Select[Any]]
    # The facts every email about a case shows, frozen at the moment of the event; they
    # include `item_path`, the case's page.
    facts_of: Callable[[Any], dict[str, Any]]
    # The case in a line of the CLI's output ("plan 12", "plan 12 report TW III 2026").
    describe: Callable[[Any], str]
    # The history chain its rows join (kind, id): a case's own, or its parent's, so that one
    # trail tells everything that happened to a plan and to its reports.
    chain_of: Callable[[Any], tuple[str, int]] = lambda case: ("", case.id)
    # The outbox event of a transition is `event_prefix + trigger`.
    event_prefix: str = ""
    # Whether its pending escalation steps still chase people (a report stops when its plan
    # leaves monitoring).
    is_active: Callable[[Any], bool] = _always
    incomplete: str = "not complete"  # the message of a guard refusal
    # The SQL condition picking its cases out of `model`'s table (kinds declared as data
    # share one table).
    rows_where: Callable[[], ColumnElement[bool]] = true
    # The problems of a transition's declared checks (`requires:`) on a case's values.
    requirements: Callable[[Any, Any], list[Any]] = lambda case, transition: []

    def chain(self, case: Any) -> tuple[str, int]:
        kind, chain_id = self.chain_of(case)
        return (kind or self.name, chain_id)


_kinds: dict[str, CaseKind] = {}
# Kinds declared as data belong to one app (its definitions): cases/kinds.py puts them here.
DECLARED_KINDS = "declared_case_kinds"


def register_kind(kind: CaseKind) -> CaseKind:
    _kinds[kind.name] = kind
    return kind


def _all_kinds() -> dict[str, CaseKind]:
    if not has_app_context():
        return _kinds
    declared: dict[str, CaseKind] = current_app.extensions.get(DECLARED_KINDS, {})
    return {**_kinds, **declared} if declared else _kinds


def case_kinds() -> list[CaseKind]:
    return list(_all_kinds().values())


def kind_named(name: str) -> CaseKind:
    return _all_kinds()[name]


def kind_of(case: Any) -> CaseKind:
    """The registered kind of `case`: the one it names (kinds declared as data share a
    model), else the one whose model it is an instance of."""
    declared = getattr(case, "declared_kind", None)
    if declared is not None:
        return kind_named(declared)
    for kind in _kinds.values():
        if isinstance(case, kind.model):
            return kind
    raise LookupError(f"{type(case).__name__} is not a registered kind of case")


def kinds_of_workflow(workflow: str) -> list[CaseKind]:
    return [kind for kind in _all_kinds().values() if kind.workflow == workflow]


def load_case(kind: str, case_id: int) -> Any:
    """The case a core row names, or None (its kind is not registered, or it is gone)."""
    from .extensions import db

    found = _all_kinds().get(kind)
    if found is None:
        return None
    case = db.session.get(found.model, case_id)
    return case if case is not None and kind_of(case) is found else None


class SubjectRef:
    """Columns naming a case by kind and id, for the core's tables."""

    @declared_attr
    def subject_kind(cls) -> Mapped[str]:
        return mapped_column(String(40))

    @declared_attr
    def subject_id(cls) -> Mapped[int]:
        return mapped_column(Integer)

    @classmethod
    def subject_is(cls, kind: str, subject_id: Any) -> ColumnElement[bool]:
        """The rows of one case (`subject_id` may be a column, to join on)."""
        return and_(cls.subject_kind == kind, cls.subject_id == subject_id)  # type: ignore[attr-defined]

    @classmethod
    def subject_of(cls, case: Any) -> ColumnElement[bool]:
        return cls.subject_is(kind_of(case).name, case.id)

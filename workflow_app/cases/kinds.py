"""Every definition with a `case:` block becomes a kind of case the core knows, for the app
that loaded it: history, deadlines, emails, audit and version checks work for it as for the
built-in kinds, and its cases live in one shared table (DeclaredCase)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import policy
from ..accounts.models import User
from ..engine import TransitionDef, WorkflowDefinition, WorkflowRegistry
from ..engine.case_spec import CaseSpec, FieldSpec, Requirement, unmet
from ..engine.guards import Problem
from ..subjects import DECLARED_KINDS, CaseKind
from ..workflows import definition_of
from .models import DeclaredCase


def spec_of(case: DeclaredCase) -> CaseSpec:
    """The `case:` block of the version the case runs under."""
    spec = definition_of(case).case
    assert spec is not None, f"{case.workflow_name} declares no case fields"
    return spec


def _shortfall_text(declared: FieldSpec, requirement: Requirement, given: int) -> str:
    label = declared.label.get(str(get_locale() or "id"))
    if declared.type == "table":
        return _(
            "%(field)s: at least %(min)d row(s) needed, %(given)d given",
            field=label,
            min=requirement.minimum,
            given=given,
        )
    return _("%(field)s is not filled in", field=label)


def _requirements(case: DeclaredCase, transition: TransitionDef) -> list[Problem]:
    problems = unmet(transition.requires, spec_of(case), case.values or {}, _shortfall_text)
    return [
        Problem(
            p.message,
            anchor=p.anchor,
            field=p.field,
            code=p.code,
            fix_endpoint="cases.edit",
            fix_args={"kind": case.kind, "case_id": case.id},
        )
        for p in problems
    ]


def _published(name: str, registry: WorkflowRegistry) -> set[str]:
    return {
        state
        for definition in registry.versions_of(name)
        for state, spec in definition.states.items()
        if spec.published
    }


def _facts(definition: WorkflowDefinition) -> Any:
    def facts_of(case: DeclaredCase) -> dict[str, Any]:
        return {
            "case_kind": case.kind,
            "case_label": {"id": definition.label.id, "en": definition.label.en},
            "case_title": case.title,
            "region_code": case.region.code,
            "region_name": case.region.name,
            "workflow": case.workflow_name,
            "workflow_version": case.workflow_version,
            "state": case.state,
            "due_at": case.due_at.isoformat() if case.due_at else None,
            "item_path": f"/cases/{case.kind}/{case.id}",
        }

    return facts_of


def declared_kind(definition: WorkflowDefinition, registry: WorkflowRegistry) -> CaseKind:
    name = definition.name
    published = _published(name, registry)

    def visible_to(user: User, case: DeclaredCase) -> bool:
        state = definition_of(case).states[case.state]
        return policy.sees_in_region(user, case.region, state.published)

    def visible_query(user: User) -> Any:
        query = policy.visible_in_regions(user, DeclaredCase, published)
        return query.where(DeclaredCase.kind == name)

    return CaseKind(
        name=name,
        model=DeclaredCase,
        workflow=name,
        scope_of=lambda case: policy.region_scope(case.region),
        visible_to=visible_to,
        visible_query=visible_query,
        facts_of=_facts(definition),
        describe=lambda case: f"{case.kind} {case.id}",
        incomplete=f"the {definition.label.en} is not complete",
        rows_where=lambda: DeclaredCase.kind == name,
        requirements=_requirements,
    )


def register_declared_kinds(app: Flask, registry: WorkflowRegistry) -> None:
    """Register a kind for every workflow whose current version declares `case:` fields."""
    kinds = {}
    for name in registry.names():
        definition = registry.latest(name)
        if definition.case is not None:
            kinds[name] = declared_kind(definition, registry)
    app.extensions[DECLARED_KINDS] = kinds


def declared_kinds() -> list[CaseKind]:
    from flask import current_app

    return list(current_app.extensions.get(DECLARED_KINDS, {}).values())


def declared_case_kinds() -> list[tuple[str, str]]:
    """Template global: (name, label) of every kind declared as data, for the main menu."""
    from flask import current_app

    if not getattr(current_user, "is_authenticated", False):
        return []
    language = str(get_locale() or "id")
    found = current_app.extensions["workflows"]
    return [
        (kind.name, found.latest(kind.workflow).label.get(language)) for kind in declared_kinds()
    ]

"""/api/v1/workflows: the loaded definitions themselves (states, transitions, roles, SLAs and
a declared kind's fields), so that clients read names and labels instead of hard-coding them.
They are no secret: every authenticated caller may read them."""

from __future__ import annotations

from ..engine import WorkflowDefinition
from ..engine.case_spec import FieldSpec
from ..engine.roles import Label
from ..subjects import kinds_of_workflow
from ..workflows import registry
from . import definition_schemas as d
from . import schemas as s
from .blueprint import PREFIX, endpoint
from .errors import ApiError

TAG = "definitions"


def _label(label: Label) -> s.Label:
    return s.Label(id=label.id, en=label.en)


def _optional(label: Label | None) -> s.Label | None:
    return _label(label) if label is not None else None


def _case_kind(name: str) -> str | None:
    kinds = kinds_of_workflow(name)
    return kinds[0].name if kinds else None


def _states(definition: WorkflowDefinition) -> list[d.StateOut]:
    states = []
    for name, state in definition.states.items():
        deadline = definition.deadlines.get(name)
        steps = deadline.steps if deadline else ()
        states.append(
            d.StateOut(
                name=name,
                label=_label(state.label),
                owner=state.owner,
                tags=sorted(state.tags),
                initial=name == definition.initial,
                editable=state.editable,
                final=state.final,
                published=state.published,
                sla_working_days=deadline.sla if deadline else None,
                steps=[
                    d.DeadlineStepOut(
                        name=step.name,
                        at=step.at,
                        kind=step.kind,  # type: ignore[arg-type]
                        notify=list(step.notify),
                        fire=step.fire,
                    )
                    for step in steps
                ],
            )
        )
    return states


def _transitions(definition: WorkflowDefinition) -> list[d.TransitionOut]:
    return [
        d.TransitionOut(
            trigger=t.trigger,
            label=_label(t.label),
            sources=list(t.sources),
            dest=t.dest,
            roles=sorted(t.roles),
            comment_required=t.comment_required,
            confirm=t.confirm,
            consequence=_optional(t.consequence),
            actor_differs_from=list(t.actor_differs_from),
            automatic=t.automatic,
        )
        for t in definition.transitions
    ]


def _roles(definition: WorkflowDefinition) -> list[d.RoleOut]:
    return [
        d.RoleOut(
            name=role.name,
            label=_label(role.label),
            scope=role.scope.value,  # type: ignore[arg-type]
            delegable=role.delegable,
        )
        for role in definition.roles.values()
    ]


def _field(spec: FieldSpec) -> d.FieldOut:
    return d.FieldOut(
        name=spec.name,
        type=spec.type,
        label=_label(spec.label),
        help=_optional(spec.help),
        required=spec.required,
        minimum=spec.minimum,
        maximum=spec.maximum,
        max_length=spec.max_length,
        choices=[d.Choice(value=value, label=_label(label)) for value, label in spec.options],
        columns=[_field(column) for column in spec.columns],
        min_rows=spec.min_rows,
        max_rows=spec.max_rows,
    )


def _current(name: str) -> WorkflowDefinition:
    try:
        return registry().latest(name)
    except KeyError:
        raise ApiError(404, "not_found", "no workflow is loaded under this name") from None


@endpoint(
    "GET",
    "/workflows",
    summary="Every loaded workflow: its current version and the kind of case it drives.",
    tag=TAG,
    response=d.WorkflowList,
    errors=(401,),
)
def list_workflows() -> d.WorkflowList:
    items = []
    for name in registry().names():
        current = registry().latest(name)
        items.append(
            d.WorkflowSummary(
                name=name,
                version=current.version,
                versions=[v.version for v in registry().versions_of(name)],
                label=_label(current.label),
                case_kind=_case_kind(name),
                url=f"{PREFIX}/workflows/{name}",
            )
        )
    return d.WorkflowList(items=items)


@endpoint(
    "GET",
    "/workflows/<workflow>",
    summary="A workflow in full: states with their SLAs, transitions, roles and fields.",
    tag=TAG,
    query=d.VersionQuery,
    response=d.WorkflowDetail,
    errors=(400, 401, 404),
)
def workflow_detail(workflow: str, query: d.VersionQuery) -> d.WorkflowDetail:
    current = _current(workflow)
    definition = current
    if query.version is not None:
        found = registry().find(workflow, query.version)
        if found is None:
            raise ApiError(404, "not_found", "no such version of this workflow is kept")
        definition = found
    spec = definition.case
    return d.WorkflowDetail(
        name=definition.name,
        version=definition.version,
        current_version=current.version,
        label=_label(definition.label),
        case_kind=_case_kind(workflow),
        initial=definition.initial,
        states=_states(definition),
        transitions=_transitions(definition),
        roles=_roles(definition),
        fields=[_field(f) for f in spec.fields.values()] if spec is not None else None,
    )

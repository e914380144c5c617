"""/api/v1/cases/<kind>: every kind of case declared as data (a definition's `case:` block),
served by one set of endpoints: the list with the kind's filters, a case with its values and
the caller's actions, its history, firing an action, opening a case and changing its values.

A kind that is not declared as data (an unknown name, or a built-in kind such as `plan`) is
404 not_found, as is a case the caller may not see. Seeing goes by the one access policy,
firing by the one door (case_views.py, firing.fire), opening and changing by cases.operations,
which checks the edit rights whatever asks; JSON values are checked against the kind's fields
by cases.json_input. A file field is uploaded on the case's page, never set here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import String, cast, func, select

from .. import policy
from ..accounts.models import User
from ..cases import json_input, operations
from ..cases.kinds import declared_kinds, spec_of
from ..cases.models import DeclaredCase
from ..engine import RoleNotAllowed, StaleObject, WorkflowDefinition
from ..engine.case_spec import CaseSpec, may_edit_field
from ..extensions import db
from ..regions.models import Region
from ..signoffs import service as sign_offs
from ..subjects import CaseKind
from ..unit_of_work import STALE_MESSAGE, unit_of_work
from ..workflows import registry, roles
from . import case_views, serialize
from . import schemas as s
from .auth import api_user
from .blueprint import endpoint
from .errors import ApiError
from .vocabulary import check_state_filter

TAG = "cases"
RULE = "/cases/<kind>"
CASE_RULE = RULE + "/<int:case_id>"
READ_ERRORS = case_views.READ_ERRORS
WRITE_ERRORS = case_views.WRITE_ERRORS
MAX_FILTER_LENGTH = 100
# What a stored file shows: never the name it is stored under.
FILE_FACTS = ("name", "type", "size", "sha256")


def _declared(kind: str) -> CaseKind:
    """The kind declared as data named `kind` (404 not_found for any other name)."""
    for found in declared_kinds():
        if found.name == kind:
            return found
    raise ApiError(404, "not_found", "no kind of case is declared under this name")


def _latest(found: CaseKind) -> WorkflowDefinition:
    return registry().latest(found.workflow)


def _spec(definition: WorkflowDefinition) -> CaseSpec:
    spec = definition.case
    assert spec is not None, f"{definition.name} declares no case fields"
    return spec


# --- serialization --------------------------------------------------------------------------


def _values(spec: CaseSpec, stored: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The stored values of the fields `names`; of a file, only the facts a caller may see."""
    shown: dict[str, Any] = {}
    for name in names:
        value = stored.get(name)
        if spec.fields[name].type == "file" and isinstance(value, dict):
            value = {fact: value.get(fact) for fact in FILE_FACTS}
        shown[name] = value
    return shown


def _summary(case: DeclaredCase) -> dict[str, Any]:
    spec = spec_of(case)
    return {
        "id": case.id,
        "kind": case.kind,
        "title": case.title,
        "region": s.RegionRef(code=case.region.code, name=case.region.name),
        "state": case.state,
        "state_label": serialize.label(case, case.state),
        "version": case.version,
        "due_at": case.due_at,
        "updated_at": case.updated_at,
        "values": _values(spec, case.values or {}, spec.list_fields),
    }


def _detail(user: User, case: DeclaredCase) -> s.CaseDetail:
    spec = spec_of(case)
    return s.CaseDetail(
        **_summary(case)
        | {
            "workflow": case.workflow_name,
            "workflow_version": case.workflow_version,
            "created_at": case.created_at,
            "values": _values(spec, case.values or {}, spec.fields),
            "editable": operations.editable_fields(user, case),
            "transitions": serialize.transitions(user, case),
        }
    )


# --- checking what is sent ------------------------------------------------------------------


def _refuse_fields(names: list[str], when: str) -> None:
    """403 naming the fields the caller may not set `when` ("now", …)."""
    if names:
        raise ApiError(
            403,
            "forbidden",
            f"you may not set these fields {when}: {', '.join(names)}",
            fields={f"values.{name}": [f"you may not set this field {when}"] for name in names},
        )


def _typed(spec: CaseSpec, sent: Mapping[str, Any], region: Region, **kwargs: Any) -> Any:
    """The typed values of `sent` (400 validation_error naming every problem)."""
    try:
        return json_input.typed_values(spec, sent, json_input.RegionRefs(region), **kwargs)
    except json_input.InvalidValues as exc:
        fields = {f"values.{path}": texts for path, texts in exc.problems.items()}
        raise ApiError(400, "validation_error", exc.message, fields=fields) from None


def _filters(spec: CaseSpec, query: s.CaseQuery) -> dict[str, str]:
    """The kind's filter fields given as query parameters (400 if one cannot be a value)."""
    given = query.model_extra or {}
    unknown = sorted(given.keys() - set(spec.filters))
    if unknown:
        raise ApiError(
            400,
            "validation_error",
            "the request is not valid",
            fields={name: ["unknown query parameter"] for name in unknown},
        )
    chosen: dict[str, str] = {}
    for name in spec.filters:
        value = given.get(name)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or len(value) > MAX_FILTER_LENGTH or "\x00" in value:
            raise ApiError(
                400,
                "validation_error",
                "the request is not valid",
                fields={name: [f"at most {MAX_FILTER_LENGTH} characters, no NUL"]},
            )
        chosen[name] = value
    return chosen


# --- the endpoints --------------------------------------------------------------------------


@endpoint(
    "GET",
    RULE,
    summary=(
        "The cases of a kind declared as data the caller may see, oldest first, a page at a "
        "time; filtered by region, state and the kind's filter fields."
    ),
    tag=TAG,
    query=s.CaseQuery,
    response=s.CaseList,
    errors=(400, 401, 404),
)
def list_cases(kind: str, query: s.CaseQuery) -> s.CaseList:
    found = _declared(kind)
    spec = _spec(_latest(found))
    check_state_filter(found.workflow, query.state)
    chosen = _filters(spec, query)
    selection = policy.visible(api_user(), kind)
    if query.region:
        selection = selection.where(DeclaredCase.region.has(Region.code == query.region))
    if query.state:
        selection = selection.where(DeclaredCase.state == query.state)
    for name, value in chosen.items():
        # As text on both databases, as the list page compares them (cases/queries.py).
        selection = selection.where(cast(DeclaredCase.values[name].as_string(), String) == value)
    total = db.session.scalar(select(func.count()).select_from(selection.subquery())) or 0
    page = selection.order_by(DeclaredCase.id).limit(query.limit).offset(query.offset)
    cases = db.session.scalars(page).unique()
    return s.CaseList(
        items=[s.CaseSummary(**_summary(case)) for case in cases],
        total=total,
        limit=query.limit,
        offset=query.offset,
    )


@endpoint(
    "POST",
    RULE,
    summary=(
        "Open a case of a kind declared as data, in its first state, with the values its "
        "creator may give; answers the case as GET does."
    ),
    tag=TAG,
    body=s.CaseOpenRequest,
    response=s.CaseDetail,
    errors=(400, 401, 403, 404, 415),
)
def open_case(kind: str, body: s.CaseOpenRequest) -> s.CaseDetail:
    found = _declared(kind)
    definition = _latest(found)
    spec = _spec(definition)
    user = api_user()
    regions = operations.creation_regions(user, kind)
    creator = roles().label(policy.creator_role(kind), "en")
    if not regions:
        raise RoleNotAllowed(f"only a {creator} may open a {definition.label.en}")
    region = _region(regions, body.region, creator, definition)
    settable = _opening_fields(user, kind, definition, region)
    _refuse_fields(
        [name for name in body.values if name in spec.fields and name not in settable],
        "when a case is opened",
    )
    must_give = json_input.required_fields(spec, settable)
    typed = _typed(spec, body.values, region, must_give=must_give)
    with unit_of_work():
        case = operations.open_case(user, kind, region, typed)
    return _detail(user, case)


def _region(
    regions: list[Region], code: str | None, creator: str, definition: WorkflowDefinition
) -> Region:
    """The region the case is opened in: the one asked for, or the caller's only one."""
    if code is None:
        if len(regions) > 1:
            choices = ", ".join(r.code for r in regions)
            raise ApiError(
                400,
                "validation_error",
                "the request is not valid",
                fields={"region": [f"give the region, one of {choices}"]},
            )
        return regions[0]
    for region in regions:
        if region.code == code:
            return region
    raise RoleNotAllowed(f"only a {creator} of {code} may open a {definition.label.en} there")


def _opening_fields(
    user: User, kind: str, definition: WorkflowDefinition, region: Region
) -> list[str]:
    """The fields the opener sets (the rule of operations.open_case)."""
    grant = policy.grant_for(user, [policy.creator_role(kind)], policy.region_scope(region))
    assert grant is not None  # `region` is one of the user's creation regions
    state = definition.states[definition.initial]
    return [
        name
        for name, field in _spec(definition).fields.items()
        if may_edit_field(field, definition.initial, state.owner, state.editable, grant.role)
    ]


@endpoint(
    "GET",
    CASE_RULE,
    summary="A case of a kind declared as data: its values and the caller's actions.",
    tag=TAG,
    response=s.CaseDetail,
    errors=READ_ERRORS,
)
def case_detail(kind: str, case_id: int) -> s.CaseDetail:
    _declared(kind)
    return _detail(*case_views.find(kind, case_id))


@endpoint(
    "PATCH",
    CASE_RULE,
    summary=(
        "Change values of a case, on the version the caller read (409 stale if not): only "
        "the fields the caller may change now (403 naming any other)."
    ),
    tag=TAG,
    body=s.CaseChangeRequest,
    response=s.CaseDetail,
    errors=WRITE_ERRORS,
)
def change_case(kind: str, case_id: int, body: s.CaseChangeRequest) -> s.CaseDetail:
    _declared(kind)
    with unit_of_work():
        user, case = case_views.find(kind, case_id)
        spec = spec_of(case)
        editable = operations.editable_fields(user, case)
        if not editable:
            raise RoleNotAllowed(_("You cannot change this case in its current state."))
        _refuse_fields(
            [name for name in body.values if name in spec.fields and name not in editable],
            "now",
        )
        if body.version != case.version:
            raise StaleObject(STALE_MESSAGE)
        typed = _typed(spec, body.values, case.region)
        operations.save_values(user, case, typed, expected_version=body.version)
    return _detail(user, case)


@endpoint(
    "GET",
    CASE_RULE + "/history",
    summary="The case's own history, oldest first, a page at a time.",
    tag=TAG,
    query=s.PageQuery,
    response=s.History,
    errors=(400, *READ_ERRORS),
)
def case_history(kind: str, case_id: int, query: s.PageQuery) -> s.History:
    _declared(kind)
    return case_views.case_history(kind, case_id, query)


@endpoint(
    "GET",
    CASE_RULE + "/transitions",
    summary="The actions the caller may take on the case now, with what blocks each.",
    tag=TAG,
    response=s.TransitionOptions,
    errors=READ_ERRORS,
)
def case_transitions(kind: str, case_id: int) -> s.TransitionOptions:
    _declared(kind)
    return s.TransitionOptions(items=serialize.transitions(*case_views.find(kind, case_id)))


@endpoint(
    "POST",
    CASE_RULE + "/transitions",
    summary=case_views.FIRE.format("case"),
    tag=TAG,
    body=s.TransitionRequest,
    response=s.TransitionResult,
    errors=WRITE_ERRORS,
)
def fire_case_transition(kind: str, case_id: int, body: s.TransitionRequest) -> s.TransitionResult:
    _declared(kind)
    return case_views.fire_transition(kind, case_id, body)


@endpoint(
    "POST",
    CASE_RULE + "/sign-off",
    summary="Give the caller's opinion (agree, or object with a comment) on the case's open "
    "sign-off; when the answers reach the definition's quorum (or an objection), the system "
    "fires the declared outcome.",
    tag=TAG,
    body=s.SignOffRequest,
    response=s.SignOffResult,
    errors=WRITE_ERRORS,
)
def answer_sign_off(kind: str, case_id: int, body: s.SignOffRequest) -> s.SignOffResult:
    _declared(kind)
    with unit_of_work():
        user, case = case_views.find(kind, case_id)
        done = sign_offs.answer(user, case, body.answer, body.comment)
        agreed, objected = sign_offs.tally(sign_offs.rounds_of(done.row))
    return s.SignOffResult(
        answer=body.answer,
        agreed=agreed,
        objected=objected,
        fired=done.fired,
        state=case.state,
        version=case.version,
    )

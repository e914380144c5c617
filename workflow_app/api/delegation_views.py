"""/api/v1/delegations: acting officials (Plt/Plh) as on the web's page
(accounts/delegation_views.py): the delegations from and to the caller (every one for an
administrator), handing over a role, and ending one early. Every rule is the operation's
(accounts/delegations.py), which also records the act in the administrators' log with the
token's user as the actor; its refusals name the field of this body they concern."""

from __future__ import annotations

from datetime import date

from flask import Response, url_for

from ..accounts import delegations as ops
from ..accounts.delegation_views import status_of
from ..accounts.models import Delegation, RoleAssignment, User, wita_today
from ..engine import RoleNotAllowed
from ..engine.roles import Label
from ..extensions import db
from ..unit_of_work import unit_of_work
from ..workflows import roles
from . import delegation_schemas as d
from . import schemas as s
from .auth import api_user
from .blueprint import created, endpoint
from .errors import ApiError

TAG = "delegations"
ENDABLE = ("active", "upcoming")
# The operation's field names → this body's ("assignment" is the web form's choice of a role).
FIELDS = {"assignment": "role", "delegation": "delegation"}


def _role_label(role: str) -> s.Label:
    declared = roles().get(role)
    label = declared.label if declared is not None else Label(role, role)
    return s.Label(id=label.id, en=label.en)


def _user(user: User | None) -> s.UserRef | None:
    return None if user is None else s.UserRef(username=user.username, full_name=user.full_name)


def _out(actor: User, delegation: Delegation, today: date) -> d.DelegationOut:
    status = status_of(delegation, today)
    return d.DelegationOut(
        id=delegation.id,
        delegator=_user(delegation.delegator),
        delegate=_user(delegation.delegate),
        role=delegation.role,
        role_label=_role_label(delegation.role),
        region=s.RegionRef(code=delegation.region.code, name=delegation.region.name),
        starts_on=delegation.starts_on,
        ends_on=delegation.ends_on,
        note=delegation.note,
        status=status,  # type: ignore[arg-type]
        can_end=status in ENDABLE and ops.may_end(actor, delegation),
        created_at=delegation.created_at,
        created_by=_user(delegation.created_by),
        ended_at=delegation.ended_at,
        ended_by=_user(delegation.ended_by),
    )


def _assignable(assignment: RoleAssignment) -> d.AssignableRole:
    return d.AssignableRole(
        holder=_user(assignment.user),
        role=assignment.role,
        role_label=_role_label(assignment.role),
        region=s.RegionRef(code=assignment.region.code, name=assignment.region.name),
    )


@endpoint(
    "GET",
    "/delegations",
    summary=(
        "The delegations the caller acts under and those they gave (an administrator: every "
        "delegation), the newest first, with the roles the caller may hand over."
    ),
    tag=TAG,
    response=d.DelegationPage,
    errors=(401,),
)
def list_delegations() -> d.DelegationPage:
    user = api_user()
    today = wita_today()
    everything = list(db.session.scalars(ops.visible_delegations(user)).unique())
    return d.DelegationPage(
        received=[_out(user, x, today) for x in everything if x.delegate_id == user.id],
        given=[_out(user, x, today) for x in everything if x.delegator_id == user.id],
        everything=[_out(user, x, today) for x in everything] if ops.is_admin(user) else [],
        assignable=[_assignable(a) for a in ops.delegable_assignments(user)],
        max_days=ops.max_days(),
    )


@endpoint(
    "GET",
    "/delegations/<int:delegation_id>",
    summary="One delegation from or to the caller (any, for an administrator).",
    tag=TAG,
    response=d.DelegationOut,
    errors=(401, 404),
)
def delegation_detail(delegation_id: int) -> d.DelegationOut:
    user = api_user()
    return _out(user, ops.load_visible_delegation(user, delegation_id), wita_today())


def _refused(exc: ops.DelegationRejected) -> ApiError:
    fields = {FIELDS.get(name, name): messages for name, messages in exc.errors.items()}
    return ApiError(400, "validation_error", exc.message, fields=fields)


def _assignment(user: User, body: d.DelegationRequest) -> RoleAssignment:
    """The role assignment handed over: one the caller may delegate (as the web form offers
    them), held by the delegator named (the caller unless an administrator names another)."""
    holder = body.delegator or user.username
    if holder != user.username and not ops.is_admin(user):
        raise RoleNotAllowed("only the role holder or an administrator may delegate it")
    for assignment in ops.delegable_assignments(user):
        if (assignment.user.username, assignment.role, assignment.region.code) == (
            holder,
            body.role,
            body.region,
        ):
            return assignment
    # The operation's own words for the same refusal.
    raise _refused(
        ops.DelegationRejected(
            {"assignment": ["The delegator does not hold this role in this region."]}
        )
    )


@endpoint(
    "POST",
    "/delegations",
    summary=(
        "Hand a role the caller holds (an administrator: anyone's) to a colleague of the same "
        "office for a date range; every rule of the web page applies, a refusal names its "
        "field. Recorded in the administrators' log."
    ),
    tag=TAG,
    body=d.DelegationRequest,
    response=d.DelegationOut,
    errors=(400, 401, 403, 415),
    status=201,
)
def create_delegation(body: d.DelegationRequest) -> Response:
    user = api_user()
    assignment = _assignment(user, body)
    delegate = db.session.scalar(db.select(User).where(User.username == body.delegate.strip()))
    try:
        with unit_of_work():
            delegation = ops.create_delegation(
                user,
                delegator=assignment.user,
                delegate=delegate,
                role=assignment.role,
                region=assignment.region,
                starts_on=body.starts_on,
                ends_on=body.ends_on,
                note=body.note,
            )
    except ops.DelegationRejected as exc:
        raise _refused(exc) from None
    out = _out(user, delegation, wita_today())
    return created(out, url_for("api.delegation_detail", delegation_id=out.id))


@endpoint(
    "POST",
    "/delegations/<int:delegation_id>/end",
    summary=(
        "End a delegation now (its delegator, its delegate declining, or an administrator); "
        "one already over is 409. Recorded in the administrators' log."
    ),
    tag=TAG,
    response=d.DelegationOut,
    errors=(401, 404, 409),
)
def end_delegation(delegation_id: int) -> d.DelegationOut:
    user = api_user()
    try:
        with unit_of_work():
            delegation = ops.load_visible_delegation(user, delegation_id)
            ops.end_delegation(user, delegation)
    except ops.DelegationRejected as exc:
        raise ApiError(409, "invalid_state", exc.message) from None
    return _out(user, delegation, wita_today())

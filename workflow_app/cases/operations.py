"""Opening a declared case and changing its values: who may, and what is stored.

Every change is checked here whatever asks for it (a page, the API, the CLI): the user must
see the case, may change only the fields the definition lets their role change in the
case's state, and a save based on an older version is refused as changed by someone else.
Transitions go through the one door (firing.fire), never through here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from .. import policy
from ..accounts.models import User
from ..deadlines.calendar_store import current_calendar
from ..deadlines.scheduling import due_time
from ..engine import InvalidInput, OutOfScope, RoleNotAllowed, StaleObject
from ..engine.case_spec import FILE_KINDS, CaseSpec, FieldSpec, may_edit_field
from ..extensions import db
from ..firing import flush, record_opening
from ..models_base import utcnow
from ..regions.models import Region
from ..subjects import kind_named
from ..unit_of_work import STALE_MESSAGE
from ..uploads import delete_after_commit, inspect_upload, store
from ..workflows import covers, definition_of, registry, roles
from .kinds import spec_of
from .models import DeclaredCase
from .values import title_of, to_json

OPENED = "create"  # the trigger of a case's first history row


def editable_fields(user: User, case: DeclaredCase) -> list[str]:
    """The fields `user` may change on `case` now, in their declared order."""
    definition = definition_of(case)
    state = definition.states[case.state]
    scope = policy.scope_of(case)
    held = {grant.role for grant in user.grants() if covers(grant, scope)}
    return [
        name
        for name, field in spec_of(case).fields.items()
        if any(may_edit_field(field, case.state, state.owner, state.editable, r) for r in held)
    ]


def creation_regions(user: User, kind: str) -> list[Region]:
    """The regions `user` may open a case of `kind` in: where they hold its creator role, and
    of the level its `case.scope` names (a district, or the province)."""
    definition = registry().latest(kind_named(kind).workflow)
    assert definition.case is not None
    province = definition.case.scope == "province"
    regions = db.session.scalars(select(Region).order_by(Region.code))
    return [
        region
        for region in regions
        if region.is_province == province
        and policy.may_create(user, kind, policy.region_scope(region))
    ]


def _stored_file(field: FieldSpec, upload: FileStorage) -> dict[str, Any]:
    allowed = {FILE_KINDS[k][0]: FILE_KINDS[k][1] for k in field.accept}
    kinds = ", ".join(k.upper() for k in field.accept)
    data = upload.read()
    checked = inspect_upload(
        upload.filename or "", data, allowed, int(field.max_mb * 1_000_000), kinds
    )
    return {
        "name": checked.display_name,
        "stored": store(checked, data),
        "type": checked.content_type,
        "size": checked.size,
        "sha256": checked.sha256,
    }


def _new_values(
    spec: CaseSpec,
    old: Mapping[str, Any],
    typed: Mapping[str, Any],
    files: Mapping[str, FileStorage | None],
    names: Iterable[str],
) -> dict[str, Any]:
    """`old` with the fields `names` taken from `typed` (and uploads from `files`)."""
    values = dict(old)
    for name in names:
        field = spec.fields[name]
        if field.type == "file":
            upload = files.get(name)
            if upload is not None and upload.filename:
                previous = values.get(name)
                values[name] = _stored_file(field, upload)
                if previous:
                    delete_after_commit(previous["stored"])
            continue
        if name in typed:
            values[name] = to_json(field, typed[name])
    return values


def open_case(
    user: User,
    kind: str,
    region: Region,
    typed: Mapping[str, Any],
    files: Mapping[str, FileStorage | None] | None = None,
) -> DeclaredCase:
    """A new case of `kind` in `region`, in its initial state, with its first history row."""
    found = kind_named(kind)
    definition = registry().latest(found.workflow)
    spec = definition.case
    assert spec is not None
    if region not in creation_regions(user, kind):
        raise RoleNotAllowed(
            f"only a {roles().label(policy.creator_role(kind), 'en')} of {region.name} may "
            f"open a {definition.label.en} there"
        )
    grant = policy.grant_for(user, [policy.creator_role(kind)], policy.region_scope(region))
    assert grant is not None
    state = definition.states[definition.initial]
    names = [
        name
        for name, field in spec.fields.items()
        if may_edit_field(field, definition.initial, state.owner, state.editable, grant.role)
    ]
    values = _new_values(spec, {}, typed, files or {}, names)
    now = utcnow()
    calendar = current_calendar() if definition.initial in definition.deadlines else None
    case = DeclaredCase(
        kind=kind,
        region=region,
        title=title_of(spec, values, region, None),
        values=values,
        state=definition.initial,
        workflow_name=definition.name,
        workflow_version=definition.version,
        created_by_id=user.id,
        state_entered_at=now,
        due_at=due_time(definition, definition.initial, now, calendar) if calendar else None,
    )
    db.session.add(case)
    flush()
    case.title = title_of(spec, values, region, case.id)
    record_opening(user, case, trigger=OPENED, role=grant.role, calendar=calendar)
    return case


def save_values(
    user: User,
    case: DeclaredCase,
    typed: Mapping[str, Any],
    files: Mapping[str, FileStorage | None] | None = None,
    *,
    expected_version: int,
) -> DeclaredCase:
    """Store what `user` changed; only the fields they may change now are taken."""
    if not policy.may_see(user, case):
        raise OutOfScope(f"{case.kind} not found")
    names = editable_fields(user, case)
    if not names:
        raise RoleNotAllowed(_("You cannot change this case in its current state."))
    if expected_version != case.version:
        raise StaleObject(STALE_MESSAGE)
    spec = spec_of(case)
    unknown = [name for name in typed if name not in spec.fields]
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    case.values = _new_values(spec, case.values or {}, typed, files or {}, names)
    case.title = title_of(spec, case.values, case.region, case.id)
    flush()
    return case

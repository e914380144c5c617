"""Flask-Login wiring: how a session's user id becomes a User."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Select, bindparam, func, inspect, select
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db, login_manager
from ..notifications.models import Notification
from ..regions.models import Region
from .models import Delegation, RoleAssignment, User, _acting_join, active_on, wita_today

login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to open this page.")
login_manager.login_message_category = "info"

T = TypeVar("T")


def parse_session_id(session_id: str) -> tuple[int, int] | None:
    """(user id, session epoch) from `User.get_id()`'s "<id>:<epoch>" or "<id>" (epoch 0)."""
    user_part, _sep, epoch_part = session_id.partition(":")
    epoch_part = epoch_part or "0"
    if not all(p.isascii() and p.isdigit() for p in (user_part, epoch_part)):
        return None
    return int(user_part), int(epoch_part)


def _with_grants(day: object) -> list[object]:
    """Every request needs the user's roles, the delegations to the user in force on `day`
    and their regions: one query, not five."""
    return [
        joinedload(User.roles).joinedload(RoleAssignment.region),
        joinedload(User.acting_delegations.and_(active_on(day))).joinedload(  # type: ignore[arg-type]
            Delegation.region
        ),
    ]


# The number on the bell every page's header shows (inbox.views.unread_notifications), read in
# the same statement as the user: one round trip per page instead of two.
_UNREAD = (
    select(func.count(Notification.id))
    .where(Notification.in_inbox_of(User.id), Notification.read_at.is_(None))  # type: ignore[arg-type]
    .correlate(User)
    .scalar_subquery()
)

# Today's date is a callable, not a value given at execution: the loaded user keeps these
# options, and a later refresh of it in the same request (after a commit expired it) runs them
# again without our parameters.
_TODAY = bindparam("today", type_=Date, callable_=wita_today)

# The ORM statement: for a user already in the session, and once per process to learn the
# loader options a refresh of the user runs (see `_refresh_options`).
_USER_WITH_GRANTS = (
    select(User, _UNREAD).where(User.id == bindparam("user_id")).options(*_with_grants(_TODAY))
)

# The same rows as plain columns: the ORM's row processing of five entities cost more than the
# query itself on every request; the objects are built from the columns (`_build`) instead.
# The role assignments are aliased: the delegations' condition has an EXISTS on that table.
_ROLE = RoleAssignment.__table__.alias("own_role")
_ROLE_REGION = Region.__table__.alias("own_role_region")
_DELEGATION_REGION = Region.__table__.alias("acting_region")
_DELEGATION = Delegation.__table__
_COLUMNS: dict[str, tuple[type, Any, tuple[str, ...]]] = {
    prefix: (cls, table, tuple(attr.key for attr in inspect(cls).column_attrs))
    for prefix, cls, table in (
        ("u", User, User.__table__),
        ("r", RoleAssignment, _ROLE),
        ("rr", Region, _ROLE_REGION),
        ("d", Delegation, _DELEGATION),
        ("dr", Region, _DELEGATION_REGION),
    )
}


def _labelled() -> list[Any]:
    return [
        table.c[inspect(cls).get_property(key).columns[0].name].label(f"{prefix}_{key}")
        for prefix, (cls, table, keys) in _COLUMNS.items()
        for key in keys
    ]


_USER_ROWS: Select[Any] = (
    select(*_labelled(), _UNREAD.label("unread"))
    .select_from(
        User.__table__.outerjoin(_ROLE, _ROLE.c.user_id == User.__table__.c.id)
        .outerjoin(_ROLE_REGION, _ROLE_REGION.c.id == _ROLE.c.region_id)
        .outerjoin(_DELEGATION, _acting_join() & active_on(_TODAY))  # type: ignore[arg-type]
        .outerjoin(_DELEGATION_REGION, _DELEGATION_REGION.c.id == _DELEGATION.c.region_id)
    )
    .where(User.__table__.c.id == bindparam("user_id"))
    .order_by(_ROLE.c.id, _DELEGATION.c.id)
)

# What a user loaded by `_USER_WITH_GRANTS` keeps for its refresh (learnt once per process).
_refresh_options: list[tuple[Any, Any]] = []


def _object(
    session: Session, prefix: str, row: Mapping[str, Any], found: dict[tuple[str, int], Any]
) -> Any:
    """The object of `row`'s columns under `prefix`: one already in the session as it is (as a
    query would leave it), else a new one made persistent as if loaded (no history)."""
    cls, _table, keys = _COLUMNS[prefix]
    ident = row[f"{prefix}_id"]
    seen = found.get((cls.__name__, ident))
    if seen is not None:
        return seen
    mapper = inspect(cls)
    obj = session.identity_map.get(mapper.identity_key_from_primary_key((ident,)))
    if obj is None:
        obj = mapper.class_manager.new_instance()
        obj.__dict__.update({key: row[f"{prefix}_{key}"] for key in keys})
        make_transient_to_detached(obj)
    found[(cls.__name__, ident)] = obj
    return obj


def _build(session: Session, rows: Sequence[Mapping[str, Any]]) -> User:
    found: dict[tuple[str, int], Any] = {}
    user = _object(session, "u", rows[0], found)
    roles: dict[int, RoleAssignment] = {}
    acting: dict[int, Delegation] = {}
    for row in rows:
        if row["r_id"] is not None and row["r_id"] not in roles:
            role = _object(session, "r", row, found)
            roles[row["r_id"]] = _with_region(role, _object(session, "rr", row, found))
        if row["d_id"] is not None and row["d_id"] not in acting:
            delegation = _object(session, "d", row, found)
            acting[row["d_id"]] = _with_region(delegation, _object(session, "dr", row, found))
    set_committed_value(user, "roles", list(roles.values()))
    set_committed_value(user, "acting_delegations", list(acting.values()))
    state = inspect(user)
    state.load_options, state.load_path = _refresh_options[0]
    for obj in found.values():
        if inspect(obj).session_id is None:
            session.add(obj)
    return user


def _with_region(obj: T, region: Region) -> T:
    if inspect(obj).session_id is None:  # a new object (one in the session keeps its own)
        set_committed_value(obj, "region", region)
    return obj


def _load_with_grants(user_id: int) -> User | None:
    if db.session.identity_map.get(db.session.identity_key(User, user_id)) is not None:
        # Already in this session (a test's app context, a login in this request): as
        # `Session.get` does, no query for it.
        return db.session.get(User, user_id, options=_with_grants(wita_today()))
    if not _refresh_options:
        # Once per process, through the ORM: what its loaded user keeps for a refresh (the
        # same loader options, run again if a commit expires the user within the request).
        row = db.session.execute(_USER_WITH_GRANTS, {"user_id": user_id}).unique().one_or_none()
        if row is None:
            return None
        user, g.unread_notifications = row
        state = inspect(user)
        _refresh_options.append((state.load_options, state.load_path))
        return user
    session = db.session()
    rows = session.connection().execute(_USER_ROWS, {"user_id": user_id}).mappings().all()
    if not rows:
        return None
    g.unread_notifications = rows[0]["unread"]
    return _build(session, rows)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    parsed = parse_session_id(session_id)
    if parsed is None:
        return None
    user_id, epoch = parsed
    user = _load_with_grants(user_id)
    # A session from before the last logout, password change or disabling has ended.
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    return user

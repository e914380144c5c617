"""Recording administrative acts: `record_act` is the one door, called inside the operation
that makes the change (web, command line and API alike), in the same transaction, so an act
is on record exactly when its change is stored.

Each act is hashed like a history row (chain.py): sha256 over the canonical JSON of
`prev_hash` and every column, its own id included, the id taken before the INSERT. The whole
log is one chain; appending locks the log's head row first, so concurrent acts queue up and
never fork the chain, and moves the head to the new act.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..extensions import db
from ..logs import current_request_id
from ..models_base import utcnow
from .admin_models import HEAD_ID, AdminAct, AdminActHead
from .chain import canonical_time, digest

FORMAT = 1  # the canonical form acts are hashed in
COMMAND_LINE = "cli"  # the client address of an act done outside a web request
# Words that never belong in an act's details: what changed is recorded, not the secret.
SECRET_WORDS = ("password", "secret", "hash")


class Action(StrEnum):
    """The stable codes of the acts recorded (stored as text; filters and scripts use them)."""

    ACCOUNT_CREATED = "account.created"
    ACCOUNT_EDITED = "account.edited"  # full name or language
    ACCOUNT_ENABLED = "account.enabled"
    ACCOUNT_DISABLED = "account.disabled"
    EMAIL_CHANGED = "email.changed"
    PASSWORD_SET = "password.set"  # by an administrator
    PASSWORD_CHANGED = "password.changed"  # by the user, knowing the current one
    PASSWORD_RESET = "password.reset"  # by the user, with an emailed link
    ROLE_GRANTED = "role.granted"
    ROLE_REMOVED = "role.removed"
    CALENDAR_CHANGED = "calendar.changed"
    DELEGATION_CREATED = "delegation.created"
    DELEGATION_ENDED = "delegation.ended"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_EDITED = "webhook.edited"  # address, event types, description
    WEBHOOK_ENABLED = "webhook.enabled"
    WEBHOOK_DISABLED = "webhook.disabled"
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"
    WEBHOOK_DELIVERY_RETRIED = "webhook.delivery_retried"


def current_actor() -> User | None:
    """Who is signed in to this web request; None on the command line (or signed out)."""
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()  # type: ignore[no-any-return]
    return None


def record_act(
    actor: User | None,
    action: Action,
    *,
    target: User | None = None,
    details: Mapping[str, Any] | None = None,
) -> AdminAct:
    """Append one act to the log in the session's transaction (flushed, never committed).
    `actor` None: the command line. `details`: what changed, as plain JSON values (dates
    become ISO text); a key naming a password, secret or hash is refused."""
    plain = _plain(details or {})
    session = db.session()
    last_id, last_hash = _lock_head(session)
    act = AdminAct(
        id=_next_id(session, last_id),
        created_at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.username if actor is not None else _command_line_label(),
        action=Action(action).value,
        target_user_id=target.id if target is not None else None,
        details=plain,
        client_address=_client_address(),
        request_id=current_request_id(),
        prev_hash=last_hash,
    )
    act.row_hash = act_hash(act.prev_hash, _columns(act))
    session.add(act)
    session.execute(
        update(AdminActHead)
        .where(AdminActHead.id == HEAD_ID)
        .values(last_id=act.id, last_hash=act.row_hash)
    )
    session.flush()
    return act


HASHED_COLUMNS = (
    "id",
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "target_user_id",
    "details",
    "client_address",
    "request_id",
)
INT_COLUMNS = frozenset({"id", "actor_id", "target_user_id"})


def _canonical_value(column: str, value: Any) -> Any:
    if value is None or column == "details":  # details are plain JSON already
        return value
    if column == "created_at":
        return canonical_time(value)
    return int(value) if column in INT_COLUMNS else str(value)


def act_hash(prev_hash: str | None, row: Mapping[str, Any]) -> str:
    """sha256 hex of an act's columns (an ORM object's or a row read back on SQLite or
    PostgreSQL: both give the same), linked to the previous act's hash."""
    content = {column: _canonical_value(column, row[column]) for column in HASHED_COLUMNS}
    return digest({"format": FORMAT, "prev_hash": prev_hash, **content})


def _columns(act: AdminAct) -> dict[str, Any]:
    return {column: getattr(act, column) for column in HASHED_COLUMNS}


def _plain(details: Mapping[str, Any]) -> dict[str, Any]:
    """The details as the database gives them back (JSON types only), so the hash taken now
    is the hash recomputed later."""
    plain = json.loads(json.dumps(dict(details), default=str))
    _no_secrets(plain)
    return plain


def _no_secrets(value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if any(word in key.lower() for word in SECRET_WORDS):
                raise ValueError(f"an act's details never hold a secret: {key!r}")
            _no_secrets(item)
    elif isinstance(value, list):
        for item in value:
            _no_secrets(item)


def _lock_head(session: Session) -> tuple[int | None, str | None]:
    """Lock the log's head (creating it on first use) and read it: the previous act."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # On SQLite this write also takes the database's write lock before the head is read.
    session.execute(
        insert(AdminActHead).values(id=HEAD_ID).on_conflict_do_nothing(index_elements=["id"])
    )
    head = session.execute(
        select(AdminActHead.last_id, AdminActHead.last_hash)
        .where(AdminActHead.id == HEAD_ID)
        .with_for_update()
    ).one()
    return head.last_id, head.last_hash


def _next_id(session: Session, last_id: int | None) -> int:
    if session.get_bind().dialect.name == "postgresql":
        return int(
            session.execute(
                select(func.nextval(func.pg_get_serial_sequence("admin_act", "id")))
            ).scalar_one()
        )
    # SQLite: past every stored id and past the head's (an id is never given twice, even
    # if the last act was deleted); the write lock taken above keeps it ours.
    stored = session.scalar(select(func.max(AdminAct.id))) or 0
    return max(stored, last_id or 0) + 1


def _client_address() -> str:
    if has_request_context():
        return (request.remote_addr or "unknown")[:64]
    return COMMAND_LINE


def _command_line_label() -> str:
    """The operating-system user who ran the command, as far as it can be told."""
    try:
        return f"{COMMAND_LINE}:{getpass.getuser()}"[:200]
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return COMMAND_LINE

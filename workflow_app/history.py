"""The history of every case: one append-only row per transition, whatever the kind of case.

A row names its case by kind and id (`SubjectRef`) and the hash chain it belongs to
(`chain_kind`, `chain_id`: a report's rows join its plan's chain, see subjects.CaseKind). The
table keeps its first name, `plan_transition`, so that existing data and the scripts that read
it go on working.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import (
    ForeignKey,
    Index,
    Insert,
    Integer,
    String,
    Text,
    bindparam,
    event,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import (
    Mapped,
    Session,
    declared_attr,
    make_transient_to_detached,
    mapped_column,
    object_session,
    relationship,
)

from .accounts.models import User
from .audit.chain import FORMAT, link_row
from .changes.writes import Write
from .extensions import db
from .models_base import UTCDateTime, utcnow
from .subjects import SubjectRef, kind_named, kind_of


class CaseTransition(SubjectRef, db.Model):
    """One step in a case's history. Append-only: never updated or deleted."""

    __tablename__ = "plan_transition"
    __table_args__ = (
        Index("ix_plan_transition_subject", "subject_kind", "subject_id"),
        Index("ix_plan_transition_chain", "chain_kind", "chain_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_kind: Mapped[str] = mapped_column(String(40))
    chain_id: Mapped[int] = mapped_column(Integer)
    workflow_version: Mapped[int] = mapped_column(Integer)
    from_state: Mapped[str | None] = mapped_column(String(40))  # None: the case was created
    to_state: Mapped[str] = mapped_column(String(40))
    trigger: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    acting_for_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    role: Mapped[str] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The hash chain (audit/chain.py): the canonical form the row was hashed in, the previous
    # row's hash (None: the first row) and this row's. Filled by the before_insert hook below.
    hash_format: Mapped[int] = mapped_column(Integer, default=FORMAT)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))

    actor: Mapped[User] = relationship(foreign_keys=[actor_id], lazy="joined")
    acting_for: Mapped[User | None] = relationship(foreign_keys=[acting_for_id], lazy="joined")


@event.listens_for(CaseTransition, "before_insert")
def _link_into_chain(mapper: object, connection: Connection, target: CaseTransition) -> None:
    # Here rather than at the creation sites, so none of them can forget it. The rows of the
    # same flush are linked one by one before any of them is inserted: pass them along.
    _link(object_session(target), connection, target)


def _link(
    session: Session | None,
    connection: Connection,
    target: CaseTransition,
    *,
    root_locked: bool = False,
) -> None:
    if target.created_at is None:  # the column default would come after hashing
        target.created_at = utcnow()
    if target.hash_format is None:
        target.hash_format = FORMAT
    pending = [row for row in session.new if isinstance(row, CaseTransition)] if session else []
    root_table = kind_named(target.chain_kind).model.__table__.name
    link_row(connection, target, pending, root_table, root_locked=root_locked)


@cache
def _inserting() -> Insert:
    """A history row's INSERT, every column bound as `history_<column>`, built once."""
    table = CaseTransition.__table__
    return insert(table).values(
        {column.key: bindparam(f"history_{column.key}", type_=column.type) for column in table.c}
    )


def linked_insert(session: Session, row: CaseTransition, *, root_updated: bool = False) -> Write:
    """Link `row` (new, not added) into its chain now, as the insert hook would, and return
    its INSERT for the caller to run (with other writes, in one statement: firing.py). The
    row joins the session as stored: the caller must run the INSERT in its transaction.
    `root_updated`: the caller has UPDATEd the row's subject in this transaction, so where the
    subject is its chain's root, that row is already locked."""
    own_chain = (row.chain_kind, row.chain_id) == (row.subject_kind, row.subject_id)
    _link(session, session.connection(), row, root_locked=root_updated and own_chain)
    values = {
        f"history_{column.key}": getattr(row, column.key)
        for column in inspect(CaseTransition).column_attrs
    }
    make_transient_to_detached(row)
    session.add(row)
    return Write(("history",), _inserting(), values)


@event.listens_for(CaseTransition, "before_update")
@event.listens_for(CaseTransition, "before_delete")
def _history_is_append_only(mapper: object, connection: object, target: CaseTransition) -> None:
    raise PermissionError("case history is append-only")


def new_history_row(case: object, **fields: object) -> CaseTransition:
    """A history row of `case`, named by its kind and joined to its kind's chain (add it to
    the session; the insert hook links it)."""
    kind = kind_of(case)
    chain_kind, chain_id = kind.chain(case)
    return CaseTransition(
        subject_kind=kind.name,
        subject_id=case.id,  # type: ignore[attr-defined]
        chain_kind=chain_kind,
        chain_id=chain_id,
        **fields,
    )


def history_of(case: object):  # -> Select[tuple[CaseTransition]]
    """The SELECT of a case's own history rows, oldest first."""
    return select(CaseTransition).where(CaseTransition.subject_of(case)).order_by(CaseTransition.id)


class CaseRecord:
    """The columns every kind of case's model carries for the core, and its own history.

    The model sets `CASE_KIND`, the name its kind is registered under (subjects.py)."""

    CASE_KIND: str

    state: Mapped[str] = mapped_column(String(40), index=True)
    workflow_name: Mapped[str] = mapped_column(String(80))
    workflow_version: Mapped[int] = mapped_column(Integer)
    # Optimistic lock: every UPDATE checks and bumps it, so two concurrent writers cannot both
    # win.
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, object]:
        return {"version_id_col": cls.__table__.c.version}

    @declared_attr
    def history(cls) -> Mapped[list[CaseTransition]]:
        """The case's own history rows, oldest first."""
        return relationship(
            CaseTransition,
            primaryjoin=lambda: CaseTransition.subject_is(cls.CASE_KIND, cls.id),
            foreign_keys=lambda: [CaseTransition.subject_id],
            order_by=lambda: CaseTransition.id,
            viewonly=True,
        )

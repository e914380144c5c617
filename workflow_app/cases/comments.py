"""Review comments on a declared case: the owner of a state tagged `review` remarks on the
case, on a field, or on one row of a table field (the same rule as the plans' reviewers)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from .. import policy
from ..accounts.models import User
from ..engine import InvalidInput, NotAllowedFromState, OutOfScope, RoleNotAllowed
from ..extensions import db
from ..firing import flush
from ..models_base import utcnow
from ..reviews.operations import BODY_MAX_LENGTH, comment_text
from ..workflows import definition_of
from .kinds import spec_of
from .models import CaseComment, DeclaredCase
from .values import shown

REVIEW_TAG = "review"
__all__ = ["BODY_MAX_LENGTH", "add_comment", "can_comment", "comment_panel"]


def reviewer_roles(case: DeclaredCase) -> set[str]:
    definition = definition_of(case)
    return {definition.states[name].owner for name in definition.states_tagged(REVIEW_TAG)}


def can_comment(user: User, case: DeclaredCase) -> bool:
    return policy.may_see(user, case) and policy.reviewing_grant(user, case, REVIEW_TAG) is not None


def check_can_comment(user: User, case: DeclaredCase) -> None:
    """404 when not visible; 409 for a reviewer while the case is not at their stage; 403
    for everyone else."""
    if not policy.may_see(user, case):
        raise OutOfScope(f"{case.kind} not found")
    if policy.reviewing_grant(user, case, REVIEW_TAG) is not None:
        return
    if policy.holds(user, reviewer_roles(case), policy.scope_of(case)):
        raise NotAllowedFromState(f"comments are not possible in state {case.state!r}")
    raise RoleNotAllowed("only the reviewer of the case's current stage may comment")


def _row_label(case: DeclaredCase, name: str, row: int) -> str:
    declared = spec_of(case).fields[name]
    rows = (case.values or {}).get(name) or []
    first = declared.columns[0]
    return f"{row + 1}. {shown(first, rows[row].get(first.name), 'id')}"


def add_comment(
    user: User, case: DeclaredCase, field_name: str | None, row: int | None, body: str
) -> CaseComment:
    check_can_comment(user, case)
    spec = spec_of(case)
    label = ""
    if field_name:
        declared = spec.fields.get(field_name)
        if declared is None:
            raise InvalidInput(_("The item commented on is not part of this case."))
        label = declared.label.id
        if row is not None:
            rows = (case.values or {}).get(field_name) or []
            if declared.type != "table" or not 0 <= row < len(rows):
                raise InvalidInput(_("The item commented on is not part of this case."))
            label = f"{label}: {_row_label(case, field_name, row)}"
    elif row is not None:
        raise InvalidInput(_("The item commented on is not part of this case."))
    text = comment_text(body)
    comment = CaseComment(
        case_id=case.id,
        field=field_name or None,
        row=row,
        item_label=label,
        author_id=user.id,
        body=text,
        state=case.state,
        created_at=utcnow(),
    )
    db.session.add(comment)
    flush()
    return comment


@dataclass
class CommentPanel:
    """The comments of a case by where they were made, and whether the user may add one."""

    can_comment: bool
    by_place: dict[tuple[str | None, int | None], list[CaseComment]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def on(self, name: str | None, row: int | None = None) -> list[CaseComment]:
        return self.by_place.get((name, row), [])

    def on_rows(self, name: str) -> list[CaseComment]:
        """Every comment on a row of table `name`, by row then age."""
        found = [
            c
            for (field_name, row), cs in self.by_place.items()
            if field_name == name and row is not None
            for c in cs
        ]
        return sorted(found, key=lambda c: (c.row, c.id))


def comment_panel(user: User, case: Any) -> CommentPanel:
    panel = CommentPanel(can_comment=can_comment(user, case))
    query = select(CaseComment).where(CaseComment.case_id == case.id).order_by(CaseComment.id)
    for comment in db.session.scalars(query):
        panel.by_place[(comment.field, comment.row)].append(comment)
    return panel

"""What the case page shows of a parallel sign-off: who is asked, who has answered and how,
each one's deadline, and the answer form for a participant who has not answered yet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..accounts.models import User
from ..deadlines.display import due_statuses
from ..engine.sign_off import SignOffSpec
from ..signoffs import service as sign_offs
from ..signoffs.models import SignOff


@dataclass
class SignOffSection:
    spec: SignOffSpec
    rows: list[SignOff]
    agreed: int
    objected: int
    needed: int
    mine: SignOff | None  # the row the user may answer now
    form: Any
    dues: dict[int, Any]


def sign_off_section(user: User, case: Any, form: Any = None) -> SignOffSection | None:
    spec = sign_offs.spec_here(case)
    if spec is None:
        return None
    from .sign_off_views import SignOffForm

    rows = sign_offs.current_round(case)
    mine = sign_offs.row_of(user, case, rows)
    agreed, objected = sign_offs.tally(rows)
    return SignOffSection(
        spec=spec,
        rows=rows,
        agreed=agreed,
        objected=objected,
        needed=spec.needed(len(rows)),
        mine=mine if mine is not None and mine.answer is None else None,
        form=form if form is not None else SignOffForm(formdata=None),
        # A sign-off row has an id and a due time: the deadlines read as any case's.
        dues=due_statuses(row for row in rows if row.answer is None),
    )

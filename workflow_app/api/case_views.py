"""/api/v1 for every kind of case: the case, its own history, the caller's actions and firing
one, each written once for all kinds and declared for each (plan_views.py, report_views.py).

A kind's routes hang below `/{kind}s/<int:{kind}_id>` under the tag `{kind}s`. Seeing goes by
the one access policy (a case the caller may not see is 404 not_found), firing by the one door
(firing.fire); only the detail body differs from kind to kind (serialize.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g
from pydantic import BaseModel

from .. import policy
from ..accounts.models import User
from ..firing import fire
from ..history import history_of
from ..unit_of_work import unit_of_work
from . import schemas as s
from . import serialize
from .auth import api_user
from .blueprint import endpoint
from .paging import page_of, paged

READ_ERRORS = (401, 404)
WRITE_ERRORS = (400, 401, 403, 404, 409, 415)
FIRE = "Fire an action on the {}, on the version the caller read (409 stale if not)."


# The detail body of each kind served: the case → its detail body (serialize.py).
_details: dict[str, Callable[[User, Any], BaseModel]] = {}


def find(kind: str, case_id: int) -> tuple[User, Any]:
    """The caller and the case of `kind`, if they may see it (404 not_found if not)."""
    user = api_user()
    case = policy.find_visible(user, kind, case_id)
    g.api_case = case  # a 409 stale answer tells where it stands now (errors.py)
    return user, case


def case_detail(kind: str, case_id: int) -> BaseModel:
    return _details[kind](*find(kind, case_id))


def case_history(kind: str, case_id: int, query: s.PageQuery | None = None) -> s.History:
    """A page of the case's own history, oldest first (the first page when not asked)."""
    page = query or s.PageQuery()
    _, case = find(kind, case_id)
    rows, total = page_of(history_of(case), page)
    return s.History(items=[serialize.history_entry(r) for r in rows], **paged(page, total))


def case_options(kind: str, case_id: int) -> s.TransitionOptions:
    return s.TransitionOptions(items=serialize.transitions(*find(kind, case_id)))


def fire_transition(kind: str, case_id: int, body: s.TransitionRequest) -> s.TransitionResult:
    """Fire on the version the caller read (409 stale if the case changed since); answer the
    history row with the new state."""
    with unit_of_work():
        user, case = find(kind, case_id)
        row = fire(user, case, body.trigger, comment=body.comment, expected_version=body.version)
    return s.TransitionResult(
        history=serialize.history_entry(row), state=case.state, version=case.version
    )


def _view(kind: str, action: Callable[..., BaseModel]) -> Callable[..., BaseModel]:
    """What Flask calls with `{kind}_id=` (and `body=`): `action(kind, case_id, …)`."""

    def view(**args: Any) -> BaseModel:
        return action(kind, args.pop(f"{kind}_id"), **args)

    return view


def serve(
    *,
    kind: str,
    response: type[BaseModel],
    detail: Callable[[User, Any], BaseModel],
    summary: str,
    history: str | None = None,
    actions: str | None = None,
) -> None:
    """Declare the routes of `kind`, below `/{kind}s/<int:{kind}_id>` under the tag `{kind}s`,
    in this order in the OpenAPI document. `summary` is that of the case's detail, `history`
    and `actions` those of GET …/history and GET …/transitions: None, the kind has not got
    that route."""
    _details[kind] = detail
    rule, fires = f"/{kind}s/<int:{kind}_id>", FIRE.format(kind)
    routes = [
        ("GET", "", "{}_detail", summary, response, case_detail),
        ("GET", "/history", "{}_history", history, s.History, case_history),
        ("GET", "/transitions", "{}_transitions", actions, s.TransitionOptions, case_options),
        ("POST", "/transitions", "fire_{}_transition", fires, s.TransitionResult, fire_transition),
    ]
    for method, below, name, text, model, action in routes:
        if text is None:  # a route this kind goes without
            continue
        writes, paged_list = method == "POST", model is s.History
        endpoint(
            method,
            rule + below,
            name=name.format(kind),
            summary=text,
            tag=f"{kind}s",
            response=model,
            query=s.PageQuery if paged_list else None,
            body=s.TransitionRequest if writes else None,
            errors=WRITE_ERRORS if writes else (400, *READ_ERRORS) if paged_list else READ_ERRORS,
        )(_view(kind, action))

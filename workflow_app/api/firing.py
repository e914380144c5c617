"""Firing a transition through the API, the same for plans and reports: load what the caller
may see, fire on the version they read, answer the history row with the new state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..accounts.models import User
from ..unit_of_work import unit_of_work
from . import schemas as s
from . import serialize
from .auth import api_user


class Subject(Protocol):
    state: str
    version: int


def fire_transition(
    load: Callable[[User, int], Subject],
    fire: Callable[..., Any],
    subject_id: int,
    body: s.TransitionRequest,
) -> s.TransitionResult:
    user = api_user()
    with unit_of_work():
        subject = load(user, subject_id)
        record = fire(
            user, subject, body.trigger, comment=body.comment, expected_version=body.version
        )
    return s.TransitionResult(
        history=serialize.history_entry(record), state=subject.state, version=subject.version
    )

"""A write whose statement is built once per shape and takes its values as named bound
parameters: running it again binds values only. Building a statement and its cache key on
every call cost a transition more than its round trips (issue 17)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Write:
    """An INSERT or UPDATE to run with `params`. `key` names its shape: one key, one
    statement (a caller combining writes caches the combination by their keys). Its bind
    names are its own (prefixed), so writes combine into one statement without clashing."""

    key: tuple[Hashable, ...]
    statement: Any
    params: dict[str, Any]

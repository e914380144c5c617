"""What changed between two versions of a definition document, entry by entry."""

from __future__ import annotations

from typing import Any

LIMIT = 12


def _path(parent: str, key: object) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def document_changes(old: Any, new: Any, path: str = "") -> list[str]:
    """One line per changed entry: 'states.approved: removed', 'transitions[4].dest: was
    'approved', now 'accepted''. Lists are compared position by position."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[str] = []
        for key in old:
            if key not in new:
                changes.append(f"{_path(path, key)}: removed")
        for key in new:
            if key not in old:
                changes.append(f"{_path(path, key)}: added")
            else:
                changes.extend(document_changes(old[key], new[key], _path(path, key)))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        changes = []
        for index in range(max(len(old), len(new))):
            if index >= len(new):
                changes.append(f"{_path(path, index)}: removed")
            elif index >= len(old):
                changes.append(f"{_path(path, index)}: added")
            else:
                changes.extend(document_changes(old[index], new[index], _path(path, index)))
        return changes
    if old != new:
        return [f"{path or '(top level)'}: was {old!r}, now {new!r}"]
    return []


def summarise(changes: list[str]) -> str:
    shown = changes[:LIMIT]
    more = len(changes) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")

"""What changed between two submission snapshots, as a list a reviewer can read.

Pure functions over the JSON of `snapshots.snapshot_data`: no database, no Flask. Rows have no
stable id across submissions (challenges and indicators are saved as whole lists), so they are
matched by what identifies them to a person: a challenge by its text, an indicator by its name,
an activity by (title, location); duplicates pair up in order. An activity left unmatched is
still paired with the unmatched one at the same position when they share the title or the
location, so a renamed or moved activity reads as "changed", not as removed plus added.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

Row = dict[str, Any]

HEADER_FIELDS = ("title", "period_start", "period_end")
INDICATOR_FIELDS = ("name", "unit", "baseline_year", "baseline_value")
ACTIVITY_FIELDS = (
    "title",
    "location",
    "sub_sector",
    "activity_type",
    "volume",
    "unit",
    "agency",
    "start_year",
    "end_year",
)
DECIMAL_FIELDS = frozenset({"baseline_value", "volume", "target"})


@dataclass(frozen=True)
class FieldChange:
    """One value that changed. `year` and `source` say which target or funding line it is;
    None as `old` means the value was added, as `new` that it was removed."""

    field: str
    old: Any
    new: Any
    year: int | None = None
    source: str | None = None


@dataclass(frozen=True)
class Change:
    """A change to the header, or a row added, removed or changed in one section."""

    section: str  # header | challenges | indicators | activities
    kind: str  # added | removed | changed
    label: str  # what the row is called (empty for the header)
    fields: tuple[FieldChange, ...] = field(default_factory=tuple)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _value(name: str, raw: Any) -> Any:
    return _decimal(raw) if name in DECIMAL_FIELDS else raw


def _field_changes(names: Sequence[str], old: Row, new: Row) -> list[FieldChange]:
    changes = []
    for name in names:
        before, after = _value(name, old.get(name)), _value(name, new.get(name))
        if before != after:
            changes.append(FieldChange(name, before, after))
    return changes


def _pair(
    previous: Sequence[Any], current: Sequence[Any], key: Callable[[Any], Hashable]
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pair rows with equal keys, in order; return the pairs and the unpaired indexes."""
    waiting: dict[Hashable, list[int]] = {}
    for index, row in enumerate(previous):
        waiting.setdefault(key(row), []).append(index)
    pairs, added = [], []
    for index, row in enumerate(current):
        candidates = waiting.get(key(row))
        if candidates:
            pairs.append((candidates.pop(0), index))
        else:
            added.append(index)
    paired_old = {old for old, _ in pairs}
    removed = [index for index in range(len(previous)) if index not in paired_old]
    return pairs, removed, added


def _ordered(
    changed: list[tuple[int, Change]],
    added: list[tuple[int, Change]],
    removed: list[Change],
) -> list[Change]:
    """Changed and added rows in the current order, then removed rows in their old order."""
    return [change for _, change in sorted(changed + added, key=lambda item: item[0])] + removed


def _header_changes(previous: Row, current: Row) -> list[Change]:
    fields = _field_changes(HEADER_FIELDS, previous, current)
    return [Change("header", "changed", "", tuple(fields))] if fields else []


def _challenge_changes(previous: list[str], current: list[str]) -> list[Change]:
    _, removed, added = _pair(previous, current, key=lambda text: text.strip())
    return [Change("challenges", "added", current[i]) for i in added] + [
        Change("challenges", "removed", previous[i]) for i in removed
    ]


def _target_changes(old: Row, new: Row) -> list[FieldChange]:
    before, after = old.get("targets") or {}, new.get("targets") or {}
    changes = []
    for year in sorted(set(before) | set(after), key=int):
        a, b = _decimal(before.get(year)), _decimal(after.get(year))
        if a != b:
            changes.append(FieldChange("target", a, b, year=int(year)))
    return changes


def _indicator_changes(previous: list[Row], current: list[Row]) -> list[Change]:
    pairs, removed, added = _pair(previous, current, key=lambda row: row["name"].strip())
    changed = []
    for old_index, new_index in pairs:
        old, new = previous[old_index], current[new_index]
        fields = _field_changes(INDICATOR_FIELDS, old, new) + _target_changes(old, new)
        if fields:
            changed.append((new_index, Change("indicators", "changed", new["name"], tuple(fields))))
    return _ordered(
        changed,
        [(i, Change("indicators", "added", current[i]["name"])) for i in added],
        [Change("indicators", "removed", previous[i]["name"]) for i in removed],
    )


def _funding_changes(old: Row, new: Row) -> list[FieldChange]:
    before = {(f["year"], f["source"]): f["amount"] for f in old.get("funding") or []}
    after = {(f["year"], f["source"]): f["amount"] for f in new.get("funding") or []}
    return [
        FieldChange("funding", before.get(key), after.get(key), year=key[0], source=key[1])
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]


def activity_label(row: Row) -> str:
    location = (row.get("location") or "").strip()
    return f"{row['title']} ({location})" if location else row["title"]


def _activity_key(row: Row) -> tuple[str, str]:
    return (row["title"].strip(), (row.get("location") or "").strip())


def _pair_by_position(
    previous: list[Row], current: list[Row], removed: list[int], added: list[int]
) -> list[tuple[int, int]]:
    """Unmatched rows at the same position that share the title or the location."""
    pairs = []
    for old_index in list(removed):
        if old_index in added:
            old, new = previous[old_index], current[old_index]
            if (
                old["title"].strip() == new["title"].strip()
                or _activity_key(old)[1] == _activity_key(new)[1]
            ):
                pairs.append((old_index, old_index))
                removed.remove(old_index)
                added.remove(old_index)
    return pairs


def _activity_changes(previous: list[Row], current: list[Row]) -> list[Change]:
    pairs, removed, added = _pair(previous, current, key=_activity_key)
    pairs += _pair_by_position(previous, current, removed, added)
    changed = []
    for old_index, new_index in pairs:
        old, new = previous[old_index], current[new_index]
        fields = _field_changes(ACTIVITY_FIELDS, old, new) + _funding_changes(old, new)
        if fields:
            label = activity_label(new)
            changed.append((new_index, Change("activities", "changed", label, tuple(fields))))
    return _ordered(
        changed,
        [(i, Change("activities", "added", activity_label(current[i]))) for i in added],
        [Change("activities", "removed", activity_label(previous[i])) for i in removed],
    )


def diff(previous: Row, current: Row) -> list[Change]:
    """The changes from snapshot `previous` to snapshot `current`: header first, then
    challenges, indicators and activities; an empty list when nothing changed."""
    return (
        _header_changes(previous.get("header") or {}, current.get("header") or {})
        + _challenge_changes(previous.get("challenges") or [], current.get("challenges") or [])
        + _indicator_changes(previous.get("indicators") or [], current.get("indicators") or [])
        + _activity_changes(previous.get("activities") or [], current.get("activities") or [])
    )

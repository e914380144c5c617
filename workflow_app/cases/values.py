"""A declared case's values: how each field type is stored as JSON and shown to people.

Stored forms are plain JSON, exact and stable across languages: a decimal as its digits
("12.5"), a date as ISO ("2026-03-01"), a district by its Kemendagri code, an agency and a
plan by id, a file by the facts of the stored upload, a table as a list of rows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ..engine.case_spec import CaseSpec, FieldSpec
from ..extensions import db
from ..regions.models import Agency, Region
from ..templating import long_date, number, rupiah


def to_json(spec: FieldSpec, value: Any) -> Any:
    """A typed value (as a form gives it) in its stored form; None for a blank."""
    if value in (None, ""):
        return None
    if spec.type in ("decimal", "percent"):
        return format(Decimal(value).normalize(), "f")
    if spec.type == "date":
        return value.isoformat()
    if spec.type in ("integer", "year", "rupiah", "agency", "plan"):
        return int(value)
    if spec.type == "table":
        rows = [{c.name: to_json(c, row.get(c.name)) for c in spec.columns} for row in value]
        return [row for row in rows if any(v is not None for v in row.values())]
    return value


def from_json(spec: FieldSpec, stored: Any) -> Any:
    """A stored value as the form's field takes it."""
    if stored is None:
        return None
    if spec.type in ("decimal", "percent"):
        return Decimal(str(stored))
    if spec.type == "date":
        return date.fromisoformat(stored)
    if spec.type == "table":
        return [{c.name: from_json(c, row.get(c.name)) for c in spec.columns} for row in stored]
    return stored


def shown(spec: FieldSpec, stored: Any, language: str) -> str:
    """A stored value as a person reads it, in `language`."""
    if stored in (None, "", []):
        return ""
    if spec.type == "rupiah":
        return rupiah(int(stored))
    if spec.type in ("decimal", "integer"):
        return number(Decimal(str(stored)))
    if spec.type == "percent":
        return f"{number(Decimal(str(stored)))}%"
    if spec.type == "year":
        return str(stored)
    if spec.type == "date":
        return long_date(date.fromisoformat(stored))
    if spec.type == "choice":
        label = spec.option_label(stored)
        return label.get(language) if label else str(stored)
    if spec.type == "district":
        region = db.session.scalar(db.select(Region).where(Region.code == stored))
        return region.name if region is not None else str(stored)
    if spec.type == "agency":
        agency = db.session.get(Agency, int(stored))
        return agency.short_name if agency is not None else str(stored)
    if spec.type == "plan":
        from ..subjects import load_case

        plan = load_case("plan", int(stored))
        return f"#{stored} {plan.title}" if plan is not None else f"#{stored}"
    if spec.type == "file":
        return str(stored.get("name", ""))
    if spec.type == "table":
        return str(len(stored))
    return str(stored)


def title_of(spec: CaseSpec, values: dict[str, Any], region: Region, case_id: int | None) -> str:
    """The case's title from its kind's pattern (fields shown as in Indonesian)."""
    shown_values = {
        name: shown(field, values.get(name), "id") or "…" for name, field in spec.fields.items()
    }
    text = spec.title.format(region=region.name, id=case_id or "", **shown_values)
    return " ".join(text.split())[:300]

"""A declared case's values sent as JSON (the API): checked against the kind's fields and
turned into the typed values its form gives, so that values.to_json stores both alike.

The types are those of the form's fields: Decimal for decimal and percent, int for integer,
year and rupiah, a date for a date, text for text, a choice and a district (its code), an int
id for an agency and a plan, a list of row dicts for a table. Numbers are taken as JSON numbers
or as text in the form's formats ("12,5", "1.500.000", "Rp1.500.000"); the bounds, lengths,
options and row limits are the form's. Every problem is reported at once, by the field's path
("decree_kind", "members.2.agency"), as the form reports each field's errors. Files are not
sent as JSON: they are uploaded with the case's form.

What a value refers to (a district, an agency or a plan of the case's region) is looked up by
a `Refs`; `RegionRefs` reads the database, a test can hand its own.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, Protocol

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from ..engine import InvalidInput
from ..engine.case_spec import CaseSpec, FieldSpec
from ..extensions import db
from ..number_input import NumberError, check_number, read_number
from ..regions.models import Agency, Region
from ..subjects import kind_named
from .forms import MAX_TABLE_ROWS, number_kind

# Digits as the form's fields take them; more than 20 is beyond any bound (and int() of a very
# long string is refused by Python itself).
_INTEGER = re.compile(r"^[+-]?[0-9]{1,20}$")
_ID = re.compile(r"^[0-9]{1,20}$")


class Refs(Protocol):
    """What a value may refer to for a case of one region."""

    @property
    def districts(self) -> Collection[str]:
        """The codes of the province's kabupaten/kota."""

    @property
    def agencies(self) -> Collection[int]:
        """The ids of the case's region's agencies."""

    @property
    def plans(self) -> Collection[int]:
        """The ids of the case's region's action plans."""


class RegionRefs:
    """The districts, and `region`'s agencies and plans, from the database: each read once,
    when a value first needs it (the same choices as the case's form offers)."""

    def __init__(self, region: Region) -> None:
        self.region = region

    @cached_property
    def districts(self) -> frozenset[str]:
        query = select(Region.code).where(Region.kind != "province")
        return frozenset(db.session.scalars(query))

    @cached_property
    def agencies(self) -> frozenset[int]:
        query = select(Agency.id).where(Agency.region_id == self.region.id)
        return frozenset(db.session.scalars(query))

    @cached_property
    def plans(self) -> frozenset[int]:
        plans = kind_named("plan").model
        query = select(plans.id).where(plans.region_id == self.region.id)
        return frozenset(db.session.scalars(query))


class InvalidValues(InvalidInput):
    """Values that cannot be stored; `problems` maps each field's path to its messages."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        self.problems = problems
        listed = "; ".join(f"{path}: {' '.join(texts)}" for path, texts in problems.items())
        super().__init__(_("Some values are not valid: %(problems)s", problems=listed))


class _Refused(ValueError):
    """One value's problem (its message is for the user)."""


def required_fields(spec: CaseSpec, names: Iterable[str]) -> list[str]:
    """Of the fields `names`, those that must be given when a case is opened: the required
    ones the form insists on (a file or a table is never insisted on by the form)."""
    return [n for n in names if spec.fields[n].required and spec.fields[n].is_scalar]


def typed_values(
    spec: CaseSpec,
    sent: Mapping[str, Any],
    refs: Refs,
    *,
    must_give: Iterable[str] = (),
) -> dict[str, Any]:
    """The typed values of the fields in `sent` (a JSON object: field name → value; null or
    "" clears a field). Fields left out are not in the result; those named in `must_give`
    may not be left out. Raises InvalidValues listing every problem."""
    problems: dict[str, list[str]] = {}
    typed: dict[str, Any] = {}
    for name, raw in sent.items():
        declared = spec.fields.get(name)
        if declared is None:
            problems[name] = [_("Unknown field.")]
        elif declared.type == "file":
            problems[name] = [_("A file cannot be sent as JSON: upload it on the case's page.")]
        elif declared.type == "table":
            typed[name] = _table(declared, raw, refs, name, problems)
        else:
            try:
                typed[name] = _value(declared, raw, refs)
            except _Refused as exc:
                problems[name] = [str(exc)]
    for name in must_give:
        if name not in sent:
            problems[name] = [_("This field is required.")]
    if problems:
        raise InvalidValues(problems)
    return typed


# --- one value ------------------------------------------------------------------------------


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _storable(text: str) -> bool:
    """Whether PostgreSQL takes the text: no NUL, no lone surrogate (JSON may send "\\ud800",
    which no form can)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _value(spec: FieldSpec, raw: Any, refs: Refs) -> Any:
    """The typed value of one scalar field (None for a blank)."""
    if isinstance(raw, str) and not _storable(raw):
        raise _Refused(_("Must not contain NUL characters or invalid Unicode."))
    if _blank(raw):
        if spec.required:
            raise _Refused(_("This field is required."))
        return None
    return _PARSERS[spec.type](spec, raw, refs)


def _text(spec: FieldSpec, raw: Any, refs: Refs) -> str:
    if not isinstance(raw, str):
        raise _Refused(_("Expected text."))
    if spec.max_length is not None and len(raw) > spec.max_length:
        raise _Refused(
            ngettext(
                "Field cannot be longer than %(max)d character.",
                "Field cannot be longer than %(max)d characters.",
                spec.max_length,
                max=spec.max_length,
            )
        )
    return raw


def _number(spec: FieldSpec, raw: Any, refs: Refs) -> int | Decimal:
    """A JSON number as it is, text as a person types it (the product's one parser), both held
    to the field's kind: its decimals and bounds, with the form's messages."""
    kind = number_kind(spec)
    try:
        number = read_number(raw, kind) if isinstance(raw, str) else check_number(raw, kind)
    except NumberError as exc:
        raise _Refused(str(exc)) from None
    return int(number) if kind.decimals == 0 else number


def _date(spec: FieldSpec, raw: Any, refs: Refs) -> date:
    try:
        return datetime.strptime(raw, "%Y-%m-%d").date()
    except (TypeError, ValueError):
        raise _Refused(_("Not a valid date value.")) from None


def _choice(spec: FieldSpec, raw: Any, refs: Refs) -> str:
    if not isinstance(raw, str) or spec.option_label(raw) is None:
        raise _Refused(_("Not a valid choice."))
    return raw


def _district(spec: FieldSpec, raw: Any, refs: Refs) -> str:
    if not isinstance(raw, str) or raw not in refs.districts:
        raise _Refused(_("Unknown district code."))
    return raw


def _id(raw: Any) -> int | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and _ID.match(raw.strip()):
        return int(raw.strip())
    return None


def _agency(spec: FieldSpec, raw: Any, refs: Refs) -> int:
    found = _id(raw)
    if found is None or found not in refs.agencies:
        raise _Refused(_("Not an agency of the case's region."))
    return found


def _plan(spec: FieldSpec, raw: Any, refs: Refs) -> int:
    found = _id(raw)
    if found is None or found not in refs.plans:
        raise _Refused(_("Not an action plan of the case's region."))
    return found


_PARSERS = {
    "text": _text,
    "long_text": _text,
    "integer": _number,
    "year": _number,
    "decimal": _number,
    "percent": _number,
    "rupiah": _number,
    "date": _date,
    "choice": _choice,
    "district": _district,
    "agency": _agency,
    "plan": _plan,
}


# --- a table --------------------------------------------------------------------------------


def _table(
    spec: FieldSpec, raw: Any, refs: Refs, path: str, problems: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """The rows of a table with their typed columns; blank rows are left out, as the form
    leaves them out."""
    if raw is None:
        return []
    shape = _("Expected a list of rows, each an object of its columns.")
    if not isinstance(raw, list):
        problems[path] = [shape]
        return []
    limit = spec.max_rows or MAX_TABLE_ROWS
    if len(raw) > limit:
        problems[path] = [ngettext("At most %(num)d row.", "At most %(num)d rows.", limit)]
        return []
    rows = []
    for index, sent in enumerate(raw):
        where = f"{path}.{index}"
        if not isinstance(sent, dict):
            problems[where] = [shape]
            continue
        for name in sent:
            if spec.column(name) is None:
                problems[f"{where}.{name}"] = [_("Unknown field.")]
        if all(_blank(sent.get(c.name)) for c in spec.columns):
            continue
        row: dict[str, Any] = {}
        for column in spec.columns:
            try:
                row[column.name] = _value(column, sent.get(column.name), refs)
            except _Refused as exc:
                problems[f"{where}.{column.name}"] = [str(exc)]
        rows.append(row)
    return rows

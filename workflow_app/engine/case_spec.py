"""Case kinds as data: the `case:` block of a definition (its form's fields, its title, its
lists) and the simple checks a transition may declare (`requires:`).

A definition with a `case:` block is a whole kind of case: the app builds its form, pages,
lists, exports and API from what is declared here, with no Python of its own. The shape is
checked by the JSON Schema (schema.py); the cross-checks (field names in titles, lists,
filters and requirements; states and roles in edit rights) are here, each error named.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .guards import Problem
from .roles import Label

#: Every field type, and what it holds.
FIELD_TYPES = {
    "text": "a line of text",
    "long_text": "several lines of text",
    "integer": "a whole number",
    "decimal": "a number with decimals (Indonesian format accepted: 1.234,5)",
    "percent": "a percentage, 0 to 100 unless bounded otherwise",
    "rupiah": "an amount in Rupiah, whole, not negative",
    "date": "a calendar date",
    "year": "a year",
    "choice": "one of the declared options",
    "district": "a kabupaten/kota of the province",
    "agency": "an agency (OPD) of the case's region",
    "plan": "a link to an action plan of the case's region",
    "file": "an attached document of the allowed types",
    "table": "rows with their own typed columns",
}
#: The types a table's column may have (no files or tables inside a row).
COLUMN_TYPES = tuple(t for t in FIELD_TYPES if t not in ("file", "table"))
NUMERIC_TYPES = ("integer", "decimal", "percent", "rupiah", "year")
#: The types a list may be filtered on: a value picked from a short list.
FILTER_TYPES = ("choice", "year", "district", "agency")
#: The file types an attachment field may accept: name -> (MIME type, extensions).
FILE_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", (".pdf",)),
    "png": ("image/png", (".png",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
    ),
}
#: Names a title may use besides the fields.
TITLE_BUILTINS = ("region", "id")
#: Names a field may not take: the title's own, and those the case's form already uses.
RESERVED_NAMES = (
    *TITLE_BUILTINS,
    # The form's own fields, and the list page's and the API's own query parameters.
    *("version", "save", "csrf_token", "trigger", "comment", "state", "page", "all"),
    *("limit", "offset"),
)
DEFAULT_MAX_MB = 10


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    label: Label
    required: bool = False
    help: Label | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    max_length: int | None = None
    options: tuple[tuple[str, Label], ...] = ()
    accept: tuple[str, ...] = ()  # FILE_KINDS names
    max_mb: float = DEFAULT_MAX_MB
    columns: tuple[FieldSpec, ...] = ()
    min_rows: int = 0
    max_rows: int | None = None
    # Who may change it where: None means the owners of the definition's editable states.
    edit_states: frozenset[str] | None = None
    edit_roles: frozenset[str] | None = None

    @property
    def is_scalar(self) -> bool:
        return self.type not in ("file", "table")

    def option_label(self, value: str) -> Label | None:
        return dict(self.options).get(value)

    def column(self, name: str) -> FieldSpec | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class Requirement:
    """A declared check: `field` is filled (a table: has at least `minimum` rows)."""

    field: str
    minimum: int = 1

    def shortfall(self, spec: CaseSpec, values: Mapping[str, Any]) -> int | None:
        """None when met; otherwise how many there are (rows of a table, 0 for a blank)."""
        declared = spec.fields[self.field]
        value = values.get(self.field)
        if declared.type == "table":
            rows = len(value or [])
            return None if rows >= self.minimum else rows
        return 0 if value in (None, "", [], {}) else None


def english_shortfall(declared: FieldSpec, requirement: Requirement, given: int) -> str:
    if declared.type == "table":
        return f"{declared.label.en}: at least {requirement.minimum} row(s) needed, {given} given"
    return f"{declared.label.en} is not filled in"


@dataclass(frozen=True)
class CaseSpec:
    scope: str  # "district": a case of one kabupaten/kota; "province": of the province
    title: str  # a pattern: {field} or {region}, {id}
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    list_fields: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()

    def title_names(self) -> list[str]:
        return [name for _, name, _, _ in string.Formatter().parse(self.title) if name]


def unmet(
    requirements: Iterable[Requirement],
    spec: CaseSpec | None,
    values: Mapping[str, Any],
    message: Callable[[FieldSpec, Requirement, int], str] = english_shortfall,
) -> list[Problem]:
    """The problems of the declared checks that `values` do not pass, each anchored at its
    field (`field-<name>` on the case's edit page); `message` words them."""
    if spec is None:
        return []
    problems = []
    for requirement in requirements:
        given = requirement.shortfall(spec, values)
        if given is not None:
            declared = spec.fields[requirement.field]
            text = message(declared, requirement, given)
            problems.append(
                Problem(
                    text,
                    anchor=f"field-{requirement.field}",
                    field=f"values.{requirement.field}",
                    code="too_few_rows" if declared.type == "table" else "required",
                )
            )
    return problems


def may_edit_field(
    spec: FieldSpec, state: str, state_owner: str, editable: bool, role: str
) -> bool:
    """Whether `role` may change field `spec` of a case in `state` (owned by `state_owner`,
    `editable` as the state declares it)."""
    states_ok = state in spec.edit_states if spec.edit_states is not None else editable
    roles_ok = role in spec.edit_roles if spec.edit_roles is not None else role == state_owner
    return states_ok and roles_ok


# --- parsing and cross-checks ---------------------------------------------------------------


def _label(raw: Mapping[str, str] | None, fallback: str) -> Label:
    return Label(id=raw["id"], en=raw["en"]) if raw else Label(id=fallback, en=fallback)


def _decimal(raw: object) -> Decimal | None:
    return Decimal(str(raw)) if raw is not None else None


def parse_field(
    add: Callable[[str, str], None],
    entry: str,
    name: str,
    raw: Mapping[str, Any],
    states: Iterable[str],
    roles: Iterable[str],
    *,
    in_table: bool = False,
) -> FieldSpec:
    kind = raw["type"]
    if in_table and kind not in COLUMN_TYPES:
        add(f"{entry}.type", f"a table column cannot be a {kind!r}")
    minimum, maximum = _decimal(raw.get("min")), _decimal(raw.get("max"))
    if (minimum is not None or maximum is not None) and kind not in NUMERIC_TYPES:
        add(entry, f"min and max bound numbers; a {kind!r} field has none")
    if minimum is not None and maximum is not None and minimum > maximum:
        add(entry, f"min {minimum} is above max {maximum}")
    if kind == "percent":
        minimum = Decimal(0) if minimum is None else minimum
        maximum = Decimal(100) if maximum is None else maximum
    if kind == "rupiah" and minimum is None:
        minimum = Decimal(0)
    if "max_length" in raw and kind not in ("text", "long_text"):
        add(f"{entry}.max_length", f"only text has a length; a {kind!r} field has none")
    options = tuple((key, _label(label, key)) for key, label in raw.get("options", {}).items())
    if kind == "choice" and not options:
        add(f"{entry}.options", "a choice needs at least one option")
    if options and kind != "choice":
        add(f"{entry}.options", f"only a choice has options; a {kind!r} field has none")
    if ("accept" in raw or "max_mb" in raw) and kind != "file":
        add(entry, f"accept and max_mb describe files; a {kind!r} field is not one")
    accept = tuple(raw.get("accept", ("pdf",) if kind == "file" else ()))
    columns: tuple[FieldSpec, ...] = ()
    if kind == "table":
        raw_columns = raw.get("columns") or {}
        if not raw_columns:
            add(f"{entry}.columns", "a table needs at least one column")
        columns = tuple(
            parse_field(add, f"{entry}.columns.{c}", c, spec, states, roles, in_table=True)
            for c, spec in raw_columns.items()
        )
    elif "columns" in raw or "min_rows" in raw or "max_rows" in raw:
        add(entry, f"columns and row limits describe tables; a {kind!r} field is not one")
    min_rows, max_rows = raw.get("min_rows", 0), raw.get("max_rows")
    if max_rows is not None and max_rows < min_rows:
        add(f"{entry}.max_rows", f"{max_rows} is below min_rows {min_rows}")
    edit = raw.get("edit") or {}
    if in_table and edit:
        add(f"{entry}.edit", "a column is edited with its table: give `edit` to the table")
    known_states, known_roles = set(states), set(roles)
    for state in edit.get("states", ()):
        if state not in known_states:
            add(f"{entry}.edit.states", f"unknown state {state!r}")
    for role in edit.get("roles", ()):
        if role not in known_roles:
            add(f"{entry}.edit.roles", f"unknown role {role!r}: declare it under `roles`")
    return FieldSpec(
        name=name,
        type=kind,
        label=_label(raw.get("label"), name),
        required=raw.get("required", False),
        help=_label(raw["help"], "") if raw.get("help") else None,
        minimum=minimum,
        maximum=maximum,
        max_length=raw.get("max_length", 200 if kind == "text" else None),
        options=options,
        accept=accept,
        max_mb=raw.get("max_mb", DEFAULT_MAX_MB),
        columns=columns,
        min_rows=min_rows,
        max_rows=max_rows,
        edit_states=frozenset(edit["states"]) if "states" in edit else None,
        edit_roles=frozenset(edit["roles"]) if "roles" in edit else None,
    )


def parse_case(
    add: Callable[[str, str], None],
    raw: Mapping[str, Any],
    states: Iterable[str],
    roles: Iterable[str],
) -> CaseSpec:
    """The `case:` block, its problems reported through `add(entry, problem)`."""
    states, roles = list(states), list(roles)
    for name in raw["fields"]:
        if name in RESERVED_NAMES or name.startswith("add_"):
            add(f"case.fields.{name}", f"{name!r} is a reserved name: call the field otherwise")
    fields = {
        name: parse_field(add, f"case.fields.{name}", name, spec, states, roles)
        for name, spec in raw["fields"].items()
    }
    spec = CaseSpec(
        scope=raw["scope"],
        title=raw["title"],
        fields=fields,
        list_fields=tuple(raw.get("list", ())),
        filters=tuple(raw.get("filters", ())),
    )
    try:
        names = spec.title_names()
    except ValueError as exc:
        add("case.title", f"is not a valid pattern: {exc}")
        names = []
    for name in names:
        if name in TITLE_BUILTINS:
            continue
        if name not in fields:
            add("case.title", f"names {{{name}}}, which is not a field")
        elif not fields[name].is_scalar:
            add("case.title", f"names {{{name}}}, a {fields[name].type}: only plain values fit")
    for name in spec.list_fields:
        if name not in fields:
            add("case.list", f"unknown field {name!r}")
        elif not fields[name].is_scalar:
            add("case.list", f"{name!r} is a {fields[name].type}: a list shows plain values")
    for name in spec.filters:
        if name not in fields:
            add("case.filters", f"unknown field {name!r}")
        elif fields[name].type not in FILTER_TYPES:
            add(
                "case.filters",
                f"{name!r} is a {fields[name].type}: lists filter on "
                f"{', '.join(FILTER_TYPES)} fields",
            )
    return spec


def parse_requirements(
    add: Callable[[str, str], None],
    entry: str,
    raw: Iterable[Mapping[str, Any]],
    spec: CaseSpec | None,
) -> tuple[Requirement, ...]:
    """A transition's `requires:` list; every field must be declared under `case.fields`."""
    requirements: list[Requirement] = []
    for index, item in enumerate(raw):
        where = f"{entry}.requires[{index}]"
        name, minimum = item["filled"], item.get("min_rows", 1)
        if spec is None:
            add(where, "declares a check on a field, but the definition has no `case:` fields")
            continue
        declared = spec.fields.get(name)
        if declared is None:
            add(where, f"unknown field {name!r}")
            continue
        if "min_rows" in item and declared.type != "table":
            add(where, f"min_rows counts table rows; {name!r} is a {declared.type}")
        requirements.append(Requirement(field=name, minimum=minimum))
    return tuple(requirements)

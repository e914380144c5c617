"""The cases of a kind declared as data as spreadsheet tables: its list as the user filtered
it, or one case with its tables and history.

Headers and labels are in the reader's language, as on the pages they come from (a kind's
fields are labelled in its definition, in both languages). Values keep their type: numbers
are numbers (Rupiah whole, a percentage as 0-100, the header saying which; in XLSX with their
Rupiah and percentage formats), dates are dates, times are WITA; a choice, a district, an
agency or a plan is written as people read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from ..cases.kinds import spec_of
from ..cases.models import DeclaredCase
from ..cases.operations import OPENED
from ..cases.values import shown
from ..engine import WorkflowDefinition
from ..engine.calendar import WITA
from ..engine.case_spec import CaseSpec, FieldSpec
from ..history import CaseTransition
from ..plans.case_views import trigger_labels
from ..workflows import definition_of, registry
from .tabular import Cell, Format, Percent, Rupiah, Sheet

#: A header's suffix saying what a number counts.
UNITS = {"rupiah": " (Rp)", "percent": " (%)"}
#: Written as people read them (a label, a name): looked up once per value and export.
LOOKED_UP = ("choice", "district", "agency", "plan", "file")


def header(field: FieldSpec, language: str) -> str:
    return field.label.get(language) + UNITS.get(field.type, "")


def wita(moment: datetime | None) -> datetime | None:
    """A stored UTC time in WITA, to the second (XLSX drops the zone: the header says WITA)."""
    return moment.astimezone(WITA).replace(microsecond=0) if moment is not None else None


class Cells:
    """Stored values as typed cells, in one language; a value needing a lookup (a district's
    name, an agency's) is looked up once per export, not once per row."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._seen: dict[tuple[str, str, str], str] = {}

    def __call__(self, field: FieldSpec | None, stored: Any) -> Cell:
        if field is None or stored in (None, "", [], {}):
            return None
        kind = field.type
        if kind == "rupiah":
            return Rupiah(stored)
        if kind in ("integer", "year"):
            return int(stored)
        if kind == "percent":
            return Percent(str(stored))
        if kind == "decimal":
            return Decimal(str(stored))
        if kind == "date":
            return date.fromisoformat(stored)
        if kind in LOOKED_UP:
            key = (kind, field.name, repr(stored))
            if key not in self._seen:
                self._seen[key] = shown(field, stored, self.language)
            return self._seen[key]
        return str(stored)


def _state(definition: WorkflowDefinition, state: str | None, language: str) -> str | None:
    if state is None:
        return None
    declared = definition.states.get(state)
    return declared.label.get(language) if declared is not None else state


# --- the list -----------------------------------------------------------------------------------


def list_sheet(latest: WorkflowDefinition, cases: Sequence[DeclaredCase], language: str) -> Sheet:
    """One row per case: its id, region, title, every plain field of the kind's current
    version `latest` (a case under an older version fills those its own version declares),
    status, deadline and last change."""
    cells = Cells(language)
    spec = latest.case
    assert spec is not None, f"{latest.name} declares no case fields"
    plain = [field for field in spec.fields.values() if field.is_scalar]
    headers = [
        _("ID"),
        _("Code"),
        _("Region"),
        _("Title"),
        *(header(field, language) for field in plain),
        _("Status"),
        _("Due (WITA)"),
        _("Last updated (WITA)"),
    ]
    sheet = Sheet(latest.label.get(language), headers)
    for case in cases:
        own = spec_of(case).fields
        values = case.values or {}
        sheet.rows.append(
            [
                case.id,
                case.region.code,
                case.region.name,
                case.title,
                *(cells(_own(own, field), values.get(field.name)) for field in plain),
                _state(definition_of(case), case.state, language),
                wita(case.due_at),
                wita(case.updated_at),
            ]
        )
    return sheet


def _own(fields: dict[str, FieldSpec], field: FieldSpec) -> FieldSpec | None:
    """The case's own version's declaration of `field`, if it has the same type: a later
    version that changed a field's type leaves older cases' cells of it empty, never
    misread."""
    own = fields.get(field.name)
    return own if own is not None and own.type == field.type else None


def list_stem(kind: str, region_code: str | None = None, state: str | None = None) -> str:
    parts = [kind.replace("_", "-")]
    if region_code:
        parts.append(region_code)
    if state:
        parts.append(state.replace("_", "-"))
    return "-".join(parts)


# --- one case -----------------------------------------------------------------------------------


def facts_sheet(case: DeclaredCase, spec: CaseSpec, language: str, cells: Cells) -> Sheet:
    """The case's facts and every field that is not a table, as label/value rows (a file by
    its name)."""
    definition = definition_of(case)
    rows: list[Sequence[Cell]] = [
        [_("ID"), case.id],
        [_("Code"), case.region.code],
        [_("Region"), case.region.name],
        [_("Title"), case.title],
        [_("Status"), _state(definition, case.state, language)],
        [_("Due (WITA)"), wita(case.due_at)],
        [_("Last updated (WITA)"), wita(case.updated_at)],
        [_("Workflow"), f"{definition.label.get(language)} v{case.workflow_version}"],
    ]
    values = case.values or {}
    rows += [
        [header(field, language), cells(field, values.get(field.name))]
        for field in spec.fields.values()
        if field.type != "table"
    ]
    return Sheet(definition.label.get(language), [_("Field"), _("Value")], rows)


def table_sheet(field: FieldSpec, stored: Any, language: str, cells: Cells) -> Sheet:
    """A table field: its rows numbered 1…n, one typed column per declared column."""
    headers = [_("No."), *(header(column, language) for column in field.columns)]
    rows: list[Sequence[Cell]] = [
        [number, *(cells(column, row.get(column.name)) for column in field.columns)]
        for number, row in enumerate(stored or [], 1)
    ]
    return Sheet(field.label.get(language), headers, rows)


def _person(user: Any) -> str | None:
    return f"{user.full_name} ({user.username})" if user is not None else None


def history_sheet(case: DeclaredCase, language: str) -> Sheet:
    """Every step of the case's history, oldest first, each state named as the version the
    step ran under names it."""
    labels = trigger_labels(case, OPENED, _("Created"))
    headers = [
        _("When (WITA)"),
        _("Action"),
        _("From status"),
        _("To status"),
        _("By"),
        _("On behalf of"),
        _("Comment"),
    ]
    rows: list[Sequence[Cell]] = []
    for step in case.history:
        definition = _step_definition(case, step)
        rows.append(
            [
                wita(step.created_at),
                labels.get(step.trigger, step.trigger),
                _state(definition, step.from_state, language),
                _state(definition, step.to_state, language),
                _person(step.actor),
                _person(step.acting_for),
                step.comment or None,
            ]
        )
    return Sheet(_("History"), headers, rows)


def _step_definition(case: DeclaredCase, step: CaseTransition) -> WorkflowDefinition:
    found = registry().find(case.workflow_name, step.workflow_version)
    return found if found is not None else definition_of(case)


def case_sheets(case: DeclaredCase, fmt: Format, language: str) -> list[Sheet]:
    """XLSX: the facts and plain fields, one sheet per table field, the history. CSV (one
    file): the same tables one after the other, each after a blank line and its title."""
    spec = spec_of(case)
    cells = Cells(language)
    values = case.values or {}
    sheets = [
        facts_sheet(case, spec, language, cells),
        *(
            table_sheet(field, values.get(name), language, cells)
            for name, field in spec.fields.items()
            if field.type == "table"
        ),
        history_sheet(case, language),
    ]
    return sheets if fmt == "xlsx" else [sections(sheets)]


def sections(sheets: Sequence[Sheet]) -> Sheet:
    """Several tables as one: the first as it is, then each other one after a blank row, a
    row with its title and a row with its headers."""
    first, *rest = sheets
    rows = list(first.rows)
    for sheet in rest:
        rows += [[], [sheet.title], list(sheet.headers), *sheet.rows]
    return Sheet(first.title, first.headers, rows)


def case_stem(case: DeclaredCase) -> str:
    return f"{case.kind.replace('_', '-')}-{case.region.code}-{case.id}"

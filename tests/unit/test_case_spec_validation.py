"""A kind's `case:` block and its transitions' `requires:` are checked when the file loads:
each broken rule is refused with the file, the entry and the problem named, all at once."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from workflow_app.engine import DefinitionErrors, GuardRegistry
from workflow_app.engine.case_spec import Requirement, may_edit_field, unmet
from workflow_app.engine.definition import load_definition

BASE = {
    "name": "permit",
    "version": 1,
    "label": {"id": "Izin", "en": "Permit"},
    "initial": "draft",
    "roles": {
        "clerk": {"label": {"id": "petugas", "en": "clerk"}, "scope": "district"},
        "checker": {"label": {"id": "pemeriksa", "en": "checker"}, "scope": "province"},
    },
    "case": {
        "scope": "district",
        "title": "Izin {number} {region}",
        "fields": {
            "number": {"type": "text", "label": {"id": "Nomor", "en": "Number"}},
            "year": {"type": "year", "label": {"id": "Tahun", "en": "Year"}, "min": 2025},
            "share": {"type": "percent", "label": {"id": "Porsi", "en": "Share"}},
            "cost": {"type": "rupiah", "label": {"id": "Biaya", "en": "Cost"}},
            "kind": {
                "type": "choice",
                "label": {"id": "Jenis", "en": "Kind"},
                "options": {"new": {"id": "Baru", "en": "New"}},
            },
            "rows": {
                "type": "table",
                "label": {"id": "Baris", "en": "Rows"},
                "max_rows": 5,
                "columns": {"what": {"type": "text", "label": {"id": "Apa", "en": "What"}}},
            },
            "scan": {"type": "file", "label": {"id": "Pindaian", "en": "Scan"}, "accept": ["pdf"]},
            "remark": {
                "type": "long_text",
                "label": {"id": "Catatan", "en": "Remark"},
                "edit": {"states": ["check"], "roles": ["checker"]},
            },
        },
        "list": ["number", "year"],
        "filters": ["kind", "year"],
    },
    "states": {
        "draft": {"label": {"id": "Draf", "en": "Draft"}, "owner": "clerk", "editable": True},
        "check": {"label": {"id": "Periksa", "en": "Check"}, "owner": "checker"},
        "done": {"label": {"id": "Selesai", "en": "Done"}, "owner": "checker", "final": True},
    },
    "transitions": [
        {
            "trigger": "send",
            "source": ["draft"],
            "dest": "check",
            "roles": ["clerk"],
            "requires": [{"filled": "number"}, {"filled": "rows", "min_rows": 2}],
        },
        {"trigger": "accept", "source": ["check"], "dest": "done", "roles": ["checker"]},
    ],
}


def load(tmp_path: Path, edit=None):  # -> WorkflowDefinition
    document = copy.deepcopy(BASE)
    if edit is not None:
        edit(document)
    path = tmp_path / "permit.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_definition(path, GuardRegistry())


def refused(tmp_path: Path, edit) -> list[str]:
    with pytest.raises(DefinitionErrors) as caught:
        load(tmp_path, edit)
    return [f"{e.entry}: {e.problem}" for e in caught.value.errors]


def test_a_valid_kind_is_read_with_its_fields_bounds_and_checks(tmp_path: Path) -> None:
    definition = load(tmp_path)
    spec = definition.case
    assert spec is not None and spec.scope == "district"
    assert list(spec.fields) == list(BASE["case"]["fields"])
    assert spec.fields["share"].minimum == 0 and spec.fields["share"].maximum == 100
    assert spec.fields["cost"].minimum == 0 and spec.fields["year"].minimum == Decimal(2025)
    assert spec.fields["rows"].column("what").type == "text"
    send = definition.transition_for("send", "draft")
    assert send.requires == (Requirement("number"), Requirement("rows", 2))
    # The declared checks, on values as stored.
    problems = unmet(send.requires, spec, {"rows": [{"what": "a"}]})
    assert [p.message for p in problems] == [
        "Number is not filled in",
        "Rows: at least 2 row(s) needed, 1 given",
    ]
    assert unmet(send.requires, spec, {"number": "1", "rows": [{}, {}]}) == []
    # Edit rights: by default the owner of an editable state; `edit` overrides both.
    number, remark = spec.fields["number"], spec.fields["remark"]
    assert may_edit_field(number, "draft", "clerk", True, "clerk")
    assert not may_edit_field(number, "check", "checker", False, "checker")
    assert may_edit_field(remark, "check", "checker", False, "checker")
    assert not may_edit_field(remark, "draft", "clerk", True, "clerk")


def _field(name: str, **spec):
    def edit(document: dict) -> None:
        document["case"]["fields"][name] = spec

    return edit


LABEL = {"id": "x", "en": "x"}

RULES = [
    # (what is wrong, the edit, the error expected)
    (
        "unknown field type",
        _field("odd", type="colour", label=LABEL),
        "case.fields.odd.type: 'colour' is not one of",
    ),
    (
        "a choice without options",
        _field("odd", type="choice", label=LABEL),
        "case.fields.odd.options: a choice needs at least one option",
    ),
    (
        "options on a text",
        _field("odd", type="text", label=LABEL, options={"a": LABEL}),
        "case.fields.odd.options: only a choice has options; a 'text' field has none",
    ),
    (
        "bounds on a text",
        _field("odd", type="text", label=LABEL, min=1),
        "case.fields.odd: min and max bound numbers; a 'text' field has none",
    ),
    (
        "min above max",
        _field("odd", type="integer", label=LABEL, min=5, max=1),
        "case.fields.odd: min 5 is above max 1",
    ),
    (
        "a length on a number",
        _field("odd", type="integer", label=LABEL, max_length=5),
        "case.fields.odd.max_length: only text has a length; a 'integer' field has none",
    ),
    (
        "file settings on a date",
        _field("odd", type="date", label=LABEL, accept=["pdf"]),
        "case.fields.odd: accept and max_mb describe files; a 'date' field is not one",
    ),
    (
        "an unknown file type",
        _field("odd", type="file", label=LABEL, accept=["exe"]),
        "case.fields.odd.accept[0]: 'exe' is not one of",
    ),
    (
        "a table without columns",
        _field("odd", type="table", label=LABEL),
        "case.fields.odd.columns: a table needs at least one column",
    ),
    (
        "a file inside a table",
        _field("odd", type="table", label=LABEL, columns={"f": {"type": "file", "label": LABEL}}),
        "case.fields.odd.columns.f.type: a table column cannot be a 'file'",
    ),
    (
        "row limits on a choice",
        _field("odd", type="year", label=LABEL, max_rows=3),
        "case.fields.odd: columns and row limits describe tables; a 'year' field is not one",
    ),
    (
        "max rows below min rows",
        _field(
            "odd",
            type="table",
            label=LABEL,
            min_rows=4,
            max_rows=2,
            columns={"c": {"type": "text", "label": LABEL}},
        ),
        "case.fields.odd.max_rows: 2 is below min_rows 4",
    ),
    (
        "edit rights naming an unknown state",
        _field("odd", type="text", label=LABEL, edit={"states": ["limbo"]}),
        "case.fields.odd.edit.states: unknown state 'limbo'",
    ),
    (
        "edit rights naming an unknown role",
        _field("odd", type="text", label=LABEL, edit={"roles": ["mayor"]}),
        "case.fields.odd.edit.roles: unknown role 'mayor': declare it under `roles`",
    ),
    (
        "a reserved field name",
        _field("version", type="text", label=LABEL),
        "case.fields.version: 'version' is a reserved name: call the field otherwise",
    ),
    (
        "a title naming an unknown field",
        lambda d: d["case"].update(title="Izin {nomor}"),
        "case.title: names {nomor}, which is not a field",
    ),
    (
        "a title naming a table",
        lambda d: d["case"].update(title="Izin {rows}"),
        "case.title: names {rows}, a table: only plain values fit",
    ),
    (
        "a broken title pattern",
        lambda d: d["case"].update(title="Izin {number"),
        "case.title: is not a valid pattern",
    ),
    (
        "a list naming an unknown field",
        lambda d: d["case"].update(list=["number", "colour"]),
        "case.list: unknown field 'colour'",
    ),
    (
        "a list showing a file",
        lambda d: d["case"].update(list=["scan"]),
        "case.list: 'scan' is a file: a list shows plain values",
    ),
    (
        "a filter on free text",
        lambda d: d["case"].update(filters=["number"]),
        "case.filters: 'number' is a text: lists filter on choice, year, district, agency",
    ),
    (
        "a filter naming an unknown field",
        lambda d: d["case"].update(filters=["colour"]),
        "case.filters: unknown field 'colour'",
    ),
    (
        "an unknown scope",
        lambda d: d["case"].update(scope="village"),
        "case.scope: 'village' is not one of ['district', 'province']",
    ),
    (
        "a check on an unknown field",
        lambda d: d["transitions"][0]["requires"].append({"filled": "colour"}),
        "transitions[0] (send).requires[2]: unknown field 'colour'",
    ),
    (
        "a row count on a plain field",
        lambda d: d["transitions"][0]["requires"].append({"filled": "number", "min_rows": 2}),
        "transitions[0] (send).requires[2]: min_rows counts table rows; 'number' is a text",
    ),
    (
        "a check in a definition without fields",
        lambda d: d.pop("case"),
        "transitions[0] (send).requires[0]: declares a check on a field, but the definition "
        "has no `case:` fields",
    ),
    (
        "a check of an unknown kind",
        lambda d: d["transitions"][0]["requires"].append({"present": "scan"}),
        "transitions[0].requires[2]: 'filled' is a required property",
    ),
]


@pytest.mark.parametrize(("rule", "edit", "expected"), RULES, ids=[r[0] for r in RULES])
def test_each_broken_rule_is_refused_by_name(tmp_path: Path, rule: str, edit, expected) -> None:
    errors = refused(tmp_path, edit)
    assert any(error.startswith(expected) for error in errors), (rule, errors)


def test_every_broken_rule_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    def several(document: dict) -> None:
        document["case"]["title"] = "Izin {nomor}"
        document["case"]["list"] = ["colour"]
        document["case"]["fields"]["number"]["edit"] = {"roles": ["mayor"]}

    errors = refused(tmp_path, several)
    assert len(errors) == 3, errors

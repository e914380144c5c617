"""A declared case's values sent as JSON become the typed values its form gives, or are
refused with every problem named by its field (cases/json_input.py), rule by rule."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflow_app.cases.json_input import InvalidValues, required_fields, typed_values
from workflow_app.cases.values import to_json
from workflow_app.engine import InvalidInput, Label
from workflow_app.engine.case_spec import CaseSpec, FieldSpec


def _field(name: str, kind: str, **extra: Any) -> FieldSpec:
    return FieldSpec(name=name, type=kind, label=Label(id=name, en=name), **extra)


MEMBER_COLUMNS = (
    _field("name", "text", required=True, max_length=12),
    _field("agency", "agency", required=True),
    _field(
        "position",
        "choice",
        options=(("chair", Label("Ketua", "Chair")), ("member", Label("Anggota", "Member"))),
    ),
    _field("share", "percent", minimum=Decimal(0), maximum=Decimal(100)),
)
FIELDS = (
    _field("number", "text", required=True, max_length=10),
    _field("notes", "long_text"),
    _field("count", "integer", minimum=Decimal(1)),
    _field("valid_until", "year", minimum=Decimal(2025), maximum=Decimal(2040)),
    _field("volume", "decimal", maximum=Decimal(10_000)),
    _field("coverage", "percent", minimum=Decimal(0), maximum=Decimal(100)),
    _field("budget", "rupiah", minimum=Decimal(0)),
    _field("signed_on", "date"),
    _field(
        "decree_kind",
        "choice",
        required=True,
        options=(("formation", Label("Pembentukan", "Formation")),),
    ),
    _field("district", "district"),
    _field("agency", "agency"),
    _field("plan", "plan"),
    _field("scan", "file", accept=("pdf",)),
    _field("members", "table", columns=MEMBER_COLUMNS, max_rows=3),
)
SPEC = CaseSpec(
    scope="district",
    title="{number}",
    fields={f.name: f for f in FIELDS},
    list_fields=("number",),
    filters=("decree_kind",),
)


@dataclass(frozen=True)
class Refs:
    """The case's region 6301: its agencies 7 and 9, its plan 3; the province's districts."""

    districts: frozenset[str] = frozenset({"6301", "6304", "6371"})
    agencies: frozenset[int] = frozenset({7, 9})
    plans: frozenset[int] = frozenset({3})


REFS = Refs()


def typed(**sent: Any) -> dict[str, Any]:
    return typed_values(SPEC, sent, REFS)


def problems(**sent: Any) -> dict[str, list[str]]:
    with pytest.raises(InvalidValues) as refused:
        typed_values(SPEC, sent, REFS)
    return refused.value.problems


def problem(name: str, value: Any) -> str:
    found = problems(**{name: value})
    assert list(found) == [name], found
    assert len(found[name]) == 1
    return found[name][0]


# --- text ------------------------------------------------------------------------------------


def test_text_is_kept_as_sent_and_a_blank_clears_it() -> None:
    assert typed(number="SK/12", notes="baris 1\nbaris 2") == {
        "number": "SK/12",
        "notes": "baris 1\nbaris 2",
    }
    assert typed(notes=None) == {"notes": None}
    assert typed(notes="   ") == {"notes": None}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (12, "Expected text."),
        (["SK"], "Expected text."),
        ("SK/123456789", "Field cannot be longer than 10 characters."),
        ("SK\x0012", "Must not contain NUL characters or invalid Unicode."),
        ("SK\ud80012", "Must not contain NUL characters or invalid Unicode."),
        ("", "This field is required."),
        (None, "This field is required."),
    ],
)
def test_text_problems(value: Any, message: str) -> None:
    assert problem("number", value) == message


# --- whole numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [(2029, 2029), ("2029", 2029), (" 2030 ", 2030), (2029.0, 2029)]
)
def test_a_year_is_a_whole_number_or_its_digits(value: Any, expected: int) -> None:
    assert typed(valid_until=value) == {"valid_until": expected}


@pytest.mark.parametrize(("value", "expected"), [("1.500", 1500), ("1500", 1500), (7, 7)])
def test_a_whole_number_is_grouped_the_indonesian_way(value: Any, expected: int) -> None:
    assert typed(count=value) == {"count": expected}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("valid_until", 2024, "Number must be between 2025 and 2040."),
        ("valid_until", "2041", "Number must be between 2025 and 2040."),
        ("count", 0, "Number must be at least 1."),
        ("valid_until", "2.029", "Write the year with four digits, like 2026."),
        ("valid_until", True, "Write the year with four digits, like 2026."),
        ("valid_until", "2029a", "Write the year with four digits, like 2026."),
        ("count", "1,5", "Write a whole number, without decimals."),
        ("count", "satu", "Not a valid whole number. Write it like 1.500."),
        ("count", "9" * 5000, "The number is too large."),
        ("count", 10**20, "The number is too large."),
    ],
)
def test_whole_number_problems(name: str, value: Any, message: str) -> None:
    assert problem(name, value) == message


# --- decimals and percentages ----------------------------------------------------------------

TOO_PRECISE = (
    "Use at most two decimals (a comma starts the decimals: 12,5; a dot groups thousands: 1.200)."
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12,5", Decimal("12.5")),
        ("12.5", Decimal("12.5")),
        ("1.500", Decimal("1500")),
        (12.5, Decimal("12.5")),
        (12, Decimal(12)),
        ("1.000,25", Decimal("1000.25")),
        (0.1, Decimal("0.1")),
    ],
)
def test_a_decimal_is_a_number_or_text_in_the_forms_formats(value: Any, expected: Decimal) -> None:
    result = typed(volume=value)["volume"]
    assert isinstance(result, Decimal) and result == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("volume", "12,345", TOO_PRECISE),
        ("volume", 1.125, TOO_PRECISE),
        ("volume", "duabelas", "Not a valid number. Write it like 1.500 or 12,5."),
        ("volume", "1,500.5", "Not a valid number. Write it like 1.500 or 12,5."),
        ("volume", float("nan"), "Not a valid number. Write it like 1.500 or 12,5."),
        ("volume", False, "Not a valid number. Write it like 1.500 or 12,5."),
        ("volume", {"value": 1}, "Not a valid number. Write it like 1.500 or 12,5."),
        ("volume", 10_000.5, "Number must be at most 10000."),
        ("volume", "10.000,5", "Number must be at most 10000."),
        ("volume", 10**15, "The number is too large."),
        ("coverage", "100,5", "Enter a percentage from 0 to 100."),
        ("coverage", -1, "Enter a percentage from 0 to 100."),
    ],
)
def test_decimal_problems(name: str, value: Any, message: str) -> None:
    assert problem(name, value) == message


# --- Rupiah ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1_500_000, 1_500_000), ("Rp1.500.000", 1_500_000), ("1500000", 1_500_000), (2e6, 2_000_000)],
)
def test_an_amount_is_whole_rupiah(value: Any, expected: int) -> None:
    assert typed(budget=value) == {"budget": expected}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "The amount cannot be negative."),
        ("-1.000", "The amount cannot be negative."),
        (1500.5, "Write the amount in whole Rupiah, without decimals."),
        ("1.500,50", "Write the amount in whole Rupiah, without decimals."),
        (10**16, "The amount is too large."),
        ("²", "Not a valid amount. Write it like 1.500.000 or Rp1.500.000."),
        ("9" * 5000, "The amount is too large."),
        (True, "Not a valid amount. Write it like 1.500.000 or Rp1.500.000."),
    ],
)
def test_amount_problems(value: Any, message: str) -> None:
    assert problem("budget", value) == message


# --- dates, choices, districts, agencies and plans -------------------------------------------


def test_a_date_is_iso_text() -> None:
    assert typed(signed_on="2026-03-02") == {"signed_on": date(2026, 3, 2)}


@pytest.mark.parametrize("value", ["02/03/2026", "2026-02-30", 20260302, "2026-03-02T10:00"])
def test_date_problems(value: Any) -> None:
    assert problem("signed_on", value) == "Not a valid date value."


def test_a_choice_is_one_of_the_declared_options() -> None:
    assert typed(decree_kind="formation") == {"decree_kind": "formation"}
    assert problem("decree_kind", "renewal") == "Not a valid choice."
    assert problem("decree_kind", 1) == "Not a valid choice."
    assert problem("decree_kind", None) == "This field is required."


def test_a_district_is_a_known_code() -> None:
    assert typed(district="6304") == {"district": "6304"}
    assert problem("district", "6399") == "Unknown district code."
    assert problem("district", 6304) == "Unknown district code."
    assert problem("district", "63") == "Unknown district code."  # the province is not one


def test_an_agency_is_one_of_the_case_region_by_id() -> None:
    assert typed(agency=7) == {"agency": 7}
    assert typed(agency="9") == {"agency": 9}
    for value in (8, "8", True, 7.0, "Dinas PUPR"):
        assert problem("agency", value) == "Not an agency of the case's region."


def test_a_plan_is_one_of_the_case_region_by_id() -> None:
    assert typed(plan=3) == {"plan": 3}
    assert problem("plan", 4) == "Not an action plan of the case's region."


# --- files and unknown fields ----------------------------------------------------------------


def test_a_file_cannot_be_sent_as_json() -> None:
    message = problem("scan", {"name": "sk.pdf", "stored": "../../etc/passwd"})
    assert message == "A file cannot be sent as JSON: upload it on the case's page."


def test_an_unknown_field_is_named() -> None:
    assert problem("decree_typo", "formation") == "Unknown field."


# --- tables ----------------------------------------------------------------------------------


def test_a_table_gives_typed_rows_and_leaves_blank_rows_out() -> None:
    rows = typed(
        members=[
            {"name": "Ahmad", "agency": 7, "position": "chair", "share": "12,5"},
            {"name": "", "agency": None},
            {"name": "Siti", "agency": "9"},
        ]
    )["members"]
    assert rows == [
        {"name": "Ahmad", "agency": 7, "position": "chair", "share": Decimal("12.5")},
        {"name": "Siti", "agency": 9, "position": None, "share": None},
    ]
    assert typed(members=[]) == {"members": []}
    assert typed(members=None) == {"members": []}


def test_table_problems_name_the_row_and_column() -> None:
    found = problems(
        members=[
            {"name": "Ahmad", "agency": 8, "position": "boss"},
            "Siti",
            {"agency": 7, "role": "x"},
            {"name": "Nama yang terlalu panjang", "agency": 9, "share": 101},
        ]
    )
    assert found == {
        "members": ["At most 3 rows."],
    }
    found = problems(
        members=[
            {"name": "Ahmad", "agency": 8, "position": "boss"},
            "Siti",
            {"agency": 7, "role": "x"},
        ]
    )
    assert found == {
        "members.0.agency": ["Not an agency of the case's region."],
        "members.0.position": ["Not a valid choice."],
        "members.1": ["Expected a list of rows, each an object of its columns."],
        "members.2.role": ["Unknown field."],
        "members.2.name": ["This field is required."],
    }
    assert problem("members", {"name": "Ahmad"}) == (
        "Expected a list of rows, each an object of its columns."
    )


# --- everything at once ----------------------------------------------------------------------


def test_every_problem_is_reported_at_once_and_nothing_is_taken() -> None:
    with pytest.raises(InvalidValues) as refused:
        typed_values(
            SPEC,
            {
                "number": "SK/1",  # fine
                "decree_kind": "renewal",
                "valid_until": 1999,
                "scan": None,
                "nonsense": 1,
                "members": [{"name": "A", "agency": 1}],
            },
            REFS,
        )
    error = refused.value
    assert set(error.problems) == {
        "decree_kind",
        "valid_until",
        "scan",
        "nonsense",
        "members.0.agency",
    }
    # An InvalidInput like every refused input: a 400, its message naming each problem.
    assert isinstance(error, InvalidInput) and error.status == 400
    assert "decree_kind: Not a valid choice." in error.message
    assert "members.0.agency" in error.message


def test_the_required_fields_must_be_given_when_a_case_is_opened() -> None:
    names = list(SPEC.fields)
    assert required_fields(SPEC, names) == ["number", "decree_kind"]
    with pytest.raises(InvalidValues) as refused:
        typed_values(SPEC, {"notes": "x"}, REFS, must_give=required_fields(SPEC, names))
    assert refused.value.problems == {
        "number": ["This field is required."],
        "decree_kind": ["This field is required."],
    }
    # Left out when changing a case: the stored value stays, nothing to check.
    assert typed_values(SPEC, {"notes": "x"}, REFS) == {"notes": "x"}


def test_typed_values_are_stored_as_the_forms_are() -> None:
    values = typed(
        volume="12,50",
        budget="Rp1.500.000",
        signed_on="2026-03-02",
        agency="7",
        members=[{"name": "Ahmad", "agency": "9", "share": 50}],
    )
    stored = {name: to_json(SPEC.fields[name], value) for name, value in values.items()}
    assert stored == {
        "volume": "12.5",
        "budget": 1_500_000,
        "signed_on": "2026-03-02",
        "agency": 7,
        "members": [{"name": "Ahmad", "agency": 9, "position": None, "share": "50"}],
    }


TEXT = (
    st.text(max_size=30)
    # Lone surrogates ("\ud800" in JSON), control characters and digits.
    | st.text(st.characters(categories=["Cs", "Cc", "Nd"]), max_size=8)
    | st.sampled_from(["formation", "6304", "2026-03-02", "12,5", "Rp1.500.000", "7", ""])
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | TEXT,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from([c.name for c in MEMBER_COLUMNS]) | TEXT, inner)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    sent=st.dictionaries(
        st.sampled_from([*SPEC.fields, "other"]) | st.text(max_size=5), JSON, max_size=6
    )
)
def test_any_json_is_typed_or_refused_as_invalid_values(sent: dict[str, Any]) -> None:
    try:
        result = typed_values(SPEC, sent, REFS)
    except InvalidValues as error:
        assert error.problems and all(error.problems.values())
    else:
        assert set(result) == set(sent)
        stored = {name: to_json(SPEC.fields[name], value) for name, value in result.items()}
        # Storable as the form's values are, in PostgreSQL's UTF-8 too.
        json.dumps(stored, ensure_ascii=False, allow_nan=False).encode("utf-8")

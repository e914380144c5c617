"""The product's one number parser: what people in Indonesia type, read the Indonesian way
(a dot groups thousands, a comma starts the decimals), each refusal one message."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workflow_app.number_input import (
    DECIMAL,
    NOT_NEGATIVE,
    PERCENT,
    RUPIAH,
    WHOLE,
    YEAR,
    NumberError,
    NumberKind,
    check_number,
    read_amount,
    read_number,
    show_number,
)

# --- what is read ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kind", "value"),
    [
        # Indonesian: the dot groups thousands, the comma starts the decimals.
        ("1.500", DECIMAL, Decimal("1500")),
        ("1.500", WHOLE, Decimal("1500")),
        ("1.500.000", DECIMAL, Decimal("1500000")),
        ("1.500,5", DECIMAL, Decimal("1500.5")),
        ("1.500,25", DECIMAL, Decimal("1500.25")),
        ("63,5", DECIMAL, Decimal("63.5")),
        ("12,50", DECIMAL, Decimal("12.5")),
        ("1500", DECIMAL, Decimal("1500")),
        ("1500,5", DECIMAL, Decimal("1500.5")),
        ("-3,25", DECIMAL, Decimal("-3.25")),
        (" 2 500 ", DECIMAL, Decimal("2500")),
        ("1\u00a0500", DECIMAL, Decimal("1500")),
        # A dot that cannot be grouping is a decimal point (a figure from an English source).
        ("63.5", DECIMAL, Decimal("63.5")),
        ("0.25", DECIMAL, Decimal("0.25")),
        ("1500.75", DECIMAL, Decimal("1500.75")),
        # A dot before exactly three digits always groups: 63.500 is sixty-three thousand.
        ("63.500", DECIMAL, Decimal("63500")),
        # Percentages may carry their sign.
        ("63,5%", PERCENT, Decimal("63.5")),
        ("100 %", PERCENT, Decimal("100")),
        ("0", PERCENT, Decimal("0")),
        # Money: with or without Rp, zero cents allowed.
        ("1.500.000", RUPIAH, Decimal("1500000")),
        ("Rp1.500.000", RUPIAH, Decimal("1500000")),
        ("Rp 1.500.000", RUPIAH, Decimal("1500000")),
        ("rp. 850.000.000", RUPIAH, Decimal("850000000")),
        ("Rp1.500.000,00", RUPIAH, Decimal("1500000")),
        ("1500000.00", RUPIAH, Decimal("1500000")),
        ("1.500", RUPIAH, Decimal("1500")),
        # A year is four digits, never grouped.
        ("2026", YEAR, Decimal("2026")),
    ],
)
def test_numbers_read_the_indonesian_way(typed: str, kind: NumberKind, value: Decimal) -> None:
    assert read_number(typed, kind) == value


@pytest.mark.parametrize(
    ("typed", "kind", "message"),
    [
        ("enam", DECIMAL, "Not a valid number. Write it like 1.500 or 12,5."),
        ("", DECIMAL, "Not a valid number. Write it like 1.500 or 12,5."),
        ("1..2", DECIMAL, "Not a valid number. Write it like 1.500 or 12,5."),
        ("--5", DECIMAL, "Not a valid number. Write it like 1.500 or 12,5."),
        (",5", DECIMAL, "Not a valid number. Write it like 1.500 or 12,5."),
        ("1.50.000", DECIMAL, "Not a valid number. Write it like 1.500 or 12,5."),
        ("1.500.5", DECIMAL, "Not a valid number. Write it like 1.500 or 12,5."),
        # English grouping is not guessed.
        ("1,500,000", DECIMAL, "Not a valid number. Write it like 1.500 or 12,5."),
        ("1,500.5", DECIMAL, "Not a valid number. Write it like 1.500 or 12,5."),
        ("63,5%", DECIMAL, "Not a valid number. Write it like 1.500 or 12,5."),
        # Ambiguous: twelve and a half, or (in English) twelve thousand five hundred?
        (
            "12,500",
            DECIMAL,
            "Use at most two decimals (a comma starts the decimals: 12,5; "
            "a dot groups thousands: 1.200).",
        ),
        (
            "0.500",
            DECIMAL,
            "Use at most two decimals (a comma starts the decimals: 12,5; "
            "a dot groups thousands: 1.200).",
        ),
        ("1.5", WHOLE, "Write a whole number, without decimals."),
        ("satu", WHOLE, "Not a valid whole number. Write it like 1.500."),
        ("150", PERCENT, "Enter a percentage from 0 to 100."),
        ("100,01", PERCENT, "Enter a percentage from 0 to 100."),
        ("-1", PERCENT, "Enter a percentage from 0 to 100."),
        ("-2", NOT_NEGATIVE, "The value cannot be negative."),
        ("1" + "0" * 14, DECIMAL, "The number is too large."),
        ("9" * 5000, DECIMAL, "The number is too large."),
        ("-1.500.000", RUPIAH, "The amount cannot be negative."),
        ("Rp-1.500.000", RUPIAH, "The amount cannot be negative."),
        ("-Rp1.500.000", RUPIAH, "The amount cannot be negative."),
        ("1.500.000,50", RUPIAH, "Write the amount in whole Rupiah, without decimals."),
        ("1500000.5", RUPIAH, "Write the amount in whole Rupiah, without decimals."),
        ("1,5", RUPIAH, "Write the amount in whole Rupiah, without decimals."),
        ("satu juta", RUPIAH, "Not a valid amount. Write it like 1.500.000 or Rp1.500.000."),
        ("Rp", RUPIAH, "Not a valid amount. Write it like 1.500.000 or Rp1.500.000."),
        ("9" * 17, RUPIAH, "The amount is too large."),
        ("2.026", YEAR, "Write the year with four digits, like 2026."),
        ("tahun", YEAR, "Write the year with four digits, like 2026."),
    ],
)
def test_refusals_name_the_problem(typed: str, kind: NumberKind, message: str) -> None:
    with pytest.raises(NumberError) as refused:
        read_number(typed, kind)
    assert str(refused.value) == message


def test_declared_bounds_have_the_generic_message() -> None:
    between = WHOLE.within(2025, 2040)
    assert read_number("2.030", between) == 2030
    with pytest.raises(NumberError, match=r"^Number must be between 2025 and 2040\.$"):
        read_number("2041", between)
    with pytest.raises(NumberError, match=r"^Number must be at least 1\.$"):
        read_number("0", WHOLE.within(1))
    with pytest.raises(NumberError, match=r"^Number must be at most 10000\.$"):
        read_number("10.000,5", DECIMAL.within(None, 10_000))


def test_numbers_given_as_numbers_meet_the_same_rules() -> None:
    assert check_number(12.5, DECIMAL) == Decimal("12.5")
    assert check_number(2_000_000.0, RUPIAH) == 2_000_000
    assert check_number(2029.0, WHOLE) == 2029
    for value, kind, message in [
        (1.125, DECIMAL, "Use at most two decimals"),
        (1500.5, RUPIAH, "Write the amount in whole Rupiah, without decimals."),
        (float("nan"), DECIMAL, "Not a valid number."),
        (True, WHOLE, "Not a valid whole number."),
        (150, PERCENT, "Enter a percentage from 0 to 100."),
        (10**16, RUPIAH, "The amount is too large."),
        (-1, RUPIAH, "The amount cannot be negative."),
    ]:
        with pytest.raises(NumberError) as refused:
            check_number(value, kind)  # type: ignore[arg-type]
        assert str(refused.value).startswith(message), (value, str(refused.value))


def test_amounts_are_whole_rupiah() -> None:
    assert read_amount("Rp1.500.000") == 1_500_000
    assert isinstance(read_amount("1.500"), int)


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        (Decimal("1500.50"), DECIMAL, "1.500,5"),
        (Decimal("7.5"), DECIMAL, "7,5"),
        (1_500_000, RUPIAH, "1.500.000"),
        (2026, YEAR, "2026"),
        (None, DECIMAL, ""),
    ],
)
def test_a_number_is_shown_as_it_is_typed_back(
    value: Decimal | int | None, kind: NumberKind, shown: str
) -> None:
    assert show_number(value, kind) == shown
    if value is not None:
        assert read_number(shown, kind) == value

"""How typed numbers become values: Rupiah amounts and decimals with a comma or a dot."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workflow_app.number_fields import AmountError, parse_decimal, parse_rupiah


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1.500.000", 1_500_000),
        ("1500000", 1_500_000),
        ("Rp1.500.000", 1_500_000),
        ("Rp 1.500.000", 1_500_000),
        ("rp. 850.000.000", 850_000_000),
        ("Rp1.500.000,00", 1_500_000),
        (" 2.500.000.000 ", 2_500_000_000),
        ("0", 0),
        ("1.500", 1_500),  # a single dot in an amount is a thousands separator
    ],
)
def test_rupiah_amounts_in_the_usual_forms(typed: str, amount: int) -> None:
    assert parse_rupiah(typed) == amount


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("-1.500.000", "negative"),
        ("Rp-1.500.000", "negative"),
        ("-Rp1.500.000", "negative"),
        ("1.500.000,50", "decimals"),
        ("1500000.5", "decimals"),
        ("1,5", "decimals"),
        ("satu juta", "valid"),
        ("1.50.000", "valid"),
        ("Rp", "valid"),
        ("9" * 17, "large"),
    ],
)
def test_rupiah_amounts_refused_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(AmountError) as refused:
        parse_rupiah(typed)
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("6,5", Decimal("6.5")),
        ("6.5", Decimal("6.5")),
        ("12", Decimal("12")),
        ("1.200.000", Decimal("1200000")),
        ("1.200,5", Decimal("1200.5")),
        ("1,200.5", Decimal("1200.5")),
        ("-3,25", Decimal("-3.25")),
    ],
)
def test_decimals_with_comma_or_dot(typed: str, value: Decimal) -> None:
    assert parse_decimal(typed) == value


@pytest.mark.parametrize("typed", ["enam", "1,2,3.4.5", "1..2", ",5", ""])
def test_not_a_decimal(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_decimal(typed)

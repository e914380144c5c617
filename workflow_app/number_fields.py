"""Number fields that accept what people in Indonesia type: 6,5 or 6.5; 1.500.000 or
Rp1.500.000. Plans, reports and every kind declared as data use them."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_decimal, get_decimal_symbol
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.widgets import TextInput

MAX_AMOUNT = 10**15  # Rp1 quadrillion: far above any sanitation budget, within BIGINT
DECIMAL_LIMIT = Decimal(10) ** 14  # Numeric(16, 2): 14 digits before the decimal point


# --- number parsing ---------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_PLAIN_DECIMAL = re.compile(r"^\d+(?:[.,]\d+)?$", re.ASCII)
_GROUPED_DOT = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$", re.ASCII)  # 1.500.000,5 (Indonesian)
_GROUPED_COMMA = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$", re.ASCII)  # 1,500,000.5 (English)


def parse_decimal(text: str) -> Decimal:
    """A decimal typed with a comma or a dot as decimal separator.

    One separator is the decimal point ("6,5" and "6.5"); repeated or mixed separators are
    read as thousands grouping ("1.200.000", "1.200,5", "1,200.5").
    """
    value = _SPACES.sub("", text)
    negative = value.startswith("-")
    value = value.lstrip("-+")
    if _PLAIN_DECIMAL.match(value):
        value = value.replace(",", ".")
    elif _GROUPED_DOT.match(value):
        value = value.replace(".", "").replace(",", ".")
    elif _GROUPED_COMMA.match(value):
        value = value.replace(",", "")
    else:
        raise ValueError(text)
    number = Decimal(value)
    return -number if negative else number


class AmountError(ValueError):
    """A Rupiah amount that cannot be accepted; the message is for the user."""


_RUPIAH_PREFIX = re.compile(r"^(?:rp\.?)", re.IGNORECASE)
_WHOLE_GROUPED = re.compile(r"^\d{1,3}(?:\.\d{3})+$", re.ASCII)


def parse_rupiah(text: str) -> int:
    """Whole Rupiah from "1.500.000", "1500000", "Rp1.500.000" or "Rp 1.500.000,00"."""
    value = _SPACES.sub("", text)
    negative = value.startswith("-")
    value = _RUPIAH_PREFIX.sub("", value.lstrip("-"))
    negative = negative or value.startswith("-")
    value = value.lstrip("-")
    if value.endswith((",00", ",0")):  # a whole amount written with zero cents
        value = value.rsplit(",", 1)[0]
    if negative and re.match(r"^[\d.,]+$", value):
        raise AmountError(_l("The amount cannot be negative."))
    if len(value) > 40:  # far beyond MAX_AMOUNT, and before int() meets a huge string
        raise AmountError(_l("The amount is too large."))
    if value.isascii() and value.isdigit():
        amount = int(value)
    elif _WHOLE_GROUPED.match(value):
        amount = int(value.replace(".", ""))
    elif re.match(r"^[\d.]*\d,\d+$", value) or re.match(r"^\d+\.\d{1,2}$", value):
        raise AmountError(_l("Write the amount in whole Rupiah, without decimals."))
    else:
        raise AmountError(_l("Not a valid amount. Write it like 1.500.000 or Rp1.500.000."))
    if amount > MAX_AMOUNT:
        raise AmountError(_l("The amount is too large."))
    return amount


def _locale_name() -> str:
    return str(get_locale() or "id")


def format_decimal_input(value: Decimal | None) -> str:
    """A decimal as typed in this locale, without thousands grouping: 6,5 (id) or 6.5 (en)."""
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", get_decimal_symbol(_locale_name()))


# --- fields ---------------------------------------------------------------------------


class LocalDecimalField(Field):
    """A decimal accepting a comma or a dot as decimal separator, at most two decimals."""

    widget = TextInput()

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_decimal_input(self.data)

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            number = parse_decimal(valuelist[0])
        except (ValueError, InvalidOperation):
            self.data = None
            raise ValueError(_l("Not a valid number. Write it like 12,5 or 12.5.")) from None
        if number.as_tuple().exponent < -2:  # type: ignore[operator]
            self.data = None
            raise ValueError(
                _l("Use at most two decimals (write thousands without a separator: 1200).")
            )
        if abs(number) >= DECIMAL_LIMIT:
            self.data = None
            raise ValueError(_l("The number is too large."))
        self.data = number


class RupiahField(Field):
    """An amount in whole Rupiah, shown as 1.500.000."""

    widget = TextInput()

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format_decimal(self.data, locale="id", group_separator=True)

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_rupiah(valuelist[0])
        except AmountError:
            self.data = None
            raise

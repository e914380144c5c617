"""How the product reads a number a person typed: one parser for every number field (the plan
and report forms, the fields of kinds declared as data, the activity import, the API's values
sent as text).

The rule is Indonesian: a dot groups thousands, a comma starts the decimals.

    1.500 = 1500    1.500.000 = 1500000    1.500,5 = 1500.5    63,5 = 63.5    1500 = 1500

A dot that cannot be a thousands separator is a decimal point, so a figure copied from an
English source still reads right: "63.5", "0.25", "1500.75". A dot followed by exactly three
digits is always grouping ("63.500" = 63500) unless the number starts with 0 ("0.500" is not
grouped: three decimals). English grouping is refused, never guessed: "1,500,000" and
"1,500.5" are not numbers in Indonesian, and "1,500" is one and a half.

A field's kind (NumberKind) says how many decimals it keeps and its bounds. A typed fraction
longer than that is refused, not rounded: "12,500" could be twelve and a half or (in English)
twelve thousand five hundred, so a field with two decimals asks again. Only a whole number may
carry zero cents ("1.500.000,00"). Money may start with "Rp", a percentage end with "%"; a
year is never grouped. Every refusal is one message for the user, naming the problem.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

MAX_AMOUNT = 10**15  # Rp1 quadrillion: far above any sanitation budget, within BIGINT
DECIMAL_LIMIT = Decimal(10) ** 14  # Numeric(16, 2): 14 digits before the decimal point
_MAX_DIGITS = 20  # more integer digits than this is beyond every limit above

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_GROUPED = re.compile(r"^(?P<whole>[1-9]\d{0,2}(?:\.\d{3})+)(?:,(?P<fraction>\d+))?$", re.ASCII)
_COMMA = re.compile(r"^(?P<whole>\d+)(?:,(?P<fraction>\d+))?$", re.ASCII)
_POINT = re.compile(r"^(?P<whole>\d+)\.(?P<fraction>\d+)$", re.ASCII)
_RUPIAH = re.compile(r"^rp\.?", re.IGNORECASE)


class NumberError(ValueError):
    """A typed number that cannot be accepted; `str(error)` is the message for the user."""


@dataclass(frozen=True)
class NumberKind:
    """What a number field holds: its decimals, its bounds and how it is written."""

    decimals: int
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    money: bool = False  # whole Rupiah: "Rp" allowed in front, messages speak of amounts
    percent: bool = False  # "%" allowed at the end
    year: bool = False  # a year: never grouped ("2.026" is refused)
    range_message: Any = None  # the message for a number outside the bounds; None: generic

    def within(
        self,
        minimum: Decimal | int | None = None,
        maximum: Decimal | int | None = None,
        message: Any = None,
    ) -> NumberKind:
        """This kind with other bounds (and the message saying them)."""
        return replace(
            self,
            minimum=None if minimum is None else Decimal(minimum),
            maximum=None if maximum is None else Decimal(maximum),
            range_message=message,
        )


WHOLE = NumberKind(decimals=0)
YEAR = NumberKind(decimals=0, year=True)
DECIMAL = NumberKind(decimals=2)
NOT_NEGATIVE = DECIMAL.within(0, message=_l("The value cannot be negative."))
PERCENT = NumberKind(
    decimals=2,
    minimum=Decimal(0),
    maximum=Decimal(100),
    percent=True,
    range_message=_l("Enter a percentage from 0 to 100."),
)
RUPIAH = NumberKind(decimals=0, minimum=Decimal(0), maximum=Decimal(MAX_AMOUNT), money=True)


# --- messages -----------------------------------------------------------------------------


def _invalid(kind: NumberKind) -> NumberError:
    if kind.year:
        return NumberError(_("Write the year with four digits, like 2026."))
    if kind.money:
        return NumberError(_("Not a valid amount. Write it like 1.500.000 or Rp1.500.000."))
    if kind.decimals == 0:
        return NumberError(_("Not a valid whole number. Write it like 1.500."))
    return NumberError(_("Not a valid number. Write it like 1.500 or 12,5."))


def _too_precise(kind: NumberKind) -> NumberError:
    if kind.year:
        return _invalid(kind)
    if kind.money:
        return NumberError(_("Write the amount in whole Rupiah, without decimals."))
    if kind.decimals == 0:
        return NumberError(_("Write a whole number, without decimals."))
    return NumberError(
        _(
            "Use at most two decimals (a comma starts the decimals: 12,5; "
            "a dot groups thousands: 1.200)."
        )
    )


def _too_large(kind: NumberKind) -> NumberError:
    if kind.money:
        return NumberError(_("The amount is too large."))
    return NumberError(_("The number is too large."))


def _out_of_range(kind: NumberKind) -> NumberError:
    if kind.range_message is not None:
        return NumberError(str(kind.range_message))
    low, high = kind.minimum, kind.maximum
    if low is not None and high is not None:
        return NumberError(_("Number must be between %(min)s and %(max)s.", min=low, max=high))
    if low is not None:
        return NumberError(_("Number must be at least %(min)s.", min=low))
    return NumberError(_("Number must be at most %(max)s.", max=high))


# --- reading ------------------------------------------------------------------------------


def _split(body: str, kind: NumberKind) -> tuple[str, str] | None:
    """The integer digits and the fraction digits of `body` (no sign), or None."""
    patterns = (_COMMA, _POINT) if kind.year else (_GROUPED, _COMMA, _POINT)
    for pattern in patterns:
        match = pattern.match(body)
        if match:
            return match["whole"].replace(".", ""), match["fraction"] or ""
    return None


def _sign(body: str) -> tuple[bool, str]:
    if body[:1] in ("+", "-"):
        return body[0] == "-", body[1:]
    return False, body


def read_number(text: str, kind: NumberKind) -> Decimal:
    """The number typed as `text` for a field of `kind`, or NumberError with one message."""
    body = _SPACES.sub("", text)
    negative, body = _sign(body)
    if kind.money and _RUPIAH.match(body):
        body = _RUPIAH.sub("", body, count=1)
        if not negative:  # "Rp-1.500" as well as "-Rp1.500"
            negative, body = _sign(body)
    if kind.percent:
        body = body.removesuffix("%")
    parts = _split(body, kind)
    if parts is None:
        raise _invalid(kind)
    whole, fraction = parts
    if negative and kind.money:
        raise NumberError(_("The amount cannot be negative."))
    if len(whole.lstrip("0")) > _MAX_DIGITS:
        raise _too_large(kind)
    if len(fraction) > kind.decimals and not (kind.decimals == 0 and not fraction.strip("0")):
        raise _too_precise(kind)
    number = Decimal(f"{whole}.{fraction}" if fraction else whole)
    return _checked(-number if negative and number else number, kind)


def check_number(value: Decimal | int | float, kind: NumberKind) -> Decimal:
    """A number given as a number (a JSON number, a spreadsheet cell, a stored value) held to
    the kind's decimals and bounds, with the same messages as a typed one."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _invalid(kind)
    if isinstance(value, float) and not math.isfinite(value):
        raise _invalid(kind)
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise _invalid(kind) from None
    if not number.is_finite():
        raise _invalid(kind)
    if kind.money and number < 0:
        raise NumberError(_("The amount cannot be negative."))
    if abs(number) >= Decimal(10) ** _MAX_DIGITS:
        raise _too_large(kind)
    if number != number.quantize(Decimal(1).scaleb(-kind.decimals)):
        raise _too_precise(kind)
    return _checked(number, kind)


def _checked(number: Decimal, kind: NumberKind) -> Decimal:
    limit = Decimal(MAX_AMOUNT) if kind.money else DECIMAL_LIMIT
    if (kind.money and number > limit) or (not kind.money and abs(number) >= limit):
        raise _too_large(kind)
    low, high = kind.minimum, kind.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        raise _out_of_range(kind)
    return number


def read_amount(text: str) -> int:
    """Whole Rupiah from "1.500.000", "1500000", "Rp1.500.000" or "Rp 1.500.000,00"."""
    return int(read_number(text, RUPIAH))


# --- writing -----------------------------------------------------------------------------


def show_number(value: Decimal | int | None, kind: NumberKind) -> str:
    """A stored number as a person types it back: Indonesian, grouped unless it is a year
    ("1.500,5", "1.500.000", "2026"), without trailing zeros."""
    if value is None:
        return ""
    if kind.year:
        text = format(Decimal(value).normalize(), "f")
        return text.replace(".", ",")
    return format_decimal(value, locale="id", group_separator=True)

"""The number fields of every form: they read what was typed with the product's one parser
(number_input: Indonesian grouping and decimal comma) and hold it to the field's kind, so a
bad entry gets exactly one message, and show a stored number the way it is typed back."""

from __future__ import annotations

from typing import Any

from wtforms import Field
from wtforms.widgets import TextInput

from .number_input import (
    DECIMAL,
    DECIMAL_LIMIT,
    MAX_AMOUNT,
    RUPIAH,
    WHOLE,
    NumberError,
    NumberKind,
    read_number,
    show_number,
)

__all__ = [
    "DECIMAL_LIMIT",
    "MAX_AMOUNT",
    "LocalDecimalField",
    "NumberField",
    "RupiahField",
    "WholeNumberField",
]


class NumberField(Field):
    """A number of a kind (decimals, bounds, Rp or %): the bounds are checked here rather than
    by a validator, so that a number that could not be read gets no second message."""

    widget = TextInput()
    default_kind: NumberKind = DECIMAL

    def __init__(
        self,
        label: Any = None,
        validators: Any = None,
        *,
        kind: NumberKind | None = None,
        **kwargs: Any,
    ) -> None:
        self.kind = kind or self.default_kind
        keypad = "numeric" if self.kind.decimals == 0 else "decimal"
        kwargs.setdefault("render_kw", {"inputmode": keypad, "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return show_number(self.data, self.kind)

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            number = read_number(valuelist[0], self.kind)
        except NumberError as exc:
            self.data = None
            raise ValueError(str(exc)) from None
        self.data = int(number) if self.kind.decimals == 0 else number


class LocalDecimalField(NumberField):
    """A decimal with at most two decimals: 12,5 · 1.500 · 1.500,25 (12.5 is read too)."""


class WholeNumberField(NumberField):
    """A whole number: 1.500 or 1500."""

    default_kind = WHOLE


class RupiahField(NumberField):
    """An amount in whole Rupiah, shown as 1.500.000; typed with or without "Rp"."""

    default_kind = RUPIAH

"""The form of a declared kind, built from its `case:` fields: one WTForms field per declared
field the user may change now, validated on the server with the same number formats as the
plan forms, and typed values kept when the page comes back with errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import (
    DateField,
    Field,
    FieldList,
    FormField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..engine.case_spec import CaseSpec, FieldSpec
from ..extensions import db
from ..forms_base import BaseForm, RemovableRow, VersionedForm
from ..number_fields import NumberField
from ..number_input import DECIMAL, PERCENT, RUPIAH, WHOLE, YEAR, NumberKind
from ..regions.models import Agency, Region
from .values import from_json

MAX_TABLE_ROWS = 200  # a table without a declared limit still has one
#: The declared number types, read by the product's one number parser.
KINDS: dict[str, NumberKind] = {
    "integer": WHOLE,
    "year": YEAR,
    "decimal": DECIMAL,
    "percent": PERCENT,
    "rupiah": RUPIAH,
}


class _NewCaseBase(BaseForm):
    save = SubmitField(_l("Create"))


class _EditCaseBase(VersionedForm):
    save = SubmitField(_l("Save"))


def _choices(spec: FieldSpec, region: Region, language: str) -> list[tuple[str, str]]:
    blank = [("", "—")]
    if spec.type == "choice":
        return blank + [(key, label.get(language)) for key, label in spec.options]
    if spec.type == "district":
        query = select(Region).where(Region.kind != "province").order_by(Region.code)
        return blank + [(r.code, f"{r.code} {r.name}") for r in db.session.scalars(query)]
    if spec.type == "agency":
        query = select(Agency).where(Agency.region_id == region.id).order_by(Agency.short_name)
        return blank + [(str(a.id), a.short_name) for a in db.session.scalars(query)]
    if spec.type == "plan":
        from ..subjects import kind_named

        plans = kind_named("plan").model
        query = select(plans).where(plans.region_id == region.id).order_by(plans.id.desc())
        return blank + [(str(p.id), f"#{p.id} {p.title}") for p in db.session.scalars(query)]
    return blank


def number_kind(spec: FieldSpec) -> NumberKind:
    """The kind of a declared number field: its type's decimals and the declared bounds (a
    percentage's default bounds keep their own message)."""
    kind = KINDS[spec.type]
    if (spec.minimum, spec.maximum) == (kind.minimum, kind.maximum):
        return kind
    return kind.within(spec.minimum, spec.maximum)


def build_field(spec: FieldSpec, region: Region, language: str) -> Field:
    """The WTForms field of one declared field (a table: a list of row forms)."""
    label = spec.label.get(language)
    description = spec.help.get(language) if spec.help else ""
    presence = [DataRequired() if spec.type in ("text", "long_text") else InputRequired()]
    needed = presence if spec.required else [Optional()]
    kwargs: dict[str, Any] = {"description": description}
    if spec.type in ("text", "long_text"):
        field_class = StringField if spec.type == "text" else TextAreaField
        length = [Length(max=spec.max_length)] if spec.max_length else []
        return field_class(label, validators=[*needed, *length], **kwargs)
    if spec.type in KINDS:
        return NumberField(label, validators=needed, kind=number_kind(spec), **kwargs)
    if spec.type == "date":
        return DateField(label, validators=needed, **kwargs)
    if spec.type in ("choice", "district", "agency", "plan"):
        required = [DataRequired()] if spec.required else []
        return SelectField(
            label, choices=_choices(spec, region, language), validators=required, **kwargs
        )
    if spec.type == "file":
        return FileField(label, **kwargs)
    row_class = type(
        f"{spec.name}_row",
        (RemovableRow,),
        {c.name: build_field(c, region, language) for c in spec.columns}
        | {"is_blank": _row_is_blank(spec)},
    )
    limit = spec.max_rows or MAX_TABLE_ROWS
    return FieldList(FormField(row_class), label=label, max_entries=limit, **kwargs)


def _row_is_blank(spec: FieldSpec) -> Any:
    names = [c.name for c in spec.columns]

    def is_blank(row: RemovableRow) -> bool:
        return all(getattr(row, name).data in (None, "", []) for name in names)

    return is_blank


def case_form_class(
    spec: CaseSpec, editable: Iterable[str], region: Region, language: str, *, new: bool
) -> type[BaseForm]:
    """The form class for the fields named in `editable`, in their declared order."""
    wanted = set(editable)
    fields = {
        name: build_field(field, region, language)
        for name, field in spec.fields.items()
        if name in wanted
    }
    tables = {name: SubmitField(_l("Add a row")) for name in fields if _is_table(spec, name)}
    attrs = fields | {f"add_{name}": button for name, button in tables.items()}
    return type("CaseForm", (_NewCaseBase if new else _EditCaseBase,), attrs)


def _is_table(spec: CaseSpec, name: str) -> bool:
    return spec.fields[name].type == "table"


def form_data(spec: CaseSpec, values: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """Stored values as the form's initial data (select fields take their value as text)."""
    data: dict[str, Any] = {}
    for name in names:
        field = spec.fields[name]
        if field.type == "file":
            continue
        value = from_json(field, values.get(name))
        if field.type in ("agency", "plan") and value is not None:
            value = str(value)
        if field.type == "table":
            value = [
                {
                    c.name: str(row[c.name])
                    if c.type in ("agency", "plan") and row[c.name] is not None
                    else row[c.name]
                    for c in field.columns
                }
                for row in value or []
            ]
        data[name] = value
    return data

"""WTForms forms for writing an action plan: header, challenges, indicators, activities.

Forms only validate and convert what was typed; every change goes through plans.operations.
Row lists (FieldList) have an "add row" button handled by the view, and each row a "remove"
box: removed rows and blank rows are neither validated nor saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from ..forms_base import BaseForm, RemovableRow, VersionedForm, live_rows
from ..number_fields import LocalDecimalField, NumberField, RupiahField
from ..number_input import DECIMAL, NOT_NEGATIVE, YEAR, NumberError, check_number
from ..regions.models import Agency
from . import funding, operations
from .vocabulary import ACTIVITY_TYPES, FUNDING_SOURCES, SUB_SECTORS, indicator_value_kind

FIRST_YEAR = 2020
LAST_YEAR = 2050
MAX_PERIOD_YEARS = 10
DEFAULT_PERIOD = (2025, 2029)


def values_of(row: Any, *names: str) -> dict[str, Any]:
    """The attributes `names` of a stored row, as the data of the form fields named alike."""
    return {name: getattr(row, name) for name in names}


# One-line and multi-line text (NUL characters are dropped for every form, in forms_base).
Text = StringField
LongText = TextAreaField


def _optional_int(value: object) -> int | None:
    """Coerce for selects with an empty "not chosen" option."""
    if value in (None, ""):
        return None
    return int(value)  # type: ignore[arg-type]


def _year_choices(years: Sequence[int]) -> list[tuple[int, str]]:
    return [(year, str(year)) for year in years]


class ChoiceInList:
    """Like SelectField's own choice check, with a message that says what is expected.
    An empty choice passes only when the field is optional."""

    def __init__(self, message: Any, *, required: bool = True) -> None:
        self.message = message
        self.required = required

    def __call__(self, form: Form, field: SelectField) -> None:
        if field.data in (None, ""):
            if self.required:
                raise ValidationError(self.message)
            return
        if not any(match for _value, _label, match, *_ in field.iter_choices()):
            raise ValidationError(self.message)


# --- the plan header --------------------------------------------------------------------


PERIOD_YEAR = YEAR.within(FIRST_YEAR, LAST_YEAR)


class PlanHeaderForm(BaseForm):
    title = Text(_l("Title"), validators=[DataRequired(), Length(max=300)])
    period_start = NumberField(
        _l("Period start (year)"),
        default=DEFAULT_PERIOD[0],
        validators=[InputRequired()],
        kind=PERIOD_YEAR,
    )
    period_end = NumberField(
        _l("Period end (year)"),
        default=DEFAULT_PERIOD[1],
        validators=[InputRequired()],
        kind=PERIOD_YEAR,
    )

    def validate_period_end(self, field: NumberField) -> None:
        start = self.period_start.data
        if start is None or field.data is None:
            return
        if field.data < start:
            raise ValidationError(_l("The period cannot end before it starts."))
        if field.data - start + 1 > MAX_PERIOD_YEARS:
            raise ValidationError(
                _l("A plan period lasts at most %(years)d years.", years=MAX_PERIOD_YEARS)
            )


class NewPlanForm(PlanHeaderForm):
    """The view deletes `region` when the drafter holds the role in one region only."""

    region = SelectField(
        _l("District"),
        validators=[DataRequired()],
        validate_choice=False,
    )

    def validate_region(self, field: SelectField) -> None:
        if field.data not in {code for code, _label in field.choices or []}:
            raise ValidationError(_l("Choose one of your districts."))


class EditHeaderForm(PlanHeaderForm, VersionedForm):
    save = SubmitField(_l("Save"))


# --- challenges ---------------------------------------------------------------------------


class ChallengeRow(RemovableRow):
    description = LongText(_l("Challenge"), validators=[Length(max=2000)], render_kw={"rows": 3})

    def is_blank(self) -> bool:
        return not (self.description.data or "").strip()


class ChallengesForm(VersionedForm):
    rows = FieldList(FormField(ChallengeRow), min_entries=1, max_entries=100)
    add_row = SubmitField(_l("Add a row"))
    save = SubmitField(_l("Save challenges"))

    def descriptions(self) -> list[str]:
        return [row.description.data.strip() for row in live_rows(self.rows)]


# --- indicators --------------------------------------------------------------------------


def target_name(year: int) -> str:
    return f"target_{year}"


class IndicatorRowBase(RemovableRow):
    years: tuple[int, ...] = ()

    name = Text(
        _l("Indicator"), validators=[Length(max=300)], render_kw={"list": "indicator-names"}
    )
    unit = Text(_l("Unit"), validators=[Length(max=40)], render_kw={"list": "units"})
    baseline_year = NumberField(_l("Baseline year"), validators=[Optional()], kind=YEAR)
    baseline_value = LocalDecimalField(
        _l("Baseline value"), validators=[Optional()], kind=NOT_NEGATIVE
    )

    def target_fields(self) -> list[tuple[int, LocalDecimalField]]:
        return [(year, self[target_name(year)]) for year in self.years]

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' own checks, then the bounds of the row's unit (a percentage is 0–100),
        for each value that was read."""
        valid = super().validate(extra_validators)
        if self.is_skipped():
            return valid
        kind = indicator_value_kind(self.unit.data)
        values = [self.baseline_value, *(field for _year, field in self.target_fields())]
        for field in values:
            if field.data is None or field.errors:
                continue
            try:
                check_number(field.data, kind)
            except NumberError as exc:
                field.errors.append(str(exc))
                valid = False
        return valid

    def is_blank(self) -> bool:
        texts = [self.name.data, self.unit.data]
        raws = [self.baseline_year.raw_data, self.baseline_value.raw_data] + [
            field.raw_data for _year, field in self.target_fields()
        ]
        return not any((t or "").strip() for t in texts) and not any(
            (r[0] if r else "").strip() for r in raws
        )

    def validate_name(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("Name the indicator (or tick Remove)."))

    def validate_baseline_year(self, field: NumberField) -> None:
        last = self.years[-1] if self.years else LAST_YEAR
        if field.process_errors:
            return  # "not a valid integer" already says it
        if field.data is None:
            if self.baseline_value.data is not None:
                raise ValidationError(_l("Give the year of the baseline value."))
            return
        if not FIRST_YEAR - 20 <= field.data <= last:
            raise ValidationError(
                _l("Enter a year between %(low)d and %(high)d.", low=FIRST_YEAR - 20, high=last)
            )

    def validate_baseline_value(self, field: LocalDecimalField) -> None:
        if field.process_errors:
            return
        if field.data is None and self.baseline_year.data is not None:
            raise ValidationError(_l("Give the baseline value for this year."))

    def to_data(self) -> operations.IndicatorData:
        return operations.IndicatorData(
            name=self.name.data.strip(),
            unit=(self.unit.data or "").strip(),
            baseline_year=self.baseline_year.data,
            baseline_value=self.baseline_value.data,
            targets={
                year: field.data for year, field in self.target_fields() if field.data is not None
            },
        )

    @classmethod
    def data_of(cls, indicator: Any) -> dict[str, Any]:
        data = values_of(indicator, "name", "unit", "baseline_year", "baseline_value")
        data.update({target_name(target.year): target.value for target in indicator.targets})
        return data


class IndicatorsFormBase(VersionedForm):
    add_row = SubmitField(_l("Add an indicator"))
    save = SubmitField(_l("Save indicators"))

    def indicators(self) -> list[operations.IndicatorData]:
        return [row.to_data() for row in live_rows(self.rows)]  # type: ignore[attr-defined]


@cache
def indicators_form_class(first_year: int, last_year: int) -> type[IndicatorsFormBase]:
    """The indicators form of a plan period: one target field per year, named by the year."""
    years = tuple(range(first_year, last_year + 1))
    row_fields: dict[str, Any] = {"years": years}
    for year in years:
        row_fields[target_name(year)] = LocalDecimalField(
            str(year), validators=[Optional()], kind=NOT_NEGATIVE
        )
    row_class = type(f"IndicatorRow{first_year}_{last_year}", (IndicatorRowBase,), row_fields)
    return type(
        f"IndicatorsForm{first_year}_{last_year}",
        (IndicatorsFormBase,),
        {"rows": FieldList(FormField(row_class), min_entries=1, max_entries=50)},
    )


# --- activities --------------------------------------------------------------------------


class FundingRowBase(RemovableRow):
    year = SelectField(_l("Year"), coerce=int, validate_choice=False)
    source = SelectField(
        _l("Source"),
        choices=list(FUNDING_SOURCES.items()),
        validate_choice=False,
        validators=[ChoiceInList(_l("Choose a funding source from the list."))],
    )
    amount = RupiahField(_l("Amount (Rp)"), validators=[InputRequired()])
    # The activity's years, set by the activity form before it validates its rows.
    schedule: tuple[int | None, int | None] = (None, None)

    def validate_year(self, field: SelectField) -> None:
        start, end = self.schedule
        if field.errors or None in (field.data, start, end):
            return  # a year not of the plan is already named; no schedule to hold it to
        reason = funding.outside_schedule(field.data, start, end)  # type: ignore[arg-type]
        if reason is not None:
            raise ValidationError(reason)

    def is_blank(self) -> bool:
        typed = self.amount.raw_data[0].strip() if self.amount.raw_data else ""
        return not typed and self.amount.data is None

    def to_data(self) -> operations.FundingData:
        return operations.FundingData(
            year=self.year.data, source=self.source.data, amount=self.amount.data
        )


VOLUME = DECIMAL.within(0, message=_l("The volume cannot be negative."))

ACTIVITY_FIELDS = (
    "sub_sector",
    "activity_type",
    "title",
    "location",
    "volume",
    "unit",
    "agency_id",
    "start_year",
    "end_year",
)


class ActivityFormBase(VersionedForm):
    sub_sector = SelectField(
        _l("Sub-sector"),
        choices=list(SUB_SECTORS.items()),
        validate_choice=False,
        validators=[ChoiceInList(_l("Choose a sub-sector from the list."))],
    )
    activity_type = SelectField(
        _l("Type"),
        choices=list(ACTIVITY_TYPES.items()),
        validate_choice=False,
        validators=[ChoiceInList(_l("Choose a type from the list."))],
    )
    title = Text(_l("Activity"), validators=[DataRequired(), Length(max=300)])
    location = Text(_l("Location (kecamatan/desa)"), validators=[DataRequired(), Length(max=300)])
    volume = LocalDecimalField(_l("Volume"), validators=[Optional()], kind=VOLUME)
    unit = Text(_l("Unit"), validators=[Length(max=40)])
    agency_id = SelectField(
        _l("Responsible agency (OPD)"),
        coerce=_optional_int,
        validate_choice=False,
        validators=[
            ChoiceInList(
                _l("Choose an agency of this district or of the province."), required=False
            )
        ],
    )
    start_year = SelectField(_l("Start year"), coerce=int, validate_choice=False)
    end_year = SelectField(_l("End year"), coerce=int, validate_choice=False)
    add_row = SubmitField(_l("Add a funding row"))
    save = SubmitField(_l("Save activity"))

    def validate_end_year(self, field: SelectField) -> None:
        if None not in (field.data, self.start_year.data) and field.data < self.start_year.data:
            raise ValidationError(_l("The activity cannot end before it starts."))

    def validate(self, extra_validators: Any = None) -> bool:
        # Funding is refused outside the activity's years, next to the row's year, as the
        # import refuses it (funding.outside_schedule).
        for entry in self.funding.entries:  # type: ignore[attr-defined]
            entry.form.schedule = (self.start_year.data, self.end_year.data)
        return super().validate(extra_validators)

    def set_agencies(self, agencies: Sequence[Agency]) -> None:
        self.agency_id.choices = [("", _l("— not chosen yet —"))] + [
            (agency.id, f"{agency.short_name} ({agency.region.name})") for agency in agencies
        ]

    def to_data(self) -> operations.ActivityData:
        return operations.ActivityData(
            sub_sector=self.sub_sector.data,
            activity_type=self.activity_type.data,
            title=self.title.data.strip(),
            location=self.location.data.strip(),
            volume=self.volume.data,
            unit=(self.unit.data or "").strip(),
            agency_id=self.agency_id.data,
            start_year=self.start_year.data,
            end_year=self.end_year.data,
            funding=[row.to_data() for row in live_rows(self.funding)],  # type: ignore[attr-defined]
        )

    @staticmethod
    def data_of(activity: Any) -> dict[str, Any]:
        return {
            **values_of(activity, *ACTIVITY_FIELDS),
            "funding": [values_of(f, "year", "source", "amount") for f in activity.funding],
        }


@cache
def activity_form_class(first_year: int, last_year: int) -> type[ActivityFormBase]:
    """The activity form of a plan period: years to choose are the years of the period."""
    years = _year_choices(range(first_year, last_year + 1))
    year_message = _l(
        "Choose a year between %(first)d and %(last)d.", first=first_year, last=last_year
    )

    def year_select(label: Any) -> SelectField:
        return SelectField(
            label,
            coerce=int,
            choices=years,
            validate_choice=False,
            validators=[ChoiceInList(year_message)],
        )

    row_class = type(
        f"FundingRow{first_year}_{last_year}", (FundingRowBase,), {"year": year_select(_l("Year"))}
    )
    return type(
        f"ActivityForm{first_year}_{last_year}",
        (ActivityFormBase,),
        {
            "start_year": year_select(_l("Start year")),
            "end_year": year_select(_l("End year")),
            "funding": FieldList(FormField(row_class), min_entries=1, max_entries=80),
        },
    )


class DeleteActivityForm(VersionedForm):
    """The delete button: CSRF and the plan version only."""

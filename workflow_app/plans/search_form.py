"""The plans list's search and filters, read from the query string (a GET changes nothing: no
CSRF). A value that is not valid is named next to its field and left out; the rest applies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import SearchField, SelectField
from wtforms.validators import Length, Optional, ValidationError

from ..forms_base import BaseForm
from ..number_fields import NumberField
from ..regions.models import Agency, Region
from .forms import PERIOD_YEAR
from .search import QUERY_MAX_LENGTH, Filters


class PlanSearchForm(BaseForm):
    class Meta:
        csrf = False

    q = SearchField(
        _l("Search"),
        validators=[Optional(), Length(max=QUERY_MAX_LENGTH)],
        render_kw={"placeholder": _l("Plan, region, activity, location, agency or sub-sector")},
    )
    # Offers the regions the user has plans in, but takes any region that exists: another
    # district's code narrows to nothing (the scope still holds) rather than being an error.
    region = SelectField(_l("Region"), choices=[], default="", validate_choice=False)
    # The product's number field: a year that cannot be read gets one message, not two.
    year = NumberField(_l("Year"), validators=[Optional()], kind=PERIOD_YEAR)
    agency = SelectField(_l("Agency (OPD)"), choices=[], default="")
    state = SelectField(_l("Status"), choices=[], default="")

    known_regions: set[str] = set()

    def validate_region(self, field: SelectField) -> None:
        if field.data and field.data not in self.known_regions:
            raise ValidationError(_l("There is no region with this code."))


def search_form(
    args: MultiDict[str, str],
    *,
    regions: Sequence[Region],
    known_regions: set[str],
    agencies: Sequence[Agency],
    states: Sequence[tuple[str, str]],
) -> PlanSearchForm:
    form = PlanSearchForm(formdata=args)
    form.region.choices = [("", _l("All regions"))] + [
        (region.code, f"{region.code} {region.name}") for region in regions
    ]
    form.known_regions = known_regions
    # Named with their region: every district has its "Dinas PUPR".
    form.agency.choices = [("", _l("All agencies"))] + [
        (str(agency.id), f"{agency.short_name} ({agency.region.name})") for agency in agencies
    ]
    form.state.choices = [("", _l("All statuses")), *states]
    return form


def read_filters(form: PlanSearchForm) -> tuple[Filters, bool]:
    """The filters to apply and whether all were valid."""
    valid = form.validate()

    def good(name: str) -> Any:
        field = form[name]
        return None if field.errors else field.data

    agency = good("agency")
    return (
        Filters(
            text=(good("q") or "").strip(),
            region_code=good("region") or None,
            year=good("year"),
            agency_id=int(agency) if agency else None,
            state=good("state") or None,
        ),
        valid,
    )

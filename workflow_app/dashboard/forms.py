"""The dashboard's filter: year, district, sub-sector, read from the query string (GET).

A GET filter changes nothing, so it carries no CSRF token; the choices are built per request
(the districts are those the user may see).
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from ..forms_base import BaseForm
from ..plans.forms import FIRST_YEAR, LAST_YEAR
from ..plans.vocabulary import SUB_SECTORS
from ..regions.models import Region
from .queries import Filters


class DashboardFilterForm(BaseForm):
    class Meta:
        csrf = False

    year = IntegerField(
        _l("Reporting year"), validators=[Optional(), NumberRange(FIRST_YEAR, LAST_YEAR)]
    )
    district = SelectField(_l("District"), choices=[], default="")
    sub_sector = SelectField(_l("Sub-sector"), choices=[], default="")


def filter_form(args: MultiDict[str, str], districts: Sequence[Region]) -> DashboardFilterForm:
    form = DashboardFilterForm(formdata=args)
    form.district.choices = [("", _l("All districts"))] + [
        (region.code, f"{region.code} {region.name}") for region in districts
    ]
    form.sub_sector.choices = [("", _l("All sub-sectors")), *SUB_SECTORS.items()]
    return form


def read_filters(form: DashboardFilterForm, default_year: int) -> tuple[Filters, bool]:
    """The filters to apply and whether all were valid. An invalid field is dropped (its
    error shown next to it) and the rest still applies, so the page stays useful."""
    valid = form.validate()
    year = form.year.data if not form.year.errors and form.year.data else default_year
    district = form.district.data if not form.district.errors else ""
    sub_sector = form.sub_sector.data if not form.sub_sector.errors else ""
    return Filters(year=year, region_code=district or None, sub_sector=sub_sector or None), valid

"""Admin pages for the regions (the province and its districts) and their agencies (OPD).

Region codes are Kemendagri codes and never change; only a region's name and seat can be
edited. An agency named by an activity cannot be removed: the plan would lose its owner.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ..accounts.models import User
from ..extensions import db
from ..plans.models import Activity
from ..regions.catalogue import PROVINCE
from ..regions.models import Agency, Region
from ..unit_of_work import unit_of_work
from .blueprint import blueprint
from .forms import ButtonForm
from .user_forms import AgencyForm, RegionForm
from .users import AdminRefused

# --- operations -------------------------------------------------------------------------


def update_region(actor: User, region: Region, name: str, seat: str | None) -> None:
    region.name = name.strip()
    region.seat = (seat or "").strip() or None


def _check_unique_short_name(region: Region, short_name: str, agency_id: int | None) -> None:
    query = select(Agency.id).where(
        Agency.region_id == region.id, func.lower(Agency.short_name) == short_name.lower()
    )
    if agency_id is not None:
        query = query.where(Agency.id != agency_id)
    if db.session.scalar(query) is not None:
        raise AdminRefused(
            _("This region already has an agency with this short name."), "short_name"
        )


def add_agency(actor: User, region: Region, short_name: str, name: str) -> Agency:
    short_name = short_name.strip()
    _check_unique_short_name(region, short_name, None)
    agency = Agency(region=region, short_name=short_name, name=name.strip())
    db.session.add(agency)
    db.session.flush()
    return agency


def update_agency(actor: User, agency: Agency, short_name: str, name: str) -> None:
    short_name = short_name.strip()
    _check_unique_short_name(agency.region, short_name, agency.id)
    agency.short_name = short_name
    agency.name = name.strip()


def activities_using(agency: Agency) -> int:
    return db.session.scalar(select(func.count(Activity.id)).where(Activity.agency_id == agency.id))


def remove_agency(actor: User, agency: Agency) -> None:
    used = activities_using(agency)
    if used:
        message = ngettext(
            "%(name)s cannot be removed: %(num)d activity names it as responsible agency.",
            "%(name)s cannot be removed: %(num)d activities name it as responsible agency.",
            used,
            name=agency.short_name,
        )
        raise AdminRefused(message, status=409)
    db.session.delete(agency)
    db.session.flush()


# --- reading ----------------------------------------------------------------------------


def all_regions() -> list[Region]:
    """The province first, then the districts by code."""
    regions = list(db.session.scalars(select(Region).order_by(Region.code)))
    return sorted(regions, key=lambda r: (not r.is_province, r.code))


def _region_or_404(code: str) -> Region:
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None:
        abort(404)
    return region


def _agency_or_404(agency_id: int) -> Agency:
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        abort(404)
    return agency


def _refuse_on_field(form: object, exc: AdminRefused) -> None:
    if exc.field:
        field = getattr(form, exc.field)
        field.errors = [*field.errors, exc.message]


# --- regions ----------------------------------------------------------------------------


@blueprint.get("/regions")
def regions() -> str:
    return render_template("admin/regions.html", regions=all_regions())


def _region_page(region: Region, form: RegionForm, status: int = 200) -> tuple[str, int]:
    return render_template("admin/regions_edit.html", region=region, form=form), status


@blueprint.get("/regions/<code>")
def edit_region(code: str) -> tuple[str, int]:
    region = _region_or_404(code)
    return _region_page(region, RegionForm(formdata=None, obj=region))


@blueprint.post("/regions/<code>")
def update_region_view(code: str) -> Response | tuple[str, int]:
    region = _region_or_404(code)
    form = RegionForm()
    if not form.validate():
        return _region_page(region, form, 400)
    with unit_of_work():
        update_region(current_user, region, form.name.data, form.seat.data)
    flash(_("Region %(code)s saved.", code=code), "success")
    return redirect(url_for("admin.regions"))


# --- agencies ---------------------------------------------------------------------------


def _agencies_page(
    region: Region, form: AgencyForm | None = None, status: int = 200, error: str | None = None
) -> tuple[str, int]:
    agencies = db.session.scalars(
        select(Agency).where(Agency.region_id == region.id).order_by(Agency.short_name)
    )
    page = render_template(
        "admin/agencies.html",
        region=region,
        regions=all_regions(),
        agencies=list(agencies),
        form=form or AgencyForm(formdata=None),
        button=ButtonForm(formdata=None),
        error=error,
    )
    return page, status


@blueprint.get("/agencies")
def agencies() -> tuple[str, int]:
    return _agencies_page(_region_or_404(request.args.get("region") or PROVINCE.code))


@blueprint.post("/agencies/<code>/new")
def add_agency_view(code: str) -> Response | tuple[str, int]:
    region = _region_or_404(code)
    form = AgencyForm()
    if not form.validate():
        return _agencies_page(region, form, 400)
    try:
        with unit_of_work():
            agency = add_agency(current_user, region, form.short_name.data, form.name.data)
    except AdminRefused as exc:
        _refuse_on_field(form, exc)
        return _agencies_page(region, form, exc.status)
    flash(_("Agency %(name)s added.", name=agency.short_name), "success")
    return redirect(url_for("admin.agencies", region=code))


def _agency_page(agency: Agency, form: AgencyForm, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "admin/agencies_edit.html", agency=agency, form=form, used=activities_using(agency)
    )
    return page, status


@blueprint.get("/agencies/<int:agency_id>")
def edit_agency(agency_id: int) -> tuple[str, int]:
    agency = _agency_or_404(agency_id)
    return _agency_page(agency, AgencyForm(formdata=None, obj=agency))


@blueprint.post("/agencies/<int:agency_id>")
def update_agency_view(agency_id: int) -> Response | tuple[str, int]:
    agency = _agency_or_404(agency_id)
    form = AgencyForm()
    if not form.validate():
        return _agency_page(agency, form, 400)
    try:
        with unit_of_work():
            update_agency(current_user, agency, form.short_name.data, form.name.data)
    except AdminRefused as exc:
        _refuse_on_field(form, exc)
        return _agency_page(agency, form, exc.status)
    flash(_("Agency %(name)s saved.", name=agency.short_name), "success")
    return redirect(url_for("admin.agencies", region=agency.region.code))


@blueprint.post("/agencies/<int:agency_id>/delete")
def remove_agency_view(agency_id: int) -> Response | tuple[str, int]:
    agency = _agency_or_404(agency_id)
    region, short_name = agency.region, agency.short_name
    try:
        with unit_of_work():
            remove_agency(current_user, agency)
    except AdminRefused as exc:
        return _agencies_page(region, status=exc.status, error=exc.message)
    flash(_("Agency %(name)s removed.", name=short_name), "success")
    return redirect(url_for("admin.agencies", region=region.code))

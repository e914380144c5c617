"""The provincial dashboard at /dashboard and its export at /dashboard/export.<fmt>.

For the provincial reviewer, the provincial head and admins (the whole province) and partners
(read-only: the published plans of their regions, verified reports); district roles get 403,
their own plan pages show their figures. Filters come from the query string; an invalid value
is named next to its field, left out, and the page answers 400.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from ..accounts.models import User
from ..engine.calendar import WITA
from ..extensions import login_manager
from ..models_base import utcnow
from ..plans.queries import state_options
from ..plans.vocabulary import FUNDING_SOURCES, SUB_SECTORS
from ..regions.models import Region
from ..spreadsheets.tabular import FORMATS, csv_dialect, download
from ..workflows import roles
from ..workspaces import register_workspace
from . import figures, scope
from .cache import cached, fragment_key
from .declared import declared_figures
from .forms import DashboardFilterForm, filter_form, read_filters
from .queries import (
    NATIONAL_TARGET,
    NATIONAL_TARGET_YEAR,
    Dashboard,
    Filters,
    build,
)
from .tables import TABLES, dashboard_sheets

blueprint = Blueprint("dashboard", __name__)

Page = str | tuple[str, int] | Response


@blueprint.app_template_global("can_open_dashboard")
def can_open_dashboard(user: User) -> bool:
    return bool(user.is_authenticated) and scope.may_open(user)


register_workspace("dashboard", "dashboard.index", can_open_dashboard)


@blueprint.before_request
def require_dashboard_role() -> object:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not scope.may_open(current_user):
        abort(403)
    return None


def _language() -> str:
    return str(get_locale() or "id")


def _filters(now: datetime) -> tuple[DashboardFilterForm, Filters, bool, list[Region]]:
    regions = scope.districts_of(current_user)
    form = filter_form(request.args, regions)
    filters, valid = read_filters(form, default_year=now.astimezone(WITA).year)
    return form, filters, valid, regions


def _load() -> tuple[DashboardFilterForm, Dashboard, bool]:
    now = utcnow()
    form, filters, valid, regions = _filters(now)
    return form, build(current_user, filters, now, regions), valid


def _partner_only() -> bool:
    return all(roles().published_only(g.role) for g in current_user.grants())


@blueprint.get("/dashboard")
def index() -> Page:
    now = utcnow()
    language = _language()

    def render_content() -> tuple[bool, str]:
        form, filters, valid, regions = _filters(now)
        data = build(current_user, filters, now, regions)
        sections = render_template(
            "dashboard/_sections.html",
            data=data,
            declared=declared_figures(current_user, filters, now, data.districts, language),
            states=state_options(language),
            partner_only=_partner_only(),
            sub_sectors=SUB_SECTORS,
            funding_sources=FUNDING_SOURCES,
            national_target=NATIONAL_TARGET,
            national_target_year=NATIONAL_TARGET_YEAR,
            figures=figures,
        )
        content = render_template(
            "dashboard/_content.html",
            form=form,
            sections=Markup(sections),  # our own rendered, escaped HTML
            partner_only=_partner_only(),
            export_args={k: v for k, v in request.args.items() if k in form.data},
        )
        return valid, content

    def key() -> str:
        query = (list(request.args.items(multi=True)), request.script_root)
        return fragment_key(current_user, query, language, now.astimezone(WITA).date())

    valid, content = cached(key, render_content)
    page = render_template("dashboard/index.html", content=Markup(content))
    return (page, 200) if valid else (page, 400)


@blueprint.get("/dashboard/export.<fmt>")
def export(fmt: str) -> Page:
    if fmt not in FORMATS:
        abort(404)
    dialect = csv_dialect()
    form, data, valid = _load()
    if not valid:
        problems = [
            f"{form[name].label.text}: {error}"
            for name, errs in form.errors.items()
            for error in errs
        ]
        return _bad_request(_("The filter is not valid."), problems)
    sheets = dashboard_sheets(data, state_options(_language()))
    chosen = list(sheets.values())
    if fmt == "csv":
        table = request.args.get("table", "")
        if table not in sheets:
            return _bad_request(
                _(
                    "A CSV file holds one table: choose it with table=, one of %(tables)s.",
                    tables=", ".join(TABLES),
                )
            )
        chosen = [sheets[table]]
    stem = f"dasbor-{data.filters.year}"
    if data.filters.region_code:
        stem += f"-{data.filters.region_code}"
    if fmt == "csv":
        stem += f"-{request.args['table']}"
    return download(chosen, fmt, stem, dialect)  # type: ignore[arg-type]


def _bad_request(message: str, details: list[str] | None = None) -> tuple[str, int]:
    page = render_template(
        "error.html", status=400, title=_("Bad request"), message=message, details=details or []
    )
    return page, 400

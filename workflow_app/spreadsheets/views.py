"""A plan as XLSX or CSV, its activity import (template, upload) and its printable page.

Export, template and print: anyone who may see the plan (everyone else gets 404). Import: the
district drafter while the plan is editable, through `operations.replace_activities`.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from ..engine import InvalidInput, NotAllowedFromState, StaleObject
from ..extensions import csrf
from ..models_base import utcnow
from ..plans import operations
from ..plans.case_views import Reply, actor
from ..plans.detail_page import trigger_labels_of_plan
from ..plans.editing import _editable_plan, _not_editable
from ..plans.models import ActionPlan
from ..plans.vocabulary import ACTIVITY_TYPES, FUNDING_SOURCES, SUB_SECTORS
from ..refusals import refusal_message
from ..unit_of_work import unit_of_work
from ..workflows import definition_of
from .activity_import import MAX_BYTES, FileRejected, RowError, RowsRejected, read_activities
from .case_export import case_download
from .forms import ImportForm
from .plan_export import filename_stem, plan_sheets
from .printing import funding_totals, signatures
from .tabular import XLSX_MIMETYPE
from .template import import_template, template_filename

blueprint = Blueprint("spreadsheets", __name__)

# Room for the form's other fields and the multipart framing around the workbook.
FORM_OVERHEAD = 64 * 1024


@blueprint.get("/plans/<int:plan_id>/export.<fmt>")
@login_required
def export(plan_id: int, fmt: str) -> Response:
    return case_download(plan_id, fmt, operations.load_visible_plan, plan_sheets, filename_stem)


@blueprint.get("/plans/<int:plan_id>/import-template.xlsx")
@login_required
def template(plan_id: int) -> Response:
    plan = operations.load_visible_plan(current_user, plan_id)
    response = Response(import_template(plan), mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{template_filename(plan)}"'
    return response


def _import_page(
    plan: ActionPlan,
    form: ImportForm,
    status: int = 200,
    message: str | None = None,
    errors: list[RowError] | None = None,
) -> tuple[str, int]:
    page = render_template(
        "spreadsheets/import.html",
        plan=plan,
        form=form,
        refusal=message,
        errors=errors or [],
        max_megabytes=MAX_BYTES // (1024 * 1024),
    )
    return page, status


# The form checks its own CSRF token (FlaskForm); exempt from the app-wide check only because
# that check reads the body before this view can set the upload limit.
@csrf.exempt
@blueprint.route("/plans/<int:plan_id>/import", methods=["GET", "POST"])
@login_required
def import_activities(plan_id: int) -> Reply:
    plan = _editable_plan(plan_id)
    if request.method != "POST":
        form = ImportForm(formdata=None, data={"version": plan.version})
        form.replaces_activities = bool(plan.activities)
        return _import_page(plan, form)
    request.max_content_length = MAX_BYTES + FORM_OVERHEAD
    try:
        form = ImportForm()
    except RequestEntityTooLarge:
        form = ImportForm(formdata=None, data={"version": plan.version})
        message = _("The file is larger than %(size)d MB.", size=MAX_BYTES // (1024 * 1024))
        return _import_page(plan, form, 413, message)
    form.replaces_activities = bool(plan.activities)
    if not form.validate():
        return _import_page(plan, form, 400)
    try:
        activities = read_activities(form.content(), plan)
    except FileRejected as exc:
        return _import_page(plan, form, 400, exc.message)
    except RowsRejected as exc:
        message = _("Some rows are invalid; nothing was imported. Correct them and try again.")
        return _import_page(plan, form, 400, message, exc.errors)
    try:
        with unit_of_work():
            operations.replace_activities(
                actor(), plan, expected_version=form.expected_version(), activities=activities
            )
    except StaleObject as exc:
        return _import_page(plan, form, 409, refusal_message(exc))
    except InvalidInput as exc:
        return _import_page(plan, form, 400, refusal_message(exc))
    except NotAllowedFromState:
        return _not_editable(plan)
    flash(
        ngettext(
            "%(num)d activity was imported.", "%(num)d activities were imported.", len(activities)
        ),
        "success",
    )
    return redirect(url_for("plans.detail", plan_id=plan.id), code=303)


@blueprint.get("/plans/<int:plan_id>/print")
@login_required
def print_plan(plan_id: int) -> str:
    plan = operations.load_visible_plan(current_user, plan_id)
    return render_template(
        "spreadsheets/print.html",
        plan=plan,
        definition=definition_of(plan),
        totals=funding_totals(plan),
        signatures=signatures(plan),
        trigger_labels=trigger_labels_of_plan(plan),
        sub_sectors=SUB_SECTORS,
        activity_types=ACTIVITY_TYPES,
        funding_sources=FUNDING_SOURCES,
        printed_at=utcnow(),
    )

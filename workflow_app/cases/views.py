"""The pages of every kind declared as data: its list with filters, a new case, the case page
(values, files, diagram, actions, history) and its edit form. One set of pages serves every
kind; what they show comes from the kind's `case:` block."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import policy
from ..engine import InvalidInput, TransitionRefused
from ..engine.case_spec import CaseSpec
from ..extensions import db
from ..forms_base import add_row, live_rows
from ..plans.case_views import (
    Page,
    Refusal,
    Reply,
    actor,
    confirm_get,
    language,
    page_actions,
    transition_post,
    trigger_labels,
)
from ..plans.confirmation import Confirmation, Described, register_confirmation
from ..refusals import refusal_details, refusal_message
from ..regions.models import Region
from ..subjects import CaseKind
from ..unit_of_work import unit_of_work
from ..uploads import path_of
from ..workflows import definition_of, registry
from . import operations
from .comments import comment_panel
from .forms import case_form_class, form_data
from .kinds import declared_kinds, spec_of
from .models import DeclaredCase
from .queries import list_cases
from .sign_off_page import sign_off_section
from .values import shown

blueprint = Blueprint("cases", __name__)


def _kind(name: str) -> CaseKind:
    for kind in declared_kinds():
        if kind.name == name:
            return kind
    abort(404)


def _latest_spec(kind: CaseKind) -> CaseSpec:
    spec = registry().latest(kind.workflow).case
    assert spec is not None
    return spec


def _load(kind: str) -> Any:
    def load(user: Any, case_id: int) -> DeclaredCase:
        return policy.find_visible(user, kind, case_id)

    return load


@blueprint.get("/cases/<kind>")
@login_required
def index(kind: str) -> Page:
    found = _kind(kind)
    spec = _latest_spec(found)
    definition = registry().latest(found.workflow)
    chosen = {name: request.args.get(name, "").strip() for name in spec.filters}
    region_code = request.args.get("region", "").strip()
    state = request.args.get("state", "").strip()
    cases = list_cases(current_user, kind, region_code or None, state or None, chosen)
    regions = db.session.scalars(select(Region).order_by(Region.code)).all()
    return render_template(
        "cases/index.html",
        language=language(),
        kind=found,
        definition=definition,
        spec=spec,
        cases=cases,
        regions=[r for r in regions if r.is_province == (spec.scope == "province")],
        states=[(name, s.label.get(language())) for name, s in definition.states.items()],
        selected_region=region_code,
        selected_state=state,
        chosen=chosen,
        may_open=bool(operations.creation_regions(current_user, kind)),
        shown=shown,
    )


def _form_page(
    case: DeclaredCase | None, kind: CaseKind, form: Any, status: int = 200, **extra: Any
) -> Page:
    spec = spec_of(case) if case is not None else _latest_spec(kind)
    return (
        render_template(
            "cases/form.html",
            language=language(),
            case=case,
            kind=kind,
            spec=spec,
            form=form,
            definition=definition_of(case) if case else registry().latest(kind.workflow),
            **extra,
        ),
        status,
    )


def _handle_rows(form: Any, spec: CaseSpec) -> bool:
    """An "add a row" button: a row added to its table; True if one was pressed."""
    for name, field in spec.fields.items():
        button = getattr(form, f"add_{name}", None)
        if field.type == "table" and button is not None and button.data:
            add_row(getattr(form, name))
            return True
    return False


def _typed(form: Any, spec: CaseSpec, names: list[str]) -> dict[str, Any]:
    typed: dict[str, Any] = {}
    for name in names:
        field = spec.fields[name]
        if field.type == "file":
            continue
        if field.type == "table":
            rows = live_rows(getattr(form, name))
            typed[name] = [
                {c.name: getattr(row, c.name).data for c in field.columns} for row in rows
            ]
        else:
            typed[name] = getattr(form, name).data
    return typed


def _files(spec: CaseSpec, names: list[str]) -> dict[str, Any]:
    return {n: request.files.get(n) for n in names if spec.fields[n].type == "file"}


@blueprint.route("/cases/<kind>/new", methods=["GET", "POST"])
@login_required
def new(kind: str) -> Reply:
    found = _kind(kind)
    spec = _latest_spec(found)
    regions = operations.creation_regions(current_user, kind)
    if not regions:
        abort(403)
    names = list(spec.fields)
    region = regions[0]
    if len(regions) > 1 and request.values.get("region"):
        region = next((r for r in regions if r.code == request.values["region"]), region)
    form = case_form_class(spec, names, region, language(), new=True)()
    if request.method == "GET":
        for name, field in spec.fields.items():
            if field.type == "table" and not getattr(form, name).entries:
                getattr(form, name).append_entry()
    if request.method == "POST" and _handle_rows(form, spec):
        return _form_page(None, found, form, regions=regions, region=region)
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return _form_page(None, found, form, status, regions=regions, region=region)
    try:
        with unit_of_work():
            case = operations.open_case(
                actor(), kind, region, _typed(form, spec, names), _files(spec, names)
            )
    except TransitionRefused as exc:
        return _form_page(
            None,
            found,
            form,
            exc.status,
            regions=regions,
            region=region,
            refusal=refusal_message(exc, plan=False),
        )
    flash(_("Created: %(title)s.", title=case.title), "success")
    return redirect(url_for("cases.detail", kind=kind, case_id=case.id), code=303)


def case_refusal(exc: TransitionRefused) -> Refusal:
    """A refusal in words that fit any kind of case (not an action plan's)."""
    return Refusal(exc.status, refusal_message(exc, plan=False), refusal_details(exc))


def _case_page(
    case: DeclaredCase,
    status: int = 200,
    refusal: Refusal | None = None,
    sent: Any = None,
    sign_off_form: Any = None,
) -> Page:
    definition = definition_of(case)
    kind = _kind(case.kind)
    actions = page_actions(case, refusal, sent)
    editable = operations.editable_fields(current_user, case)
    rounds = sign_off_section(current_user, case, sign_off_form)
    return (
        render_template(
            "cases/detail.html",
            language=language(),
            case=case,
            plan=case,  # the shared history and diagram partials name their case `plan`
            kind=kind,
            spec=spec_of(case),
            definition=definition,
            actions=actions,
            editable=editable,
            refusal=refusal,
            shown=shown,
            trigger_labels=trigger_labels(case, operations.OPENED, _("Created")),
            sign_off=rounds,
            comments=comment_panel(current_user, case),
        ),
        status,
    )


@blueprint.get("/cases/<kind>/<int:case_id>")
@login_required
def detail(kind: str, case_id: int) -> Page:
    _kind(kind)
    return _case_page(policy.find_visible(current_user, kind, case_id))


@blueprint.route("/cases/<kind>/<int:case_id>/edit", methods=["GET", "POST"])
@login_required
def edit(kind: str, case_id: int) -> Reply:
    found = _kind(kind)
    case = policy.find_visible(current_user, kind, case_id)
    names = operations.editable_fields(current_user, case)
    if not names:
        abort(403)
    spec = spec_of(case)
    form_class = case_form_class(spec, names, case.region, language(), new=False)
    if request.method == "GET":
        form = form_class(
            data=form_data(spec, case.values or {}, names) | {"version": case.version}
        )
    else:
        form = form_class()
    if request.method == "POST" and _handle_rows(form, spec):
        return _form_page(case, found, form)
    if not form.validate_on_submit():
        return _form_page(case, found, form, 400 if request.method == "POST" else 200)
    try:
        with unit_of_work():
            operations.save_values(
                actor(),
                case,
                _typed(form, spec, names),
                _files(spec, names),
                expected_version=form.expected_version(),
            )
    except InvalidInput as exc:
        return _form_page(case, found, form, exc.status, refusal=refusal_message(exc, plan=False))
    except TransitionRefused as exc:
        case = policy.find_visible(current_user, kind, case_id)
        return _form_page(case, found, form, exc.status, refusal=refusal_message(exc, plan=False))
    flash(_("Saved."), "success")
    return redirect(url_for("cases.detail", kind=kind, case_id=case_id), code=303)


@blueprint.post("/cases/<kind>/<int:case_id>/transition")
@login_required
def transition(kind: str, case_id: int) -> Reply:
    _kind(kind)
    return transition_post(
        case_id,
        _load(kind),
        _case_page,
        done=lambda state: _("Done: the case is now “%(state)s”.", state=state),
        back=url_for("cases.detail", kind=kind, case_id=case_id),
        refusal=case_refusal,
    )


@blueprint.get("/cases/<kind>/<int:case_id>/confirm/<trigger>")
@login_required
def confirm(kind: str, case_id: int, trigger: str) -> Page:
    _kind(kind)
    return confirm_get(case_id, trigger, _load(kind), _case_page, refusal=case_refusal)


register_confirmation(
    DeclaredCase,
    Confirmation(
        confirm_endpoint="cases.confirm",
        transition_endpoint="cases.transition",
        url_args=lambda case: {"kind": case.kind, "case_id": case.id},
        describe=lambda case: Described(
            title=case.title,
            region=case.region,
            page_url=url_for("cases.detail", kind=case.kind, case_id=case.id),
        ),
    ),
)


@blueprint.get("/cases/<kind>/<int:case_id>/files/<field>")
@login_required
def download(kind: str, case_id: int, field: str) -> Response:
    _kind(kind)
    case = policy.find_visible(current_user, kind, case_id)
    stored = (case.values or {}).get(field)
    declared = spec_of(case).fields.get(field)
    if declared is None or declared.type != "file" or not stored:
        abort(404)
    response = send_file(
        path_of(stored["stored"]),
        mimetype=stored["type"],
        as_attachment=True,
        download_name=stored["name"],
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

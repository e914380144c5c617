"""/admin/audit: the log of administrative acts, newest first, filtered by act, actor, the user
acted on and a range of WITA dates, a page at a time. Reading only: the log is written by the
operations themselves (audit/admin_log.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from ..accounts.models import User
from ..audit.admin_log import Action
from ..audit.admin_models import AdminAct
from ..engine.calendar import WITA
from ..extensions import db
from ..forms_base import BaseForm
from ..paging import count_of
from .blueprint import blueprint

PAGE_SIZE = 50
MAX_PAGE = 100_000
NAME_LENGTH = 80

ACTION_LABELS = {
    Action.ACCOUNT_CREATED: _l("Account created"),
    Action.ACCOUNT_EDITED: _l("Name or language changed"),
    Action.ACCOUNT_ENABLED: _l("Account enabled"),
    Action.ACCOUNT_DISABLED: _l("Account disabled"),
    Action.EMAIL_CHANGED: _l("Email changed"),
    Action.PASSWORD_SET: _l("Password set by an administrator"),
    Action.PASSWORD_CHANGED: _l("Password changed by its user"),
    Action.PASSWORD_RESET: _l("Password reset with an emailed link"),
    Action.ROLE_GRANTED: _l("Role granted"),
    Action.ROLE_REMOVED: _l("Role removed"),
    Action.CALENDAR_CHANGED: _l("Working-day calendar changed"),
    Action.DELEGATION_CREATED: _l("Delegation created"),
    Action.DELEGATION_ENDED: _l("Delegation ended"),
    Action.TOKEN_CREATED: _l("API token created"),
    Action.TOKEN_REVOKED: _l("API token revoked"),
    Action.WEBHOOK_CREATED: _l("Webhook registered"),
    Action.WEBHOOK_EDITED: _l("Webhook changed"),
    Action.WEBHOOK_ENABLED: _l("Webhook enabled"),
    Action.WEBHOOK_DISABLED: _l("Webhook disabled"),
    Action.WEBHOOK_SECRET_ROTATED: _l("Webhook secret replaced"),
    Action.WEBHOOK_DELIVERY_RETRIED: _l("Webhook delivery sent again"),
}


class AuditFilterForm(BaseForm):
    """The page's filter, read from the query string (a GET changes nothing: no CSRF)."""

    class Meta:
        csrf = False

    action = SelectField(_l("Act"), default="")
    actor = StringField(_l("Done by (username)"), validators=[Length(max=NAME_LENGTH)])
    target = StringField(_l("Done to (username)"), validators=[Length(max=NAME_LENGTH)])
    since = DateField(_l("From (date, WITA)"), validators=[Optional()])
    until = DateField(_l("To (date, WITA)"), validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(1, MAX_PAGE)])

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The last day cannot be before the first day."))


@dataclass(frozen=True)
class Filters:
    action: str = ""
    actor: str = ""
    target: str = ""
    since: date | None = None
    until: date | None = None


def filter_form() -> AuditFilterForm:
    form = AuditFilterForm(formdata=request.args)
    form.action.choices = [("", _l("Every act"))] + [
        (action.value, label) for action, label in ACTION_LABELS.items()
    ]
    return form


def read_filters(form: AuditFilterForm) -> tuple[Filters, int, bool]:
    """The filters, the page and whether all were valid. A field in error is left out (its
    error shown next to it) and the rest still applies."""
    valid = form.validate()

    def good(name: str) -> Any:
        field = form[name]
        return None if field.errors else field.data

    filters = Filters(
        action=good("action") or "",
        actor=(good("actor") or "").strip(),
        target=(good("target") or "").strip(),
        since=good("since"),
        until=good("until"),
    )
    return filters, good("page") or 1, valid


def _wita_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=WITA)


def acts_query(filters: Filters) -> Select[tuple[AdminAct]]:
    """The acts the filters select, newest first."""
    query = select(AdminAct)
    if filters.action:
        query = query.where(AdminAct.action == filters.action)
    if filters.actor:
        query = query.where(
            func.lower(AdminAct.actor_label).contains(filters.actor.lower(), autoescape=True)
        )
    if filters.target:
        query = query.where(
            AdminAct.target.has(
                func.lower(User.username).contains(filters.target.lower(), autoescape=True)
            )
        )
    if filters.since:
        query = query.where(AdminAct.created_at >= _wita_midnight(filters.since))
    if filters.until:
        query = query.where(AdminAct.created_at < _wita_midnight(filters.until + timedelta(1)))
    return query.order_by(AdminAct.id.desc())


def describe(details: dict[str, Any]) -> list[tuple[str, str]]:
    """An act's details as (name, text) pairs; a change reads "before → after"."""
    pairs = []
    for name, value in details.items():
        if isinstance(value, dict) and set(value) == {"from", "to"}:
            text = f"{value['from']} → {value['to']}"
        else:
            text = "" if value is None else str(value)
        pairs.append((name, text))
    return pairs


@blueprint.get("/audit")
def audit() -> tuple[str, int]:
    form = filter_form()
    filters, page, valid = read_filters(form)
    query = acts_query(filters)
    total = count_of(query)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    acts = db.session.scalars(
        query.options(selectinload(AdminAct.actor), selectinload(AdminAct.target))
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    kept = {k: v for k, v in request.args.items() if k in form.data and k != "page" and v}
    page_html = render_template(
        "admin/audit.html",
        form=form,
        acts=acts,
        total=total,
        page=page,
        pages=pages,
        kept=kept,
        action_label=lambda code: ACTION_LABELS.get(code, code),
        describe=describe,
    )
    return page_html, 200 if valid else 400

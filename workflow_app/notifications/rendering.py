"""An outbox row as an email: subject, text and HTML in the recipient's language.

One template set (`templates/emails/`), translated with gettext under the recipient's locale.
The facts come from the row's payload, frozen when the event happened; only the working days
left are counted at sending time, so a retried email still tells the truth.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale, get_locale, get_translations, ngettext
from flask_babel import gettext as _
from jinja2.ext import _make_new_gettext, _make_new_ngettext
from jinja2.filters import do_indent
from markupsafe import Markup, escape

from ..deadlines.calendar_store import current_calendar
from ..deadlines.display import due_status
from ..engine import Role, Scope, TransitionDef, WorkflowDefinition
from ..engine.calendar import WorkingCalendar
from ..engine.definition import DeadlineStep
from ..models_base import utcnow
from ..subjects import kind_named, load_case
from ..templating import wita_datetime
from ..workflows import covers, registry
from ..workflows import role_label as workflow_role_label
from .models import Notification

STEP_KINDS = ("reminder", "due", "escalation")
# An account's email, not a plan's: rendered by accounts/password_email.py.
PASSWORD_RESET = "password_reset"
# A report has just fallen due: not a transition (the report starts in its initial state).
REPORT_OPEN = "report_open"

# A role's label as the definitions declare it (the account pages import it from here).
role_label = workflow_role_label


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def email_kind(event: str) -> str:
    """The template family of an event: one per escalation step kind, one for a report that
    has just fallen due, one for transitions."""
    if event in STEP_KINDS:
        return event
    if event == PASSWORD_RESET:
        return PASSWORD_RESET
    return REPORT_OPEN if event == REPORT_OPEN else "transition"


def is_report(payload: dict[str, Any]) -> bool:
    """Whether the event concerns a progress report (its payload names one) or the plan."""
    return payload.get("report_id") is not None


def subject_phrase(payload: dict[str, Any]) -> str:
    """What the email is about, to go inside a sentence: 'the action plan of Tanah Laut'."""
    region = payload.get("region_name", "")
    if payload.get("case_title"):  # a kind declared as data: its case's own title
        return _("“%(title)s”", title=payload["case_title"])
    if is_report(payload):
        return _(
            "the %(quarter)s progress report of %(region)s",
            quarter=payload.get("quarter", ""),
            region=region,
        )
    return _("the action plan of %(region)s", region=region)


def language_of(notification: Notification) -> str:
    """The language an outbox row is written in: its recipient's, if the app offers it."""
    language = notification.language or current_app.config["BABEL_DEFAULT_LOCALE"]
    return language if language in current_app.config["LANGUAGES"] else "id"


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _recipient_roles(notification: Notification, scope: Scope | None) -> set[str]:
    """The roles the recipient holds for this plan (admin excluded: it covers everything)."""
    user = notification.recipient
    if user is None or scope is None:
        return set()
    return {g.role for g in user.grants() if g.role != Role.ADMIN and covers(g, scope)}


def _case_scope(notification: Notification) -> Scope | None:
    if notification.subject_kind is None or notification.subject_id is None:
        return None
    case = load_case(notification.subject_kind, notification.subject_id)
    return kind_named(notification.subject_kind).scope_of(case) if case is not None else None


def _state_label(definition: WorkflowDefinition, state: str | None, language: str) -> str:
    if not state:
        return ""
    known = definition.states.get(state)
    return known.label.get(language) if known else state


def _task(definition: WorkflowDefinition, state: str, language: str) -> str:
    """What the owner of `state` has to do there: the state's `task`, else a generic text."""
    known = definition.states.get(state)
    if known is not None and known.task is not None:
        return known.task.get(language)
    return _("act on the plan, now in “%(state)s”", state=_state_label(definition, state, language))


# Within `one_calendar()`: the calendar read once for a batch of emails (delivery.deliver_due).
_batch_calendar: ContextVar[list[WorkingCalendar] | None] = ContextVar(
    "email_batch_calendar", default=None
)


@contextmanager
def one_calendar() -> Iterator[None]:
    """Render the emails of a batch with one read of the calendar's overrides, not one each."""
    token = _batch_calendar.set([])
    try:
        yield
    finally:
        _batch_calendar.reset(token)


def _calendar() -> WorkingCalendar:
    kept = _batch_calendar.get()
    if kept is None:
        return current_calendar()
    if not kept:
        kept.append(current_calendar())
    return kept[0]


def time_left(due_at: datetime, now: datetime) -> str:
    """`3 working days left`, `today`, `overdue by 2 working days`: as the plan pages say it."""
    return due_status(due_at, now, _calendar()).text


def _definition(payload: dict[str, Any]) -> WorkflowDefinition | None:
    """The definition (name and version) the payload's case ran under, if still loaded."""
    try:
        return registry().get(payload["workflow"], int(payload["workflow_version"]))
    except (KeyError, TypeError, ValueError):
        return None


def _step_spec(
    definition: WorkflowDefinition | None, payload: dict[str, Any]
) -> DeadlineStep | None:
    """The deadline step an escalation email is about (None for a transition)."""
    if definition is None:
        return None
    if payload.get("sign_off"):  # a participant's reminder of their sign-off
        state = definition.states.get(payload.get("state", ""))
        sign_off = state.sign_off if state is not None else None
        return sign_off.step(payload.get("step", "")) if sign_off else None  # type: ignore[return-value]
    deadline = definition.deadlines.get(payload.get("state", ""))
    return deadline.step(payload.get("step", "")) if deadline else None


def _transition_fired(
    definition: WorkflowDefinition | None, payload: dict[str, Any]
) -> TransitionDef | None:
    """The transition a transition email is about: its trigger from the state it left."""
    if definition is None or not payload.get("trigger") or not payload.get("from_state"):
        return None
    return definition.transition_for(payload["trigger"], payload["from_state"])


def _step_notify(definition: WorkflowDefinition, payload: dict[str, Any]) -> tuple[str, ...]:
    """The roles an escalation step notifies (empty for a transition)."""
    spec = _step_spec(definition, payload)
    return spec.notify if spec else ()


def event_summary(event: str, payload: dict[str, Any], language: str) -> str:
    """What happened, in a few words, as the definition the case ran under words it: the
    fired transition's `summary`, the deadline step's `summary`, else a generic text. The end
    of an email's subject and its heading; the outbox page labels rows with it too."""
    definition = _definition(payload)
    kind = email_kind(event)
    if kind in STEP_KINDS:
        days = abs(int(payload.get("at_working_days") or 0))
        spec = _step_spec(definition, payload)
        if spec is not None and spec.summary is not None:
            return spec.summary.get(language).replace("{days}", str(days))
        if kind == "reminder":
            return ngettext(
                "reminder: due in %(num)d working day",
                "reminder: due in %(num)d working days",
                days,
            )
        if kind == "due":
            return _("deadline today")
        return ngettext("overdue by %(num)d working day", "overdue by %(num)d working days", days)
    if kind == REPORT_OPEN:
        return _("quarterly report due")
    transition = _transition_fired(definition, payload)
    if transition is not None and transition.summary is not None:
        return transition.summary.get(language)
    return _("plan updated")


def event_label(notification: Notification) -> str:
    """An outbox row's event in the current page language, for the administrator's lists."""
    if notification.event == PASSWORD_RESET:
        return notification.event
    locale = get_locale()
    language = locale.language if locale is not None else "id"
    return event_summary(notification.event, dict(notification.payload or {}), language)


def case_path(payload: dict[str, Any]) -> str | None:
    """The page of the case an email is about (None: an account's email). Rows written before
    the kinds of case gave their path named a plan or a report."""
    if payload.get("item_path"):
        return str(payload["item_path"])
    if is_report(payload):
        return f"/reports/{payload['report_id']}"
    return f"/plans/{payload['plan_id']}" if payload.get("plan_id") else None


def _item_url(base_url: str, payload: dict[str, Any], plan_url: str) -> str:
    path = case_path(payload)
    return f"{base_url}{path}" if path else plan_url


def email_context(notification: Notification, now: datetime) -> dict[str, Any]:
    """Everything the templates show, already in the recipient's language (call it under
    force_locale)."""
    payload = dict(notification.payload or {})
    language = language_of(notification)
    definition = registry().get(payload["workflow"], int(payload["workflow_version"]))
    state = payload.get("state", "")
    state_def = definition.states.get(state)
    roles = _recipient_roles(notification, _case_scope(notification))
    owner = state_def.owner if state_def is not None else ""
    must_act = state_def is not None and not state_def.final and owner in roles
    due_at = _moment(payload.get("due_at"))
    informed_as = [r for r in _step_notify(definition, payload) if r in roles and r != owner]
    recipient = notification.recipient
    base_url = current_app.config["BASE_URL"].rstrip("/")
    plan_url = f"{base_url}/plans/{payload.get('plan_id')}"
    about = subject_phrase(payload)
    comment = payload.get("comment") or ""
    return {
        "language": language,
        "kind": email_kind(notification.event),
        "event": notification.event,
        "outbox_id": notification.id,
        "recipient_name": str(recipient) if recipient is not None else notification.to_address,
        "region_name": payload.get("region_name", ""),
        "plan_title": payload.get("plan_title", ""),
        "period": payload.get("period", ""),
        "plan_url": plan_url,
        "is_report": is_report(payload),
        "quarter": payload.get("quarter", ""),
        "item_url": _item_url(base_url, payload, plan_url),
        "about": about,
        "About": about[:1].upper() + about[1:],
        "actor_name": payload.get("actor_name", ""),
        "from_label": _state_label(definition, payload.get("from_state"), language),
        "to_label": _state_label(definition, payload.get("to_state") or state, language),
        "state_label": _state_label(definition, state, language),
        "comment": comment,
        # The plain-text email quotes it indented: done here, as a value filled in is not
        # filtered by the template.
        "comment_indented": do_indent(comment, 4, first=True),
        "must_act": must_act,
        "task": _task(definition, state, language) if state_def and not state_def.final else "",
        "owner_label": role_label(owner, language) if owner else "",
        "due_text": wita_datetime(due_at) if due_at else "",
        "time_left": time_left(due_at, now) if due_at else "",
        "step_days": abs(int(payload.get("at_working_days") or 0)),
        "informed_as": ", ".join(role_label(r, language) for r in informed_as),
    }


def _email_tag(payload: dict[str, Any], language: str) -> str:
    """The subject's first word in brackets: the kind of case the email is about."""
    label = payload.get("case_label")
    if label:  # a kind declared as data: its label as its definition words it
        return f"[{label.get(language, label.get('id', ''))}]"
    return _("[Progress report]") if is_report(payload) else _("[Action plan]")


def subject_line(
    event: str, payload: dict[str, Any], language: str, what: str | None = None
) -> str:
    """An event's email subject, `[Action plan] Tanah Laut: submitted for review`, in
    `language` (call it under that locale): the app's notifications list shows the same.
    `what`: the event's summary, when the caller has it already."""
    what = event_summary(event, payload, language) if what is None else what
    region = payload.get("region_name", "")
    where = f"{region} {payload.get('quarter', '')}" if is_report(payload) else region
    return f"{_email_tag(payload, language)} {where}: {what}"


def tidy_text(text: str) -> str:
    """Template whitespace out of the plain-text body: no trailing spaces, one blank line."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


# The templates' gettext and ngettext bound to one language's translations (Jinja's own
# wrappers, as Flask-Babel installs them), so a `_()` in a template does not look the locale
# and its translations up again: two dozen lookups an email, a third of its rendering.
_bound_i18n: dict[int, tuple[object, dict[str, Any]]] = {}


def _template_i18n() -> dict[str, Any]:
    translations = get_translations()
    kept = _bound_i18n.get(id(translations))
    if kept is None or kept[0] is not translations:
        if len(_bound_i18n) > 16:  # a few languages: never more unless catalogues are remade
            _bound_i18n.clear()
        callables = {
            "gettext": _make_new_gettext(translations.ugettext),
            "ngettext": _make_new_ngettext(translations.ungettext),
        }
        kept = _bound_i18n[id(translations)] = (translations, callables)
    return kept[1]


def _render_afresh(name: str, context: dict[str, Any]) -> tuple[str, str]:
    environment = current_app.jinja_env
    values = {**context, **_template_i18n()}
    text = environment.get_template(f"emails/{name}.txt").render(values)
    html = environment.get_template(f"emails/{name}.html").render(values)
    return text, html


# An email's text and HTML as rendered once per template, language and shape (the values the
# templates test or count with), with a placeholder in each value's place: the frame, the
# labels, the footers and the sentences around the values are the same in every email of that
# shape, and filling the values in costs a fraction of rendering them.
_SLOT = "\ue000{}\ue000"  # a private-use character: no template text or escape makes it
_SLOTS = re.compile("\ue000([A-Za-z_][A-Za-z0-9_]*)\ue000")
_PARTS_LIMIT = 1024  # shapes are few (templates × languages × branches): a bound, not a size


@dataclass(frozen=True, slots=True)
class _KeptText:
    form: str  # the rendered text as a format string: `{name}` for each value, braces doubled
    slots: frozenset[str]  # the values it holds (one may stand in several places)

    @classmethod
    def of(cls, rendered: str) -> _KeptText:
        split = _SLOTS.split(rendered)
        pieces = [piece.replace("{", "{{").replace("}", "}}") for piece in split[0::2]]
        form = "".join(
            piece + (f"{{{slot}}}" if index < len(split) // 2 else "")
            for index, (piece, slot) in enumerate(zip(pieces, [*split[1::2], ""], strict=True))
        )
        return cls(form, frozenset(split[1::2]))

    def fill(self, values: dict[str, Any], escaped: bool) -> str:
        """The text with the values in, each escaped once however often it stands there."""
        return self.form.format_map(
            {slot: str(escape(values[slot]) if escaped else values[slot]) for slot in self.slots}
        )


def _slotted(value: object) -> bool:
    """Whether a value can stand as a placeholder: a truthy string or number (a falsy one is
    rendered as itself, so a template may test it; a list is iterated, so the email is
    rendered afresh)."""
    return bool(value) and isinstance(value, str | int) and not isinstance(value, bool)


def _parts_key(name: str, context: dict[str, Any], keyed: Collection[str]) -> tuple[Any, ...]:
    shape = tuple(
        (key, True if key not in keyed and _slotted(value) else value)
        for key, value in sorted(context.items())
    )
    return (name, str(get_locale() or "id"), shape)


def _kept_parts(
    name: str, context: dict[str, Any], keyed: Collection[str]
) -> tuple[_KeptText, _KeptText]:
    parts: dict[tuple[Any, ...], tuple[_KeptText, _KeptText]] = current_app.extensions.setdefault(
        "email_parts", {}
    )
    key = _parts_key(name, context, keyed)
    found = parts.get(key)
    if found is None:
        given = {
            slot: Markup(_SLOT.format(slot)) if slot not in keyed and _slotted(value) else value
            for slot, value in context.items()
        }
        text, html = _render_afresh(name, given)
        found = (_KeptText.of(text), _KeptText.of(html))
        if len(parts) >= _PARTS_LIMIT:
            parts.clear()
        parts[key] = found
    return found


def render_email_templates(
    name: str, context: dict[str, Any], keyed: Collection[str] = ()
) -> tuple[str, str]:
    """`emails/<name>.txt` and `.html` under the current locale (call it under
    force_locale). The templates use no context processor's value: rendered without them
    and without Flask's render signals, straight from the app's Jinja environment.
    `keyed`: the values the templates use other than print (a count for a plural, a value
    compared): part of the shape, never a placeholder. The others are filled into the parts
    kept for the shape, escaped in HTML as the template would; a context holding a list (the
    digest's events) is rendered afresh."""
    values_only = all(isinstance(value, str | int | None) for value in context.values())
    if current_app.jinja_env.auto_reload or not values_only:
        # Templates read again when edited (debug): a kept part would outlive its source.
        return _render_afresh(name, context)
    text, html = _kept_parts(name, context, keyed)
    return text.fill(context, escaped=False), html.fill(context, escaped=True)


# The values of an event's email its templates use other than print: `kind` is compared, the
# days are counted in a plural.
EMAIL_KEYED = frozenset({"kind", "step_days"})


# Events that are not a case's: their feature renders them (accounts: the password reset).
_renderers: dict[str, Callable[[Notification], RenderedEmail]] = {}


def register_renderer(
    event: str,
) -> Callable[[Callable[[Notification], RenderedEmail]], Callable[[Notification], RenderedEmail]]:
    def register(render: Callable[[Notification], RenderedEmail]) -> Callable[..., RenderedEmail]:
        _renderers[event] = render
        return render

    return register


def render_notification(notification: Notification, now: datetime | None = None) -> RenderedEmail:
    """The email for one outbox row, in the recipient's language."""
    own = _renderers.get(notification.event)
    if own is not None:
        return own(notification)
    now = now or utcnow()
    with force_locale(language_of(notification)):
        context = email_context(notification, now)
        kind = context["kind"]
        payload = notification.payload or {}
        what = event_summary(notification.event, payload, context["language"])
        subject = subject_line(notification.event, payload, context["language"], what)
        headline = what[:1].upper() + what[1:]
        text, html = render_email_templates(
            kind, {"subject": subject, "headline": headline, **context}, EMAIL_KEYED
        )
    return RenderedEmail(subject=subject, text=tidy_text(text), html=html)

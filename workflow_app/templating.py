"""Template filters and globals: WITA dates, Rupiah, state labels and badge tones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Protocol

from babel.core import Locale
from babel.dates import get_month_names
from babel.numbers import format_decimal
from babel.support import NullTranslations
from flask import Flask, g, url_for
from flask_babel import format_date, get_locale, get_translations
from markupsafe import Markup, escape

from .engine.calendar import WITA
from .workflows import definition_of


def page_locale() -> Locale | None:
    """flask_babel.get_locale(), read where flask_babel keeps it once it has selected it (the
    request's babel namespace in `g`, which force_locale and refresh set and reset): its own
    lookup costs three reads of the request's context per call, and a plan page asks ~150
    times. Falls back to get_locale() whenever it has not selected one yet."""
    try:
        locale = g._get_current_object()._flask_babel.babel_locale
    except (RuntimeError, AttributeError):  # outside a request, or not selected yet
        return get_locale()
    return locale if locale is not None else get_locale()


# Each request selects a Locale object of its own; its name (~2 µs) is kept by identity, the
# object pinned beside it so that its id is not reused while the entry lives.
_LOCALE_NAMES: dict[int, tuple[Locale, str]] = {}


def page_language() -> str:
    """str(get_locale() or "id"): the interface language's code."""
    locale = page_locale()
    if locale is None:
        return "id"
    found = _LOCALE_NAMES.get(id(locale))
    if found is None or found[0] is not locale:
        if len(_LOCALE_NAMES) >= 64:
            _LOCALE_NAMES.clear()
        found = _LOCALE_NAMES[id(locale)] = (locale, str(locale))
    return found[1]


# Babel's formatting depends only on the value, the pattern and the locale, and costs ~40 µs a
# call: a plan page formats ~50 numbers, most of them the same few. Keyed by the value's type
# and exact text (Decimal("1.50") == Decimal("1.5") must not share an entry), rebuilt from it.
@lru_cache(maxsize=4096)
def _formatted(kind: type, text: str, locale: str, group_separator: bool) -> str:
    return format_decimal(kind(text), locale=locale, group_separator=group_separator)


def _format_decimal(value: Decimal | int | float, locale: str, group_separator: bool) -> str:
    kind = type(value)
    if kind not in (int, float, Decimal):  # anything else: as Babel takes it, uncached
        return format_decimal(value, locale=locale, group_separator=group_separator)
    return _formatted(kind, repr(value) if kind is float else str(value), locale, group_separator)


def rupiah(amount: int | None) -> str:
    """Whole Rupiah as `Rp1.500.000` (dot for thousands, no space)."""
    if amount is None:
        return ""
    return "Rp" + _format_decimal(amount, "id", True)


def number(value: Decimal | int | float | None) -> str:
    if value is None:
        return ""
    return _format_decimal(value, page_language(), True)


@lru_cache(maxsize=8)
def _month_names(locale: str) -> dict[int, str]:
    return dict(get_month_names("wide", locale=locale))


def wita_datetime(value: datetime | None, locale: str | None = None) -> str:
    """`5 Februari 2026 14.30 WITA`: the stored UTC instant shown in Asia/Makassar.

    The CLDR pattern "d MMMM y HH.mm" written out by hand with CLDR's month names: lists of
    deadlines call this hundreds of times per page, and Babel's formatter costs ten times more.
    A list passes the page's `locale` (current_locale()) read once, not once per row.
    """
    if value is None:
        return ""
    local = value.astimezone(WITA)
    month = _month_names(locale or page_language())[local.month]
    return f"{local.day} {month} {local.year} {local:%H.%M} WITA"


def long_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return format_date(value, "d MMMM y")


def state_label(subject: object, state: str | None = None) -> str:
    """The label of `state` (default: the subject's current state) in the interface language."""
    definition = definition_of(subject)
    name = state or subject.state  # type: ignore[attr-defined]
    return definition.states[name].label.get(page_language())


# A state's badge is the same HTML on every row in that state: built once per (definition,
# state, language); the definition is kept by identity (pinned with the badge) so a
# reloaded definition gets badges of its own.
_BADGE = Markup('<span class="badge tone-{}" data-state="{}">{}</span>')
_BADGES: dict[tuple[int, str, str], tuple[object, Markup]] = {}


def state_badge(subject: object, locale: str | None = None) -> Markup:
    """The state badge of `_macros.html` (the macro calls this): the state's label, coloured
    by its tone (`state_tone`), in `locale` (default: the interface language)."""
    definition = definition_of(subject)
    name: str = subject.state  # type: ignore[attr-defined]
    language = locale or page_language()
    key = (id(definition), name, language)
    found = _BADGES.get(key)
    if found is None or found[0] is not definition:
        label = definition.states[name].label.get(language)
        found = _BADGES[key] = (definition, _BADGE.format(state_tone(subject), name, label))
        if len(_BADGES) > 1024:  # only after definitions were reloaded many times over
            _BADGES.clear()
    return found[1]


class _Due(Protocol):  # deadlines.display.DueStatus (a layer this module may not import)
    status: str
    due_at: datetime
    due_at_wita: datetime
    signed_days: int

    def text_in(self, language: str) -> str: ...


def due_cell(due: _Due, locale: str, between: str) -> Markup:
    """A deadline as the task lists show it: the due time in WITA and the working days left,
    `between` them (markup: a line break or a space); what the lists wrote inline, in one go.
    Every text is escaped as autoescape would (`escape` of a plain string)."""
    return Markup(
        f'<span class="due due-{escape(due.status)}" data-working-days="{due.signed_days:d}">'
        f'<time datetime="{escape(due.due_at_wita.isoformat())}">'
        f"{escape(wita_datetime(due.due_at, locale))}</time>{between}"
        f'<strong class="due-left">{escape(due.text_in(locale))}</strong></span>'
    )


def state_tone(subject: object, state: str | None = None) -> str:
    """The tone of a state's badge (the CSS class `tone-<tone>`), from what its definition
    declares it to be, never from its name: the first rule that matches picks it.

    ended: tagged `cancelled`, or final (unless published and `reported`: a verified report's
    figures stay in use) · agreed: published · due: the initial state with a deadline (a report
    owed by a date) · start: the initial state without one (a draft) · rework: editable again
    after the start (returned to its drafter) · review: waiting on someone else's decision.
    """
    definition = definition_of(subject)
    name = state or subject.state  # type: ignore[attr-defined]
    declared = definition.states[name]
    if declared.has("cancelled"):
        return "ended"
    if declared.final:
        return "agreed" if declared.published and declared.has("reported") else "ended"
    if declared.published:
        return "agreed"
    if name == definition.initial:
        return "due" if name in definition.deadlines else "start"
    if declared.editable:
        return "rework"
    return "review"


# An id no row has, put where the row's id goes in `row_link`'s URL and split around.
_LINK_PROBE = "2147480001"


def row_link(endpoint: str, key: str, **values: object) -> Callable[[int], str]:
    """`url_for(endpoint, **{key: id}, **values)` for the many rows of a list, built once:
    the URL is built with a probe id and split around it (the rule's int converter writes any
    id as its digits), so each row costs a concatenation instead of a route build."""
    head, tail = url_for(endpoint, **{key: int(_LINK_PROBE)}, **values).split(_LINK_PROBE, 1)

    def link(row_id: int) -> str:
        return f"{head}{int(row_id)}{tail}"

    return link


def _page_translations() -> NullTranslations:
    """flask_babel's translations for this request's locale, looked up once per locale: its
    own lookup, per `_()` in a template (~50 a page), costs three reads of its context and the
    locale's name. Keyed by the locale object itself, which force_locale and refresh replace."""
    locale = page_locale()
    try:
        held = g.get("_page_translations")
    except RuntimeError:  # outside an app context: flask_babel's own answer
        return get_translations()
    if held is None or held[0] is not locale:
        held = (locale, get_translations())
        g._page_translations = held
    return held[1]


def page_gettext(string: str, **variables: object) -> str:
    """flask_babel.gettext through the lookup above, for code that builds a page's texts."""
    text = _page_translations().ugettext(string)
    return text % variables if variables else text


def _template_gettext(string: str) -> str:
    return _page_translations().ugettext(string)


def _template_ngettext(singular: str, plural: str, n: int) -> str:
    return _page_translations().ungettext(singular, plural, n)


def init_templating(app: Flask) -> None:
    # Flask-Babel's own callables, newstyle as it installs them, with the lookup above.
    app.jinja_env.install_gettext_callables(
        gettext=_template_gettext, ngettext=_template_ngettext, newstyle=True
    )
    app.add_template_filter(rupiah)
    app.add_template_filter(number)
    app.add_template_filter(wita_datetime)
    app.add_template_filter(long_date)
    app.add_template_global(state_label)
    app.add_template_global(state_tone)
    app.add_template_global(row_link)
    app.add_template_global(state_badge, name="state_badge_html")
    app.add_template_global(due_cell)
    app.add_template_global(page_language, name="current_locale")

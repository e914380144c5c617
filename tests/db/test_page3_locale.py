"""The plan page reads the interface language where flask_babel keeps it once selected
(templating.page_locale) instead of through flask_babel's lookup (three reads of the request's
context each, ~180 a page before), and translates the closed lists' names once per language;
page_locale answers what flask_babel.get_locale answers, force_locale and refresh included."""

from __future__ import annotations

from decimal import Decimal

import flask_babel
import pytest
from flask import Flask
from flask_babel import force_locale, get_locale, refresh

from workflow_app.plans.detail_page import vocabularies
from workflow_app.plans.vocabulary import SUB_SECTORS
from workflow_app.templating import page_gettext, page_language, page_locale

from .. import factories
from ..conftest import signed_in


def _babel_context_reads(app: Flask, monkeypatch: pytest.MonkeyPatch, url: str) -> int:
    """How many times a GET of `url` read flask_babel's per-request context."""
    client = signed_in(app, "provincial.63")
    with app.app_context():
        assert client.get(url).status_code == 200  # warm: kept shell parts, workflow section
    reads = 0
    original = flask_babel._get_current_context

    def counted() -> object:
        nonlocal reads
        reads += 1
        return original()

    # get_locale, get_domain and get_translations call it by this module-level name.
    monkeypatch.setattr(flask_babel, "_get_current_context", counted)
    with app.app_context():
        page = client.get(url, headers={"Accept-Language": "en"})
    monkeypatch.setattr(flask_babel, "_get_current_context", original)
    assert page.status_code == 200
    assert b'id="realisation"' in page.data
    return reads


def test_a_monitored_plans_page_reads_the_locale_a_few_times_not_once_per_text(
    app_ctx: Flask, users: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan, _report = factories.reported_plan(
        users, figures=((Decimal(45), 540_000_000), (Decimal(20), 30_000_000)), hygiene_budget=10**8
    )

    reads = _babel_context_reads(app_ctx, monkeypatch, f"/plans/{plan.id}")

    # Selecting the locale, the translations once, and what other modules of the page (the
    # shell, the actions, deadlines) still ask flask_babel: 27 (179 before).
    assert reads <= 40


def test_page_locale_is_flask_babels_locale_through_force_locale_and_refresh(
    app_ctx: Flask,
) -> None:
    with app_ctx.test_request_context(headers={"Accept-Language": "en"}):
        assert page_locale() is get_locale()
        assert page_language() == "en"
        with force_locale("id"):
            assert page_locale() is get_locale()
            assert page_language() == "id"
            assert page_gettext("Target") == flask_babel.gettext("Target")
        assert page_language() == "en"
        assert page_gettext("Target") == flask_babel.gettext("Target") == "Target"
        refresh()
        assert page_locale() is get_locale()
        assert page_language() == "en"
    with app_ctx.app_context():  # no request: flask_babel's answers
        assert page_locale() == get_locale()
        assert page_language() == str(get_locale() or "id")


def test_the_closed_lists_are_translated_once_per_language(app_ctx: Flask) -> None:
    for language in ("en", "id"):
        with app_ctx.test_request_context(headers={"Accept-Language": language}):
            sub_sectors, _types, _sources = vocabularies(language)
            assert vocabularies(language)[0] is sub_sectors
            assert {key: str(name) for key, name in sub_sectors.items()} == {
                key: str(name) for key, name in SUB_SECTORS.items()
            }

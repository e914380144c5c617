"""The plan page's second round of cuts, each guarded by a count: the review round is counted
from the history the page already loads (no count(*) of it), and numbers and Rupiah amounts
are formatted by Babel once per value and language, with Babel's own text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import inspect, select

from workflow_app import templating
from workflow_app.accounts.models import User
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.detail_page import load_visible_page_plan
from workflow_app.plans.models import ActionPlan
from workflow_app.reviews import operations as review_ops

from .. import factories
from ..conftest import signed_in
from ..statements import recorded_statements


def _twice_submitted(users: dict) -> int:
    plan = factories.plan_in_state(users, "returned")
    ops.transition(users["drafter"], plan, "submit")
    db.session.commit()
    return plan.id


def test_the_round_is_counted_from_the_loaded_history_without_a_statement(
    app_ctx: Flask, users: dict
) -> None:
    plan_id, drafter_id = _twice_submitted(users), users["drafter"].id
    db.session.expunge_all()
    plan = db.session.scalar(select(ActionPlan).where(ActionPlan.id == plan_id))
    assert "history" in inspect(plan).unloaded
    with recorded_statements() as counting:
        counted = review_ops.submission_count(plan)  # history not loaded: one count(*)
    assert (counted, len(counting)) == (2, 1)

    db.session.expunge_all()
    page_plan = load_visible_page_plan(db.session.get(User, drafter_id), plan_id)
    with recorded_statements() as loaded:
        from_history = review_ops.submission_count(page_plan)
    assert (from_history, loaded) == (2, [])


def test_the_plan_page_sends_no_count_of_the_history(app_ctx: Flask, users: dict) -> None:
    plan_id = _twice_submitted(users)
    client = signed_in(app_ctx, "reviewer.6301")
    with app_ctx.app_context():
        assert client.get(f"/plans/{plan_id}").status_code == 200  # warm the caches
        with recorded_statements() as statements:
            assert client.get(f"/plans/{plan_id}").status_code == 200
    counts = [s for s in statements if "count(" in s.lower() and "plan_transition" in s]
    assert counts == []


VALUES = [0, 7, -5, 1_500_000, 10**20, Decimal("1.50"), Decimal("1.5"), Decimal("1E+3")]
VALUES += [Decimal("0.0005"), Decimal("12345.6789"), Decimal("-0"), 0.1, 1.0, 2.5e10, 1 / 3]


@pytest.mark.parametrize("locale", ["id", "en"])
def test_numbers_read_as_babel_writes_them(app_ctx: Flask, locale: str) -> None:
    with app_ctx.test_request_context(), force_locale(locale):
        for value in VALUES * 2:  # the second time from the cache
            assert templating.number(value) == format_decimal(value, locale=locale)
            if isinstance(value, int):
                expected = "Rp" + format_decimal(value, locale="id", group_separator=True)
                assert templating.rupiah(value) == expected


def test_babel_formats_a_value_once_per_language(
    app_ctx: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    real = templating.format_decimal

    def counted(value: object, **kwargs: object) -> str:
        calls.append(value)
        return real(value, **kwargs)

    monkeypatch.setattr(templating, "format_decimal", counted)
    templating._formatted.cache_clear()
    for _ in range(3):
        templating.rupiah(1_500_000)
        templating.rupiah(2_000)
        templating._format_decimal(Decimal("1.50"), "en", True)
        templating._format_decimal(Decimal("1.5"), "en", True)  # equal, but its own text
    templating._format_decimal(Decimal("1.50"), "id", True)  # another language
    assert len(calls) == 5


def _snapshot_reads(app: Flask, plan_id: int) -> int:
    client = signed_in(app, "reviewer.6301")
    with app.app_context():
        assert client.get(f"/plans/{plan_id}").status_code == 200  # warm the caches
        with recorded_statements() as statements:
            assert client.get(f"/plans/{plan_id}").status_code == 200
    return sum(1 for s in statements if "FROM plan_snapshot" in s)


def test_the_snapshots_are_read_only_from_the_second_submission_on(
    app_ctx: Flask, users: dict
) -> None:
    once = factories.plan_in_state(users, "district_review").id
    twice = _twice_submitted(users)
    assert (_snapshot_reads(app_ctx, once), _snapshot_reads(app_ctx, twice)) == (0, 1)


def test_a_template_looks_its_translations_up_once_per_locale(
    app_ctx: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups: list[str] = []
    real = templating.get_translations

    def counted() -> object:
        lookups.append(str(templating.get_locale()))
        return real()

    monkeypatch.setattr(templating, "get_translations", counted)
    template = app_ctx.jinja_env.from_string("{{ _('Save') }}|{{ _('Save') }}|{{ _('Cancel') }}")
    with app_ctx.test_request_context():
        with force_locale("en"):
            english = template.render()
        with force_locale("id"):
            indonesian = template.render()
            again = template.render()
        with force_locale("en"):
            english_again = template.render()
    assert english == english_again == "Save|Save|Cancel"
    assert indonesian == again != english  # the locale switch is seen
    assert lookups == ["en", "id", "en"]

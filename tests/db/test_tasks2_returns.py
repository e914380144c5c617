"""My tasks for a drafter, counted: the returns of the list read in one statement (the returning
user's roles not loaded), the offer to create a plan in one, the "returned by" note written
in Python (no template rendered per returned plan, the markup as the template wrote it), and a
resubmitted plan's follow-up reading no comments when given them."""

# ruff: noqa: E501 -- the template below is kept as it was.
from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale
from jinja2 import Template

from tests import factories
from tests.conftest import signed_in
from tests.statements import recorded_statements
from workflow_app.accounts.models import User
from workflow_app.extensions import db
from workflow_app.plans import access
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.plans.task_rows import _returned
from workflow_app.reviews import returns
from workflow_app.reviews.operations import add_comment, comments_of

# templates/plans/_task_returned.html, which the rows included before they wrote it.
RETURNED = """{# Why a plan on "My tasks" came back: who returned it (acting for whom), when, the reason.
   Expects `plan` and `returned` (its pending return, a history row). #}
{% set who = _("%(actor)s on behalf of %(principal)s", actor=returned.actor.full_name, principal=returned.acting_for.full_name) if returned.acting_for else returned.actor.full_name %}
<div class="task-returned" id="task-returned-{{ plan.id }}">
  <small>{{ _("Returned by %(who)s, %(when)s:", who=who, when=returned.created_at | wita_datetime) }}</small>
  {% if returned.comment %}<q class="comment returned-comment">{{ returned.comment | truncate(200) }}</q>{% endif %}
</div>
"""


def _fresh(plans: list[ActionPlan]) -> list[ActionPlan]:
    """The plans again in a new session: nothing of their history or people loaded."""
    ids = [plan.id for plan in plans]
    db.session.remove()
    return [db.session.get(ActionPlan, plan_id) for plan_id in ids]


def test_the_returns_of_a_list_are_one_statement_with_who_returned_them(
    app_ctx: Flask, users: dict
) -> None:
    """Before: a second statement loaded the returning user's roles (selectin), which the
    list never shows."""
    name = users["reviewer"].full_name
    plans = _fresh([factories.plan_in_state(users, "returned") for _ in range(2)])
    with recorded_statements() as statements:
        found = returns.pending_returns(plans)
        names = {row.actor.full_name for row in found.values()}
    assert len(found) == 2 and names == {name}
    assert len(statements) == 1
    # The roles still load when asked for.
    assert [role.role for role in next(iter(found.values())).actor.roles] == ["district_reviewer"]


@pytest.mark.parametrize("acting", [False, True])
def test_the_returned_note_is_the_templates_markup_in_both_languages(
    app_ctx: Flask, users: dict, acting: bool
) -> None:
    """Names and a reason with markup, a reason over 200 characters, acting for someone (a
    history row is never changed: the return is copied with the principal and reason)."""
    plan = factories.plan_in_state(users, "returned")
    users["reviewer"].full_name = "Rev <i>O'Neil</i> & Co"
    db.session.commit()
    stored = returns.pending_return(plan)
    assert stored is not None and stored.comment
    row = SimpleNamespace(
        actor=stored.actor,
        acting_for=users["head"] if acting else None,
        created_at=stored.created_at,
        comment='Lengkapi <b>"baseline"</b> & ' + "sangat panjang " * 20
        if acting
        else stored.comment,
    )
    for language in ("id", "en"):
        with app_ctx.test_request_context(), force_locale(language):
            expected = render_template_string(RETURNED, plan=plan, returned=row)
            assert _returned(plan, row, language) == expected
            assert "&lt;i&gt;" in expected and ("..." in expected) == acting


def test_my_tasks_renders_no_template_per_returned_plan(
    app_ctx: Flask, users: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: plans/_task_returned.html rendered once per returned plan."""
    factories.plan_in_state(users, "returned")
    client = signed_in(app_ctx, "drafter.6301")
    renders: list[object] = []
    original = Template.render

    def counted(self: Template, *args: object, **kwargs: object) -> str:
        renders.append(self.name)
        return original(self, *args, **kwargs)

    def page() -> tuple[int, int]:
        client.get("/tasks")  # warm
        renders.clear()
        monkeypatch.setattr(Template, "render", counted)
        text = client.get("/tasks").get_data(as_text=True)
        monkeypatch.undo()
        return text.count('class="task-returned"'), len(renders)

    one, few = page()
    for period in ((2031, 2035), (2036, 2040)):
        factories.plan_in_state(users, "returned", period=period)
    three, many = page()
    assert (one, three) == (1, 3)
    assert many == few


def test_the_offer_to_create_a_plan_is_one_statement(app_ctx: Flask, users: dict) -> None:
    """Before: the regions, then a second statement for the live plans among them."""
    drafter: User = users["drafter"]

    def offered() -> tuple[list[str], int]:
        drafter.grants()  # the login loader has these loaded on a page
        with recorded_statements() as statements:
            codes = [region.code for region in access.regions_without_a_plan(drafter)]
        return codes, len(statements)

    assert offered() == (["6301"], 1)
    plan = factories.plan_in_state(users, "draft")
    assert offered() == ([], 1)
    ops.transition(drafter, plan, "withdraw")
    db.session.commit()
    assert offered() == (["6301"], 1)
    assert [r.code for r in access.creation_regions(drafter)] == ["6301"]


def test_a_resubmitted_plans_follow_up_reads_no_comments_when_given_them(
    app_ctx: Flask, users: dict
) -> None:
    plan = factories.plan_in_state(users, "district_review")
    add_comment(users["reviewer"], plan, "plan", None, "Target tahunan belum diisi")
    ops.transition(users["reviewer"], plan, "return", comment="Lengkapi target")
    ops.transition(users["drafter"], plan, "submit")
    db.session.commit()
    comments = comments_of(plan.id)
    for comment in comments:
        comment.replies  # noqa: B018 -- loaded, as the review panel has them
    read = returns.since_last_return(plan)
    with recorded_statements() as statements:
        given = returns.since_last_return(plan, comments)
    assert read is not None and given is not None
    assert [f.comment.id for f in given.follow_ups] == [f.comment.id for f in read.follow_ups]
    assert len(given.follow_ups) == 1 and statements == []

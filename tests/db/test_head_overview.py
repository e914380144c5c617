"""A district head finds their district's plans in progress on the first screen, with their
deadlines, and nothing of other districts."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import login
from workflow_app.extensions import db


def overseen_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="overseen-(\d+)">', html)]


def test_the_head_sees_the_districts_plans_in_progress_with_their_due_dates(
    app_ctx: Flask, client: FlaskClient, users: dict
) -> None:
    in_review = factories.plan_in_state(users, "district_review")
    draft = factories.plan_in_state(users, "draft")
    factories.plan_in_state(users, "withdrawn")
    other_user = factories.user("drafter2.6304", ("district_drafter", "6304"))
    other = factories.complete_plan(other_user, "6304")
    db.session.commit()

    login(client, "head.6301")
    html = client.get("/tasks").get_data(as_text=True)
    # The one with a deadline first; the withdrawn plan and the other district's are absent.
    assert overseen_ids(html) == [in_review.id, draft.id]
    assert other.id not in overseen_ids(html)
    row = re.search(rf'<tr id="overseen-{in_review.id}">(.*?)</tr>', html, re.S).group(1)
    assert "data-working-days" in row


def test_other_roles_have_no_such_section(app_ctx: Flask, client: FlaskClient, users: dict) -> None:
    factories.plan_in_state(users, "district_review")
    login(client, "reviewer.6301")
    assert 'id="overseen"' not in client.get("/tasks").get_data(as_text=True)

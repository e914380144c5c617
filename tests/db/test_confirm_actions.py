"""Decisions that cannot be undone (transitions declared `confirm`) are asked on a confirmation
page first: every button of such an action (the plan page, My tasks, the sync workspace) leads
to a GET page naming the plan, its region and what will happen, with a comment field; nothing
changes until it is confirmed; the confirmation fires once, with the version the user saw (a
stale one is refused), and records the comment; the page is refused to whoever may not take the
action, with the status the action itself gets."""

from __future__ import annotations

import html
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from tests import factories
from tests.conftest import csrf_token, signed_in
from workflow_app.cases.models import DeclaredCase
from workflow_app.cases.operations import open_case
from workflow_app.engine import WorkflowRegistry
from workflow_app.engine.guards import guards
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.monitoring import operations as report_ops
from workflow_app.monitoring.models import ProgressReport
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.resources import resource_path
from workflow_app.unit_of_work import unit_of_work

Snapshot = tuple[str, int, int]


def _snapshot(plan_id: int) -> Snapshot:
    """State, version and number of history rows, read from the database itself."""
    db.session.expire_all()
    state, version = db.session.execute(
        select(ActionPlan.state, ActionPlan.version).where(ActionPlan.id == plan_id)
    ).one()
    steps = db.session.scalar(
        select(func.count()).select_from(CaseTransition).where(CaseTransition.chain_id == plan_id)
    )
    return state, version, steps


def _text(response: TestResponse) -> str:
    return html.unescape(response.get_data(as_text=True))


def _href(page: str, element_id: str) -> str:
    tag = re.search(rf'<a[^>]*id="{element_id}"[^>]*>', page)
    assert tag, f"no link {element_id}"
    return html.unescape(re.search(r'href="([^"]+)"', tag[0])[1])


def _fields(page: str, form_id: str = "confirm-form") -> dict[str, str]:
    """The fields of a form as a browser would send them (hidden inputs and the textarea)."""
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', page, re.S)
    assert form, f"no form {form_id}"
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form[0]):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name[1]] = html.unescape(value[1]) if value else ""
    for name, text in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form[0], re.S
    ):
        fields[name] = html.unescape(text).strip()
    return fields


def _comments(plan_id: int) -> list[str | None]:
    return list(
        db.session.scalars(
            select(CaseTransition.comment)
            .where(CaseTransition.chain_id == plan_id)
            .order_by(CaseTransition.id)
        )
    )


# --- the buttons lead to the confirmation page; nothing changes before it is confirmed --------


def test_withdraw_on_the_plan_page_asks_on_a_page_naming_plan_region_and_consequence(
    app_ctx: Flask, users: dict
) -> None:
    plan = factories.plan_in_state(users, "draft")
    db.session.commit()
    before = _snapshot(plan.id)
    drafter = signed_in(app_ctx, "drafter.6301")
    page = _text(drafter.get(f"/plans/{plan.id}"))

    # No one-click form for it any more, and a name that cannot be read as "cancel this form".
    assert not re.search(r'<form[^>]*id="action-withdraw"', page)
    assert re.search(r'<form[^>]*id="action-submit"', page)  # submitting is not asked
    link = _href(page, "confirm-link-withdraw")
    assert "Tarik rencana aksi" in page and ">Batalkan<" not in page

    asked = drafter.get(link)

    assert asked.status_code == 200
    confirm = _text(asked)
    # (The page's own words are checked in the words of the catalogue, whatever they become.)
    assert re.search(r'<h1 id="confirm-title">[^<]*Tarik rencana aksi</h1>', confirm)
    assert plan.title in confirm and "Tanah Laut (6301)" in confirm
    assert "ditarik untuk seterusnya" in confirm  # the consequence, in the user's language
    assert re.search(
        r'<button[^>]*id="confirm-button"[^>]*>[^<]*tarik rencana aksi</button>', confirm
    )
    assert _href(confirm, "confirm-back") == f"/plans/{plan.id}"
    fields = _fields(confirm)
    assert (fields["trigger"], fields["version"], fields["confirmed"]) == (
        "withdraw",
        str(plan.version),
        "1",
    )
    assert _snapshot(plan.id) == before  # reading the page changed nothing


def test_an_old_one_click_form_gets_the_confirmation_page_and_changes_nothing(
    app_ctx: Flask, users: dict
) -> None:
    """A page open since before (or any form without `confirmed`) cannot withdraw in one go."""
    plan = factories.plan_in_state(users, "draft")
    db.session.commit()
    before = _snapshot(plan.id)
    drafter = signed_in(app_ctx, "drafter.6301")
    data = {
        "csrf_token": csrf_token(drafter, f"/plans/{plan.id}"),
        "trigger": "withdraw",
        "version": str(plan.version),
        "comment": "Salah buat",
    }

    response = drafter.post(f"/plans/{plan.id}/transition", data=data)

    assert response.status_code == 200
    page = _text(response)
    assert 'id="confirm-form"' in page and "ditarik untuk seterusnya" in page
    assert _fields(page)["comment"] == "Salah buat"  # what was typed is kept
    assert _snapshot(plan.id) == before


def test_confirming_fires_once_with_the_comment_in_the_history(app_ctx: Flask, users: dict) -> None:
    plan = factories.plan_in_state(users, "draft")
    db.session.commit()
    steps = _snapshot(plan.id)[2]
    drafter = signed_in(app_ctx, "drafter.6301")
    confirm = _text(
        drafter.get(_href(_text(drafter.get(f"/plans/{plan.id}")), "confirm-link-withdraw"))
    )
    fields = _fields(confirm) | {"comment": "Diganti rencana gabungan"}

    response = drafter.post(f"/plans/{plan.id}/transition", data=fields)

    assert (response.status_code, response.headers["Location"]) == (303, f"/plans/{plan.id}")
    assert _snapshot(plan.id)[0] == "withdrawn"
    assert _snapshot(plan.id)[2] == steps + 1
    assert _comments(plan.id)[-1] == "Diganti rencana gabungan"
    # Sent again (a double click, the back button): refused, nothing fires twice.
    again = drafter.post(f"/plans/{plan.id}/transition", data=fields)
    assert again.status_code == 409
    assert _snapshot(plan.id)[2] == steps + 1


def test_a_stale_confirmation_is_refused_as_changed_by_someone_else(
    app_ctx: Flask, users: dict
) -> None:
    plan = factories.plan_in_state(users, "draft")
    db.session.commit()
    head = signed_in(app_ctx, "head.6301")  # the district head may withdraw too
    link = _href(_text(head.get(f"/plans/{plan.id}")), "confirm-link-withdraw")
    fields = _fields(_text(head.get(link)))
    # Meanwhile the drafter changes the plan.
    with unit_of_work():
        ops.replace_challenges(
            users["drafter"],
            db.session.get(ActionPlan, plan.id),
            expected_version=None,
            descriptions=["Lahan IPLT belum tersedia"],
        )
    before = _snapshot(plan.id)

    response = head.post(f"/plans/{plan.id}/transition", data=fields)

    assert response.status_code == 409
    assert "telah diubah oleh orang lain" in _text(response)
    assert _snapshot(plan.id) == before
    # The confirmation page opened from the page seen before the change is refused alike.
    assert head.get(link).status_code == 409


def test_the_task_list_leads_to_the_confirmation_page_and_back(app_ctx: Flask, users: dict) -> None:
    plan = factories.plan_in_state(users, "draft")
    db.session.commit()
    before = _snapshot(plan.id)
    drafter = signed_in(app_ctx, "drafter.6301")
    tasks = _text(drafter.get("/tasks"))
    row = re.search(rf'<tr id="task-{plan.id}".*?</tr>', tasks, re.S)
    assert row
    links = dict(
        (text, html.unescape(href))
        for href, text in re.findall(r'<a class="task-action" href="([^"]+)">([^<]+)</a>', row[0])
    )
    assert links["Ajukan"] == f"/plans/{plan.id}#action-submit"
    assert links["Tarik rencana aksi"].startswith(f"/plans/{plan.id}/confirm/withdraw?")

    confirm = _text(drafter.get(links["Tarik rencana aksi"]))
    assert _snapshot(plan.id) == before
    assert _href(confirm, "confirm-back") == "/tasks"

    response = drafter.post(f"/plans/{plan.id}/transition", data=_fields(confirm))
    assert (response.status_code, response.headers["Location"]) == (303, "/tasks")
    assert _snapshot(plan.id)[0] == "withdrawn"


def test_approving_on_the_sync_page_asks_first_and_carries_a_comment(
    app_ctx: Flask, users: dict
) -> None:
    plan = factories.plan_in_state(users, "provincial_sync")
    db.session.commit()
    before = _snapshot(plan.id)
    provincial = signed_in(app_ctx, "provincial.63")
    sync = _text(provincial.get("/sync"))
    assert not re.search(rf'<form[^>]*id="sync-action-approve-{plan.id}"', sync)

    confirm_page = provincial.get(_href(sync, f"sync-action-approve-{plan.id}"))

    assert confirm_page.status_code == 200
    confirm = _text(confirm_page)
    assert plan.title in confirm and "Tanah Laut (6301)" in confirm
    assert "Rp" in confirm  # the plan's total funding, to decide on
    assert "Pemantauan dimulai dengan sendirinya" in confirm
    assert re.search(r'<textarea[^>]*id="confirm-comment"', confirm)
    assert _snapshot(plan.id) == before
    fields = _fields(confirm) | {"comment": "Sesuai RPJMD provinsi; lanjutkan."}
    assert fields["next"] == "/sync"

    response = provincial.post(f"/plans/{plan.id}/transition", data=fields)

    assert (response.status_code, response.headers["Location"]) == (303, "/sync")
    state, _version, steps = _snapshot(plan.id)
    assert (state, steps) == ("approved", before[2] + 1)
    assert _comments(plan.id)[-1] == "Sesuai RPJMD provinsi; lanjutkan."


# --- the page is refused like the action itself -----------------------------------------------


@pytest.mark.parametrize(
    ("username", "state", "trigger", "status"),
    [
        ("reviewer.6301", "draft", "withdraw", 403),  # a role that may never withdraw
        ("provincial.63", "draft", "withdraw", 403),
        ("drafter.6304", "draft", "withdraw", 404),  # another district's plan: not found
        ("mitra.demo", "draft", "withdraw", 404),  # partners do not see drafts
        ("drafter.6301", "district_review", "withdraw", 409),  # not from this state
        ("drafter.6301", "provincial_sync", "approve", 403),
        ("reviewer.6301", "provincial_sync", "approve", 403),
        ("provincial.63", "draft", "nonsense", 400),
    ],
)
def test_the_confirmation_page_is_refused_as_the_action_is(
    app_ctx: Flask, users: dict, username: str, state: str, trigger: str, status: int
) -> None:
    plan = factories.plan_in_state(users, state)
    db.session.commit()
    before = _snapshot(plan.id)
    client = signed_in(app_ctx, username)

    page = client.get(f"/plans/{plan.id}/confirm/{trigger}?version={plan.version}")
    action = client.post(
        f"/plans/{plan.id}/transition",
        data={
            "csrf_token": csrf_token(client, "/tasks"),
            "trigger": trigger,
            "version": str(plan.version),
            "confirmed": "1",
        },
    )

    assert (page.status_code, action.status_code) == (status, status)
    assert 'id="confirm-form"' not in _text(page)
    assert _snapshot(plan.id) == before


def test_duties_kept_apart_refuse_the_confirmation_page_too(app_ctx: Flask, users: dict) -> None:
    """Whoever forwarded the plan may not approve it, so neither may they open its approval."""
    both = factories.user("both.63", ("district_reviewer", "6301"), ("provincial_reviewer", "63"))
    plan = factories.complete_plan(users["drafter"])
    ops.transition(users["drafter"], plan, "submit")
    ops.transition(both, plan, "forward")
    db.session.commit()

    page = signed_in(app_ctx, "both.63").get(f"/plans/{plan.id}/confirm/approve")

    assert page.status_code == 403
    assert (
        signed_in(app_ctx, "provincial.63").get(f"/plans/{plan.id}/confirm/approve").status_code
        == 200
    )


# --- a required comment is written on the confirmation page -----------------------------------


def test_a_required_comment_is_asked_for_again_on_the_confirmation_page(
    app_ctx: Flask, users: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A definition may ask for confirmation of a transition that needs a comment."""
    workflows = tmp_path / "workflows"
    shutil.copytree(resource_path("workflows"), workflows)
    raw = yaml.safe_load((workflows / "action_plan.yaml").read_text(encoding="utf-8"))
    for step in raw["transitions"]:
        if step["trigger"] == "return":
            step["confirm"] = True
    (workflows / "action_plan.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    monkeypatch.setitem(
        app_ctx.extensions, "workflows", WorkflowRegistry.from_directory(workflows, guards)
    )
    plan = factories.plan_in_state(users, "provincial_sync")
    db.session.commit()
    before = _snapshot(plan.id)
    provincial = signed_in(app_ctx, "provincial.63")
    confirm = _text(provincial.get(f"/plans/{plan.id}/confirm/return"))
    assert re.search(r'<textarea[^>]*id="confirm-comment"[^>]*required', confirm)
    # No consequence declared: the page names the state the plan moves to.
    consequence = re.search(r'id="consequence".*?</div>', confirm, re.S)
    assert consequence and "Dikembalikan" in consequence[0]

    refused = provincial.post(
        f"/plans/{plan.id}/transition", data=_fields(confirm) | {"comment": " "}
    )

    assert refused.status_code == 400
    page = _text(refused)
    assert 'id="confirm-form"' in page and 'id="confirm-comment-error"' in page
    assert _snapshot(plan.id) == before


# --- API clients are told which actions to confirm ---------------------------------------------


def test_the_api_says_which_actions_ask_for_confirmation_and_what_they_do(
    app_ctx: Flask, users: dict
) -> None:
    plan = factories.plan_in_state(users, "draft")
    token = factories.api_token(users["drafter"])
    db.session.commit()

    answer = app_ctx.test_client().get(
        f"/api/v1/plans/{plan.id}/transitions", headers={"Authorization": f"Bearer {token}"}
    )

    assert answer.status_code == 200
    items = {item["trigger"]: item for item in answer.get_json()["items"]}
    assert (items["submit"]["confirm"], items["submit"]["consequence"]) == (False, None)
    withdraw = items["withdraw"]
    assert withdraw["confirm"] is True
    assert withdraw["label"] == {"id": "Tarik rencana aksi", "en": "Withdraw the action plan"}
    assert withdraw["consequence"]["en"].startswith("The plan is withdrawn for good")


# --- reports and kinds declared as data ask the same way --------------------------------------


def test_verifying_a_report_asks_on_a_page_naming_the_plan_and_quarter(
    app_ctx: Flask, users: dict
) -> None:
    plan, report = factories.monitored_plan_with_report(users)
    report_ops.save_report(
        users["drafter"],
        report,
        expected_version=None,
        lines=[report_ops.LineData(report.lines[0].activity_id, Decimal(40), 100_000_000)],
        indicator_values=None,
    )
    report_ops.report_transition(users["drafter"], report, "submit")
    db.session.commit()
    provincial = signed_in(app_ctx, "provincial.63")
    page = _text(provincial.get(f"/reports/{report.id}"))
    assert not re.search(r'<form[^>]*id="action-verify"', page)

    confirm = _text(provincial.get(_href(page, "confirm-link-verify")))

    assert plan.title in confirm and report.period_label in confirm
    assert "diverifikasi untuk seterusnya" in confirm
    response = provincial.post(
        f"/reports/{report.id}/transition", data=_fields(confirm) | {"comment": "Lengkap."}
    )
    assert (response.status_code, response.headers["Location"]) == (303, f"/reports/{report.id}")
    db.session.expire_all()
    assert db.session.get(ProgressReport, report.id).state == "verified"


def test_withdrawing_a_declared_case_asks_first(app_ctx: Flask, users: dict) -> None:
    decree = open_case(users["drafter"], "sk_pokja", factories.regions()["6301"], {})
    db.session.commit()
    url = f"/cases/sk_pokja/{decree.id}"
    drafter = signed_in(app_ctx, "drafter.6301")
    page = _text(drafter.get(url))
    assert not re.search(r'<form[^>]*id="action-withdraw"', page)

    confirm = _text(drafter.get(_href(page, "confirm-link-withdraw")))

    assert decree.title in confirm and "Tanah Laut (6301)" in confirm
    assert "SK Pokja ini ditarik untuk seterusnya" in confirm
    assert _href(confirm, "confirm-back") == url
    response = drafter.post(f"{url}/transition", data=_fields(confirm))
    assert (response.status_code, response.headers["Location"]) == (303, url)
    db.session.expire_all()
    assert db.session.get(DeclaredCase, decree.id).state == "withdrawn"

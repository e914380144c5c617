"""Acceptance test of "one engine, behaviour in the definition".

The app runs on a fixture workflows directory (tests/fixtures/workflows_technical/) whose
action_plan.yaml differs from the shipped one: a new role `technical_reviewer` (Tim Teknis
Provinsi, province scope) owns a new state `technical_review` (tag `review`, its own task, SLA
3 working days, reminder/due/escalation steps), `district_review` is renamed
`kabupaten_review` and `provincial_sync` `province_sync` (still tagged `sync`), and `forward`
now leads to `technical_review`, from where `endorse` leads on to `province_sync`.

A plan is driven through it by the web (forms with CSRF tokens read from the pages), the JSON
API (a bearer token) and the command line (`workflow-app plans transition`, `escalate`,
`plans list`): the emails say what happened in the fixture's words and reach the technical
team, the technical team can comment, and the diagram, tasks, dashboard and sync page follow
the new names. No Python knows about any of it.

The app has its own SQLite database (the fixture's `action_plan` version 1 is not the shipped
version 1, so it must not share the suite's database and its stored version hashes).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.conftest import app_of_its_own, csrf_token, emptied_afterwards, signed_in
from tests.db.test_delivery import RecordingCelery
from tests.db.test_scheduling import MONDAY, Clock, wita
from workflow_app.accounts.models import User
from workflow_app.deadlines.models import ScheduledStep
from workflow_app.engine import WorkflowRegistry, guards
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification
from workflow_app.notifications.rendering import render_notification
from workflow_app.plans import diagram
from workflow_app.plans.models import ActionPlan
from workflow_app.resources import resource_path
from workflow_app.reviews.models import ReviewComment

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "workflows_technical"
BASE_URL = "https://rencana-aksi.example.org"

# The fixture's words (tests/fixtures/workflows_technical/action_plan.yaml).
KABUPATEN_REVIEW = "Reviu Pokja Kabupaten"
TECHNICAL_REVIEW = "Kajian Teknis Provinsi"
TECHNICAL_REVIEW_EN = "Provincial technical review"
PROVINCE_SYNC = "Penyelarasan Provinsi"
TECHNICAL_TASK = (
    "mengkaji kelayakan teknis kegiatan, lalu menyatakannya layak atau mengembalikannya"
)
TECHNICAL_TASK_EN = "assess the technical soundness of the activities"
SUMMARIES = {
    "submit": "rencana diajukan untuk reviu",
    "forward": "rencana diteruskan ke tim teknis provinsi",
    "endorse": "rencana dinyatakan layak teknis",
    "approve": "rencana disetujui",
}


# An ordinary fortnight (no holidays): submitted Monday, forwarded Tuesday; the technical
# review (SLA 3) is then due on Friday, its reminder (-1) fires Thursday and its escalation
# (+2) the Tuesday after.
TUESDAY = wita(date(2026, 3, 3))
WEDNESDAY = wita(date(2026, 3, 4))
TECH_REMINDER = wita(date(2026, 3, 5))
TECH_DUE = wita(date(2026, 3, 6))
TECH_ESCALATION = wita(date(2026, 3, 10))
ENDORSED = wita(date(2026, 3, 11))
APPROVED = wita(date(2026, 3, 12))


# --- the app on the fixture directory -------------------------------------------------------


@pytest.fixture(scope="module")
def tech_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("fixture_definition")
    with app_of_its_own(tmp, WORKFLOWS_DIR=str(FIXTURE_DIR), BASE_URL=BASE_URL) as application:
        yield application


@pytest.fixture
def ctx(tech_app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """An app context on the fixture app with empty tables, and no broker."""
    monkeypatch.setitem(tech_app.extensions, "celery", RecordingCelery())
    with emptied_afterwards(tech_app):
        yield tech_app


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, MONDAY)


@pytest.fixture(autouse=True)
def fresh_diagrams(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty diagram cache for each test, put back afterwards: what a page draws here does
    not depend on which definitions other tests of the session drew first, and the fixture's
    drawings never stay behind for them (the cache is process-wide; see the last test)."""
    monkeypatch.setattr(diagram, "_cache", {})


@pytest.fixture
def people(ctx: Flask) -> dict[str, User]:
    accounts = {
        "drafter": factories.user("drafter.6301", ("district_drafter", "6301")),
        "reviewer": factories.user("reviewer.6301", ("district_reviewer", "6301")),
        "head": factories.user("head.6301", ("district_head", "6301")),
        "provincial": factories.user("provincial.63", ("provincial_reviewer", "63")),
        "provincial_head": factories.user("head.63", ("provincial_head", "63"), language="en"),
        # The new role, declared only in the fixture's YAML.
        "technical": factories.user("teknis.63", ("technical_reviewer", "63")),
    }
    db.session.commit()
    return accounts


# --- the three channels ---------------------------------------------------------------------


def browser(app: Flask, account: User) -> FlaskClient:
    """A browser already signed in as `account`."""
    return signed_in(app, account.username)


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, f"GET {url}: {response.status_code}"
    return unescape(response.get_data(as_text=True))


def form_fields(html: str, form_id: str) -> dict[str, str]:
    """The hidden fields of the form with `form_id` on a page (as a browser would send)."""
    start = html.index(f'id="{form_id}"')
    form = html[html.rindex("<form", 0, start) : html.index("</form>", start)]
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def web_fire(
    app: Flask, account: User, plan_id: int, trigger: str, *, from_url: str | None = None
) -> None:
    """Press the action's button on the plan page (or on `from_url`, e.g. the sync page)."""
    client = browser(app, account)
    url = from_url or f"/plans/{plan_id}"
    html = page(client, url)
    form_id = f"action-{trigger}" if from_url is None else f"sync-action-{trigger}-{plan_id}"
    assert f'id="{form_id}"' in html, f"{account.username} is not offered {trigger} on {url}"
    response = client.post(f"/plans/{plan_id}/transition", data=form_fields(html, form_id))
    assert response.status_code == 303, (
        f"{trigger} by {account.username} on the web: {response.status_code}"
    )
    db.session.expire_all()


def api_token(account: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {factories.api_token(account)}"}


def api_fire(app: Flask, account: User, plan_id: int, trigger: str) -> dict:
    """Read the plan and its actions, then fire `trigger` on the version read."""
    client = app.test_client()
    headers = api_token(account)
    detail = client.get(f"/api/v1/plans/{plan_id}", headers=headers)
    assert detail.status_code == 200, detail.get_json()
    offered = client.get(f"/api/v1/plans/{plan_id}/transitions", headers=headers).get_json()
    assert trigger in [t["trigger"] for t in offered["items"]], offered
    response = client.post(
        f"/api/v1/plans/{plan_id}/transitions",
        json={"trigger": trigger, "version": detail.get_json()["version"]},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    return response.get_json()


def cli(app: Flask, *args: str):
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.expire_all()
    return result


def cli_fire(app: Flask, account: User, plan_id: int, trigger: str) -> str:
    result = cli(app, "plans", "transition", str(plan_id), trigger, "--as", account.username)
    assert result.exit_code == 0, result.output
    return result.output


# --- reading what happened --------------------------------------------------------------------


def state_of(plan_id: int) -> str:
    db.session.expire_all()
    return db.session.scalar(select(ActionPlan.state).where(ActionPlan.id == plan_id))


def mail(event: str) -> dict[str, Notification]:
    """The emails of one event, by recipient username (each test has a single plan)."""
    db.session.expire_all()
    rows = db.session.scalars(
        select(Notification).where(Notification.event == event).order_by(Notification.id)
    )
    return {row.recipient.username: row for row in rows}


def steps_of(state: str) -> dict[str, tuple[str, datetime]]:
    """step -> (status, fire time in WITA) of the scheduled steps in `state` (each test has
    a single plan)."""
    db.session.expire_all()
    rows = db.session.scalars(select(ScheduledStep).where(ScheduledStep.state == state))
    return {row.step: (row.status, row.fire_at.astimezone(WITA)) for row in rows}


def to_technical_review(app: Flask, people: dict[str, User], clock: Clock) -> ActionPlan:
    """A complete plan of 6301, submitted by the web on MONDAY and forwarded by the API on
    TUESDAY: it is now with the provincial technical team."""
    clock.set(MONDAY)
    plan = factories.complete_plan(people["drafter"])
    db.session.commit()
    web_fire(app, people["drafter"], plan.id, "submit")
    assert state_of(plan.id) == "kabupaten_review"
    clock.set(TUESDAY)
    result = api_fire(app, people["reviewer"], plan.id, "forward")
    assert result["state"] == "technical_review"
    return plan


def endorse(app: Flask, people: dict[str, User], clock: Clock, plan: ActionPlan) -> None:
    """The technical team endorses the plan on the command line on ENDORSED."""
    clock.set(ENDORSED)
    cli_fire(app, people["technical"], plan.id, "endorse")
    assert state_of(plan.id) == "province_sync"


# --- the tests --------------------------------------------------------------------------------


def test_the_fixture_definition_passes_workflows_check(ctx: Flask) -> None:
    result = cli(ctx, "workflows", "check", "--dir", str(FIXTURE_DIR))
    assert result.exit_code == 0, result.output
    assert "action_plan.yaml: action_plan version 1: 9 states" in result.output
    assert "endorse" in result.output


def test_a_plan_runs_through_by_web_api_and_cli_and_the_emails_say_what_happened(
    ctx: Flask, people: dict[str, User], clock: Clock
) -> None:
    plan = to_technical_review(ctx, people, clock)

    # Submitted (web): the district reviewer is asked, in the renamed state's words.
    submitted = mail("submit")
    assert set(submitted) == {"reviewer.6301"}
    email = render_notification(submitted["reviewer.6301"], MONDAY.astimezone(UTC))
    assert email.subject.endswith(f"Tanah Laut: {SUMMARIES['submit']}")
    assert f"“{KABUPATEN_REVIEW}”" in email.text

    # Forwarded (API): the re-routed transition goes to the new state; its owner, the
    # technical team, gets the email with the fixture's summary, its task and its due time.
    forwarded = mail("forward")
    assert set(forwarded) == {"teknis.63"}
    email = render_notification(forwarded["teknis.63"], TUESDAY.astimezone(UTC))
    assert email.subject.endswith(f"Tanah Laut: {SUMMARIES['forward']}")
    assert f"“{KABUPATEN_REVIEW}”" in email.text and f"“{TECHNICAL_REVIEW}”" in email.text
    assert TECHNICAL_TASK in email.text
    assert "6 Maret 2026 10.00 WITA" in email.text, email.text
    assert TECHNICAL_REVIEW in email.html

    # Endorsed (CLI): on to the renamed sync state; its owner acts, the district is told.
    clock.set(ENDORSED)
    output = cli_fire(ctx, people["technical"], plan.id, "endorse")
    assert "technical_review → province_sync (endorse by teknis.63" in output
    endorsed = mail("endorse")
    assert set(endorsed) == {"provincial.63", "reviewer.6301"}
    for username, row in endorsed.items():
        email = render_notification(row, ENDORSED.astimezone(UTC))
        assert email.subject.endswith(f"Tanah Laut: {SUMMARIES['endorse']}"), username
        assert f"“{TECHNICAL_REVIEW}”" in email.text and f"“{PROVINCE_SYNC}”" in email.text
    # Leaving the technical review cancels its steps not yet fired.
    assert {status for status, _at in steps_of("technical_review").values()} == {"cancelled"}
    assert steps_of("province_sync"), "entering province_sync schedules its steps"

    # Approved (web, from the sync page): the district is told.
    clock.set(APPROVED)
    web_fire(ctx, people["provincial"], plan.id, "approve", from_url="/sync?state=province_sync")
    assert state_of(plan.id) == "approved"
    approved = mail("approve")
    assert set(approved) == {"drafter.6301", "reviewer.6301", "head.6301"}
    email = render_notification(approved["drafter.6301"], APPROVED.astimezone(UTC))
    assert email.subject.endswith(f"Tanah Laut: {SUMMARIES['approve']}")
    assert f"“{PROVINCE_SYNC}”" in email.text

    # The history on the plan page, in the fixture's words.
    detail = page(browser(ctx, people["provincial"]), f"/plans/{plan.id}")
    steps = re.findall(
        r'class="history-trigger">([^<]*)</span>\s*· <span class="history-states">([^<]*)</span>',
        detail,
    )
    assert steps[1:] == [
        ("Ajukan", f"Draf → {KABUPATEN_REVIEW}"),
        ("Teruskan ke Tim Teknis", f"{KABUPATEN_REVIEW} → {TECHNICAL_REVIEW}"),
        ("Nyatakan Layak Teknis", f"{TECHNICAL_REVIEW} → {PROVINCE_SYNC}"),
        ("Setujui", f"{PROVINCE_SYNC} → Disetujui"),
    ], steps

    # The history, as the API tells it (actor and role included).
    history = ctx.test_client().get(
        f"/api/v1/plans/{plan.id}/history", headers=api_token(people["provincial"])
    )
    assert history.status_code == 200, history.get_json()
    assert [
        (e["trigger"], e["from_state"], e["to_state"], e["actor"]["username"], e["role"])
        for e in history.get_json()["items"]
    ][1:] == [
        ("submit", "draft", "kabupaten_review", "drafter.6301", "district_drafter"),
        ("forward", "kabupaten_review", "technical_review", "reviewer.6301", "district_reviewer"),
        ("endorse", "technical_review", "province_sync", "teknis.63", "technical_reviewer"),
        ("approve", "province_sync", "approved", "provincial.63", "provincial_reviewer"),
    ]


def test_the_technical_team_sees_its_task_comments_and_reads_the_new_diagram(
    ctx: Flask, people: dict[str, User], clock: Clock
) -> None:
    plan = to_technical_review(ctx, people, clock)
    technical = browser(ctx, people["technical"])

    # "Tugas Saya": the plan, in the new state, with its due time (SLA 3 from Tuesday).
    tasks = page(technical, "/tasks")
    assert f'id="task-{plan.id}"' in tasks, "the plan is not on the technical team's tasks"
    row = tasks[tasks.index(f'id="task-{plan.id}"') :]
    row = row[: row.index("</tr>")]
    assert "technical_review" in row and TECHNICAL_REVIEW in row  # the state badge
    assert f'datetime="{TECH_DUE.isoformat()}"' in row
    assert "Nyatakan Layak Teknis" in row  # the new transition's label, as the action
    # The same through the API.
    listed = ctx.test_client().get("/api/v1/tasks", headers=api_token(people["technical"]))
    body = listed.get_json()
    assert [(t["kind"], t["plan"]["id"]) for t in body["items"]] == [("plan", plan.id)]
    assert set(body["items"][0]["actions"]) == {"endorse", "return"}
    assert datetime.fromisoformat(body["items"][0]["plan"]["due_at"]) == TECH_DUE
    # The district reviewer no longer has it.
    assert f'id="task-{plan.id}"' not in page(browser(ctx, people["reviewer"]), "/tasks")

    # The plan page: the diagram draws the fixture's states and transitions, the new one
    # marked current; the technical team's actions are offered.
    clock.set(WEDNESDAY)
    detail = page(technical, f"/plans/{plan.id}")
    figure = detail[detail.index('class="workflow-figure"') :]
    svg = figure[figure.index("<svg") : figure.index("</svg>")]
    drawn = set(re.findall(r'data-state="([a-z_]+)"', svg))
    assert {"kabupaten_review", "technical_review", "province_sync"} <= drawn
    assert not {"district_review", "provincial_sync"} & drawn
    assert re.search(r'class="state current" data-state="technical_review"', svg)
    assert 'data-trigger="endorse"' in svg and TECHNICAL_REVIEW.split()[0] in svg
    assert 'id="action-endorse"' in detail and 'id="action-return"' in detail

    # The technical team comments (review tag, owner of the state), by the web.
    assert 'id="comment-form-plan"' in detail, "no comment form for the technical team"
    fields = form_fields(detail, "comment-form-plan")
    response = technical.post(
        f"/plans/{plan.id}/comments", data={**fields, "body": "Hitung ulang volume LLTT"}
    )
    assert response.status_code == 303, response.status_code
    db.session.expire_all()
    comments = db.session.scalars(select(ReviewComment))
    assert [(c.body, c.state, c.author_id) for c in comments] == [
        ("Hitung ulang volume LLTT", "technical_review", people["technical"].id)
    ]
    # The district reviewer, whose review state the plan has left, may not.
    reviewer = browser(ctx, people["reviewer"])
    assert 'id="comment-form-plan"' not in page(reviewer, f"/plans/{plan.id}")
    response = reviewer.post(
        f"/plans/{plan.id}/comments",
        data={
            "csrf_token": csrf_token(reviewer, "/tasks"),
            "item_type": "plan",
            "item_id": "",
            "body": "Catatan",
        },
    )
    assert response.status_code == 409


def test_the_badges_of_the_new_and_renamed_states_are_styled(
    ctx: Flask, people: dict[str, User], clock: Clock
) -> None:
    """A state's badge is coloured by what the state is (its tags, final, published…), so
    the states only the fixture has are coloured too: some class of their badge has a rule
    in the app's stylesheet."""
    clock.set(MONDAY)
    plan = factories.complete_plan(people["drafter"])
    db.session.commit()
    provincial = browser(ctx, people["provincial"])
    css = provincial.get("/static/app.css").get_data(as_text=True)
    unstyled = []
    for label, fire in (
        (KABUPATEN_REVIEW, lambda: web_fire(ctx, people["drafter"], plan.id, "submit")),
        (TECHNICAL_REVIEW, lambda: api_fire(ctx, people["reviewer"], plan.id, "forward")),
        (PROVINCE_SYNC, lambda: cli_fire(ctx, people["technical"], plan.id, "endorse")),
    ):
        fire()
        html = page(provincial, f"/plans/{plan.id}")
        badge = re.search(r'<span class="badge ([^"]*)"[^>]*>' + label + "<", html)
        assert badge, f"no badge for {label}"
        if not any(f".{cls}" in css for cls in badge.group(1).split()):
            unstyled.append((label, badge.group(1)))
    assert unstyled == [], f"badges without a style: {unstyled}"


def test_the_admin_gives_the_new_role_and_its_holder_may_hand_it_over(ctx: Flask) -> None:
    admin = factories.user("admin", ("admin", "63"))
    newcomer = factories.user("teknis.baru")
    db.session.commit()
    client = browser(ctx, admin)
    edit = page(client, f"/admin/users/{newcomer.id}")
    assert re.search(r'<option value="technical_reviewer">Tim Teknis Provinsi</option>', edit)
    response = client.post(
        f"/admin/users/{newcomer.id}/roles",
        data={
            "csrf_token": csrf_token(client, f"/admin/users/{newcomer.id}"),
            "role": "technical_reviewer",
            "region": "63",
        },
    )
    assert response.status_code in (302, 303), response.status_code
    db.session.expire_all()
    assert [(r.role, r.region.code) for r in db.session.get(User, newcomer.id).roles] == [
        ("technical_reviewer", "63")
    ]
    # Declared `delegable`: its holder is offered to hand it over (Plt/Plh).
    delegations = page(browser(ctx, newcomer), "/delegations")
    assert "Tim Teknis Provinsi" in delegations
    assert "You hold no role that can be handed over." not in delegations


def test_the_escalation_sweep_fires_the_new_states_own_steps(
    ctx: Flask, people: dict[str, User], clock: Clock
) -> None:
    plan = to_technical_review(ctx, people, clock)
    assert steps_of("technical_review") == {
        "reminder": ("pending", TECH_REMINDER),
        "due": ("pending", TECH_DUE),
        "escalation": ("pending", TECH_ESCALATION),
    }
    db.session.expire_all()
    assert db.session.get(ActionPlan, plan.id).due_at.astimezone(WITA) == TECH_DUE

    clock.set(TECH_ESCALATION)
    result = cli(ctx, "escalate", "--at", TECH_ESCALATION.replace(tzinfo=None).isoformat())
    assert result.exit_code == 0, result.output
    assert "3 steps fired." in result.output
    assert "technical_review  escalation  2026-03-10 10:00 WITA  -> head.63" in result.output
    assert {status for status, _at in steps_of("technical_review").values()} == {"done"}

    reminder, due, escalation = (mail(kind) for kind in ("reminder", "due", "escalation"))
    assert set(reminder) == {"teknis.63"} and set(due) == {"teknis.63"}
    assert set(escalation) == {"head.63"}
    now = TECH_ESCALATION.astimezone(UTC)
    assert render_notification(reminder["teknis.63"], now).subject.endswith(
        "Tanah Laut: kajian teknis: jatuh tempo besok"
    )
    assert render_notification(due["teknis.63"], now).subject.endswith(
        "Tanah Laut: kajian teknis: tenggat hari ini"
    )
    email = render_notification(escalation["head.63"], now)  # the provincial head reads English
    assert email.subject.endswith("Tanah Laut: technical review overdue by 2 working days")
    assert f"overdue by 2 working days in “{TECHNICAL_REVIEW_EN}”" in email.text
    assert f"Provincial technical team has to {TECHNICAL_TASK_EN}" in email.text


def test_dashboard_and_sync_page_follow_the_new_and_renamed_states(
    ctx: Flask, people: dict[str, User], clock: Clock
) -> None:
    plan = to_technical_review(ctx, people, clock)
    provincial = browser(ctx, people["provincial"])

    # The dashboard counts the plan under the new state, then under the renamed one.
    dashboard = page(provincial, "/dashboard")
    assert 'data-row="6301" data-series="technical_review" data-value="1"' in dashboard
    assert TECHNICAL_REVIEW in dashboard and PROVINCE_SYNC in dashboard
    assert 'data-series="provincial_sync"' not in dashboard
    # On the sync page in the technical review: listed, but nothing to do there yet.
    sync = page(provincial, "/sync")
    assert f'data-plan="{plan.id}" data-state="technical_review"' in sync
    assert f'id="sync-action-approve-{plan.id}"' not in sync

    endorse(ctx, people, clock, plan)
    dashboard = page(provincial, "/dashboard")
    assert 'data-row="6301" data-series="province_sync" data-value="1"' in dashboard
    assert 'data-state-total="province_sync">1<' in dashboard
    exported = provincial.get("/dashboard/export.csv?table=plans_by_state")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    header, tanah_laut = rows[0], next(r for r in rows if r[0] == "6301")
    assert PROVINCE_SYNC in header and TECHNICAL_REVIEW in header
    assert tanah_laut[header.index(PROVINCE_SYNC)] == "1"

    # The sync page lists it in the renamed sync state, with the provincial actions.
    sync = page(provincial, "/sync?state=province_sync")
    assert f'data-plan="{plan.id}" data-state="province_sync"' in sync
    assert PROVINCE_SYNC in sync
    assert f'id="sync-action-approve-{plan.id}"' in sync
    assert f'id="sync-action-return-{plan.id}"' in sync
    # The command line filters by the renamed state too.
    listed = cli(ctx, "plans", "list", "--state", "province_sync")
    assert listed.exit_code == 0, listed.output
    assert "province_sync" in listed.output and "6301 Tanah Laut" in listed.output

    # The technical team acts in the province: it may open the sync page, and the
    # navigation offers it (the view lets every province-scoped role in).
    technical = browser(ctx, people["technical"])
    assert technical.get("/sync").status_code == 200
    assert 'id="nav-sync"' in page(technical, "/tasks"), (
        "the 'Provincial sync' link is missing for a province-scoped role the definition adds"
    )


def test_the_diagram_is_the_fixtures_even_after_the_shipped_definition_was_drawn(
    ctx: Flask, people: dict[str, User], clock: Clock
) -> None:
    """Two definitions may share a name and version in one process (the shipped one and this
    fixture, each app on its own database): the diagram of one must never be served for the
    other."""
    shipped = WorkflowRegistry.from_directory(resource_path("workflows"), guards).latest(
        "action_plan"
    )
    # Draw the shipped diagram as its plan page would (Indonesian, the current-state note),
    # as the suite's other tests do in the same process.
    diagram.render_svg(shipped, "id", "draft", title="x", current_note="status saat ini")
    plan = to_technical_review(ctx, people, clock)
    detail = page(browser(ctx, people["technical"]), f"/plans/{plan.id}")
    figure = detail[detail.index('class="workflow-figure"') :]
    svg = figure[figure.index("<svg") : figure.index("</svg>")]
    drawn = set(re.findall(r'data-state="([a-z_]+)"', svg))
    assert "technical_review" in drawn and "district_review" not in drawn, sorted(drawn)

"""Every administrative act on the record (issue 14): creating, editing, enabling and
disabling an account, setting, changing or resetting a password, granting and removing a role,
changing the working-day calendar, creating and ending a delegation, creating and revoking an
API token each write one act naming who, what, to whom, when and from where, on the web and on
the command line alike, and never a secret. The acts form a hash chain that
`workflow-app audit verify` checks (an act edited, deleted, inserted or re-linked is named by
its id), and the admin reads and filters them at /admin/audit."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from tests import factories
from tests.conftest import csrf_token
from workflow_app.accounts import delegations as dops
from workflow_app.accounts.models import User, wita_today
from workflow_app.admin.audit_views import ACTION_LABELS
from workflow_app.api.models import ApiToken
from workflow_app.audit.admin_log import Action, act_hash, record_act
from workflow_app.audit.admin_models import AdminAct
from workflow_app.audit.links import Reason
from workflow_app.audit.verify import verify_database
from workflow_app.commands.exits import EXIT_BROKEN_CHAIN
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification
from workflow_app.notifications.rendering import render_notification
from workflow_app.unit_of_work import unit_of_work

ADMIN_ADDRESS = "203.0.113.7"
USER_ADDRESS = "198.51.100.23"
NEW_PASSWORD = "lumbung-padi-martapura-tujuh"


def browser(app: Flask, username: str | None, address: str) -> FlaskClient:
    """A browser from `address`, signed in as `username` (None: a visitor)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if username is not None:
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        with client.session_transaction() as session:
            session["_user_id"] = str(user_id)
            session["_fresh"] = True
    return client


def post(client: FlaskClient, url: str, data: dict[str, object], form_page: str) -> int:
    token = csrf_token(client, form_page)
    return client.post(url, data={**data, "csrf_token": token}).status_code


def acts() -> list[AdminAct]:
    db.session.expire_all()
    return list(db.session.scalars(select(AdminAct).order_by(AdminAct.id)))


def summary(act: AdminAct) -> tuple[str, str, str | None, str]:
    """What, who, to whom, from where."""
    target = db.session.get(User, act.target_user_id) if act.target_user_id else None
    return act.action, act.actor_label, target.username if target else None, act.client_address


def user_id(username: str) -> int:
    found = db.session.scalar(select(User.id).where(User.username == username))
    assert found is not None, username
    return found


def no_secret_in(records: list[AdminAct], *secrets: str) -> None:
    stored = json.dumps([act.details for act in records])
    for secret in secrets:
        assert secret not in stored
    assert "$argon2" not in stored  # no password hash either


@pytest.fixture
def admin(app_ctx: Flask, users: dict[str, User]) -> FlaskClient:
    return browser(app_ctx, "admin", ADMIN_ADDRESS)


# --- each act writes one record ------------------------------------------------------------


def test_managing_an_account_puts_each_act_on_record(admin: FlaskClient) -> None:
    form = "/admin/users/new"
    new_user = {
        "username": "operator.6301",
        "full_name": "Operator Satu",
        "email": "operator@example.test",
        "language": "id",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    assert post(admin, "/admin/users/new", new_user, form) == 302
    target = user_id("operator.6301")
    page = f"/admin/users/{target}"
    edited = {"full_name": "Operator Dua", "email": "op2@example.test", "language": "en"}
    assert post(admin, page, edited, page) == 302
    assert post(admin, page, edited, page) == 302  # nothing changed: nothing recorded
    assert post(admin, page, {**edited, "active": ""}, page) == 302
    assert post(admin, page, {**edited, "active": "y"}, page) == 302
    other_password = "kapal-layar-banjarmasin-lima"
    password_form = {"password": other_password, "confirm": other_password}
    assert post(admin, f"{page}/password", password_form, page) == 302
    role = {"role": "district_drafter", "region": "6301"}
    assert post(admin, f"{page}/roles", role, page) == 302
    assignment = db.session.get(User, target).roles[0].id
    assert post(admin, f"{page}/roles/{assignment}/delete", {}, page) == 302

    records = acts()
    on_record = [summary(act) for act in records]
    by_admin = ("admin", "operator.6301", ADMIN_ADDRESS)
    assert on_record == [
        (code, *by_admin)
        for code in (
            "account.created",
            "email.changed",
            "account.edited",
            "account.disabled",
            "account.enabled",
            "password.set",
            "role.granted",
            "role.removed",
        )
    ]
    details = [act.details for act in records]
    assert details[0] == {
        "username": "operator.6301",
        "full_name": "Operator Satu",
        "email": "operator@example.test",
        "language": "id",
    }
    assert details[1] == {"from": "operator@example.test", "to": "op2@example.test"}
    assert details[2] == {
        "full_name": {"from": "Operator Satu", "to": "Operator Dua"},
        "language": {"from": "id", "to": "en"},
    }
    assert details[6] == details[7] == {"role": "district_drafter", "region": "6301"}
    admin_id = user_id("admin")
    assert {act.actor_id for act in records} == {admin_id}
    assert all(act.request_id for act in records)  # the request's id, as in the log lines
    now = datetime.now(UTC)
    assert all(now - timedelta(minutes=5) < act.created_at <= now for act in records)
    no_secret_in(records, NEW_PASSWORD, other_password)


def test_a_refused_change_leaves_no_record(admin: FlaskClient, users: dict[str, User]) -> None:
    page = f"/admin/users/{users['drafter'].id}"
    # Already held: refused, nothing saved, nothing on record.
    assert post(admin, f"{page}/roles", {"role": "district_drafter", "region": "6301"}, page) == 400
    assert post(admin, f"{page}/password", {"password": "x", "confirm": "x"}, page) == 400
    assert acts() == []


def test_an_act_rolled_back_with_its_change_leaves_no_record(users: dict[str, User]) -> None:
    with pytest.raises(RuntimeError), unit_of_work():
        record_act(users["admin"], Action.ACCOUNT_DISABLED, target=users["drafter"])
        raise RuntimeError("the change failed after its act was written")
    assert acts() == []
    assert verify_database(db.engine).ok


def test_calendar_changes_are_on_record(admin: FlaskClient) -> None:
    page = "/admin/calendar?year=2026"
    holiday = {"day": "2026-03-02", "kind": "holiday", "note": "Banjir"}
    assert post(admin, "/admin/calendar/overrides", holiday, page) == 302
    [override] = re.findall(r"/admin/calendar/overrides/(\d+)/delete", admin.get(page).text)
    assert post(admin, f"/admin/calendar/overrides/{override}/delete", {}, page) == 302

    records = acts()
    assert [summary(act) for act in records] == [
        ("calendar.changed", "admin", None, ADMIN_ADDRESS)
    ] * 2
    assert [act.details for act in records] == [
        {"change": change, "day": "2026-03-02", "kind": "holiday", "note": "Banjir"}
        for change in ("added", "removed")
    ]


def test_a_users_own_password_change_and_reset_are_on_record(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    drafter = browser(app_ctx, "drafter.6301", USER_ADDRESS)
    change = {
        "current_password": factories.PASSWORD,
        "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    assert post(drafter, "/account/password", change, "/account/password") == 303

    visitor = browser(app_ctx, None, "192.0.2.44")
    asked = post(visitor, "/password/forgot", {"account": "reviewer.6301"}, "/password/forgot")
    assert asked == 303
    email = db.session.scalar(select(Notification).where(Notification.event == "password_reset"))
    link = "/password/reset/" + re.search(
        r"/password/reset/(\S+)", render_notification(email).text
    ).group(1)
    reset = {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert post(visitor, link, reset, link) == 303

    records = [act for act in acts() if act.action.startswith("password.")]
    assert [summary(act) for act in records] == [
        ("password.changed", "drafter.6301", "drafter.6301", USER_ADDRESS),
        ("password.reset", "reviewer.6301", "reviewer.6301", "192.0.2.44"),
    ]
    no_secret_in(acts(), NEW_PASSWORD, factories.PASSWORD, link.rsplit("/", 1)[1])


def test_delegations_created_and_ended_are_on_record(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    colleague = factories.user("staf.6301", ("district_drafter", "6301"))
    today = wita_today()
    delegation = dops.create_delegation(
        users["reviewer"],
        delegator=users["reviewer"],
        delegate=colleague,
        role="district_reviewer",
        region=factories.regions()["6301"],
        starts_on=today,
        ends_on=today + timedelta(days=3),
        note="Cuti tahunan",
    )
    db.session.commit()
    reviewer = browser(app_ctx, "reviewer.6301", USER_ADDRESS)
    assert post(reviewer, f"/delegations/{delegation.id}/end", {}, "/delegations") == 303

    records = acts()
    assert [summary(act) for act in records] == [
        ("delegation.created", "reviewer.6301", "staf.6301", "cli"),  # not in a web request
        ("delegation.ended", "reviewer.6301", "staf.6301", USER_ADDRESS),
    ]
    assert records[0].details == {
        "delegation_id": delegation.id,
        "delegator": "reviewer.6301",
        "delegate": "staf.6301",
        "role": "district_reviewer",
        "region": "6301",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=3)).isoformat(),
    }


def test_tokens_made_on_the_command_line_and_revoked_on_the_web_are_on_record(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    result = app_ctx.test_cli_runner().invoke(
        args=["tokens", "create", "reviewer.6301", "--name", "cron", "--days", "7"]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    token = db.session.scalar(select(ApiToken))
    reviewer = browser(app_ctx, "reviewer.6301", USER_ADDRESS)
    assert post(reviewer, f"/account/tokens/{token.id}/revoke", {}, "/account/tokens") == 303

    records = acts()
    created, revoked = records
    assert summary(created)[0::2] == ("token.created", "reviewer.6301")
    # Nobody signed in: the command line, named by the system user who ran it.
    assert (created.actor_id, created.client_address) == (None, "cli")
    assert created.actor_label.startswith("cli")
    assert summary(revoked) == ("token.revoked", "reviewer.6301", "reviewer.6301", USER_ADDRESS)
    assert (
        created.details
        == revoked.details
        == {
            "token_id": token.id,
            "name": "cron",
            "prefix": secret[:8],
        }
    )
    no_secret_in(records, secret, token.token_hash)


def test_a_token_made_on_the_web_names_its_user(app_ctx: Flask, users: dict[str, User]) -> None:
    drafter = browser(app_ctx, "drafter.6301", USER_ADDRESS)
    form = {"name": "skrip", "days": "30", "password": factories.PASSWORD}
    assert post(drafter, "/account/tokens", form, "/account/tokens") == 201
    [created] = acts()
    assert summary(created) == ("token.created", "drafter.6301", "drafter.6301", USER_ADDRESS)


def test_details_never_hold_a_secret(users: dict[str, User]) -> None:
    for key in ("password", "new_password", "token_hash", "secret"):
        with pytest.raises(ValueError, match="never hold a secret"):
            record_act(users["admin"], Action.PASSWORD_SET, details={key: "x"})
    db.session.rollback()
    assert acts() == []


def test_every_act_has_a_label_on_the_page() -> None:
    assert set(ACTION_LABELS) == set(Action)


# --- the chain and `workflow-app audit verify` ----------------------------------------------


def five_acts(users: dict[str, User]) -> list[int]:
    """Five acts committed one by one, as requests would: their ids."""
    for role in ("district_reviewer", "district_head", "district_drafter", "partner", "admin"):
        record_act(users["admin"], Action.ROLE_GRANTED, target=users["head"], details={"r": role})
        db.session.commit()
    return [act.id for act in acts()]


def raw(sql: str, **params: object) -> None:
    """Tamper as someone with database access would: plain SQL, committed, no ORM guard."""
    db.session.commit()
    with db.engine.begin() as connection:
        connection.execute(text(sql), params)


def stored_time(value: datetime) -> object:
    """A time as raw SQL writes it: SQLite keeps naive UTC text, PostgreSQL the instant."""
    if db.engine.dialect.name == "sqlite":
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return value


def admin_break(runner_output: str) -> str:
    [line] = [line for line in runner_output.splitlines() if line.startswith("admin log:")]
    return line


def verify(app: Flask) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    return result.exit_code, result.output


def test_the_acts_form_one_chain_that_verifies(app_ctx: Flask, users: dict[str, User]) -> None:
    ids = five_acts(users)
    records = acts()
    assert records[0].prev_hash is None
    assert [act.prev_hash for act in records[1:]] == [act.row_hash for act in records[:-1]]
    assert all(act.row_hash == act_hash(act.prev_hash, act.__dict__) for act in records)
    code, output = verify(app_ctx)
    assert code == 0, output
    assert output.strip() == f"OK: 0 chains, 0 rows; admin log: {len(ids)} acts"


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("details", '{"r": "district_drafter", "region": "6304"}'),
        ("actor_label", "head.6301"),
        ("client_address", "10.0.0.1"),
        ("action", "role.removed"),
    ],
)
def test_an_edited_act_is_named(
    app_ctx: Flask, users: dict[str, User], column: str, value: str
) -> None:
    ids = five_acts(users)
    raw(f"UPDATE admin_act SET {column} = :value WHERE id = :id", value=value, id=ids[2])
    code, output = verify(app_ctx)
    assert code == EXIT_BROKEN_CHAIN
    assert (
        admin_break(output) == f"admin log: row {ids[2]}: content changed: its hash does not match"
    )


def test_an_act_deleted_from_the_middle_is_named_at_the_act_after_it(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    ids = five_acts(users)
    raw("DELETE FROM admin_act WHERE id = :id", id=ids[1])
    code, output = verify(app_ctx)
    assert code == EXIT_BROKEN_CHAIN
    assert admin_break(output).startswith(f"admin log: row {ids[2]}: row missing")


def test_acts_cut_off_the_end_are_found(app_ctx: Flask, users: dict[str, User]) -> None:
    ids = five_acts(users)
    raw("DELETE FROM admin_act WHERE id >= :id", id=ids[3])
    code, output = verify(app_ctx)
    assert code == EXIT_BROKEN_CHAIN
    assert admin_break(output) == (
        f"admin log: row {ids[2]}: row missing: the log's last act was row {ids[4]}: "
        "the acts after this one are missing"
    )
    # The next act links to the last one written, so the gap stays visible.
    record_act(users["admin"], Action.ROLE_REMOVED, target=users["head"])
    db.session.commit()
    [found] = verify_database(db.engine).breaks
    assert (found.row_id, found.reason) == (acts()[-1].id, Reason.ROW_MISSING)
    assert acts()[-1].id > ids[4]  # an id is never given twice


def test_an_act_inserted_by_hand_is_named(app_ctx: Flask, users: dict[str, User]) -> None:
    """Even correctly hashed and linked, an act written past the log's head is found."""
    ids = five_acts(users)
    last = acts()[-1]
    forged = {
        "id": last.id + 1,
        "created_at": last.created_at,
        "actor_id": last.actor_id,
        "actor_label": "admin",
        "action": "role.granted",
        "target_user_id": users["drafter"].id,
        "details": {"role": "admin", "region": "63"},
        "client_address": "10.0.0.1",
        "request_id": None,
    }
    row = {
        **forged,
        "created_at": stored_time(last.created_at),
        "details": json.dumps(forged["details"]),
        "prev_hash": last.row_hash,
        "row_hash": act_hash(last.row_hash, forged),
    }
    columns = ", ".join(row)
    raw(f"INSERT INTO admin_act ({columns}) VALUES ({', '.join(':' + c for c in row)})", **row)
    code, output = verify(app_ctx)
    assert code == EXIT_BROKEN_CHAIN
    assert admin_break(output) == (
        f"admin log: row {last.id + 1}: row inserted: it comes after the log's last act, "
        f"row {ids[-1]}"
    )


def test_an_act_relinked_past_its_predecessor_is_named(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    """Act 3 re-linked to act 1 and its hash recomputed: it hashes right, but skips act 2."""
    ids = five_acts(users)
    first, _, third = acts()[:3]
    values = {column.name: getattr(third, column.name) for column in AdminAct.__table__.columns}
    raw(
        "UPDATE admin_act SET prev_hash = :prev, row_hash = :own WHERE id = :id",
        prev=first.row_hash,
        own=act_hash(first.row_hash, values),
        id=ids[2],
    )
    [found] = verify_database(db.engine).breaks
    assert (found.row_id, found.reason) == (ids[2], Reason.LINK_BROKEN)


def test_acts_still_refuse_updates_and_deletes(users: dict[str, User]) -> None:
    act = record_act(users["admin"], Action.ROLE_GRANTED, target=users["head"])
    db.session.commit()
    act.action = "role.removed"
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(act)
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()


# --- /admin/audit --------------------------------------------------------------------------


def listed(client: FlaskClient, query: str = "", status: int = 200) -> list[str]:
    response = client.get(f"/admin/audit{query}")
    assert response.status_code == status, response.status_code
    return re.findall(r'<tr id="act-(\d+)" data-action="([^"]+)"', response.text)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def story(admin: FlaskClient, users: dict[str, User]) -> dict[str, int]:
    """Acts by the admin on the drafter and the head, one by the reviewer, on three days."""
    record = [
        (users["admin"], Action.ROLE_GRANTED, users["drafter"], utc(2026, 3, 1, 23, 30)),
        (users["admin"], Action.ACCOUNT_DISABLED, users["head"], utc(2026, 3, 2, 1, 0)),
        (users["reviewer"], Action.TOKEN_CREATED, users["reviewer"], utc(2026, 3, 3, 2, 0)),
    ]
    ids = {}
    for actor, action, target, at in record:
        act = record_act(actor, action, target=target)
        ids[action.value] = act.id
        db.session.commit()
        # Moved in time past the chain: the page's filters read the column.
        raw("UPDATE admin_act SET created_at = :at WHERE id = :id", at=stored_time(at), id=act.id)
    return ids


def test_the_log_lists_the_newest_first_and_filters(
    admin: FlaskClient, story: dict[str, int]
) -> None:
    granted, disabled, token = (
        str(story[key]) for key in ("role.granted", "account.disabled", "token.created")
    )
    assert listed(admin) == [
        (token, "token.created"),
        (disabled, "account.disabled"),
        (granted, "role.granted"),
    ]
    assert listed(admin, "?action=account.disabled") == [(disabled, "account.disabled")]
    assert [i for i, _ in listed(admin, "?actor=REVIEWER")] == [token]
    assert [i for i, _ in listed(admin, "?target=head.6301")] == [disabled]
    # WITA dates: 1 March 23:30 UTC is already 2 March in Banjarmasin.
    assert [i for i, _ in listed(admin, "?since=2026-03-02&until=2026-03-02")] == [
        disabled,
        granted,
    ]
    assert [i for i, _ in listed(admin, "?until=2026-03-01")] == []
    assert [i for i, _ in listed(admin, "?since=2026-03-03")] == [token]


def test_the_page_shows_who_what_to_whom_when_and_from_where(
    admin: FlaskClient, users: dict[str, User]
) -> None:
    page = f"/admin/users/{users['drafter'].id}"
    assert post(admin, f"{page}/roles", {"role": "partner", "region": "6304"}, page) == 302
    shown = admin.get("/admin/audit").text
    row = re.search(r'<tr id="act-\d+".*?</tr>', shown, re.S).group(0)
    for text_shown in (
        "role.granted",
        "admin",
        "drafter.6301",
        ADMIN_ADDRESS,
        "role: partner",
        "region: 6304",
    ):
        assert text_shown in row
    assert "WITA" in row


def test_a_bad_filter_is_named_and_the_rest_still_applies(
    admin: FlaskClient, story: dict[str, int]
) -> None:
    response = admin.get("/admin/audit?since=2026-02-31&action=account.disabled")
    assert response.status_code == 400
    assert 'id="since-error"' in response.text
    assert re.findall(r'data-action="([^"]+)"', response.text) == ["account.disabled"]
    backwards = admin.get("/admin/audit?since=2026-03-03&until=2026-03-01")
    assert backwards.status_code == 400
    assert 'id="until-error"' in backwards.text


def test_the_log_is_paged(admin: FlaskClient, users: dict[str, User]) -> None:
    for number in range(53):
        record_act(users["admin"], Action.ROLE_GRANTED, target=users["head"], details={"n": number})
    db.session.commit()
    first = listed(admin)
    second = listed(admin, "?page=2&action=role.granted")
    assert (len(first), len(second)) == (50, 3)
    assert int(first[-1][0]) > int(second[0][0])
    assert 'href="/admin/audit?page=2"' in admin.get("/admin/audit").text
    assert listed(admin, "?page=99") == second  # past the end: the last page


@pytest.mark.parametrize("username", ["drafter.6301", "provincial.63", "mitra.demo"])
def test_only_the_admin_reads_the_log(app_ctx: Flask, users: dict, username: str) -> None:
    assert browser(app_ctx, username, USER_ADDRESS).get("/admin/audit").status_code == 403
    visitor = browser(app_ctx, None, USER_ADDRESS).get("/admin/audit")
    assert visitor.status_code == 302 and visitor.headers["Location"].startswith("/login")


def test_the_admin_pages_link_to_the_log(admin: FlaskClient) -> None:
    assert 'href="/admin/audit"' in admin.get("/admin/").text


def test_an_empty_log_says_so(admin: FlaskClient) -> None:
    page = admin.get("/admin/audit")
    assert page.status_code == 200
    assert 'class="empty-state"' in page.text

"""Acting officials (Plt/Plh): a role holder hands a role to someone for a date range; the
delegate sees and does that work while it lasts, the history names both people, and the
delegation ends by itself."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from tests import factories
from tests.conftest import csrf_token, signed_in
from tests.statements import statements_of_a_get
from workflow_app.accounts import delegations as dops
from workflow_app.accounts.models import Delegation, RoleAssignment, User, wita_today
from workflow_app.engine import OutOfScope, RoleNotAllowed
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan

REVIEWER = "district_reviewer"


def _page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def _ids(page: str, kind: str) -> set[int]:
    return {int(n) for n in re.findall(rf'id="{kind}-(\d+)"', page)}


def _delegate(
    users: dict, delegate: User, start: date | None = None, end: date | None = None
) -> Delegation:
    """The 6301 reviewer hands their role to `delegate` (default: today to three days on)."""
    reviewer = users["reviewer"]
    today = wita_today()
    delegation = dops.create_delegation(
        reviewer,
        delegator=reviewer,
        delegate=delegate,
        role=REVIEWER,
        region=factories.regions()["6301"],
        starts_on=start or today,
        ends_on=end or today + timedelta(days=3),
        note="Cuti tahunan",
    )
    db.session.commit()
    return delegation


@pytest.fixture
def plt(users) -> User:
    """A colleague in 6301 (a drafter there) who may stand in for the district's officials."""
    account = factories.user("staf.6301", ("district_drafter", "6301"))
    db.session.commit()
    return account


def _forward_on_the_web(client: FlaskClient, plan: ActionPlan) -> int:
    token = csrf_token(client, f"/plans/{plan.id}")
    response = client.post(
        f"/plans/{plan.id}/transition",
        data={"trigger": "forward", "version": plan.version, "csrf_token": token},
    )
    return response.status_code


def _travel_to(day: date) -> time_machine.travel:
    return time_machine.travel(datetime.combine(day, time(10, 0), tzinfo=WITA), tick=False)


# --- acting while the delegation lasts -------------------------------------------------


def test_delegate_forwards_through_the_operation_and_history_names_both(users, plt) -> None:
    plan = factories.plan_in_state(users, "district_review")
    db.session.commit()
    with pytest.raises(RoleNotAllowed):
        ops.transition(plt, plan, "forward")
    db.session.rollback()

    _delegate(users, plt)
    record = ops.transition(plt, plan, "forward")
    db.session.commit()

    assert plan.state == "provincial_sync"
    assert (record.actor_id, record.acting_for_id, record.role) == (
        plt.id,
        users["reviewer"].id,
        REVIEWER,
    )


def test_delegate_forwards_on_the_web_and_the_plan_page_says_on_behalf_of(
    app_ctx, users, plt
) -> None:
    plan = factories.plan_in_state(users, "district_review")
    db.session.commit()
    _delegate(users, plt)
    client = signed_in(app_ctx, "staf.6301")

    assert plan.id in _ids(_page(client, "/tasks"), "task")
    assert plan.id in _ids(_page(client, "/plans"), "plan")
    assert _forward_on_the_web(client, plan) == 303

    row = db.session.scalars(
        select(CaseTransition).where(CaseTransition.trigger == "forward")
    ).one()
    assert (row.actor_id, row.acting_for_id) == (plt.id, users["reviewer"].id)
    page = _page(client, f"/plans/{plan.id}")
    entry = re.search(rf'id="history-{row.id}".*?</li>', page, re.S).group(0)
    who = re.sub(r"<[^>]+>|\s+", " ", re.search(r'class="history-who">(.*?)</div>', entry, re.S)[1])
    with force_locale("id"):
        expected = _("%(actor)s on behalf of %(principal)s", actor="@A@", principal="@P@")
    connector = expected.split("@A@")[1].split("@P@")[0].strip()
    assert "a.n." in connector  # the Indonesian "atas nama"
    actor_at, connector_at = who.find(plt.full_name), who.find(connector)
    principal_at = who.find(users["reviewer"].full_name)
    assert -1 < actor_at < connector_at < principal_at


def test_delegate_gains_only_the_delegated_district(app_ctx, users, plt) -> None:
    elsewhere = factories.plan_in_state(
        dict(users, drafter=users["other_drafter"], reviewer=users["other_reviewer"]),
        "district_review",
        "6304",
    )
    db.session.commit()
    _delegate(users, plt)
    client = signed_in(app_ctx, "staf.6301")

    _page(client, f"/plans/{elsewhere.id}", status=404)
    assert elsewhere.id not in _ids(_page(client, "/plans"), "plan")
    assert elsewhere.id not in _ids(_page(client, "/tasks"), "task")
    with pytest.raises(OutOfScope):
        ops.transition(plt, elsewhere, "forward")


def test_own_role_is_used_before_an_acting_one(users) -> None:
    """The 6301 head, also acting as reviewer, still signs as head in their own right."""
    plan = factories.plan_in_state(users, "district_review")
    db.session.commit()
    _delegate(users, users["head"])
    record = ops.transition(users["head"], plan, "forward")
    assert record.acting_for_id == users["reviewer"].id  # only the delegation allows forward


# --- before it starts, after it ends, ended early -------------------------------------


def test_before_the_first_day_the_delegate_cannot_act(app_ctx, users, plt) -> None:
    plan = factories.plan_in_state(users, "district_review")
    db.session.commit()
    tomorrow = wita_today() + timedelta(days=1)
    _delegate(users, plt, start=tomorrow, end=tomorrow + timedelta(days=2))
    client = signed_in(app_ctx, "staf.6301")

    assert plan.id not in _ids(_page(client, "/tasks"), "task")
    assert _forward_on_the_web(client, plan) == 403
    with pytest.raises(RoleNotAllowed):
        ops.transition(plt, plan, "forward")
    db.session.rollback()

    with _travel_to(tomorrow):
        assert plan.id in _ids(_page(client, "/tasks"), "task")


def test_after_the_last_day_the_delegation_ends_by_itself(app_ctx, users) -> None:
    plan = factories.plan_in_state(users, "district_review")
    db.session.commit()
    today = wita_today()
    _delegate(users, users["head"], start=today, end=today + timedelta(days=1))
    client = signed_in(app_ctx, "head.6301")

    with _travel_to(today + timedelta(days=1)):  # the last day is included
        _page(client, f"/plans/{plan.id}")
        assert plan.id in _ids(_page(client, "/tasks"), "task")
    with _travel_to(today + timedelta(days=2)):
        # The head still sees the plan of their district, but forwarding is the reviewer's.
        assert plan.id not in _ids(_page(client, "/tasks"), "task")
        assert _forward_on_the_web(client, plan) == 403
    assert db.session.get(ActionPlan, plan.id).state == "district_review"


def test_a_delegation_ended_early_no_longer_acts(app_ctx, users, plt) -> None:
    plan = factories.plan_in_state(users, "district_review")
    db.session.commit()
    delegation = _delegate(users, plt)
    reviewer = signed_in(app_ctx, "reviewer.6301")
    page = _page(reviewer, "/delegations")
    assert delegation.id in _ids(page, "delegation")

    token = csrf_token(reviewer, "/delegations")
    response = reviewer.post(f"/delegations/{delegation.id}/end", data={"csrf_token": token})
    assert response.status_code == 303

    db.session.expire_all()
    assert db.session.get(Delegation, delegation.id).ended_at is not None
    client = signed_in(app_ctx, "staf.6301")
    assert plan.id not in _ids(_page(client, "/tasks"), "task")
    assert _forward_on_the_web(client, plan) == 403
    with pytest.raises(RoleNotAllowed):
        ops.transition(db.session.get(User, plt.id), plan, "forward")
    # Ending it twice is a conflict, not a crash.
    again = reviewer.post(f"/delegations/{delegation.id}/end", data={"csrf_token": token})
    assert again.status_code == 409


def test_only_those_concerned_or_an_admin_may_end_a_delegation(app_ctx, users, plt) -> None:
    delegation = _delegate(users, plt)
    outsider = signed_in(app_ctx, "drafter.6304")
    token = csrf_token(outsider, "/delegations")
    assert delegation.id not in _ids(_page(outsider, "/delegations"), "delegation")
    response = outsider.post(f"/delegations/{delegation.id}/end", data={"csrf_token": token})
    assert response.status_code == 404

    admin = signed_in(app_ctx, "admin")
    assert delegation.id in _ids(_page(admin, "/delegations"), "delegation")
    token = csrf_token(admin, "/delegations")
    response = admin.post(f"/delegations/{delegation.id}/end", data={"csrf_token": token})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Delegation, delegation.id).ended_by_id == users["admin"].id


def test_ending_needs_the_csrf_token(app_ctx, users, plt) -> None:
    delegation = _delegate(users, plt)
    reviewer = signed_in(app_ctx, "reviewer.6301")
    response = reviewer.post(f"/delegations/{delegation.id}/end", data={})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Delegation, delegation.id).ended_at is None


def test_losing_the_role_takes_it_from_the_delegate_too(users, plt) -> None:
    plan = factories.plan_in_state(users, "district_review")
    _delegate(users, plt)
    db.session.execute(
        RoleAssignment.__table__.delete().where(RoleAssignment.user_id == users["reviewer"].id)
    )
    db.session.commit()
    with pytest.raises(RoleNotAllowed):
        ops.transition(db.session.get(User, plt.id), plan, "forward")


# --- creating: the rules --------------------------------------------------------------


def test_a_role_the_delegator_does_not_hold_is_refused(users, plt) -> None:
    reviewer = users["reviewer"]
    with pytest.raises(dops.DelegationRejected) as refused:
        dops.create_delegation(
            reviewer,
            delegator=reviewer,
            delegate=plt,
            role="district_head",
            region=factories.regions()["6301"],
            starts_on=wita_today(),
            ends_on=wita_today(),
        )
    assert set(refused.value.errors) == {"assignment"}
    with pytest.raises(dops.DelegationRejected) as refused:
        dops.create_delegation(
            reviewer,
            delegator=reviewer,
            delegate=plt,
            role=REVIEWER,
            region=factories.regions()["6304"],
            starts_on=wita_today(),
            ends_on=wita_today(),
        )
    assert "assignment" in refused.value.errors  # (and plt is no official of 6304 either)
    assert db.session.scalar(select(func.count(Delegation.id))) == 0


def test_the_rules_of_a_delegation(users, plt) -> None:
    reviewer, today = users["reviewer"], wita_today()

    def refused_fields(**changes: object) -> set[str]:
        values = dict(
            delegator=reviewer,
            delegate=plt,
            role=REVIEWER,
            region=factories.regions()["6301"],
            starts_on=today,
            ends_on=today + timedelta(days=2),
        )
        values.update(changes)
        with pytest.raises(dops.DelegationRejected) as refused:
            dops.create_delegation(reviewer, **values)
        return set(refused.value.errors)

    assert refused_fields(delegate=reviewer) == {"delegate"}
    assert refused_fields(delegate=None) == {"delegate"}
    assert refused_fields(ends_on=today - timedelta(days=1)) == {"ends_on"}
    assert refused_fields(
        starts_on=today - timedelta(days=5), ends_on=today - timedelta(days=1)
    ) == {"starts_on", "ends_on"}
    _delegate(users, plt)
    assert refused_fields(delegate=users["head"], starts_on=today + timedelta(days=1)) == {
        "starts_on"
    }
    # Someone else may not hand over the reviewer's role; the delegate may not pass it on.
    with pytest.raises(RoleNotAllowed):
        dops.create_delegation(
            users["head"],
            delegator=reviewer,
            delegate=users["head"],
            role=REVIEWER,
            region=factories.regions()["6301"],
            starts_on=today,
            ends_on=today,
        )
    with pytest.raises(dops.DelegationRejected):
        dops.create_delegation(
            plt,
            delegator=plt,
            delegate=users["head"],
            role=REVIEWER,
            region=factories.regions()["6301"],
            starts_on=today,
            ends_on=today,
        )


# --- the page -------------------------------------------------------------------------


def _assignment_of(username: str, role: str) -> int:
    return db.session.scalar(
        select(RoleAssignment.id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(User.username == username, RoleAssignment.role == role)
    )


def test_the_page_creates_a_delegation(app_ctx, users, plt) -> None:
    client = signed_in(app_ctx, "reviewer.6301")
    page = _page(client, "/delegations")
    assignment = _assignment_of("reviewer.6301", REVIEWER)
    assert f'value="{assignment}"' in page
    # Only one's own roles are offered.
    assert f'value="{_assignment_of("head.6301", "district_head")}"' not in page

    today = wita_today()
    response = client.post(
        "/delegations",
        data={
            "csrf_token": csrf_token(client, "/delegations"),
            "assignment": assignment,
            "delegate": "staf.6301",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=4)).isoformat(),
            "note": "Dinas luar",
        },
    )
    assert response.status_code == 303
    delegation = db.session.scalars(select(Delegation)).one()
    assert (delegation.delegator_id, delegation.delegate_id, delegation.role) == (
        users["reviewer"].id,
        plt.id,
        REVIEWER,
    )
    assert delegation.created_by_id == users["reviewer"].id
    # The delegate sees it among the delegations to them.
    received = _page(signed_in(app_ctx, "staf.6301"), "/delegations")
    assert delegation.id in _ids(received, "delegation")


def test_an_invalid_form_keeps_values_and_shows_errors_next_to_fields(app_ctx, users, plt) -> None:
    client = signed_in(app_ctx, "reviewer.6301")
    today = wita_today()
    data = {
        "csrf_token": csrf_token(client, "/delegations"),
        # The head's assignment: a role the reviewer does not hold.
        "assignment": _assignment_of("head.6301", "district_head"),
        "delegate": "staf.6301",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=4)).isoformat(),
        "note": "Dinas luar",
    }
    response = client.post("/delegations", data=data)
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert 'id="assignment-error"' in page
    assert 'value="staf.6301"' in page and "Dinas luar" in page

    data.update(
        assignment=_assignment_of("reviewer.6301", REVIEWER),
        delegate="nobody.here",
        ends_on=(today - timedelta(days=1)).isoformat(),
    )
    response = client.post("/delegations", data=data)
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert 'id="delegate-error"' in page and 'id="ends_on-error"' in page
    assert 'value="nobody.here"' in page
    assert f'value="{(today - timedelta(days=1)).isoformat()}"' in page
    assert db.session.scalar(select(func.count(Delegation.id))) == 0


def test_an_admin_delegates_for_anyone(app_ctx, users, plt) -> None:
    client = signed_in(app_ctx, "admin")
    page = _page(client, "/delegations")
    assignment = _assignment_of("reviewer.6301", REVIEWER)
    assert f'value="{assignment}"' in page
    response = client.post(
        "/delegations",
        data={
            "csrf_token": csrf_token(client, "/delegations"),
            "assignment": assignment,
            "delegate": "staf.6301",
            "starts_on": wita_today().isoformat(),
            "ends_on": wita_today().isoformat(),
        },
    )
    assert response.status_code == 303
    delegation = db.session.scalars(select(Delegation)).one()
    assert (delegation.delegator_id, delegation.created_by_id) == (
        users["reviewer"].id,
        users["admin"].id,
    )


# --- cost -----------------------------------------------------------------------------


def test_the_delegates_lists_cost_the_same_queries_for_one_plan_or_many(
    app_ctx, users, plt
) -> None:
    factories.plan_in_state(users, "district_review")
    db.session.commit()
    _delegate(users, plt)
    client = signed_in(app_ctx, "staf.6301")
    urls = ("/tasks", "/plans")
    one = {url: len(statements_of_a_get(app_ctx, client, url)) for url in urls}

    for _n in range(4):
        factories.plan_in_state(users, "district_review")
    db.session.commit()
    many = {url: len(statements_of_a_get(app_ctx, client, url)) for url in urls}

    assert many == one
    assert len(_ids(_page(client, "/plans"), "plan")) == 5


def test_a_user_without_officials_roles_sees_the_page_but_cannot_delegate(app_ctx, users) -> None:
    page = _page(signed_in(app_ctx, "mitra.demo"), "/delegations")
    assert 'action="/delegations"' not in page
    assert 'id="delegations-received"' in page

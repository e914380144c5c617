"""The plan operations: the submission guard, optimistic locking, region scope and edit rules.

Every change goes through `workflow_app.plans.operations` inside `unit_of_work()`, as views and
the CLI do; what was stored is read back in a separate session, as another user would see it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from workflow_app.accounts.models import User
from workflow_app.engine import (
    GuardFailed,
    InvalidInput,
    NotAllowedFromState,
    OutOfScope,
    RoleNotAllowed,
    StaleObject,
    TransitionRefused,
    WorkflowRegistry,
    guards,
)
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.access import can_view, visible_plans
from workflow_app.plans.models import ActionPlan
from workflow_app.resources import resource_path
from workflow_app.unit_of_work import STALE_MESSAGE, unit_of_work

Users = dict[str, Any]
STATES = (
    "draft",
    "district_review",
    "provincial_sync",
    "returned",
    "approved",
    "monitored",
    "closed",
    "withdrawn",
)
PUBLISHED = {"approved", "monitored", "closed"}
EDITABLE = {"draft", "returned"}


def stored(plan_id: int) -> dict[str, Any]:
    """Everything about a plan as committed, read in a session of its own."""
    with Session(db.engine) as session:
        plan = session.get(ActionPlan, plan_id)
        assert plan is not None
        return {
            "state": plan.state,
            "version": plan.version,
            "title": plan.title,
            "period": (plan.period_start, plan.period_end),
            "state_entered_at": plan.state_entered_at,
            "challenges": [c.description for c in plan.challenges],
            "indicators": [
                (i.name, i.baseline_value, [(t.year, t.value) for t in i.targets])
                for i in plan.indicators
            ],
            "activities": [
                (a.title, a.agency_id, [(f.year, f.source, f.amount) for f in a.funding])
                for a in plan.activities
            ],
            "history": [
                (h.id, h.from_state, h.to_state, h.trigger, h.actor_id, h.role, h.comment)
                for h in plan.history
            ],
        }


def activity_data(**changes: Any) -> ops.ActivityData:
    data = {
        "sub_sector": "wastewater",
        "activity_type": "lltt",
        "title": "Layanan LLTT",
        "location": "Pelaihari",
        "volume": Decimal(1200),
        "unit": "tangki septik/tahun",
        "agency_id": factories.agency("6301").id,
        "start_year": 2026,
        "end_year": 2029,
        "funding": [ops.FundingData(year=2026, source="apbd_district", amount=850_000_000)],
    }
    data.update(changes)
    return ops.ActivityData(**data)


def indicator(**changes: Any) -> ops.IndicatorData:
    data = {
        "name": "Akses sanitasi aman",
        "unit": "%",
        "baseline_year": 2024,
        "baseline_value": Decimal("6.0"),
        "targets": {year: Decimal(3 * (year - 2023)) for year in range(2025, 2030)},
    }
    data.update(changes)
    return ops.IndicatorData(**data)


def draft(users: Users) -> ActionPlan:
    """An empty draft of 6301, in 2025–2029 unless a live plan of the district has it."""
    start, end = factories.free_period("6301")
    with unit_of_work():
        plan = ops.create_plan(
            users["drafter"],
            factories.regions()["6301"],
            title="Rencana Aksi Tanah Laut",
            period_start=start,
            period_end=end,
        )
    return plan


def submit_refused(users: Users, plan: ActionPlan) -> GuardFailed:
    before = stored(plan.id)
    with force_locale("en"), pytest.raises(GuardFailed) as caught, unit_of_work():
        ops.transition(users["drafter"], plan, "submit")
    assert caught.value.status == 409
    assert stored(plan.id) == before
    return caught.value


def missing_pieces(refused: GuardFailed) -> list[str]:
    return [str(problem) for problem in refused.problems]


# --- the submission guard -------------------------------------------------------------


def test_a_plan_without_activity_cannot_be_submitted(users: Users) -> None:
    plan = draft(users)
    with unit_of_work():
        ops.replace_indicators(
            users["drafter"], plan, expected_version=None, indicators=[indicator()]
        )
    assert missing_pieces(submit_refused(users, plan)) == ["The plan has no activity yet."]


def test_an_activity_without_agency_blocks_submission(users: Users) -> None:
    plan = factories.complete_plan(users["drafter"])
    with unit_of_work():
        ops.update_activity(
            users["drafter"],
            plan,
            plan.activities[0].id,
            expected_version=None,
            data=activity_data(agency_id=None),
        )
    assert missing_pieces(submit_refused(users, plan)) == [
        "Activity “Layanan LLTT” has no responsible agency."
    ]


@pytest.mark.parametrize(
    "funding",
    [[], [ops.FundingData(2026, "apbd_district", 0), ops.FundingData(2027, "dak", 0)]],
    ids=["no-rows", "zero-amounts"],
)
def test_an_activity_without_funding_blocks_submission(
    users: Users, funding: list[ops.FundingData]
) -> None:
    plan = factories.complete_plan(users["drafter"])
    with unit_of_work():
        ops.update_activity(
            users["drafter"],
            plan,
            plan.activities[0].id,
            expected_version=None,
            data=activity_data(funding=funding),
        )
    assert missing_pieces(submit_refused(users, plan)) == [
        "Activity “Layanan LLTT” has no funding."
    ]


@pytest.mark.parametrize(
    "missing",
    [{"baseline_year": None}, {"baseline_value": None}],
    ids=["no-baseline-year", "no-baseline-value"],
)
def test_an_indicator_without_baseline_blocks_submission(
    users: Users, missing: dict[str, None]
) -> None:
    plan = factories.complete_plan(users["drafter"])
    with unit_of_work():
        ops.replace_indicators(
            users["drafter"], plan, expected_version=None, indicators=[indicator(**missing)]
        )
    assert missing_pieces(submit_refused(users, plan)) == [
        "Indicator “Akses sanitasi aman” has no baseline."
    ]


def test_an_indicator_without_a_target_for_one_year_blocks_submission(users: Users) -> None:
    targets = {year: Decimal(10) for year in (2025, 2026, 2028, 2029)}
    plan = factories.complete_plan(users["drafter"])
    with unit_of_work():
        ops.replace_indicators(
            users["drafter"], plan, expected_version=None, indicators=[indicator(targets=targets)]
        )
    assert missing_pieces(submit_refused(users, plan)) == [
        "Indicator “Akses sanitasi aman” has no target for 2027."
    ]


def test_every_problem_is_listed_at_once(users: Users) -> None:
    plan = factories.complete_plan(users["drafter"])
    with unit_of_work():
        ops.update_activity(
            users["drafter"],
            plan,
            plan.activities[0].id,
            expected_version=None,
            data=activity_data(agency_id=None, funding=[]),
        )
        ops.replace_indicators(
            users["drafter"],
            plan,
            expected_version=None,
            indicators=[indicator(name="A", baseline_value=None), indicator(name="B", targets={})],
        )
    assert missing_pieces(submit_refused(users, plan)) == [
        "Activity “Layanan LLTT” has no responsible agency.",
        "Activity “Layanan LLTT” has no funding.",
        "Indicator “A” has no baseline.",
        "Indicator “B” has no target for 2025, 2026, 2027, 2028, 2029.",
    ]


def test_a_returned_plan_is_checked_again_on_resubmission(users: Users) -> None:
    plan = factories.plan_in_state(users, "returned")
    with unit_of_work():
        ops.delete_activity(
            users["drafter"], plan, plan.activities[0].id, expected_version=plan.version
        )
    assert missing_pieces(submit_refused(users, plan)) == ["The plan has no activity yet."]


def test_a_complete_plan_passes_the_guard(users: Users) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    with unit_of_work():
        ops.transition(users["drafter"], plan, "submit", expected_version=plan.version)
    assert stored(plan.id)["state"] == "district_review"


# --- the workflow version a plan runs under -------------------------------------------


def test_every_plan_records_its_workflow_name_and_version(users: Users) -> None:
    plan = draft(users)
    assert (plan.workflow_name, plan.workflow_version) == ("action_plan", 3)
    assert [h.workflow_version for h in plan.history] == [3]


def test_a_new_version_applies_to_new_plans_only(
    users: Users, app_ctx: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = factories.plan_in_state(users, "draft")
    raw = yaml.safe_load((resource_path("workflows") / "action_plan.yaml").read_text())
    (tmp_path / "action_plan.v3.yaml").write_text(yaml.safe_dump(raw))
    # Version 4: a district head may no longer withdraw a plan.
    for step in raw["transitions"]:
        if step["trigger"] == "withdraw":
            step["roles"] = ["district_drafter"]
    (tmp_path / "action_plan.yaml").write_text(yaml.safe_dump(raw | {"version": 4}))
    monkeypatch.setitem(
        app_ctx.extensions, "workflows", WorkflowRegistry.from_directory(tmp_path, guards)
    )

    new = draft(users)
    assert (new.workflow_name, new.workflow_version) == ("action_plan", 4)
    with pytest.raises(RoleNotAllowed), unit_of_work():
        ops.transition(users["head"], new, "withdraw")
    with unit_of_work():
        record = ops.transition(users["head"], old, "withdraw")
    assert (record.workflow_version, stored(old.id)["state"]) == (3, "withdrawn")
    assert stored(new.id)["state"] == "draft"


# --- optimistic locking ---------------------------------------------------------------


def test_each_change_moves_the_version_on(users: Users) -> None:
    plan = draft(users)
    seen = [stored(plan.id)["version"]]
    changes: list[Callable[[], object]] = [
        lambda: ops.replace_challenges(
            users["drafter"], plan, expected_version=plan.version, descriptions=["Banjir"]
        ),
        lambda: ops.replace_indicators(
            users["drafter"], plan, expected_version=plan.version, indicators=[indicator()]
        ),
        lambda: ops.add_activity(
            users["drafter"], plan, expected_version=plan.version, data=activity_data()
        ),
        lambda: ops.transition(users["drafter"], plan, "submit", expected_version=plan.version),
    ]
    for change in changes:
        with unit_of_work():
            change()
        seen.append(stored(plan.id)["version"])
    assert seen == list(range(seen[0], seen[0] + len(changes) + 1))


def _stale_edits(users: Users, plan: ActionPlan, stale: int) -> list[Callable[[], object]]:
    drafter = users["drafter"]
    return [
        lambda: ops.update_header(
            drafter, plan, expected_version=stale, title="Baru", period_start=2025, period_end=2029
        ),
        lambda: ops.replace_challenges(drafter, plan, expected_version=stale, descriptions=["X"]),
        lambda: ops.replace_indicators(drafter, plan, expected_version=stale, indicators=[]),
        lambda: ops.add_activity(drafter, plan, expected_version=stale, data=activity_data()),
        lambda: ops.update_activity(
            drafter,
            plan,
            plan.activities[0].id,
            expected_version=stale,
            data=activity_data(title="Baru"),
        ),
        lambda: ops.delete_activity(drafter, plan, plan.activities[0].id, expected_version=stale),
        lambda: ops.transition(drafter, plan, "submit", expected_version=stale),
        lambda: ops.transition(drafter, plan, "withdraw", expected_version=stale),
    ]


@pytest.mark.parametrize(
    "which",
    range(8),
    ids=[
        "update_header",
        "replace_challenges",
        "replace_indicators",
        "add_activity",
        "update_activity",
        "delete_activity",
        "submit",
        "withdraw",
    ],
)
def test_a_stale_expected_version_changes_nothing(users: Users, which: int) -> None:
    plan = factories.plan_in_state(users, "draft")
    before = stored(plan.id)
    change = _stale_edits(users, plan, stale=plan.version - 1)[which]
    with pytest.raises(StaleObject) as caught, unit_of_work():
        change()
    assert (caught.value.status, caught.value.message) == (409, STALE_MESSAGE)
    assert stored(plan.id) == before


def _in_another_session(app: Flask, work: Callable[[], object]) -> None:
    """Run `work` as another request would: its own app context, so its own db.session."""
    with app.app_context():
        try:
            with unit_of_work():
                work()
        finally:
            db.session.remove()


def _as(plan_id: int, username: str) -> tuple[ActionPlan, User]:
    """The plan and the user, loaded in the current session."""
    user = db.session.scalars(select(User).where(User.username == username)).one()
    return ops.load_visible_plan(user, plan_id), user


def test_two_sessions_transitioning_at_once_only_the_first_wins(
    users: Users, app_ctx: Flask
) -> None:
    plan = factories.plan_in_state(users, "district_review")
    plan_id, reviewer = plan.id, users["reviewer"].username
    db.session.remove()

    mine, me = _as(plan_id, reviewer)
    seen_version = mine.version

    def forward_elsewhere() -> None:
        theirs, them = _as(plan_id, reviewer)
        ops.transition(them, theirs, "forward", expected_version=seen_version)

    _in_another_session(app_ctx, forward_elsewhere)
    with pytest.raises(StaleObject), unit_of_work():
        ops.transition(me, mine, "return", comment="Kurang lengkap", expected_version=seen_version)

    after = stored(plan_id)
    assert (after["state"], after["version"]) == ("provincial_sync", seen_version + 1)
    assert [h[3] for h in after["history"]][-2:] == ["submit", "forward"]


def test_two_sessions_editing_at_once_only_the_first_wins(users: Users, app_ctx: Flask) -> None:
    plan = factories.plan_in_state(users, "draft")
    plan_id, drafter = plan.id, users["drafter"].username
    db.session.remove()

    mine, me = _as(plan_id, drafter)
    seen_version = mine.version

    def add_elsewhere() -> None:
        theirs, them = _as(plan_id, drafter)
        ops.add_activity(
            them, theirs, expected_version=seen_version, data=activity_data(title="Dari sana")
        )

    _in_another_session(app_ctx, add_elsewhere)
    with pytest.raises(StaleObject), unit_of_work():
        ops.update_header(
            me,
            mine,
            expected_version=seen_version,
            title="Dari sini",
            period_start=2025,
            period_end=2029,
        )

    after = stored(plan_id)
    assert after["version"] == seen_version + 1
    assert after["title"] == "Rencana Aksi"
    assert [a[0] for a in after["activities"]] == ["Layanan LLTT", "Dari sana"]


# --- region scope ---------------------------------------------------------------------


def _of_district(users: Users, code: str) -> Users:
    """The standard users, with the district roles taken from district `code`."""
    if code == "6301":
        return users
    return users | {"drafter": users["other_drafter"], "reviewer": users["other_reviewer"]}


@pytest.mark.parametrize("who", ["other_drafter", "other_reviewer"])
def test_another_districts_staff_do_not_find_the_plan(users: Users, who: str) -> None:
    plan = factories.plan_in_state(users, "district_review")
    before = stored(plan.id)
    actor = users[who]
    with pytest.raises(OutOfScope) as caught:
        ops.load_visible_plan(actor, plan.id)
    assert caught.value.status == 404
    for trigger, comment in (("forward", None), ("return", "Tidak"), ("submit", None)):
        with pytest.raises(OutOfScope), unit_of_work():
            ops.transition(actor, plan, trigger, comment=comment)
    assert (
        plan.id
        not in db.session.scalars(visible_plans(actor).with_only_columns(ActionPlan.id)).all()
    )
    assert stored(plan.id) == before


def test_another_districts_drafter_cannot_edit(users: Users) -> None:
    plan = factories.plan_in_state(users, "draft")
    before = stored(plan.id)
    for change in _stale_edits(users | {"drafter": users["other_drafter"]}, plan, plan.version):
        with pytest.raises(OutOfScope), unit_of_work():
            change()
    assert stored(plan.id) == before


def test_a_missing_plan_is_not_found(users: Users) -> None:
    with pytest.raises(OutOfScope):
        ops.load_visible_plan(users["admin"], 999_999)


@pytest.mark.parametrize("who", ["drafter", "reviewer", "head", "partner", "admin"])
def test_plans_are_created_only_by_a_drafter_of_the_district(users: Users, who: str) -> None:
    region = factories.regions()["6304" if who == "drafter" else "6301"]
    with pytest.raises(RoleNotAllowed), unit_of_work():
        ops.create_plan(users[who], region, title="X", period_start=2025, period_end=2029)
    assert db.session.scalars(select(ActionPlan)).all() == []


@pytest.fixture
def plans_everywhere(users: Users) -> dict[tuple[str, str], int]:
    """A plan in every state in 6301, and an approved and a draft plan in 6304."""
    ids = {("6301", state): factories.plan_in_state(users, state).id for state in STATES}
    for state in ("approved", "draft"):
        plan = factories.plan_in_state(_of_district(users, "6304"), state, code="6304")
        ids[("6304", state)] = plan.id
    return ids


def _visible_ids(user: User) -> set[int]:
    return set(db.session.scalars(visible_plans(user).with_only_columns(ActionPlan.id)))


def test_a_partner_sees_only_published_plans_of_its_region(
    users: Users, plans_everywhere: dict[tuple[str, str], int]
) -> None:
    partner = users["partner"]
    expected = {
        plan_id
        for (code, state), plan_id in plans_everywhere.items()
        if code == "6301" and state in PUBLISHED
    }
    assert _visible_ids(partner) == expected
    for plan_id in plans_everywhere.values():
        if plan_id in expected:
            assert ops.load_visible_plan(partner, plan_id).id == plan_id
        else:
            with pytest.raises(OutOfScope):
                ops.load_visible_plan(partner, plan_id)


def test_a_partner_cannot_act_even_on_a_published_plan(users: Users) -> None:
    plan = factories.plan_in_state(users, "approved")
    before = stored(plan.id)
    for trigger in ("start_monitoring", "close"):
        with pytest.raises(RoleNotAllowed), unit_of_work():
            ops.transition(users["partner"], plan, trigger)
    assert stored(plan.id) == before


@pytest.mark.parametrize("who", ["provincial", "provincial_head", "admin"])
def test_provincial_roles_see_every_district(
    users: Users, plans_everywhere: dict[tuple[str, str], int], who: str
) -> None:
    assert _visible_ids(users[who]) == set(plans_everywhere.values())
    for plan_id in plans_everywhere.values():
        assert can_view(users[who], ops.load_visible_plan(users[who], plan_id))


@pytest.mark.parametrize("who", ["drafter", "reviewer", "head"])
def test_district_roles_see_their_own_district_only(
    users: Users, plans_everywhere: dict[tuple[str, str], int], who: str
) -> None:
    own = {plan_id for (code, _), plan_id in plans_everywhere.items() if code == "6301"}
    assert _visible_ids(users[who]) == own


def test_the_provincial_reviewer_acts_on_any_district(users: Users) -> None:
    plan = factories.plan_in_state(_of_district(users, "6304"), "provincial_sync", code="6304")
    with unit_of_work():
        ops.transition(users["provincial"], plan, "approve", expected_version=plan.version)
    assert stored(plan.id)["state"] == "approved"


# --- editing rules --------------------------------------------------------------------


@pytest.mark.parametrize("state", sorted(set(STATES) - EDITABLE))
def test_editing_is_refused_outside_editable_states(users: Users, state: str) -> None:
    plan = factories.plan_in_state(users, state)
    before = stored(plan.id)
    assert not ops.can_edit(users["drafter"], plan)
    for change in _stale_edits(users, plan, plan.version)[:6]:
        with pytest.raises(NotAllowedFromState) as caught, unit_of_work():
            change()
        assert caught.value.status == 409
    assert stored(plan.id) == before


@pytest.mark.parametrize("state", sorted(EDITABLE))
@pytest.mark.parametrize("who", ["reviewer", "head", "provincial", "provincial_head", "admin"])
def test_only_the_drafter_edits(users: Users, state: str, who: str) -> None:
    plan = factories.plan_in_state(users, state)
    before = stored(plan.id)
    assert ops.can_edit(users["drafter"], plan)
    assert not ops.can_edit(users[who], plan)
    for change in _stale_edits(users | {"drafter": users[who]}, plan, plan.version)[:6]:
        with pytest.raises(RoleNotAllowed) as caught, unit_of_work():
            change()
        assert caught.value.status == 403
    assert stored(plan.id) == before


def test_a_partner_does_not_find_a_draft_to_edit(users: Users) -> None:
    plan = factories.plan_in_state(users, "draft")
    with pytest.raises(OutOfScope), unit_of_work():
        ops.update_header(
            users["partner"],
            plan,
            expected_version=None,
            title="X",
            period_start=2025,
            period_end=2029,
        )


def test_the_drafter_edits_a_returned_plan(users: Users) -> None:
    plan = factories.plan_in_state(users, "returned")
    with unit_of_work():
        ops.update_header(
            users["drafter"],
            plan,
            expected_version=plan.version,
            title="  Rencana Aksi Revisi  ",
            period_start=2026,
            period_end=2030,
        )
    assert stored(plan.id)["title"] == "Rencana Aksi Revisi"
    assert stored(plan.id)["period"] == (2026, 2030)


@pytest.mark.parametrize(
    "change",
    [
        lambda u, p: ops.update_header(
            u, p, expected_version=None, title="X", period_start=2029, period_end=2025
        ),
        lambda u, p: ops.add_activity(
            u, p, expected_version=None, data=activity_data(agency_id=factories.agency("6304").id)
        ),
        lambda u, p: ops.add_activity(
            u,
            p,
            expected_version=None,
            data=activity_data(funding=[ops.FundingData(2026, "dak", -1)]),
        ),
    ],
    ids=["period-backwards", "agency-of-another-district", "negative-funding"],
)
def test_invalid_input_changes_nothing(
    users: Users, change: Callable[[User, ActionPlan], object]
) -> None:
    plan = factories.plan_in_state(users, "draft")
    before = stored(plan.id)
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        change(users["drafter"], plan)
    assert caught.value.status == 400
    assert stored(plan.id) == before


def test_an_activity_keeps_changes_and_drops_its_funding_rows(users: Users) -> None:
    """Saving an activity form again with the same year and source is the common case."""
    plan = factories.plan_in_state(users, "draft")
    funding = [
        ops.FundingData(2026, "apbd_district", 900_000_000),
        ops.FundingData(2027, "dak", 250_000_000),
    ]
    with unit_of_work():
        ops.update_activity(
            users["drafter"],
            plan,
            plan.activities[0].id,
            expected_version=plan.version,
            data=activity_data(funding=funding),
        )
    assert stored(plan.id)["activities"][0][2] == [
        (2026, "apbd_district", 900_000_000),
        (2027, "dak", 250_000_000),
    ]
    with unit_of_work():
        ops.update_activity(
            users["drafter"],
            plan,
            plan.activities[0].id,
            expected_version=plan.version,
            data=activity_data(funding=funding[1:]),
        )
    assert stored(plan.id)["activities"][0][2] == [(2027, "dak", 250_000_000)]


def test_a_provincial_agency_may_run_a_district_activity(users: Users) -> None:
    plan = factories.plan_in_state(users, "draft")
    agency = factories.agency("63", "Dinas PUPR Provinsi")
    with unit_of_work():
        ops.add_activity(
            users["drafter"],
            plan,
            expected_version=plan.version,
            data=activity_data(agency_id=agency.id),
        )
    assert stored(plan.id)["activities"][-1][1] == agency.id


# --- a refused transition leaves everything as it was ---------------------------------

REFUSALS = [
    pytest.param("district_review", "reviewer", "publish", None, None, 400, id="unknown-trigger"),
    pytest.param("district_review", "reviewer", "approve", None, None, 403, id="role-not-allowed"),
    pytest.param("district_review", "drafter", "submit", None, None, 409, id="wrong-state"),
    pytest.param("provincial_sync", "reviewer", "return", "x", None, 403, id="wrong-level"),
    pytest.param("district_review", "reviewer", "return", "  ", None, 400, id="no-comment"),
    pytest.param("district_review", "reviewer", "forward", None, -1, 409, id="stale"),
    pytest.param(
        "district_review", "other_reviewer", "forward", None, None, 404, id="out-of-scope"
    ),
    pytest.param("closed", "provincial_head", "close", None, None, 409, id="final-state"),
    pytest.param("withdrawn", "drafter", "submit", None, None, 409, id="withdrawn"),
]


@pytest.mark.parametrize(("state", "who", "trigger", "comment", "shift", "status"), REFUSALS)
def test_a_refused_transition_changes_nothing(
    users: Users,
    state: str,
    who: str,
    trigger: str,
    comment: str | None,
    shift: int | None,
    status: int,
) -> None:
    plan = factories.plan_in_state(users, state)
    before = stored(plan.id)
    expected_version = None if shift is None else plan.version + shift
    with pytest.raises(TransitionRefused) as caught, unit_of_work():
        ops.transition(
            users[who], plan, trigger, comment=comment, expected_version=expected_version
        )
    assert caught.value.status == status
    assert stored(plan.id) == before
    # The session is usable again and sees the same plan.
    assert db.session.get(ActionPlan, plan.id).version == before["version"]


def test_a_shorter_period_drops_the_targets_of_the_years_left_out(users: Users) -> None:
    plan = factories.plan_in_state(users, "draft")  # 2025–2029, activity 2026–2029
    with unit_of_work():
        ops.update_header(
            users["drafter"],
            plan,
            expected_version=None,
            title="RA",
            period_start=2025,
            period_end=2030,
        )
    with unit_of_work():
        ops.update_header(
            users["drafter"],
            plan,
            expected_version=None,
            title="RA",
            period_start=2026,
            period_end=2029,
        )
    with Session(db.engine) as session:
        years = [t.year for t in session.get(ActionPlan, plan.id).indicators[0].targets]
    assert years == [2026, 2027, 2028, 2029]


def test_a_period_that_would_leave_an_activity_outside_is_refused_by_name(users: Users) -> None:
    plan = factories.plan_in_state(users, "draft")  # the activity runs 2026–2029
    before = stored(plan.id)
    with force_locale("en"), pytest.raises(InvalidInput) as caught, unit_of_work():
        ops.update_header(
            users["drafter"],
            plan,
            expected_version=None,
            title="RA",
            period_start=2025,
            period_end=2027,
        )
    assert "Layanan LLTT" in caught.value.message
    assert "2025–2027" in caught.value.message
    assert stored(plan.id) == before

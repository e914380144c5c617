"""The demo data: what a person trying the app finds after `make run` (DOMAIN.md's examples)."""

from __future__ import annotations

import functools
from decimal import Decimal

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from workflow_app import demo
from workflow_app.extensions import db
from workflow_app.monitoring.models import ProgressReport
from workflow_app.plans.access import visible_plans
from workflow_app.plans.guards import plan_complete
from workflow_app.plans.models import ActionPlan, Activity
from workflow_app.signoffs.service import current_round
from workflow_app.unit_of_work import unit_of_work
from workflow_app.workflows import registry

# argon2 is slow on purpose: hash each demo password once for the whole test session.
_hash_once = functools.cache(demo._password_hash)


@pytest.fixture(autouse=True)
def _fast_demo_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "_password_hash", _hash_once)


@pytest.fixture
def data(app_ctx: Flask) -> demo.DemoData:
    with unit_of_work():
        built = demo.build_demo("demo-sandi-uji-2026")
    return built


def activity(plan: ActionPlan, activity_type: str) -> Activity:
    [found] = [a for a in plan.activities if a.activity_type == activity_type]
    return found


def funding(item: Activity) -> set[tuple[int, str, int]]:
    return {(f.year, f.source, f.amount) for f in item.funding}


def test_tanah_laut_is_monitored_with_the_domain_examples(data: demo.DemoData) -> None:
    plan = data.plans["6301"]
    assert (plan.state, plan.period_start, plan.period_end) == ("monitored", 2025, 2029)
    assert [row.trigger for row in plan.history][-2:] == ["approve", "start_monitoring"]

    safe = plan.indicators[0]
    assert safe.name == "% rumah tangga dengan akses sanitasi aman"
    assert (safe.baseline_year, safe.baseline_value) == (2024, Decimal("6.0"))
    assert {t.year: t.value for t in safe.targets} == {
        2025: Decimal("7.5"),
        2026: Decimal(9),
        2027: Decimal(12),
        2028: Decimal(15),
        2029: Decimal(18),
    }

    lltt = activity(plan, "lltt")
    assert (lltt.location, lltt.volume, lltt.agency.short_name) == (
        "Kec. Pelaihari",
        Decimal(1200),
        "Dinas PUPR",
    )
    assert funding(lltt) == {(2026, "apbd_district", 850_000_000)}

    septic = activity(plan, "spald_s")
    assert (septic.volume, septic.agency.short_name) == (Decimal(300), "Dinas Perkim")
    assert funding(septic) == {(2026, "dak", 1_350_000_000), (2026, "swadaya", 90_000_000)}

    stbm = activity(plan, "stbm")
    assert (stbm.volume, stbm.unit, stbm.agency.short_name) == (Decimal(15), "desa", "Dinkes")


def test_barito_kuala_is_returned_asking_for_the_open_defecation_baseline(
    data: demo.DemoData,
) -> None:
    plan = data.plans["6304"]
    assert plan.state == "returned"
    last = plan.history[-1]
    assert (last.trigger, last.actor.username, last.role, last.comment) == (
        "return",
        "provincial.63",
        "provincial_reviewer",
        "Lengkapi baseline BABS",
    )
    ded = activity(plan, "study_ded")
    assert "IPLT Marabahan" in ded.title
    assert funding(ded) == {(2026, "apbd_district", 400_000_000)}
    assert activity(plan, "regulation").sub_sector == "wastewater"


def test_banjarmasin_draft_is_complete_and_ready_to_submit(data: demo.DemoData) -> None:
    plan = data.plans["6371"]
    assert plan.state == "draft"
    assert plan_complete(plan) == []
    sewer = activity(plan, "spald_t")
    assert (sewer.volume, sewer.unit) == (Decimal(500), "SR")
    assert funding(sewer) == {(2026, "apbn", 2_500_000_000)}


def test_a_plan_waits_in_district_review_and_one_in_provincial_sync(data: demo.DemoData) -> None:
    assert data.plans["6303"].state == "district_review"
    assert data.plans["6372"].state == "provincial_sync"


def test_the_unfinished_draft_shows_what_is_missing(data: demo.DemoData) -> None:
    plan = data.plans["6305"]
    assert plan.state == "draft"
    with force_locale("en"):  # the check reads the English wording
        problems = plan_complete(plan)
    assert any("no activity" in problem.message for problem in problems)


def test_every_activity_is_run_by_an_agency_of_its_own_district(data: demo.DemoData) -> None:
    for plan in data.plans.values():
        for item in plan.activities:
            assert item.agency is not None and item.agency.region_id == plan.region_id
            assert item.total_funding > 0


def test_every_plan_runs_under_the_current_workflow(data: demo.DemoData) -> None:
    current = registry().latest("action_plan").version
    assert {(p.workflow_name, p.workflow_version) for p in data.plans.values()} == {
        ("action_plan", current)
    }


def test_the_partner_sees_only_published_plans_of_its_regions(data: demo.DemoData) -> None:
    mitra = data.users["mitra.demo"]
    seen = db.session.scalars(visible_plans(mitra)).all()
    assert [p.region.code for p in seen] == ["6301"]


def test_a_district_drafter_sees_only_the_plans_of_the_district(data: demo.DemoData) -> None:
    drafter = data.users["drafter.6304"]
    seen = db.session.scalars(visible_plans(drafter)).all()
    assert [p.region.code for p in seen] == ["6304"]
    province = data.users["provincial.63"]
    assert len(db.session.scalars(visible_plans(province)).all()) == len(data.plans)


def test_demo_usernames_match_the_users_created(data: demo.DemoData) -> None:
    assert sorted(data.users) == sorted(demo.demo_usernames())
    assert demo.database_has_users()
    assert db.session.scalar(select(ActionPlan.id).limit(1)) is not None


def test_tanah_laut_reported_the_third_quarter_of_2026(data: demo.DemoData) -> None:
    [report] = db.session.scalars(
        select(ProgressReport).where(ProgressReport.plan_id == data.plans["6301"].id)
    ).all()
    assert (report.period_label, report.state) == ("TW III 2026", "verified")
    lltt = next(line for line in report.lines if line.activity.activity_type == "lltt")
    assert (lltt.physical_progress, lltt.spent, lltt.budget) == (
        Decimal(45),
        540_000_000,
        850_000_000,
    )
    assert "Tender ulang" in lltt.obstacles
    assert [v.value for v in report.indicator_values] == [Decimal("7.8")]


def test_the_declared_kinds_have_a_case_each_in_a_telling_state(data: demo.DemoData) -> None:
    decree, proposal = data.cases["sk_pokja"], data.cases["dak_sanitation"]
    assert (decree.region.code, decree.state) == ("6301", "provincial_check")
    assert len(decree.values["members"]) == 5 and decree.values["signed_decree"]["name"]
    assert (proposal.state, proposal.values["action_plan"]) == (
        "agency_sign_off",
        data.plans["6301"].id,
    )
    answers = {row.participant.username: row.answer for row in current_round(proposal)}
    assert answers == {
        "pokja.pupr.6301": "agree",
        "pokja.dlh.6301": None,
        "pokja.dinkes.6301": None,
    }

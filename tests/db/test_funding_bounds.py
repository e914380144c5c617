"""A plan's money has sane bounds, whichever way it comes in: a row merged from several of the
same year and source is held to the per-row cap (eighty rows of Rp10^15 were stored as one of
8x10^16), an activity's total and a plan's total have caps (ACTIVITY_MAX_FUNDING, Rp10^13, and
PLAN_MAX_FUNDING, Rp10^14, by default). The plan operations refuse, naming the activity, so the
web form and the import refuse alike, and nothing is half saved."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from tests import factories
from tests.conftest import login
from tests.db import test_plan_spreadsheets as sheets
from tests.db.test_views_editing import activity_fields, empty_plan, form_on, fresh
from workflow_app.extensions import db
from workflow_app.number_fields import MAX_AMOUNT
from workflow_app.plans import operations as ops
from workflow_app.plans.models import Activity, Funding
from workflow_app.templating import rupiah

ACTIVITY_CAP = 10**13
PLAN_CAP = 10**14

MERGED_ROW = (
    "Activity “%(title)s”: the funding from %(source)s in %(year)d adds up to %(amount)s; "
    "at most %(limit)s is accepted for one source in one year."
)
ACTIVITY_TOTAL = (
    "Activity “%(title)s” is funded with %(amount)s in all; at most %(limit)s is accepted for "
    "one activity."
)
PLAN_TOTAL = (
    "With activity “%(title)s” the plan's funding would total %(amount)s; at most %(limit)s "
    "is accepted for one plan."
)


def said(message: str, **values: Any) -> str:
    with force_locale("id"):
        return gettext(message, **values)


def refusal_of(response: TestResponse) -> str:
    match = re.search(r'id="refusal"[^>]*>(.*?)</div>', response.get_data(as_text=True), re.S)
    assert match, "no refusal shown"
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def funding_rows(rows: list[tuple[int, str, str]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for index, (year, source, amount) in enumerate(rows):
        fields[f"funding-{index}-year"] = str(year)
        fields[f"funding-{index}-source"] = source
        fields[f"funding-{index}-amount"] = amount
    return fields


def without_funding(client: FlaskClient, url: str) -> dict[str, str]:
    """The form's fields with its funding rows taken out (the test writes its own)."""
    return {k: v for k, v in form_on(client, url).items() if not k.startswith("funding-")}


def funding_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Funding)) or 0


@pytest.fixture
def drafter(client: FlaskClient, users: dict) -> FlaskClient:
    login(client, users["drafter"].username)
    return client


def test_the_caps_are_the_documented_defaults(app_ctx: Any) -> None:
    assert app_ctx.config["ACTIVITY_MAX_FUNDING"] == ACTIVITY_CAP
    assert app_ctx.config["PLAN_MAX_FUNDING"] == PLAN_CAP


# --- the web form --------------------------------------------------------------------------


def test_eighty_rows_merged_into_one_beyond_the_row_cap_are_refused(
    drafter: FlaskClient, users: dict
) -> None:
    plan = empty_plan(users)
    version = plan.version
    fields = activity_fields(drafter, plan)
    fields.update(funding_rows([(2026, "dak", "1.000.000.000.000.000")] * 80))

    response = drafter.post(f"/plans/{plan.id}/activities/new", data={**fields, "save": "1"})

    assert response.status_code == 400
    assert refusal_of(response) == said(
        MERGED_ROW,
        title="SPALD-S 300 KK",
        source="DAK",
        year=2026,
        amount=rupiah(80 * MAX_AMOUNT),
        limit=rupiah(MAX_AMOUNT),
    )
    assert fresh(plan.id).activities == []
    assert fresh(plan.id).version == version
    assert funding_count() == 0


def test_an_activity_beyond_its_total_is_refused_and_the_saved_one_kept(
    drafter: FlaskClient, users: dict
) -> None:
    plan = factories.plan_with_activities(users["drafter"])
    db.session.commit()
    activity = plan.activities[0]
    before = (activity.title, [(f.year, f.source, f.amount) for f in activity.funding])
    version = fresh(plan.id).version
    url = f"/plans/{plan.id}/activities/{activity.id}/edit"
    fields = without_funding(drafter, url)
    fields.update({"title": "Kegiatan yang terlalu mahal"})
    fields.update(
        funding_rows(
            [
                (activity.start_year, "dak", "6.000.000.000.000"),
                (activity.start_year, "apbn", "6.000.000.000.000"),
            ]
        )
    )

    response = drafter.post(url, data={**fields, "save": "1"})

    assert response.status_code == 400
    assert refusal_of(response) == said(
        ACTIVITY_TOTAL,
        title="Kegiatan yang terlalu mahal",
        amount=rupiah(12 * 10**12),
        limit=rupiah(ACTIVITY_CAP),
    )
    again = fresh(plan.id)
    assert again.version == version
    kept = next(a for a in again.activities if a.id == activity.id)
    assert (kept.title, [(f.year, f.source, f.amount) for f in kept.funding]) == before


def test_an_activity_taking_the_plan_beyond_its_total_is_refused(
    drafter: FlaskClient, users: dict
) -> None:
    plan = empty_plan(users)
    for number in range(1, 11):  # ten activities at the activity cap: the plan's cap exactly
        ops.add_activity(
            users["drafter"],
            plan,
            expected_version=None,
            data=ops.ActivityData(
                sub_sector="wastewater",
                activity_type="spald_s",
                title=f"Kegiatan {number}",
                location="Kec. Pelaihari",
                volume=None,
                unit="",
                agency_id=None,
                start_year=2026,
                end_year=2027,
                funding=[
                    ops.FundingData(2026, "dak", ACTIVITY_CAP // 2),
                    ops.FundingData(2027, "dak", ACTIVITY_CAP // 2),
                ],
            ),
        )
    db.session.commit()
    version = fresh(plan.id).version
    fields = activity_fields(drafter, plan)
    fields.update(funding_rows([(2026, "csr", "1")]))

    response = drafter.post(f"/plans/{plan.id}/activities/new", data={**fields, "save": "1"})

    assert response.status_code == 400
    assert refusal_of(response) == said(
        PLAN_TOTAL, title="SPALD-S 300 KK", amount=rupiah(PLAN_CAP + 1), limit=rupiah(PLAN_CAP)
    )
    assert len(fresh(plan.id).activities) == 10
    assert fresh(plan.id).version == version


def test_a_merged_row_within_the_caps_is_saved_as_one(drafter: FlaskClient, users: dict) -> None:
    plan = empty_plan(users)
    fields = activity_fields(drafter, plan)
    fields.update(funding_rows([(2026, "dak", "1.500.000"), (2026, "dak", "2.500.000")]))

    response = drafter.post(f"/plans/{plan.id}/activities/new", data={**fields, "save": "1"})

    assert response.status_code == 303
    [activity] = fresh(plan.id).activities
    assert [(f.year, f.source, f.amount) for f in activity.funding] == [(2026, "dak", 4_000_000)]


# --- the import ----------------------------------------------------------------------------


def test_an_imported_activity_beyond_its_total_is_refused_and_nothing_saved(
    client: FlaskClient, users: dict
) -> None:
    plan = sheets.new_plan(users["drafter"])
    login(client, "drafter.6301")
    content = sheets.workbook(
        [sheets.activity_row(1), sheets.activity_row(2)],
        [
            [1, 2026, "APBN", 1_000_000],
            [2, 2026, "APBN", MAX_AMOUNT],  # a row within the row cap, far beyond an activity's
        ],
    )

    response = sheets.upload(client, plan.id, content)

    assert response.status_code == 400
    assert sheets.refusal(response) == said(
        ACTIVITY_TOTAL, title="Kegiatan 2", amount=rupiah(MAX_AMOUNT), limit=rupiah(ACTIVITY_CAP)
    )
    assert sheets.contents(plan.id) == []
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_an_import_beyond_the_plans_total_is_refused_naming_the_activity(
    client: FlaskClient, users: dict
) -> None:
    plan = sheets.new_plan(users["drafter"])
    login(client, "drafter.6301")
    numbers = range(1, 12)  # eleven activities at the activity cap
    content = sheets.workbook(
        [sheets.activity_row(n) for n in numbers],
        [[n, 2026, "APBN", ACTIVITY_CAP] for n in numbers],
    )

    response = sheets.upload(client, plan.id, content)

    assert response.status_code == 400
    assert sheets.refusal(response) == said(
        PLAN_TOTAL, title="Kegiatan 11", amount=rupiah(11 * ACTIVITY_CAP), limit=rupiah(PLAN_CAP)
    )
    assert sheets.contents(plan.id) == []
    assert funding_count() == 0

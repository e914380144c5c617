"""Writing a plan in the browser: create it, edit header, challenges, indicators, activities.

Every POST sends what the page itself holds (CSRF token, hidden plan version, current field
values, read with a small HTML parser, as a browser would) plus what the "user" typed.
"""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from tests import factories
from tests.conftest import login
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan, Activity, Funding
from workflow_app.plans.vocabulary import COMMON_INDICATORS


class _FormReader(HTMLParser):
    """The values a browser would send for each form of a page (no button pressed)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, object]] = []
        self._fields: dict[str, str] | None = None
        self._textarea: str | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._selected: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._fields = {}
            self.forms.append({"action": a.get("action", ""), "id": a.get("id"), "fields": {}})
            self.forms[-1]["fields"] = self._fields
        if self._fields is None:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("submit", "button"):
                return
            if kind == "checkbox":
                if "checked" in a:
                    self._fields[a["name"]] = a.get("value", "y")
                return
            self._fields[a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self._fields[self._textarea] = ""
        elif tag == "select":
            self._select, self._first_option, self._selected = a["name"], None, None
        elif tag == "option" and self._select is not None:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self._selected = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._fields is not None and self._textarea is not None:
            self._fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if self._fields is None:
            return
        if tag == "textarea" and self._textarea is not None:
            # HTML drops one newline right after <textarea>, as WTForms writes it.
            value = self._fields[self._textarea]
            self._fields[self._textarea] = value.removeprefix("\r\n").removeprefix("\n")
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = self._selected if self._selected is not None else self._first_option
            self._fields[self._select] = chosen or ""
            self._select = None
        elif tag == "form":
            self._fields = None


def forms_of(html: str) -> list[dict[str, object]]:
    reader = _FormReader()
    reader.feed(html)
    # The layout's language switch is on every page; these tests read the page's own forms.
    return [form for form in reader.forms if form["action"] != "/account/language"]


def form_on(client: FlaskClient, url: str, index: int = 0) -> dict[str, str]:
    """The editable form of `url` (the first POST form after the logout form)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    forms = [f for f in forms_of(response.get_data(as_text=True)) if f["action"] != "/logout"]
    return dict(forms[index]["fields"])  # type: ignore[arg-type]


def text(response: TestResponse) -> str:
    return unescape(response.get_data(as_text=True))


def error_of(response: TestResponse, field_id: str) -> str:
    """The error shown next to the field `field_id` (the `field` macro's markup)."""
    match = re.search(rf'id="{re.escape(field_id)}-error">([^<]*)<', text(response))
    assert match, f"no error shown next to {field_id}"
    return match.group(1)


def said(message: str) -> str:
    """`message` as the drafter (language "id") reads it: the tests check which message is
    shown, not its wording in one language."""
    with force_locale("id"):
        return gettext(message)


STALE = (
    "This plan was changed by someone else in the meantime. "
    "Reload the page to see the latest version, then try again."
)


def fresh(plan_id: int) -> ActionPlan:
    db.session.expire_all()
    plan = db.session.get(ActionPlan, plan_id)
    assert plan is not None
    return plan


def plan_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ActionPlan)) or 0


@pytest.fixture
def drafter(client: FlaskClient, users: dict) -> FlaskClient:
    login(client, users["drafter"].username)
    return client


@pytest.fixture
def plan(users: dict) -> ActionPlan:
    created = factories.complete_plan(users["drafter"], title="Rencana Aksi Tanah Laut")
    db.session.commit()
    return created


def empty_plan(users: dict) -> ActionPlan:
    created = ops.create_plan(
        users["drafter"],
        factories.regions()["6301"],
        title="Rencana kosong",
        period_start=2025,
        period_end=2029,
    )
    db.session.commit()
    return created


# --- creating a plan -------------------------------------------------------------------------


def test_drafter_creates_a_plan_for_their_district(drafter: FlaskClient, users: dict) -> None:
    page = drafter.get("/plans/new")
    assert page.status_code == 200
    assert 'name="region"' not in text(page)  # one district: nothing to choose
    fields = form_on(drafter, "/plans/new")
    assert (fields["period_start"], fields["period_end"]) == ("2025", "2029")
    fields["title"] = "Rencana Aksi Sanitasi Tanah Laut"
    response = drafter.post("/plans/new", data=fields)
    assert response.status_code == 303
    plan_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert response.headers["Location"].endswith(f"/plans/{plan_id}")
    plan = fresh(plan_id)
    assert (plan.title, plan.region.code, plan.state) == (
        "Rencana Aksi Sanitasi Tanah Laut",
        "6301",
        "draft",
    )
    assert (plan.period_start, plan.period_end, plan.created_by_id) == (
        2025,
        2029,
        users["drafter"].id,
    )
    assert "Rencana Aksi Sanitasi Tanah Laut" in text(drafter.get(f"/plans/{plan_id}"))


def test_drafter_of_two_districts_chooses_only_among_them(client: FlaskClient, users: dict) -> None:
    factories.user("drafter.multi", ("district_drafter", "6301"), ("district_drafter", "6302"))
    db.session.commit()
    login(client, "drafter.multi")
    page = text(client.get("/plans/new"))
    options = re.findall(r'<option[^>]*value="(\d+)"', page)
    assert options == ["6301", "6302"]
    fields = form_on(client, "/plans/new")
    fields.update(title="Rencana Kotabaru", region="6302")
    assert client.post("/plans/new", data=fields).status_code == 303
    assert db.session.scalars(select(ActionPlan)).one().region.code == "6302"

    # A region outside the drafter's own list is refused, whatever the client sends.
    fields.update(title="Rencana Barito Kuala", region="6304")
    response = client.post("/plans/new", data=fields)
    assert response.status_code == 400
    assert error_of(response, "region")
    assert plan_count() == 1


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2027", "2025", "period_end"),
        ("2019", "2024", "period_start"),
        ("2025", "2035", "period_end"),
    ],
)
def test_invalid_period_keeps_what_was_typed(
    drafter: FlaskClient, start: str, end: str, field: str
) -> None:
    fields = form_on(drafter, "/plans/new")
    fields.update(title="Judul yang diketik", period_start=start, period_end=end)
    response = drafter.post("/plans/new", data=fields)
    assert response.status_code == 400
    assert error_of(response, field)
    kept = forms_of(text(response))[-1]["fields"]
    assert kept["title"] == "Judul yang diketik"  # type: ignore[index]
    assert (kept["period_start"], kept["period_end"]) == (start, end)  # type: ignore[index]
    assert plan_count() == 0


def test_only_a_drafter_may_create_a_plan(client: FlaskClient, users: dict) -> None:
    login(client, users["reviewer"].username)
    assert client.get("/plans/new").status_code == 403
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get("/plans")))
    assert token
    response = client.post(
        "/plans/new",
        data={"csrf_token": token.group(1), "title": "X", "period_start": 2025, "period_end": 2029},
    )
    assert response.status_code == 403
    assert plan_count() == 0


# --- the header ------------------------------------------------------------------------------


def test_edit_header(drafter: FlaskClient, plan: ActionPlan) -> None:
    version = plan.version
    fields = form_on(drafter, f"/plans/{plan.id}/edit")
    assert fields["title"] == "Rencana Aksi Tanah Laut"
    assert fields["version"] == str(version)
    fields.update(title="Rencana Aksi Sanitasi Aman", period_end="2030")
    response = drafter.post(f"/plans/{plan.id}/edit", data=fields)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/plans/{plan.id}")
    plan = fresh(plan.id)
    assert (plan.title, plan.period_end) == ("Rencana Aksi Sanitasi Aman", 2030)
    assert plan.version > version
    assert "Rencana Aksi Sanitasi Aman" in text(drafter.get(f"/plans/{plan.id}"))


def test_control_characters_do_not_reach_the_database(
    drafter: FlaskClient, plan: ActionPlan
) -> None:
    # PostgreSQL refuses NUL in text: it must not turn a save into a server error.
    fields = form_on(drafter, f"/plans/{plan.id}/edit")
    fields["title"] = "Rencana\x00 Aksi"
    assert drafter.post(f"/plans/{plan.id}/edit", data=fields).status_code == 303
    assert fresh(plan.id).title == "Rencana Aksi"


def test_header_without_title_is_refused_and_nothing_saved(
    drafter: FlaskClient, plan: ActionPlan
) -> None:
    fields = form_on(drafter, f"/plans/{plan.id}/edit")
    fields.update(title="  ", period_start="2026")
    response = drafter.post(f"/plans/{plan.id}/edit", data=fields)
    assert response.status_code == 400
    assert error_of(response, "title")
    assert forms_of(text(response))[-1]["fields"]["period_start"] == "2026"  # type: ignore[index]
    assert (fresh(plan.id).title, fresh(plan.id).period_start) == ("Rencana Aksi Tanah Laut", 2025)


# --- challenges -----------------------------------------------------------------------------


def test_add_row_keeps_typed_text_and_saves_nothing_until_save(
    drafter: FlaskClient, plan: ActionPlan
) -> None:
    url = f"/plans/{plan.id}/challenges"
    version = plan.version
    fields = form_on(drafter, url)
    assert fields["rows-0-description"] == "Cakupan LLTT masih rendah"
    fields["rows-0-description"] = "Cakupan LLTT baru 3%"
    response = drafter.post(url, data={**fields, "add_row": "1"})
    assert response.status_code == 200
    page = text(response)
    assert page.count("<textarea") == 2
    assert "Cakupan LLTT baru 3%" in page
    assert [c.description for c in fresh(plan.id).challenges] == ["Cakupan LLTT masih rendah"]
    assert fresh(plan.id).version == version

    fields = dict(forms_of(page)[-1]["fields"])  # type: ignore[arg-type]
    assert fields["rows-1-description"] == ""
    fields["rows-1-description"] = "Belum ada Perbup air limbah"
    assert drafter.post(url, data={**fields, "save": "1"}).status_code == 303
    assert [c.description for c in fresh(plan.id).challenges] == [
        "Cakupan LLTT baru 3%",
        "Belum ada Perbup air limbah",
    ]


def test_remove_a_challenge_row(drafter: FlaskClient, plan: ActionPlan, users: dict) -> None:
    ops.replace_challenges(
        users["drafter"], plan, expected_version=None, descriptions=["Satu", "Dua", "Tiga"]
    )
    db.session.commit()
    url = f"/plans/{plan.id}/challenges"
    fields = form_on(drafter, url)
    fields["rows-1-remove"] = "y"
    assert drafter.post(url, data={**fields, "save": "1"}).status_code == 303
    assert [c.description for c in fresh(plan.id).challenges] == ["Satu", "Tiga"]


# --- indicators -----------------------------------------------------------------------------


def test_indicators_with_a_target_for_each_year(drafter: FlaskClient, users: dict) -> None:
    plan = empty_plan(users)
    url = f"/plans/{plan.id}/indicators"
    page = text(drafter.get(url))
    for name, _unit in COMMON_INDICATORS:
        assert f'<option value="{name}">' in page
    assert 'list="indicator-names"' in page
    for year in range(2025, 2030):
        assert f'<label for="rows-0-target_{year}">{year}</label>' in page

    fields = form_on(drafter, url)
    fields.update(
        {
            "rows-0-name": "% rumah tangga BABS",
            "rows-0-unit": "%",
            "rows-0-baseline_year": "2024",
            "rows-0-baseline_value": "12,5",
            "rows-0-target_2025": "10",
            "rows-0-target_2026": "7.5",
            "rows-0-target_2027": "5",
            "rows-0-target_2028": "2,25",
            "rows-0-target_2029": "0",
        }
    )
    response = drafter.post(url, data={**fields, "add_row": "1"})
    assert response.status_code == 200
    fields = dict(forms_of(text(response))[-1]["fields"])  # type: ignore[arg-type]
    assert fields["rows-0-baseline_value"] == "12,5"
    fields.update({"rows-1-name": "Rumah tangga terlayani LLTT", "rows-1-unit": "RT"})
    fields.update({"rows-1-target_2029": "1200"})
    assert drafter.post(url, data={**fields, "save": "1"}).status_code == 303

    first, second = fresh(plan.id).indicators
    assert (first.name, first.unit, first.baseline_year) == ("% rumah tangga BABS", "%", 2024)
    assert first.baseline_value == Decimal("12.5")
    assert [(t.year, t.value) for t in first.targets] == [
        (2025, Decimal("10")),
        (2026, Decimal("7.5")),
        (2027, Decimal("5")),
        (2028, Decimal("2.25")),
        (2029, Decimal("0")),
    ]
    assert second.baseline_value is None
    assert [(t.year, t.value) for t in second.targets] == [(2029, Decimal("1200"))]

    # Shown again in the form with the interface's decimal comma.
    assert form_on(drafter, url)["rows-0-target_2026"] == "7,5"


def test_invalid_indicator_keeps_typed_values_and_saves_nothing(
    drafter: FlaskClient, plan: ActionPlan
) -> None:
    url = f"/plans/{plan.id}/indicators"
    version = plan.version
    fields = form_on(drafter, url)
    fields.update(
        {
            "rows-0-name": "Indikator baru",
            "rows-0-baseline_value": "enam",
            "rows-0-target_2027": "1,234",
        }
    )
    response = drafter.post(url, data={**fields, "save": "1"})
    assert response.status_code == 400
    assert error_of(response, "rows-0-baseline_value")
    assert error_of(response, "rows-0-target_2027")
    kept = forms_of(text(response))[-1]["fields"]
    assert kept["rows-0-name"] == "Indikator baru"  # type: ignore[index]
    assert kept["rows-0-baseline_value"] == "enam"  # type: ignore[index]
    plan = fresh(plan.id)
    assert plan.indicators[0].name == "% rumah tangga dengan akses sanitasi aman"
    assert plan.version == version


# --- activities -----------------------------------------------------------------------------


def activity_fields(client: FlaskClient, plan: ActionPlan) -> dict[str, str]:
    fields = form_on(client, f"/plans/{plan.id}/activities/new")
    fields.update(
        {
            "sub_sector": "wastewater",
            "activity_type": "spald_s",
            "title": "SPALD-S 300 KK",
            "location": "Kec. Pelaihari, Desa Atu-Atu",
            "volume": "300",
            "unit": "unit",
            "agency_id": str(factories.agency("6301", "Dinas Perkim").id),
            "start_year": "2026",
            "end_year": "2027",
            "funding-0-year": "2026",
            "funding-0-source": "dak",
            "funding-0-amount": "1.500.000",
        }
    )
    return fields


def test_activity_with_funding_in_several_amount_formats(drafter: FlaskClient, users: dict) -> None:
    plan = empty_plan(users)
    url = f"/plans/{plan.id}/activities/new"
    page = text(drafter.get(url))
    assert "Dinas Perkim (Tanah Laut)" in page
    assert "Dinas PUPR Provinsi" in page  # the province's agencies may be responsible too
    assert "(Barito Kuala)" not in page

    fields = activity_fields(drafter, plan)
    for row in (1, 2):
        response = drafter.post(url, data={**fields, "add_row": "1"})
        assert response.status_code == 200
        fields = dict(forms_of(text(response))[-1]["fields"])  # type: ignore[arg-type]
        assert fields["funding-0-amount"] == "1.500.000"
        assert f"funding-{row}-amount" in fields
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0
    fields.update(
        {
            "funding-1-year": "2027",
            "funding-1-source": "swadaya",
            "funding-1-amount": "1500000",
            "funding-2-year": "2027",
            "funding-2-source": "apbd_district",
            "funding-2-amount": "Rp1.500.000",
        }
    )
    response = drafter.post(url, data={**fields, "save": "1"})
    assert response.status_code == 303
    activity = fresh(plan.id).activities[0]
    assert (activity.title, activity.location, activity.volume) == (
        "SPALD-S 300 KK",
        "Kec. Pelaihari, Desa Atu-Atu",
        Decimal("300"),
    )
    assert activity.agency.short_name == "Dinas Perkim"
    assert (activity.start_year, activity.end_year) == (2026, 2027)
    assert [(f.year, f.source, f.amount) for f in activity.funding] == [
        (2026, "dak", 1_500_000),
        (2027, "apbd_district", 1_500_000),
        (2027, "swadaya", 1_500_000),
    ]
    assert "Rp4.500.000" in text(drafter.get(f"/plans/{plan.id}"))

    # The edit form shows the amounts the Indonesian way and saves changes.
    edit_url = f"/plans/{plan.id}/activities/{activity.id}/edit"
    fields = form_on(drafter, edit_url)
    amounts = sorted(v for k, v in fields.items() if k.endswith("-amount"))
    assert amounts == ["1.500.000"] * 3
    fields.update({"title": "SPALD-S 350 KK", "funding-0-remove": "y"})
    assert drafter.post(edit_url, data={**fields, "save": "1"}).status_code == 303
    activity = fresh(plan.id).activities[0]
    assert activity.title == "SPALD-S 350 KK"
    assert activity.total_funding == 3_000_000


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-500.000", "The amount cannot be negative."),
        ("Rp1.500.000,50", "Write the amount in whole Rupiah, without decimals."),
        ("1500000.5", "Write the amount in whole Rupiah, without decimals."),
    ],
)
def test_bad_amount_is_refused_next_to_its_field(
    drafter: FlaskClient, users: dict, amount: str, message: str
) -> None:
    plan = empty_plan(users)
    version = plan.version
    fields = activity_fields(drafter, plan)
    fields["funding-0-amount"] = amount
    response = drafter.post(f"/plans/{plan.id}/activities/new", data={**fields, "save": "1"})
    assert response.status_code == 400
    assert error_of(response, "funding-0-amount") == said(message)
    kept = forms_of(text(response))[-1]["fields"]
    assert kept["funding-0-amount"] == amount  # type: ignore[index]
    assert kept["title"] == "SPALD-S 300 KK"  # type: ignore[index]
    assert fresh(plan.id).activities == []
    assert fresh(plan.id).version == version
    assert db.session.scalar(select(func.count()).select_from(Funding)) == 0


def test_agency_of_another_district_is_refused(drafter: FlaskClient, users: dict) -> None:
    plan = empty_plan(users)
    fields = activity_fields(drafter, plan)
    fields["agency_id"] = str(factories.agency("6304").id)
    response = drafter.post(f"/plans/{plan.id}/activities/new", data={**fields, "save": "1"})
    assert response.status_code == 400
    assert error_of(response, "agency_id") == said(
        "Choose an agency of this district or of the province."
    )
    assert fresh(plan.id).activities == []


def test_activity_outside_the_period_or_reversed_is_refused(
    drafter: FlaskClient, users: dict
) -> None:
    plan = empty_plan(users)
    fields = activity_fields(drafter, plan)
    fields.update({"start_year": "2031", "end_year": "2026", "title": ""})
    response = drafter.post(f"/plans/{plan.id}/activities/new", data={**fields, "save": "1"})
    assert response.status_code == 400
    assert "2025" in error_of(response, "start_year")
    assert error_of(response, "title")
    fields.update({"start_year": "2027", "title": "Judul"})
    response = drafter.post(f"/plans/{plan.id}/activities/new", data={**fields, "save": "1"})
    assert response.status_code == 400
    assert error_of(response, "end_year")
    assert fresh(plan.id).activities == []


def test_delete_an_activity(drafter: FlaskClient, plan: ActionPlan) -> None:
    activity_id = plan.activities[0].id
    edit_url = f"/plans/{plan.id}/activities/{activity_id}/edit"
    delete_form = next(
        f for f in forms_of(text(drafter.get(edit_url))) if str(f["action"]).endswith("/delete")
    )
    response = drafter.post(str(delete_form["action"]), data=delete_form["fields"])
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/plans/{plan.id}")
    assert fresh(plan.id).activities == []
    assert "Layanan LLTT" in text(drafter.get(f"/plans/{plan.id}"))  # the flash message


def test_delete_needs_csrf_and_the_current_version(
    drafter: FlaskClient, plan: ActionPlan, users: dict
) -> None:
    activity_id = plan.activities[0].id
    edit_url = f"/plans/{plan.id}/activities/{activity_id}/edit"
    delete_form = next(
        f for f in forms_of(text(drafter.get(edit_url))) if str(f["action"]).endswith("/delete")
    )
    action, fields = str(delete_form["action"]), dict(delete_form["fields"])  # type: ignore[call-overload]
    assert drafter.post(action, data={"version": fields["version"]}).status_code == 400
    ops.replace_challenges(users["drafter"], plan, expected_version=None, descriptions=["Baru"])
    db.session.commit()
    response = drafter.post(action, data=fields)
    assert response.status_code == 409
    assert said(STALE) in text(response)
    assert len(fresh(plan.id).activities) == 1


# --- refusals --------------------------------------------------------------------------------


def edit_urls(plan: ActionPlan) -> list[str]:
    activity_id = plan.activities[0].id
    return [
        f"/plans/{plan.id}/edit",
        f"/plans/{plan.id}/challenges",
        f"/plans/{plan.id}/indicators",
        f"/plans/{plan.id}/activities/new",
        f"/plans/{plan.id}/activities/{activity_id}/edit",
    ]


def test_stale_header_edit_is_a_conflict_and_keeps_typed_values(
    drafter: FlaskClient, plan: ActionPlan, users: dict
) -> None:
    fields = form_on(drafter, f"/plans/{plan.id}/edit")
    # Meanwhile, in another tab, the challenges are saved.
    ops.replace_challenges(users["drafter"], plan, expected_version=None, descriptions=["Lain"])
    db.session.commit()
    version = fresh(plan.id).version
    fields["title"] = "Judul saya"
    response = drafter.post(f"/plans/{plan.id}/edit", data=fields)
    assert response.status_code == 409
    page = text(response)
    assert said(STALE) in page
    assert forms_of(page)[-1]["fields"]["title"] == "Judul saya"  # type: ignore[index]
    plan = fresh(plan.id)
    assert (plan.title, plan.version) == ("Rencana Aksi Tanah Laut", version)


def test_stale_activity_edit_is_a_conflict(
    drafter: FlaskClient, plan: ActionPlan, users: dict
) -> None:
    url = f"/plans/{plan.id}/activities/{plan.activities[0].id}/edit"
    fields = form_on(drafter, url)
    ops.update_header(
        users["drafter"],
        plan,
        expected_version=None,
        title="Diubah orang lain",
        period_start=2025,
        period_end=2029,
    )
    db.session.commit()
    fields.update({"title": "Judul kegiatan saya", "funding-0-amount": "2.000.000"})
    response = drafter.post(url, data={**fields, "save": "1"})
    assert response.status_code == 409
    assert 'value="Judul kegiatan saya"' in text(response)
    assert 'value="2.000.000"' in text(response)
    activity = fresh(plan.id).activities[0]
    assert (activity.title, activity.total_funding) == ("Layanan LLTT", 850_000_000)


def test_another_districts_drafter_gets_not_found(
    client: FlaskClient, plan: ActionPlan, users: dict
) -> None:
    login(client, users["other_drafter"].username)
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get("/plans")))
    assert token
    for url in [*edit_urls(plan), f"/plans/{plan.id}/activities/{plan.activities[0].id}/delete"]:
        if not url.endswith("/delete"):
            assert client.get(url).status_code == 404, url
        response = client.post(
            url, data={"csrf_token": token.group(1), "version": plan.version, "title": "X"}
        )
        assert response.status_code == 404, url
    assert fresh(plan.id).title == "Rencana Aksi Tanah Laut"


def test_reviewer_may_not_edit(client: FlaskClient, plan: ActionPlan, users: dict) -> None:
    login(client, users["reviewer"].username)
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get("/plans")))
    assert token
    for url in edit_urls(plan):
        assert client.get(url).status_code == 403, url
        response = client.post(
            url, data={"csrf_token": token.group(1), "version": plan.version, "title": "X"}
        )
        assert response.status_code == 403, url
    assert fresh(plan.id).title == "Rencana Aksi Tanah Laut"


def test_a_submitted_plan_cannot_be_edited(drafter: FlaskClient, users: dict) -> None:
    plan = factories.plan_in_state(users, "district_review")
    for url in edit_urls(plan):
        response = drafter.get(url)
        assert response.status_code == 409, url
        assert "Draf" in text(response) and "Dikembalikan" in text(response)
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(drafter.get("/plans")))
    assert token
    response = drafter.post(
        f"/plans/{plan.id}/edit",
        data={
            "csrf_token": token.group(1),
            "version": plan.version,
            "title": "Diubah",
            "period_start": "2025",
            "period_end": "2029",
        },
    )
    assert response.status_code == 409
    assert fresh(plan.id).title == "Rencana Aksi"


def test_a_returned_plan_can_be_edited_again(drafter: FlaskClient, users: dict) -> None:
    plan = factories.plan_in_state(users, "returned")
    fields = form_on(drafter, f"/plans/{plan.id}/edit")
    fields["title"] = "Rencana Aksi (perbaikan)"
    assert drafter.post(f"/plans/{plan.id}/edit", data=fields).status_code == 303
    assert fresh(plan.id).title == "Rencana Aksi (perbaikan)"


# --- end to end ------------------------------------------------------------------------------


def test_a_drafter_writes_a_whole_plan_in_the_browser_and_submits_it(
    drafter: FlaskClient,
) -> None:
    fields = form_on(drafter, "/plans/new")
    fields.update(title="Rencana Aksi Sanitasi 2026–2028", period_start="2026", period_end="2028")
    response = drafter.post("/plans/new", data=fields)
    assert response.status_code == 303
    plan_id = int(response.headers["Location"].rsplit("/", 1)[1])

    url = f"/plans/{plan_id}/challenges"
    fields = form_on(drafter, url)
    fields["rows-0-description"] = "Cakupan sanitasi aman masih 6%"
    assert drafter.post(url, data={**fields, "save": "1"}).status_code == 303

    url = f"/plans/{plan_id}/indicators"
    fields = form_on(drafter, url)
    assert "rows-0-target_2025" not in fields and "rows-0-target_2029" not in fields
    fields.update(
        {
            "rows-0-name": "% rumah tangga dengan akses sanitasi aman",
            "rows-0-unit": "%",
            "rows-0-baseline_year": "2025",
            "rows-0-baseline_value": "6,0",
            "rows-0-target_2026": "9",
            "rows-0-target_2027": "12",
            "rows-0-target_2028": "15",
        }
    )
    assert drafter.post(url, data={**fields, "save": "1"}).status_code == 303

    url = f"/plans/{plan_id}/activities/new"
    fields = form_on(drafter, url)
    fields.update(
        {
            "sub_sector": "wastewater",
            "activity_type": "lltt",
            "title": "Layanan LLTT Pelaihari",
            "location": "Kec. Pelaihari",
            "volume": "1.200,0",
            "unit": "tangki septik/tahun",
            "agency_id": str(factories.agency("6301").id),
            "start_year": "2026",
            "end_year": "2028",
            "funding-0-year": "2026",
            "funding-0-source": "apbd_district",
            "funding-0-amount": "Rp850.000.000",
        }
    )
    assert drafter.post(url, data={**fields, "save": "1"}).status_code == 303

    plan = fresh(plan_id)
    assert plan.activities[0].volume == Decimal("1200")
    page = text(drafter.get(f"/plans/{plan_id}"))
    submit = next(f for f in forms_of(page) if f["id"] == "action-submit")
    response = drafter.post(str(submit["action"]), data=submit["fields"])
    assert response.status_code == 303
    plan = fresh(plan_id)
    assert plan.state == "district_review"
    assert [h.trigger for h in plan.history] == ["create", "submit"]

"""Admin pages for regions and agencies: names and seats change, codes do not; agencies are
added, edited and removed, except one that an activity names."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, ngettext
from sqlalchemy import func, select

from tests import factories
from tests.conftest import csrf_token, login
from workflow_app.extensions import db
from workflow_app.regions.catalogue import DISTRICTS
from workflow_app.regions.models import Agency, Region


@pytest.fixture
def admin(client: FlaskClient, users: dict) -> FlaskClient:
    login(client, "admin")
    return client


def _post(client: FlaskClient, url: str, data: dict[str, str]) -> object:
    token = csrf_token(client, "/admin/agencies")
    return client.post(url, data={**data, "csrf_token": token})


def _region(code: str) -> Region:
    db.session.expire_all()
    return db.session.scalar(select(Region).where(Region.code == code))


def _agencies(code: str) -> dict[str, str]:
    db.session.expire_all()
    region = _region(code)
    rows = db.session.scalars(select(Agency).where(Agency.region_id == region.id))
    return {row.short_name: row.name for row in rows}


def _shown_agencies(client: FlaskClient, code: str) -> list[str]:
    response = client.get(f"/admin/agencies?region={code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = re.findall(r'<tr id="agency-\d+">\s*<td[^>]*>([^<]*)</td>', page)
    return [html.unescape(row) for row in rows]


# --- regions ----------------------------------------------------------------------------


def test_regions_lists_the_province_first_then_every_district(admin: FlaskClient) -> None:
    page = admin.get("/admin/regions").get_data(as_text=True)
    codes = re.findall(r'<tr id="region-(\d+)">', page)
    assert codes == ["63", *sorted(d.code for d in DISTRICTS)]


def test_admin_edits_a_regions_name_and_seat_but_not_its_code(admin: FlaskClient) -> None:
    response = _post(
        admin,
        "/admin/regions/6301",
        {"name": "Kabupaten Tanah Laut", "seat": "Pelaihari Kota", "code": "9999"},
    )
    assert response.status_code == 302
    region = _region("6301")
    assert (region.name, region.seat) == ("Kabupaten Tanah Laut", "Pelaihari Kota")
    assert _region("9999") is None
    assert "Kabupaten Tanah Laut" in admin.get("/admin/regions").get_data(as_text=True)


def test_a_region_without_a_name_is_not_saved(admin: FlaskClient) -> None:
    response = _post(admin, "/admin/regions/6302", {"name": "", "seat": "Kota Baru"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="name-error"' in page and 'value="Kota Baru"' in page
    assert (_region("6302").name, _region("6302").seat) == ("Kotabaru", "Kotabaru")


def test_an_unknown_region_is_404(admin: FlaskClient) -> None:
    assert admin.get("/admin/regions/9999").status_code == 404


def test_other_roles_cannot_edit_regions(client: FlaskClient, users: dict) -> None:
    login(client, "provincial.63")
    token = csrf_token(client, "/account")
    response = client.post(
        "/admin/regions/6301", data={"name": "X", "seat": "Y", "csrf_token": token}
    )
    assert response.status_code == 403
    assert _region("6301").name == "Tanah Laut"


# --- agencies ---------------------------------------------------------------------------


def test_agencies_are_listed_per_region(admin: FlaskClient) -> None:
    assert set(_shown_agencies(admin, "6301")) == set(_agencies("6301"))
    assert "Dinas PUPR" in _shown_agencies(admin, "6301")
    assert set(_shown_agencies(admin, "63")) == set(_agencies("63"))
    assert admin.get("/admin/agencies?region=9999").status_code == 404


def test_admin_adds_an_agency_to_one_region(admin: FlaskClient) -> None:
    data = {"short_name": "Bapperida", "name": "Badan Perencanaan, Riset dan Inovasi Daerah"}
    response = _post(admin, "/admin/agencies/6303/new", data)
    assert response.status_code == 302
    assert _agencies("6303")["Bapperida"] == data["name"]
    assert "Bapperida" in _shown_agencies(admin, "6303")
    assert "Bapperida" not in _agencies("6304")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"short_name": "", "name": "Dinas Baru"}, "short_name"),
        ({"short_name": "Dinas Baru", "name": ""}, "name"),
        ({"short_name": "dinas pupr", "name": "Dinas PUPR lagi"}, "short_name"),  # taken
    ],
)
def test_an_invalid_agency_is_not_added(
    admin: FlaskClient, data: dict[str, str], field: str
) -> None:
    before = _agencies("6301")
    response = _post(admin, "/admin/agencies/6301/new", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    for value in data.values():
        if value:
            assert f'value="{html.escape(value)}"' in page
    assert _agencies("6301") == before


def test_admin_edits_an_agency(admin: FlaskClient) -> None:
    agency = factories.agency("6301", "DLH")
    data = {"short_name": "DLHK", "name": "Dinas Lingkungan Hidup dan Kehutanan"}
    response = _post(admin, f"/admin/agencies/{agency.id}", data)
    assert response.status_code == 302
    agencies = _agencies("6301")
    assert agencies["DLHK"] == data["name"] and "DLH" not in agencies


def test_an_agency_cannot_take_another_agencys_short_name(admin: FlaskClient) -> None:
    agency = factories.agency("6301", "DLH")
    response = _post(admin, f"/admin/agencies/{agency.id}", {"short_name": "Dinkes", "name": "X"})
    assert response.status_code == 400
    assert 'id="short_name-error"' in response.get_data(as_text=True)
    assert "DLH" in _agencies("6301")


def test_admin_removes_an_unused_agency(admin: FlaskClient) -> None:
    agency = factories.agency("6301", "DPMD")
    response = _post(admin, f"/admin/agencies/{agency.id}/delete", {})
    assert response.status_code == 302
    assert "DPMD" not in _agencies("6301")
    assert "DPMD" not in _shown_agencies(admin, "6301")
    assert "DPMD" in _agencies("6302")


def test_an_agency_used_by_activities_is_not_removed(
    app: Flask, admin: FlaskClient, users: dict
) -> None:
    # Two plans whose activity names Dinas PUPR of 6301.
    factories.complete_plan(users["drafter"])
    factories.complete_plan(users["drafter"], title="Rencana Aksi 2")
    db.session.commit()
    agency = factories.agency("6301", "Dinas PUPR")
    count = db.session.scalar(select(func.count(Agency.id)))

    response = _post(admin, f"/admin/agencies/{agency.id}/delete", {})
    assert response.status_code == 409
    with app.test_request_context(), force_locale("id"):
        expected = ngettext(
            "%(name)s cannot be removed: %(num)d activity names it as responsible agency.",
            "%(name)s cannot be removed: %(num)d activities name it as responsible agency.",
            2,
            name="Dinas PUPR",
        )
    refusal = re.search(r'id="refusal">([^<]*)<', response.get_data(as_text=True))
    assert refusal and html.unescape(refusal.group(1)) == expected
    assert "2" in expected
    assert db.session.scalar(select(func.count(Agency.id))) == count
    assert "Dinas PUPR" in _agencies("6301")


def test_other_roles_cannot_change_agencies(client: FlaskClient, users: dict) -> None:
    agency = factories.agency("6301", "DPMD")
    login(client, "drafter.6301")
    token = csrf_token(client, "/account")
    response = client.post(f"/admin/agencies/{agency.id}/delete", data={"csrf_token": token})
    assert response.status_code == 403
    assert "DPMD" in _agencies("6301")

"""/api/v1/notifications: a client reads the caller's own notifications (the web's bell and
list), a page at a time, the unread ones only if asked, and marks one or all of them read;
another user's notification is not found, and reading the list marks nothing."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.conftest import signed_in
from workflow_app.accounts.models import User
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification


class RecordingCelery:
    """Stands in for the broker: sends nothing."""

    def send_task(self, name: str, args: list[object], **options: object) -> None:
        pass


@pytest.fixture(autouse=True)
def queue(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.extensions, "celery", RecordingCelery())


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {factories.api_token(user)}"}


def _rows_of(user: User) -> list[Notification]:
    query = select(Notification).where(Notification.recipient_id == user.id)
    return list(db.session.scalars(query.order_by(Notification.id)))


def test_the_list_is_the_callers_notifications_with_their_subject_lines(
    client: FlaskClient, users: dict[str, User]
) -> None:
    plan = factories.plan_in_state(users, "district_review")
    (row,) = _rows_of(users["reviewer"])
    response = client.get("/api/v1/notifications", headers=bearer(users["reviewer"]))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["total"] == body["unread_total"] == 1
    (item,) = body["items"]
    assert item["id"] == row.id
    assert item["event"] == "submit"
    assert item["case"] == {"kind": "plan", "id": plan.id}
    assert item["web_path"] == f"/plans/{plan.id}"
    assert item["unread"] is True and item["read_at"] is None
    assert item["actor"] == users["drafter"].full_name
    # The web's list shows the same subject line in the page's language.
    page = signed_in(client.application, "reviewer.6301").get("/notifications")
    assert item["title"]["id"] in page.get_data(as_text=True)
    assert "Tanah Laut" in item["title"]["en"] and item["title"]["en"] != item["title"]["id"]
    # Reading the list changed nothing.
    assert (
        client.get("/api/v1/notifications", headers=bearer(users["reviewer"])).get_json()[
            "unread_total"
        ]
        == 1
    )


def test_pages_and_the_unread_filter(client: FlaskClient, users: dict[str, User]) -> None:
    # Two plans (of two periods) submitted: two events for the district reviewer.
    factories.plan_in_state(users, "district_review")
    factories.plan_in_state(users, "district_review")
    rows = _rows_of(users["reviewer"])
    assert len(rows) == 2
    headers = bearer(users["reviewer"])
    first = client.get("/api/v1/notifications?limit=1", headers=headers).get_json()
    assert first["limit"] == 1 and first["offset"] == 0 and first["total"] == 2
    assert [item["id"] for item in first["items"]] == [rows[1].id]  # the newest first
    second = client.get("/api/v1/notifications?limit=1&offset=1", headers=headers).get_json()
    assert [item["id"] for item in second["items"]] == [rows[0].id]
    beyond = client.get("/api/v1/notifications?offset=2", headers=headers).get_json()
    assert beyond["items"] == [] and beyond["total"] == 2

    read = client.post(f"/api/v1/notifications/{rows[0].id}/read", headers=headers)
    assert read.status_code == 200
    assert read.get_json()["unread"] is False and read.get_json()["read_at"]
    unread = client.get("/api/v1/notifications?unread=true", headers=headers).get_json()
    assert rows[0].id not in [item["id"] for item in unread["items"]]
    assert unread["total"] == unread["unread_total"] == len(rows) - 1
    everything = client.get("/api/v1/notifications", headers=headers).get_json()
    assert everything["total"] == len(rows)
    # Again: nothing changes, still 200.
    again = client.post(f"/api/v1/notifications/{rows[0].id}/read", headers=headers)
    assert again.status_code == 200 and again.get_json()["read_at"] == read.get_json()["read_at"]


def test_mark_all_read_clears_the_bell(client: FlaskClient, users: dict[str, User]) -> None:
    factories.plan_in_state(users, "district_review")
    headers = bearer(users["reviewer"])
    marked = client.post("/api/v1/notifications/read", headers=headers)
    assert marked.status_code == 200 and marked.get_json() == {"marked": 1}
    body = client.get("/api/v1/notifications", headers=headers).get_json()
    assert body["unread_total"] == 0 and body["items"][0]["unread"] is False
    assert client.post("/api/v1/notifications/read", headers=headers).get_json() == {"marked": 0}


def test_another_users_notification_is_not_found_and_stays_unread(
    client: FlaskClient, users: dict[str, User]
) -> None:
    factories.plan_in_state(users, "district_review")
    (row,) = _rows_of(users["reviewer"])
    other = bearer(users["other_reviewer"])
    for notification_id in (row.id, row.id + 1000, 2**31):
        response = client.post(f"/api/v1/notifications/{notification_id}/read", headers=other)
        assert response.status_code == 404
        assert response.get_json()["code"] == "not_found"
    assert client.get("/api/v1/notifications", headers=other).get_json()["items"] == []
    # Marking all of one's own does not touch another's.
    client.post("/api/v1/notifications/read", headers=other)
    db.session.expire_all()
    assert db.session.get(Notification, row.id).read_at is None


def test_an_accounts_email_is_not_a_notification(
    client: FlaskClient, users: dict[str, User]
) -> None:
    """A password reset is an outbox row of the user too, but not in the app's list."""
    from workflow_app.accounts.passwords import request_reset
    from workflow_app.unit_of_work import unit_of_work

    with unit_of_work():
        request_reset(users["reviewer"].email)
    (row,) = _rows_of(users["reviewer"])
    headers = bearer(users["reviewer"])
    assert client.get("/api/v1/notifications", headers=headers).get_json()["total"] == 0
    assert client.post(f"/api/v1/notifications/{row.id}/read", headers=headers).status_code == 404


def test_the_query_is_strict(client: FlaskClient, users: dict[str, User]) -> None:
    headers = bearer(users["reviewer"])
    for query in ("limit=0", "limit=101", "offset=-1", "unraed=true", "limit=1.0"):
        response = client.get(f"/api/v1/notifications?{query}", headers=headers)
        assert response.status_code == 400, query
        assert response.get_json()["code"] == "validation_error"
    assert client.get("/api/v1/notifications").status_code == 401

"""The Idempotency-Key header of API writes: a retried request answers the stored answer
without running the write again; the same key for another request, or while the first still
runs, is refused; keys expire after a day."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from workflow_app.api import case_views
from workflow_app.api.idempotency import KEY_HOURS, ApiIdempotency
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.models_base import utcnow
from workflow_app.plans.models import ActionPlan

from .. import factories

JSON = "application/json"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def tokens(users: dict) -> dict[str, dict[str, str]]:
    return {key: bearer(factories.api_token(account)) for key, account in users.items()}


def fire(client: FlaskClient, headers: dict, plan_id: int, key: str | None, **sent):
    if key is not None:
        headers = {**headers, "Idempotency-Key": key}
    url = f"/api/v1/plans/{plan_id}/transitions"
    return client.post(url, data=json.dumps(sent), content_type=JSON, headers=headers)


def fired(plan_id: int, trigger: str) -> int:
    query = select(func.count()).where(
        CaseTransition.subject_is("plan", plan_id), CaseTransition.trigger == trigger
    )
    return db.session.scalar(query)


def test_a_retry_answers_the_first_answer_without_firing_again(
    client: FlaskClient, users, tokens
) -> None:
    plan = factories.plan_in_state(users, "draft")
    sent = {"trigger": "submit", "version": plan.version}
    first = fire(client, tokens["drafter"], plan.id, "submit-7f3a", **sent)
    assert first.status_code == 200, first.get_data(as_text=True)
    assert "Idempotent-Replayed" not in first.headers
    again = fire(client, tokens["drafter"], plan.id, "submit-7f3a", **sent)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.mimetype == "application/json"
    assert again.get_json() == first.get_json()
    assert fired(plan.id, "submit") == 1
    # The same request without its key is a new attempt on an old version.
    refused = fire(client, tokens["drafter"], plan.id, None, **sent)
    assert refused.status_code == 409 and refused.get_json()["code"] == "invalid_state"


def test_a_key_is_the_callers_own(client: FlaskClient, users, tokens) -> None:
    plan = factories.plan_in_state(users, "draft")
    sent = {"trigger": "submit", "version": plan.version}
    assert fire(client, tokens["drafter"], plan.id, "shared", **sent).status_code == 200
    db.session.expire_all()
    forward = {"trigger": "forward", "version": db.session.get(ActionPlan, plan.id).version}
    answer = fire(client, tokens["reviewer"], plan.id, "shared", **forward)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "Idempotent-Replayed" not in answer.headers
    assert answer.get_json()["state"] == "provincial_sync"


@pytest.mark.parametrize("change", ["body", "path"])
def test_the_same_key_for_another_request_is_422(
    client: FlaskClient, users, tokens, change: str
) -> None:
    plan = factories.plan_in_state(users, "draft")
    other = factories.plan_in_state(users, "draft", period=(2030, 2034))
    sent = {"trigger": "submit", "version": plan.version}
    assert fire(client, tokens["drafter"], plan.id, "k-1", **sent).status_code == 200
    if change == "body":
        answer = fire(client, tokens["drafter"], plan.id, "k-1", **{**sent, "comment": "lagi"})
    else:
        again = {"trigger": "submit", "version": other.version}
        answer = fire(client, tokens["drafter"], other.id, "k-1", **again)
    assert answer.status_code == 422
    assert answer.get_json()["code"] == "idempotency_key_reused"
    db.session.expire_all()
    assert db.session.get(ActionPlan, other.id).state == "draft"


def test_a_key_still_running_is_409_in_use(client: FlaskClient, users, tokens) -> None:
    plan = factories.plan_in_state(users, "draft")
    sent = {"trigger": "submit", "version": plan.version}
    # What the first request's claim looks like while its write runs.
    claim = ApiIdempotency(
        user_id=users["drafter"].id,
        key="busy",
        request_line=f"POST /api/v1/plans/{plan.id}/transitions",
        body_sha256=hashlib.sha256(json.dumps(sent).encode()).hexdigest(),
        created_at=utcnow(),
    )
    db.session.add(claim)
    db.session.commit()
    answer = fire(client, tokens["drafter"], plan.id, "busy", **sent)
    assert answer.status_code == 409
    assert answer.get_json()["code"] == "idempotency_key_in_use"
    assert fired(plan.id, "submit") == 0


def test_a_final_refusal_is_kept_and_replayed(client: FlaskClient, users, tokens) -> None:
    plan = factories.plan_in_state(users, "draft")
    sent = {"trigger": "submit", "version": plan.version + 5}
    first = fire(client, tokens["drafter"], plan.id, "old-version", **sent)
    assert first.status_code == 409 and first.get_json()["code"] == "stale"
    again = fire(client, tokens["drafter"], plan.id, "old-version", **sent)
    assert again.status_code == 409
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()


def test_a_server_error_is_not_kept_and_the_retry_runs(
    client: FlaskClient, users, tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = factories.plan_in_state(users, "draft")
    sent = {"trigger": "submit", "version": plan.version}

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(case_views, "fire", broken)
    with pytest.raises(RuntimeError):  # TESTING: the app lets it through to the client
        fire(client, tokens["drafter"], plan.id, "after-crash", **sent)
    assert db.session.scalar(select(func.count()).select_from(ApiIdempotency)) == 0
    monkeypatch.undo()
    answer = fire(client, tokens["drafter"], plan.id, "after-crash", **sent)
    assert answer.status_code == 200
    assert "Idempotent-Replayed" not in answer.headers
    assert fired(plan.id, "submit") == 1


def test_a_key_expires_after_a_day(client: FlaskClient, users, tokens) -> None:
    plan = factories.plan_in_state(users, "draft")
    sent = {"trigger": "submit", "version": plan.version}
    assert fire(client, tokens["drafter"], plan.id, "yesterday", **sent).status_code == 200
    row = db.session.scalar(select(ApiIdempotency))
    row.created_at = utcnow() - timedelta(hours=KEY_HOURS, seconds=1)
    db.session.commit()
    # Run again, not replayed: the plan has moved on, so this time it is refused.
    answer = fire(client, tokens["drafter"], plan.id, "yesterday", **sent)
    assert answer.status_code == 409 and answer.get_json()["code"] == "invalid_state"
    assert "Idempotent-Replayed" not in answer.headers
    db.session.expire_all()
    assert [
        r.created_at > utcnow() - timedelta(hours=1)
        for r in db.session.scalars(select(ApiIdempotency))
    ] == [True]


@pytest.mark.parametrize("key", ["", "x" * 256, "kunci-é", "tab\there"])
def test_a_malformed_key_is_400_naming_the_header(
    client: FlaskClient, users, tokens, key: str
) -> None:
    plan = factories.plan_in_state(users, "draft")
    sent = {"trigger": "submit", "version": plan.version}
    answer = fire(client, tokens["drafter"], plan.id, key, **sent)
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == ["Idempotency-Key"]
    assert fired(plan.id, "submit") == 0


def test_a_key_as_a_structured_field_string_is_the_same_key(
    client: FlaskClient, users, tokens
) -> None:
    plan = factories.plan_in_state(users, "draft")
    sent = {"trigger": "submit", "version": plan.version}
    assert fire(client, tokens["drafter"], plan.id, "x" * 255, **sent).status_code == 200
    again = fire(client, tokens["drafter"], plan.id, '"' + "x" * 255 + '"', **sent)
    assert again.headers["Idempotent-Replayed"] == "true"


def test_every_write_documents_the_header(client: FlaskClient, users) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    writes = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("post", "put", "patch", "delete")
    ]
    assert writes
    for path, method, operation in writes:
        headers = [p for p in operation["parameters"] if p["in"] == "header"]
        assert [p["name"] for p in headers] == ["Idempotency-Key"], (path, method)
        assert headers[0]["schema"]["maxLength"] == 255
        assert "422" in operation["responses"], (path, method)


def test_a_creation_is_replayed_with_its_location(client: FlaskClient, users, tokens) -> None:
    plan = factories.plan_in_state(users, "district_review")
    url = f"/api/v1/plans/{plan.id}/comments"
    sent = {"item_type": "plan", "body": "Lengkapi baseline"}
    headers = {**tokens["reviewer"], "Idempotency-Key": "comment-1"}
    first = client.post(url, json=sent, headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    again = client.post(url, json=sent, headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert again.get_json() == first.get_json()
    listed = client.get(url, headers=tokens["reviewer"]).get_json()
    assert [c["text"] for c in listed["items"]] == ["Lengkapi baseline"]


def test_an_upload_is_kept_by_its_file(client: FlaskClient, users, tokens) -> None:
    _, report = factories.reported_plan(users, report_state="due")
    url = f"/api/v1/reports/{report.id}/attachments"
    headers = {**tokens["drafter"], "Idempotency-Key": "evidence-1"}

    def upload(content: bytes):
        form = {"file": (io.BytesIO(content), "bukti.pdf"), "version": str(report.version)}
        return client.post(url, data=form, headers=headers, content_type="multipart/form-data")

    first = upload(factories.MINIMAL_PDF)
    assert first.status_code == 201, first.get_data(as_text=True)
    again = upload(factories.MINIMAL_PDF)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    other = upload(factories.MINIMAL_PDF.replace(b"Catalog", b"Catalog "))
    assert other.status_code == 422
    assert other.get_json()["code"] == "idempotency_key_reused"
    listed = client.get(url, headers=tokens["drafter"]).get_json()
    assert len(listed["items"]) == 1


def test_a_long_url_is_kept_exactly_enough(client: FlaskClient, users, tokens) -> None:
    """However long a client makes its URL, the key's row holds it (no 500 on PostgreSQL's
    column length) and another long URL is still another request."""
    plan = factories.plan_in_state(users, "draft")
    sent = json.dumps({"trigger": "submit", "version": plan.version})
    headers = {**tokens["drafter"], "Idempotency-Key": "long"}
    url = f"/api/v1/plans/{plan.id}/transitions?pad=" + "x" * 5000
    first = client.post(url, data=sent, content_type=JSON, headers=headers)
    assert first.status_code == 400 and list(first.get_json()["fields"]) == ["pad"]
    again = client.post(url, data=sent, content_type=JSON, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post(url + "y", data=sent, content_type=JSON, headers=headers)
    assert other.status_code == 422
    assert fired(plan.id, "submit") == 0

"""The OpenAPI document matches the routes, and Schemathesis fuzzes every operation against
the app in-process (no server): no 5xx, every response within the document."""

from __future__ import annotations

import io
import json
import re
import time
import uuid
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import FileStorage

from workflow_app.accounts.tokens import issue_token
from workflow_app.api.openapi import openapi_path
from workflow_app.cases.operations import open_case
from workflow_app.extensions import db
from workflow_app.monitoring import evidence
from workflow_app.monitoring.models import ReportAttachment
from workflow_app.reviews.operations import add_comment

from .. import factories
from ..external import unavailable

MAX_EXAMPLES = 10  # per operation, generation mode and role: bounded, under a second each
FUZZ_SECONDS = 120  # the deadline of the run over every operation, per role
STATEFUL_EXAMPLES = 40  # scenarios per role, of at most STATEFUL_STEPS linked calls
STATEFUL_STEPS = 8
# The district drafter writes plans and reports; the provincial reviewer reviews them.
FUZZ_ROLES = ("drafter", "provincial")


def _schemathesis() -> Any:
    try:
        import schemathesis
    except ImportError:
        unavailable("schemathesis is not installed (pip install -e '.[dev]')")
    # A file sent as the body (a workbook to import) goes as its bytes, like any binary.
    for media_type in _binary_media_types():
        schemathesis.serializer.alias(media_type, "application/octet-stream")
    return schemathesis


def _binary_media_types() -> set[str]:
    """The media types of the API's bodies sent as a file's bytes (api/blueprint.py)."""
    from workflow_app.api.blueprint import ENDPOINTS

    return {media_type for item in ENDPOINTS for media_type in getattr(item, "raw_body", ())}


def test_every_api_route_is_documented_and_every_documented_path_exists(app_ctx: Flask) -> None:
    document = app_ctx.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    routed = {
        (openapi_path(rule.rule.removeprefix("/api/v1")), method)
        for rule in app_ctx.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routed == documented
    # Every operation documents its errors with the one error shape, and the rate limit's
    # 429 with the Retry-After header (seconds).
    for item in document["paths"].values():
        for operation in item.values():
            error = operation["responses"]["default"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorBody"}
            limited = operation["responses"]["429"]
            assert limited["content"]["application/json"]["schema"] == error
            assert limited["headers"]["Retry-After"]["schema"]["type"] == "integer"


def _pointer_exists(document: dict[str, Any], schema: dict[str, Any], pointer: str) -> bool:
    """Whether the JSON pointer (`/items/0/id`) can resolve in a body of `schema`."""
    schemas = document["components"]["schemas"]
    for part in [p for p in pointer.split("/") if p]:
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        if part.isdigit() and schema.get("type") == "array":
            schema = schema["items"]
        elif part in schema.get("properties", {}):
            schema = schema["properties"][part]
        else:
            return False
    return True


def _operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        op["operationId"]: (method, path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
    }


def _links(document: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(source operationId, status, link name, link) of every link in the document."""
    return [
        (source, status, name, link)
        for source, (_, _, op) in _operations(document).items()
        for status, response in op["responses"].items()
        for name, link in response.get("links", {}).items()
    ]


def test_every_link_leads_to_a_served_operation_with_the_parameters_it_fills(
    app_ctx: Flask,
) -> None:
    """A client follows a link blindly: its target operation must exist, every parameter and
    body field it fills must be one the target takes, and every expression must read a
    parameter of the source request or a field its response body can have."""
    document = app_ctx.test_client().get("/api/v1/openapi.json").get_json()
    operations = _operations(document)
    links = _links(document)
    assert links
    for source, status, name, link in links:
        assert link["operationId"] in operations, (source, name)
        _, _, target = operations[link["operationId"]]
        _, path, source_op = operations[source]
        taken = {(p["in"], p["name"]) for p in target["parameters"]}
        # The body's schema, JSON or a form (a link fills a field of either).
        body = next(iter(target.get("requestBody", {}).get("content", {}).values()), {})
        expressions = []
        for key, expression in link["parameters"].items():
            location, parameter = key.split(".")
            assert (location, parameter) in taken, (source, name, key)
            expressions.append(expression)
        for field, expression in link.get("requestBody", {}).items():
            assert _pointer_exists(document, body["schema"], field), (source, name, field)
            expressions.append(expression)
        # Every path parameter of the target is filled: the link alone makes the call.
        needed = {p["name"] for p in target["parameters"] if p["in"] == "path"}
        assert needed == {k.split(".")[1] for k in link["parameters"] if k.startswith("path.")}
        answer = source_op["responses"][status]["content"]["application/json"]["schema"]
        for expression in expressions:
            if expression.startswith("$request.path."):
                assert "{" + expression.removeprefix("$request.path.") + "}" in path
            else:
                pointer = expression.removeprefix("$response.body#")
                assert _pointer_exists(document, answer, pointer), (source, name, expression)


def _by_path(document: dict[str, Any], method: str, path: str) -> str | None:
    op = document["paths"].get("/api/v1" + path, {}).get(method)
    return op["operationId"] if op else None


def test_links_follow_a_case_from_its_creation_through_its_actions(app_ctx: Flask) -> None:
    """The links a client needs exist for what is served: a created or read case to each of
    its operations (id from the body), an action to the next one (the new version), a list
    to its members, a report to its plan."""
    document = app_ctx.test_client().get("/api/v1/openapi.json").get_json()
    links = {(source, name): link for source, _, name, link in _links(document)}
    detail = _by_path(document, "get", "/plans/{plan_id}")
    fire = _by_path(document, "post", "/plans/{plan_id}/transitions")
    report = _by_path(document, "get", "/reports/{report_id}")
    assert links[(detail, fire)]["requestBody"] == {"version": "$response.body#/version"}
    assert links[(detail, fire)]["parameters"] == {"path.plan_id": "$response.body#/id"}
    assert links[(fire, fire)]["requestBody"] == {"version": "$response.body#/version"}
    plan_reports = _by_path(document, "get", "/plans/{plan_id}/reports")
    assert links[(plan_reports, report)]["parameters"] == {
        "path.report_id": "$response.body#/items/0/id"
    }
    assert links[(report, detail)]["parameters"] == {"path.plan_id": "$response.body#/plan_id"}
    # The report's version is not the plan's: no link sends one for the other.
    assert "requestBody" not in links[(report, fire)]
    # Every operation on a plan is reachable from its creation and from its detail.
    create = _by_path(document, "post", "/plans")
    for path, item in document["paths"].items():
        if not path.startswith("/api/v1/plans/{plan_id}"):
            continue
        for op in item.values():
            if "{" not in path.removeprefix("/api/v1/plans/{plan_id}"):
                assert (detail, op["operationId"]) in links or op["operationId"] == detail
                if create:
                    assert (create, op["operationId"]) in links, op["operationId"]


def test_a_whole_number_written_with_a_point_is_that_integer(app_ctx: Flask, users: dict) -> None:
    """The document's JSON Schema (2020-12) counts 3.0 as the integer 3, so a client built
    from it may send a version so: it is that version (3.5 is refused, test_api_strict.py)."""
    plan = factories.plan_in_state(users, "draft")
    db.session.commit()
    token, version = factories.api_token(users["drafter"]), plan.version
    sent = f'{{"trigger": "submit", "version": {version}.0}}'
    response = app_ctx.test_client().post(
        f"/api/v1/plans/{plan.id}/transitions",
        data=sent,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["version"] == version + 1


@pytest.fixture
def fuzzing(app_ctx: Flask, users: dict) -> dict[str, Any]:
    """Plans in several states, a submitted report and a decree of a kind declared as data,
    an admin token, and the schema as the app serves it."""
    schemathesis = _schemathesis()
    plans = [factories.plan_in_state(users, state) for state in ("district_review", "draft")]
    comment = add_comment(users["reviewer"], plans[0], "plan", None, "Lengkapi baseline")
    plan, report = factories.reported_plan(users)
    # Evidence on the report (stored as the upload stores it), to download.
    pdf = evidence.inspect("bukti.pdf", factories.MINIMAL_PDF)
    attachment = ReportAttachment(
        report_id=report.id,
        original_name=pdf.display_name,
        stored_name=evidence.store(pdf, factories.MINIMAL_PDF),
        content_type=pdf.content_type,
        size=pdf.size,
        sha256=pdf.sha256,
        uploaded_by_id=users["drafter"].id,
    )
    db.session.add(attachment)
    signed = {"signed_decree": FileStorage(io.BytesIO(factories.MINIMAL_PDF), "sk.pdf")}
    decree = open_case(
        users["drafter"],
        "sk_pokja",
        factories.regions()["6301"],
        {"decree_kind": "formation"},
        signed,
    )
    db.session.commit()
    # A token of the caller's own to revoke, not the one it calls with.
    spare = issue_token(users["admin"], "spare")
    db.session.commit()
    ids = {
        "plan_id": [p.id for p in plans] + [plan.id],
        "report_id": [report.id],
        "kind": ["sk_pokja"],
        "case_id": [decree.id],
        "workflow": ["action_plan", "progress_report", "sk_pokja", "dak_sanitation"],
        "token_id": [spare.token.id],
        "field": ["signed_decree"],  # the decree's file
        "attachment_id": [attachment.id],  # of the report
        "comment_id": [comment.id],  # of the first plan
        "activity_id": [plans[0].activities[0].id],  # of the first plan
    }
    # Half the time a path parameter named like a known object takes one of them
    # (Schemathesis' dictionaries): the fuzzing and its chains reach real data, not only 404.
    from schemathesis.config import SchemathesisConfig

    config = SchemathesisConfig.from_dict(
        {
            "dictionaries": {name: {"values": values} for name, values in ids.items()},
            "parameters": {
                f"path.{name}": {"dictionary": name, "probability": 0.5} for name in ids
            },
        }
    )
    return {
        "schemathesis": schemathesis,
        "schema": schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app_ctx, config=config),
        "headers": {"Authorization": f"Bearer {factories.api_token(users['admin'])}"},
        "tokens": {role: factories.api_token(users[role]) for role in FUZZ_ROLES},
        "ids": ids,
    }


def _checks(schemathesis: Any) -> list[Any]:
    from schemathesis.specs.openapi import checks as openapi_checks

    return [
        schemathesis.checks.not_a_server_error,
        openapi_checks.status_code_conformance,
        openapi_checks.content_type_conformance,
        openapi_checks.response_schema_conformance,
    ]


def test_known_objects_answer_within_the_document(fuzzing: dict[str, Any]) -> None:
    """Real ids: the success bodies (200) are checked against their schemas."""
    schema, headers = fuzzing["schema"], fuzzing["headers"]
    checks = _checks(fuzzing["schemathesis"])
    seen = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "GET":
            continue
        names = re.findall(r"{(\w+)}", operation.path)
        ids = fuzzing["ids"]
        # The first parameter takes each known value, any further one its first; below another
        # id (…/{plan_id}/comments/{comment_id}) only the first values, which belong together.
        firsts = ids.get(names[0], []) if names else [None]
        for value in firsts if len(names) < 2 or not names[1].endswith("_id") else firsts[:1]:
            params = {names[0]: value, **{n: ids[n][0] for n in names[1:]}} if names else {}
            case = operation.Case(path_parameters=params)
            response = case.call_and_validate(headers=headers, checks=checks)
            assert response.status_code == 200, (operation.path, params, response.text)
            seen += 1
    assert seen >= 8


def _signed_in(fuzzing: dict[str, Any], role: str) -> Any:
    """The schema, every request it generates carrying the token of `role` (its own auth
    provider: explicit credentials, so ignored_auth checks that the same call without them,
    or with wrong ones, is refused)."""
    schema, token = fuzzing["schema"], fuzzing["tokens"][role]

    @schema.auth()
    class Token:
        def get(self, case: Any, ctx: Any) -> str:
            return token

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return schema


def _fresh_idempotency_key(case: Any) -> None:
    """A new key per generated request: a key generated twice for two different requests is
    rightly refused (422 idempotency_key_reused), which says nothing about the request."""
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex


# The messages of a refusal the document could have stated itself (a type, a bound, a
# pattern, a required or unknown field or parameter): pydantic's for its JSON Schema
# keywords and the API's own (api/blueprint.py). A schema-valid request refused with one of
# them means the document promises more than the code takes.
SCHEMA_MESSAGES = (
    "Input should",
    "Field required",
    "Extra inputs are not permitted",
    "String should",
    "List should",
    "Value should",
    "Dictionary should",
    "Decimal input should",
    "Decimal should",
    "Tuple should",
    "Set should",
    "unknown query parameter",
    "given more than once",
    "expected a whole number",
    "expected a JSON object",
)


def _beyond_the_schema(response: Any) -> bool:
    """Whether a 400 refuses a schema-valid request by a rule no JSON Schema can state (a
    period ending before it starts, a trigger the case's state does not offer, a comment its
    action requires): none of its field messages is one the schema could have said."""
    if response.status_code != 400:
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    messages = [m for found in (body.get("fields") or {}).values() for m in found]
    return not any(m.startswith(SCHEMA_MESSAGES) for m in messages)


def _positive_data_acceptance(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis' positive_data_acceptance (a schema-valid request is not refused), except
    a 400 by a rule beyond the schema."""
    from schemathesis.openapi.checks import RejectedPositiveData
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if _beyond_the_schema(response):
            return None
        raise


def _all_checks() -> dict[str, Any]:
    """Every Schemathesis check (the default set is all of them), positive_data_acceptance
    as above."""
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    return {
        "excluded_checks": [positive_data_acceptance],
        "additional_checks": [_positive_data_acceptance],
    }


def _run_checks(case: Any) -> None:
    """Send `case` and validate the answer with every Schemathesis check."""
    _fresh_idempotency_key(case)
    case.call_and_validate(**_all_checks())


def _fuzz(strategies: list[Any], share: float) -> None:
    """Up to MAX_EXAMPLES cases drawn from `strategies`, each sent and checked. No deadline
    per example (a loaded machine would fail them at random): the run has one instead, shared
    out among the operations; past its `share` of seconds an operation sends no more (its
    first example always goes)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    started, sent = time.monotonic(), [0]

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def run(case: Any) -> None:
        if sent[0] and time.monotonic() - started > share:
            return
        sent[0] += 1
        _run_checks(case)

    run()


@pytest.mark.parametrize("role", FUZZ_ROLES)
def test_schemathesis_every_check_on_every_operation(fuzzing: dict[str, Any], role: str) -> None:
    """Every operation, schema-valid and schema-invalid requests, as a district drafter and as
    the provincial reviewer, with all of Schemathesis' checks: no 5xx; status, content type,
    headers and body as documented; a schema-valid request is not refused as invalid (400) and
    a schema-invalid one is; authentication is enforced."""
    from schemathesis import GenerationMode

    schema = _signed_in(fuzzing, role)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    share = FUZZ_SECONDS / (2 * len(operations))  # seconds per operation and mode
    for operation in operations:
        names = re.findall(r"{(\w+)}", operation.path)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies = [operation.as_strategy(mode)]
            known = {name: fuzzing["ids"][name][0] for name in names if name in fuzzing["ids"]}
            if names and len(known) == len(names) and mode is GenerationMode.POSITIVE:
                # Half the cases on objects that exist, so more than "not found" is tried.
                strategies.append(operation.as_strategy(mode, path_parameters=known))

            _fuzz(strategies, share)


@pytest.mark.parametrize("role", FUZZ_ROLES)
def test_schemathesis_follows_the_links_statefully(fuzzing: dict[str, Any], role: str) -> None:
    """Schemathesis' stateful phase: sequences of calls along the document's links (a list to
    a plan, the plan to its actions with the version read, an action to the next…), every
    check on every step, including that a case read or created stays there
    (ensure_resource_availability) and none deleted is served again (use_after_free)."""
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.errors import FlakyStrategyDefinition

    schema = _signed_in(fuzzing, role)
    # Schema-valid requests only: a chain goes on from a success, and the invalid ones are the
    # test above's (every operation, both modes).
    schema.config.generation.update(modes=[fuzzing["schemathesis"].GenerationMode.POSITIVE])
    base = schema.as_state_machine()
    scenarios = [0]  # scenarios that ran to their end

    class Links(base):  # type: ignore[misc, valid-type]
        def before_call(self, case: Any) -> None:
            _fresh_idempotency_key(case)

        def teardown(self) -> None:
            scenarios[0] += 1
            super().teardown()

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(
                response,
                **_all_checks(),
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    # The data changes under the run (plans are created, actions fired), so Hypothesis may find
    # a replayed scenario drawing differently and stop (FlakyStrategyDefinition): go on with
    # fresh scenarios, as Schemathesis' own runner does, until enough have run. A failure that
    # does not reproduce (FlakyFailure) is still a failure.
    attempts = 0
    while scenarios[0] < STATEFUL_EXAMPLES and attempts < 5:
        attempts += 1
        try:
            Links.run(
                settings=settings(
                    max_examples=STATEFUL_EXAMPLES - scenarios[0],
                    stateful_step_count=STATEFUL_STEPS,
                    deadline=None,
                    database=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
            )
        except FlakyStrategyDefinition:
            continue
    assert scenarios[0] >= STATEFUL_EXAMPLES // 2, scenarios

"""The OpenAPI 3.1 document of the API, generated from the endpoint declarations
(api/blueprint.py `ENDPOINTS`) and the pydantic models' JSON Schemas: a route cannot exist
without being documented, and the documented bodies are the ones the code validates."""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..cases.kinds import declared_kinds
from ..workflows import PLAN_WORKFLOW, REPORT_WORKFLOW
from .blueprint import ENDPOINTS, PREFIX, Endpoint, endpoint
from .declared_views import CASE_RULE as RULE_OF_CASE
from .declared_views import RULE as RULE_OF_KIND
from .idempotency import WRITE_METHODS, document_header
from .links import add_links
from .schemas import MAX_ID, ErrorBody
from .vocabulary import states_of, triggers_of

REF = "#/components/schemas/{model}"
# The built-in kinds whose state and trigger names the document lists as enums, from the
# loaded definitions: kind → its workflow and the response models carrying its `state`.
KIND_VOCABULARY = {
    "plan": (PLAN_WORKFLOW, ("PlanSummary", "PlanDetail")),
    "report": (REPORT_WORKFLOW, ("ReportSummary", "ReportDetail")),
}
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
# Path parameters that are not ids, described.
PARAMETER_TEXT = {
    "kind": "A kind of case declared as data (a definition with a `case:` block), e.g. sk_pokja.",
    "workflow": "A loaded workflow's name (GET /api/v1/workflows lists them), e.g. action_plan.",
}
STATUS_TEXT = {
    400: "Invalid request (validation_error, unknown_trigger, comment_required).",
    401: "No valid API token (unauthorized).",
    403: "The caller's role may not do this (forbidden).",
    404: "Not found, or not visible to the caller (not_found).",
    409: "Not possible now (invalid_state, guard_failed) or changed meanwhile (stale).",
    413: (
        "Too large: the body (payload_too_large), or a file beyond what one file or one "
        "report may hold (file_too_large, evidence_bytes_limit)."
    ),
    415: "The body is not JSON (unsupported_media_type).",
    429: (
        "Too many requests (rate_limited): more than API_RATE_LIMIT (600 per minute unless "
        "the server sets another) across the API, counted per token, or per client address "
        "without a working token. Wait the seconds in Retry-After."
    ),
}
# Every operation counts against the rate limit, so every one may answer 429.
RATE_LIMITED = {
    "description": STATUS_TEXT[429],
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait before the limit lets a request through again.",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}


def openapi_path(rule: str) -> str:
    """`/plans/<int:plan_id>` → `/api/v1/plans/{plan_id}`."""
    return PREFIX + _PARAM.sub(r"{\2}", rule)


def _path_parameters(rule: str) -> list[dict[str, Any]]:
    parameters = []
    for converter, name in _PARAM.findall(rule):
        schema: dict[str, Any] = {"type": "string"}
        if converter == "int":
            schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        parameter = {"name": name, "in": "path", "required": True, "schema": schema}
        if name in PARAMETER_TEXT:
            parameter["description"] = PARAMETER_TEXT[name]
        parameters.append(parameter)
    return parameters


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": _sendable(prop),
            **({"description": prop["description"]} if "description" in prop else {}),
        }
        for name, prop in schema["properties"].items()
    ]


def _sendable(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema without its title and without `null` (a query string
    cannot send null: leaving the parameter out means "no filter")."""
    schema = {k: v for k, v in prop.items() if k not in ("title", "default", "description")}
    branches = [b for b in schema.pop("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        schema.update(branches[0])
    elif branches:
        schema["anyOf"] = branches
    return schema


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _operation(item: Endpoint) -> dict[str, Any]:
    success = _ref(item.response) if item.response else {"type": "object"}
    responses: dict[str, Any] = {"200": {"description": "OK", "content": _json_content(success)}}
    if item.files:
        binary = {"schema": {"type": "string", "format": "binary"}}
        content = dict.fromkeys(item.files, binary)
        responses["200"] = {"description": "The file.", "content": content}
    if item.status != 200:
        answer = responses.pop("200")
        answer["description"] = "Created." if item.status == 201 else answer["description"]
        if item.status == 201:
            where = {
                "description": "The address of what was created.",
                "schema": {"type": "string"},
            }
            answer["headers"] = {"Location": where}
        responses[str(item.status)] = answer
    for status in item.errors:
        responses[str(status)] = {
            "description": STATUS_TEXT.get(status, "Error."),
            "content": _json_content(_ref(ErrorBody)),
        }
    responses["429"] = {**RATE_LIMITED, "content": _json_content(_ref(ErrorBody))}
    # Anything else (e.g. 405) has the same error shape.
    responses["default"] = {"description": "Error.", "content": _json_content(_ref(ErrorBody))}
    operation: dict[str, Any] = {
        "operationId": item.name,
        "summary": item.summary,
        "tags": [item.tag],
        "parameters": _path_parameters(item.rule)
        + (_query_parameters(item.query) if item.query else []),
        "responses": responses,
    }
    if item.body is not None:
        operation["requestBody"] = {"required": True, "content": _json_content(_ref(item.body))}
        if item.multipart:
            form = {"multipart/form-data": {"schema": _ref(item.body)}}
            operation["requestBody"] = {"required": True, "content": form}
    if item.raw_body:
        binary = {"schema": {"type": "string", "format": "binary"}}
        operation["requestBody"] = {
            "required": True,
            "content": dict.fromkeys(item.raw_body, binary),
        }
    if not item.auth:
        operation["security"] = []
    elif item.method in WRITE_METHODS:
        document_header(operation)
    return operation


def document() -> dict[str, Any]:
    """The document for the app's loaded definitions (apps may load different ones)."""
    served = copy.deepcopy(_models_document())
    _add_vocabulary(served)
    _add_declared_vocabulary(served)
    _form_parts(served)
    _closed_maps(list(served["components"]["schemas"].values()))
    add_links(served)  # last: links read the final bodies and parameters
    return served


def _add_vocabulary(served: dict[str, Any]) -> None:
    """State and trigger names as enums per kind, so a generated client has them as
    constants: `{Kind}State` on the kind's bodies and its list's `state` filter,
    `{Kind}Trigger` in a `{Kind}TransitionRequest` for firing its actions."""
    schemas = served["components"]["schemas"]
    for kind, (workflow, models) in KIND_VOCABULARY.items():
        name = kind.capitalize()
        state, trigger = f"{name}State", f"{name}Trigger"
        schemas[state] = {
            "type": "string",
            "enum": states_of(workflow),
            "description": f"A state of the {workflow} workflow (any loaded version).",
        }
        schemas[trigger] = {
            "type": "string",
            "enum": triggers_of(workflow),
            "description": f"An action of the {workflow} workflow (any loaded version).",
        }
        for model in models:
            schemas[model]["properties"]["state"] = {"$ref": REF.format(model=state)}
        request = copy.deepcopy(schemas["TransitionRequest"])
        request["title"] = f"{name}TransitionRequest"
        request["properties"]["trigger"] = {"$ref": REF.format(model=trigger)}
        schemas[request["title"]] = request
        fire = served["paths"][openapi_path(f"/{kind}s/<int:{kind}_id>/transitions")]["post"]
        fire["requestBody"] = {
            "required": True,
            "content": _json_content({"$ref": REF.format(model=request["title"])}),
        }
        # The state filter of the kind's lists: /{kind}s and below it without an id (export).
        collection = openapi_path(f"/{kind}s")
        for path, item in served["paths"].items():
            if path != collection and not (path.startswith(collection + "/") and "{" not in path):
                continue
            for parameter in item.get("get", {}).get("parameters", []):
                if parameter["in"] == "query" and parameter["name"] == "state":
                    parameter["schema"] = {"$ref": REF.format(model=state)}


def _add_declared_vocabulary(served: dict[str, Any]) -> None:
    """The kinds declared as data share their paths (/cases/{kind}/…), so their names are one
    enum, `CaseKind`, on the `kind` parameter, and their states and actions are enums over
    every declared kind, `CaseState` and `CaseTrigger` (described kind by kind): a client has
    them as constants instead of free strings."""
    kinds = sorted(declared_kinds(), key=lambda kind: kind.name)
    if not kinds:
        return
    schemas = served["components"]["schemas"]

    def union(names_of: Any, what: str) -> dict[str, Any]:
        per_kind = "; ".join(f"{k.name}: {', '.join(names_of(k.workflow))}" for k in kinds)
        return {
            "type": "string",
            "enum": sorted({name for k in kinds for name in names_of(k.workflow)}),
            "description": f"{what} of a kind declared as data (any loaded version): {per_kind}.",
        }

    schemas["CaseKind"] = {
        "type": "string",
        "enum": [k.name for k in kinds],
        "description": PARAMETER_TEXT["kind"],
    }
    schemas["CaseState"] = union(states_of, "A state")
    schemas["CaseTrigger"] = union(triggers_of, "An action")
    for model in ("CaseSummary", "CaseDetail"):
        schemas[model]["properties"]["state"] = {"$ref": REF.format(model="CaseState")}
    request = copy.deepcopy(schemas["TransitionRequest"])
    request["title"] = "CaseTransitionRequest"
    request["properties"]["trigger"] = {"$ref": REF.format(model="CaseTrigger")}
    schemas[request["title"]] = request
    fire = served["paths"][openapi_path(RULE_OF_CASE + "/transitions")]["post"]
    fire["requestBody"] = {
        "required": True,
        "content": _json_content({"$ref": REF.format(model=request["title"])}),
    }
    collection = openapi_path(RULE_OF_KIND)
    for path, item in served["paths"].items():
        if not path.startswith(collection):
            continue
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] == "kind":
                    parameter["schema"] = {"$ref": REF.format(model="CaseKind")}
                elif parameter["in"] == "query" and parameter["name"] == "state":
                    parameter["schema"] = {"$ref": REF.format(model="CaseState")}


def _closed_maps(schema: Any) -> None:
    """A map keyed by a pattern (activity id → figures) takes no other key: pydantic refuses
    one. pydantic writes `patternProperties`, which would allow any other key; the document
    says the same as `propertyNames` (the key's pattern) and `additionalProperties` (the
    value's schema), which generated clients read as a typed map."""
    if isinstance(schema, list):
        for item in schema:
            _closed_maps(item)
    if not isinstance(schema, dict):
        return
    patterns = schema.get("patternProperties")
    if isinstance(patterns, dict) and len(patterns) == 1 and "additionalProperties" not in schema:
        [(pattern, value)] = schema.pop("patternProperties").items()
        schema["propertyNames"] = {"pattern": pattern}
        schema["additionalProperties"] = value
    for key, value in schema.items():
        if key in ("properties", "$defs") and isinstance(value, dict):
            _closed_maps(list(value.values()))
        elif key not in ("examples", "default", "enum", "const"):
            _closed_maps(value)


def _form_parts(served: dict[str, Any]) -> None:
    """A multipart/form-data body cannot send null: an optional part is left out instead, so
    its model's properties are described without `null` (like query parameters)."""
    schemas = served["components"]["schemas"]
    for item in served["paths"].values():
        for operation in item.values():
            form = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
            name = (form or {}).get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
            properties = schemas.get(name, {}).get("properties", {})
            for key, prop in properties.items():
                sendable = _sendable(prop)
                properties[key] = {
                    **sendable,
                    **{k: prop[k] for k in ("title", "description") if k in prop},
                }


@cache
def _models_document() -> dict[str, Any]:
    models = {ErrorBody}
    for item in ENDPOINTS:
        models.update(m for m in (item.response, item.body) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    modes = [(m, "validation" if _is_request(m) else "serialization") for m in ordered]
    _, definitions = models_json_schema(modes, ref_template=REF)  # type: ignore[arg-type]
    paths: dict[str, dict[str, Any]] = {}
    for item in ENDPOINTS:
        paths.setdefault(openapi_path(item.rule), {})[item.method.lower()] = _operation(item)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "workflow_app API",
            "version": "1",
            "description": (
                "Sanitation action plans of Kalimantan Selatan, their quarterly progress "
                "reports, and the kinds of case declared as data (/cases/{kind}, e.g. the "
                "SK Pokja PKP as sk_pokja). Authenticate with a personal API token (My account "
                "→ API tokens, or `workflow-app tokens create USERNAME`) as "
                "`Authorization: Bearer <token>`. "
                "Every error has the shape of ErrorBody; branch on its `code`. "
                "Requests are rate limited per token (429 rate_limited with Retry-After)."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


def _is_request(model: type[BaseModel]) -> bool:
    return any(item.body is model for item in ENDPOINTS)


@endpoint(
    "GET",
    "/openapi.json",
    summary="This document.",
    tag="meta",
    response=None,
    auth=False,
)
def openapi_json() -> dict[str, Any]:
    return document()

"""OpenAPI links between the API's operations, derived from the served document itself.

A client (or Schemathesis' stateful phase) follows a link from a response to the next call:
POST /plans → GET /plans/{plan_id} with plan_id from `$response.body#/id`, → POST
/plans/{plan_id}/transitions with `version` from `$response.body#/version`, GET
/plans/{plan_id}/reports → GET /reports/{report_id} with `$response.body#/items/0/id`, …

Nothing here names a kind, a path or an operation: links come from the paths, the path
parameters and the response bodies, so an endpoint added later gets its links when it lands,
and a link can only point at an operation that is served.

- A body *identifies* the path parameter `x` when a GET …/{x} answers it (PlanDetail, plan_id),
  or when its fields are a subset of exactly one such body's (PlanSummary ⊂ PlanDetail), or
  when a GET list at P answers it in `items` and operations at (or below) P/{x} exist.
- An operation's answer binds: its own path parameters (`$request.path.x`); the identified
  parameter (`…/id`) and fields named like a path parameter (a report's `plan_id`, a case's
  `kind`); `…/<seg>/0/id` for a target below /<seg>/{x} (a plan's `activities`); and the
  `version` of the case it answered on, for a target that takes one (body or query).
- A link goes to every operation all of whose path parameters are bound, at least one of them
  (or its version) from the answer: a link that only repeats the request adds nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

REF_PREFIX = "#/components/schemas/"
_PARAM = re.compile(r"{(\w+)}")
VERSION = "version"


@dataclass
class _Operation:
    path: str
    method: str
    spec: dict[str, Any]
    params: list[str] = field(default_factory=list)
    _schemas: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        return str(self.spec["operationId"])

    def case_param(self) -> str | None:
        """The path parameter naming the case whose version a write takes: the first id."""
        ids = [p for p in self.params if p.endswith("_id")]
        return ids[0] if ids else None

    def takes_version(self) -> str | None:
        """Where this operation takes a `version`: "query", "body" or None."""
        for parameter in self.spec.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] == VERSION:
                return "query"
        return "body" if VERSION in _properties(self._schemas, self.request_model()) else None

    def request_model(self) -> str | None:
        """The model of the body (JSON or a form), if it has one."""
        content = self.spec.get("requestBody", {}).get("content", {})
        models = [_model_name(media.get("schema")) for media in content.values()]
        return next((m for m in models if m), None)


def _model_name(schema: dict[str, Any] | None) -> str | None:
    ref = (schema or {}).get("$ref", "")
    return ref.removeprefix(REF_PREFIX) if ref.startswith(REF_PREFIX) else None


def _properties(schemas: dict[str, Any], model: str | None) -> dict[str, Any]:
    return schemas.get(model, {}).get("properties", {}) if model else {}


def _items_model(schemas: dict[str, Any], model: str | None) -> str | None:
    """The model of a list body's `items`, if it is one."""
    items = _properties(schemas, model).get("items", {})
    return _model_name(items.get("items")) if items.get("type") == "array" else None


def _success(spec: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Each 2xx status with the model its JSON body has (None: no model)."""
    found = []
    for status, response in spec.get("responses", {}).items():
        if status.startswith("2"):
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            found.append((status, _model_name(schema)))
    return found


def _identities(operations: list[_Operation], schemas: dict[str, Any]) -> dict[str, str]:
    """Body model → the path parameter its `id` is."""
    identity: dict[str, str] = {}
    for op in operations:
        if op.method == "get" and op.params and op.path.endswith("{" + op.params[-1] + "}"):
            for _, model in _success(op.spec):
                if model and "id" in _properties(schemas, model):
                    identity.setdefault(model, op.params[-1])
    paths = {op.path for op in operations}
    for op in operations:  # a list at P whose members are served at P/{x}
        if op.method != "get":
            continue
        for _, model in _success(op.spec):
            member = _items_model(schemas, model)
            if member and member not in identity and "id" in _properties(schemas, member):
                # …/{x} itself, or only operations below it (/notifications/{x}/read)
                below = {
                    found.group(1)
                    for p in paths
                    if (found := re.match(re.escape(op.path) + r"/{(\w+)}(/|$)", p))
                }
                if len(below) == 1:
                    identity[member] = below.pop()
    details = dict(identity)
    for model in schemas:  # a summary: its fields a subset of exactly one identified body's
        fields = set(_properties(schemas, model))
        if model in identity or "id" not in fields:
            continue
        owners = {
            param for body, param in details.items() if fields <= set(_properties(schemas, body))
        }
        if len(owners) == 1:
            identity[model] = owners.pop()
    return identity


@dataclass
class _Answer:
    """What one response of `source` gives a following call."""

    bound: dict[str, str]  # path parameter → expression
    from_response: set[str]  # the parameters bound from the body, not the request
    version: str | None  # the expression of the version of …
    version_of: str | None  # … the case named by this path parameter
    arrays: dict[str, str]  # path segment → expression of its first member's id


def _answer(
    source: _Operation,
    model: str | None,
    schemas: dict[str, Any],
    identity: dict[str, str],
    all_params: set[str],
) -> _Answer:
    bound = {p: f"$request.path.{p}" for p in source.params}
    from_response: set[str] = set()
    version = version_of = None
    pointer, body = "$response.body#", model
    member = _items_model(schemas, model)
    if member and member in identity:
        pointer, body = "$response.body#/items/0", member
    props = _properties(schemas, body)
    if body in identity:
        param = identity[body]
        bound[param] = f"{pointer}/id"
        from_response.add(param)
        if VERSION in props:
            version, version_of = f"{pointer}/{VERSION}", param
    elif VERSION in props and source.case_param():
        # A write's outcome (TransitionResult): the new version of the case it was sent to.
        version, version_of = f"{pointer}/{VERSION}", source.case_param()
    for name, prop in props.items():
        if name in all_params and name not in bound and prop.get("type") in ("integer", "string"):
            bound[name] = f"{pointer}/{name}"
            from_response.add(name)
    arrays = {
        name: f"{pointer}/{name}/0/id"
        for name, prop in props.items()
        if prop.get("type") == "array"
        and "id" in _properties(schemas, _model_name(prop.get("items")))
    }
    return _Answer(bound, from_response, version, version_of, arrays)


def _link(target: _Operation, answer: _Answer) -> dict[str, Any] | None:
    parameters: dict[str, str] = {}
    fresh = False
    segments = target.path.split("/")
    for param in target.params:
        expression = answer.bound.get(param)
        from_body = param in answer.from_response
        if expression is None:  # a member of an array of the answer: …/activities/{activity_id}
            index = segments.index("{" + param + "}")
            expression = answer.arrays.get(segments[index - 1])
            from_body = expression is not None
        if expression is None:
            return None
        parameters[f"path.{param}"] = expression
        fresh = fresh or from_body
    link: dict[str, Any] = {"operationId": target.id}
    takes = target.takes_version()
    if takes and answer.version and answer.version_of == target.case_param():
        fresh = True
        if takes == "query":
            parameters[f"query.{VERSION}"] = answer.version
        else:
            link["requestBody"] = {VERSION: answer.version}
    if not fresh:
        return None
    link["parameters"] = parameters
    return link


def add_links(served: dict[str, Any]) -> None:
    """Declare `links` on every success response of `served` (in place)."""
    schemas = served.get("components", {}).get("schemas", {})
    operations = [
        _Operation(path, method, spec, _PARAM.findall(path), _schemas=schemas)
        for path, item in served["paths"].items()
        for method, spec in item.items()
        if isinstance(spec, dict) and "operationId" in spec
    ]
    identity = _identities(operations, schemas)
    all_params = {p for op in operations for p in op.params}
    for source in operations:
        for status, model in _success(source.spec):
            answer = _answer(source, model, schemas, identity, all_params)
            links = {}
            for target in operations:
                if target is source and not target.takes_version():
                    continue  # reading the same thing again
                link = _link(target, answer)
                if link is not None:
                    links[target.id] = link
            if links:
                source.spec["responses"][status]["links"] = links

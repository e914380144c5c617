"""The /api/v1 blueprint and the decorator every endpoint is declared with.

`endpoint()` registers the Flask route and records what the OpenAPI document needs (method,
path, query and body models, response model, errors), so the document is generated from the
same declarations that serve the requests. It also authenticates the caller, validates the
query and the body, and answers with the response model as JSON.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from flask import Blueprint, Response, json, request
from flask_babel import force_locale
from pydantic import BaseModel, PlainValidator, WithJsonSchema
from werkzeug.datastructures import FileStorage

from .auth import authenticate
from .errors import ApiError, register_error_handlers
from .idempotency import WRITE_METHODS, idempotent
from .schemas import MAX_ID

PREFIX = "/api/v1"

blueprint = Blueprint("api", __name__, url_prefix=PREFIX)
register_error_handlers(blueprint)


@blueprint.after_request
def options_as_json(response: Response) -> Response:
    """Flask answers OPTIONS itself with an empty HTML page; an API answers JSON: the
    methods the path allows (also in the Allow header)."""
    if request.method == "OPTIONS" and response.status_code == 200 and not response.is_json:
        allowed = sorted(m.strip() for m in response.headers.get("Allow", "").split(",") if m)
        response.set_data(json.dumps({"allow": allowed}))
        response.mimetype = "application/json"
    return response


@dataclass(frozen=True)
class Endpoint:
    method: str
    rule: str  # Flask rule below the prefix, e.g. /plans/<int:plan_id>
    name: str  # the view's endpoint name within the blueprint
    summary: str
    tag: str
    response: type[BaseModel] | None  # None: a free-form JSON object
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    auth: bool = True
    # The success answer is a file of one of these media types ("*/*": any), not JSON: the
    # view returns the Response itself.
    files: tuple[str, ...] = ()
    status: int = 200  # the status of success (201: created; the view adds its Location)
    raw_body: tuple[str, ...] = ()  # the body is a file of these media types, given as bytes
    multipart: bool = False  # `body` is sent as multipart/form-data (files as UploadedFile)


ENDPOINTS: list[Endpoint] = []


def _json(model: BaseModel | dict[str, Any]) -> Response:
    text = model.model_dump_json() if isinstance(model, BaseModel) else json.dumps(model)
    return Response(text, mimetype="application/json")


def created(body: BaseModel, location: str) -> Response:
    """201 Created with `body` and, in `Location`, the address of what was created."""
    response = Response(body.model_dump_json(), status=201, mimetype="application/json")
    response.headers["Location"] = location
    return response


_WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def _is_int(annotation: Any) -> bool:
    """Whether a field takes an integer (alone or with None)."""
    if annotation is int:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_int(arg) for arg in typing.get_args(annotation))
    return False


def _query(model: type[BaseModel]) -> BaseModel:
    """The query string as `model`, strictly: a parameter the model does not declare (a typo
    such as `regoin` would otherwise return everything) and a number written as anything but
    digits ("3.0", "true") are 400 validation_error naming the parameter. A model that allows
    extra parameters (a kind's own filters) checks them itself."""
    args = request.args.to_dict()
    fields: dict[str, list[str]] = {}
    if model.model_config.get("extra") != "allow":
        for name in args.keys() - model.model_fields.keys():
            fields[name] = ["unknown query parameter"]
    for name in args:
        if len(request.args.getlist(name)) > 1:  # which one would count is a guess
            fields[name] = ["given more than once"]
    for name, field in model.model_fields.items():
        value = args.get(name)
        if value is not None and _is_int(field.annotation) and not _WHOLE_NUMBER.fullmatch(value):
            fields[name] = ["expected a whole number"]
    if fields:
        raise ApiError(400, "validation_error", "the request is not valid", fields=fields)
    return model.model_validate(args)


def _no_query() -> None:
    """An endpoint without query parameters refuses any (nothing is silently ignored)."""
    if request.args:
        fields = {name: ["unknown query parameter"] for name in request.args}
        raise ApiError(400, "validation_error", "the request is not valid", fields=fields)


def _body(model: type[BaseModel]) -> BaseModel:
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser can follow: not a body we take
        data = None
    if data is None:
        raise ApiError(
            400,
            "validation_error",
            "the body is not a JSON object",
            fields={"body": ["expected a JSON object"]},
        )
    if not isinstance(data, dict):
        raise ApiError(
            400,
            "validation_error",
            "the body is not a JSON object",
            fields={"body": ["expected a JSON object"]},
        )
    # Strictly, from the JSON text: "999" and true are not integers; JSON's own strings still
    # give dates and decimals. 3.0 is the integer 3 in the document's JSON Schema (2020-12),
    # so a client or validator built from it may send it: read as 3 (3.5 stays refused).
    text = request.get_data()
    try:
        if _has_whole_float(data):
            text = json.dumps(_whole_numbers(data))
    except RecursionError:  # nested too deep to walk: validated as sent (and refused)
        pass
    return model.model_validate_json(text, strict=True)


def _has_whole_float(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(_has_whole_float(v) for v in value.values())
    return isinstance(value, list) and any(_has_whole_float(v) for v in value)


def _whole_numbers(value: Any) -> Any:
    """`value` with every float without a fraction (3.0) as the integer it is (3)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    return value


def _a_file(value: Any) -> FileStorage:
    if not isinstance(value, FileStorage):
        raise ValueError("expected a file (a part with a filename)")
    return value


# A file part of a multipart/form-data body (Werkzeug's FileStorage).
UploadedFile = Annotated[
    Any, PlainValidator(_a_file), WithJsonSchema({"type": "string", "format": "binary"})
]


def _form(model: type[BaseModel]) -> BaseModel:
    """A multipart/form-data body as `model`, as strictly as a JSON one: a part the model does
    not declare, a part given twice and a number that is not digits are 400 naming it."""
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "send the body as multipart/form-data")
    parts: dict[str, Any] = {}
    fields: dict[str, list[str]] = {}
    for source in (request.form, request.files):
        for name in source:
            if name in parts or len(source.getlist(name)) > 1:
                fields[name] = ["given more than once"]
            parts[name] = source[name]
    for name, field in model.model_fields.items():
        value = parts.get(name)
        whole = _WHOLE_NUMBER.fullmatch(value) if isinstance(value, str) else True
        if _is_int(field.annotation) and not whole:
            fields[name] = ["expected a whole number"]
    if fields:
        raise ApiError(400, "validation_error", "the request is not valid", fields=fields)
    return model.model_validate(parts)


def _raw_body(types: tuple[str, ...]) -> bytes:
    """The body as bytes, of one of `types` (a file such as a workbook): its size is bounded
    like every body (security/body_limit.py)."""
    if request.mimetype not in types:
        raise ApiError(415, "unsupported_media_type", f"send the body as {' or '.join(types)}")
    return request.get_data()


def endpoint(
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    response: type[BaseModel] | None,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    errors: tuple[int, ...] = (),
    auth: bool = True,
    name: str | None = None,
    files: tuple[str, ...] = (),
    status: int = 200,
    raw_body: tuple[str, ...] = (),
    multipart: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Declare `view` as the endpoint `name` (by default the view's own name)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Response]:
        item = Endpoint(
            method,
            rule,
            name or view.__name__,
            summary,
            tag,
            response,
            query,
            body,
            errors,
            auth,
            files,
            status,
            raw_body,
            multipart,
        )

        @functools.wraps(view)
        def handle(**path: Any) -> Response:
            # A path id beyond the id columns' range cannot exist (and must not reach SQL).
            if any(isinstance(v, int) and not 0 < v <= MAX_ID for v in path.values()):
                raise ApiError(404, "not_found", "not found")
            # English messages whatever the caller's or the browser's language: codes are
            # what scripts read, messages what people read in their logs.
            with force_locale("en"):
                user = authenticate() if auth else None
                if user is not None and method in WRITE_METHODS:  # its Idempotency-Key
                    return idempotent(user.id, lambda: _answer(path))
                return _answer(path)

        def _answer(path: dict[str, Any]) -> Response:
            if query is not None:
                path["query"] = _query(query)
            else:
                _no_query()
            if raw_body:
                path["body"] = _raw_body(raw_body)
            elif body is not None:
                path["body"] = _form(body) if multipart else _body(body)
            answer = view(**path)
            if isinstance(answer, Response):
                return answer
            response = _json(answer)
            response.status_code = status
            return response

        ENDPOINTS.append(item)
        blueprint.add_url_rule(rule, item.name, handle, methods=[method])
        return handle

    return decorator

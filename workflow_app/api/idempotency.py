"""The `Idempotency-Key` request header of every API write (the IETF draft "The
Idempotency-Key HTTP Header Field").

A client that sends a write with a key may send it again after a lost answer: the same user,
key, method, path and body answer the stored response (its status and body, with
`Idempotent-Replayed: true`) without running the write again, so a retried transition whose
first attempt went through is recognisable instead of 409 stale. The same key with another
request is 422 idempotency_key_reused; while the first request runs, 409 idempotency_key_in_use.

How: the key is claimed first, in a row of its own committed at once (so a concurrent request
with the same key finds it: the unique (user, key) index decides who runs). The write runs in
its own unit of work; only once the view has returned, i.e. its write is committed, is its
answer stored on the claim, so no stored answer ever stands for a write that did not commit.
A 5xx, or an answer not final (429), releases the claim: a retry runs again. A process that
dies between the write's commit and storing the answer leaves the key in use until it
expires: it never runs a write twice. Keys expire after KEY_HOURS; expired rows are deleted on
the next keyed write.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Response, current_app, request
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from ..unit_of_work import unit_of_work
from .errors import ApiError

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY_HOURS = 24
MAX_KEY = 255
# Printable ASCII; the draft sends the key as a structured-field string ("…"), which we accept
# as well as the bare text most clients send.
_KEY = re.compile(r"[\x20-\x7e]{1,255}")
# Headers of an answer that a replay must carry too (a creation's Location).
KEPT_HEADERS = ("Location", "Content-Type")
LINE_LENGTH = 2100


class ApiIdempotency(db.Model):
    """A key a user sent with a write: what it was for and, once answered, the answer.
    `status` is None while the first request runs."""

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    # "POST /api/v1/plans/3/transitions" (with the query string: DELETE's ?version=N counts).
    request_line: Mapped[str] = mapped_column(String(LINE_LENGTH))
    body_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[str | None] = mapped_column(String(4000))  # JSON object
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


def sent_key() -> str | None:
    """The request's key (None: none sent); 400 validation_error naming the header if it is
    not 1–255 printable ASCII characters."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw
    if len(key) >= 3 and key[0] == key[-1] == '"':  # a structured-field string
        key = re.sub(r"\\([\\\"])", r"\1", key[1:-1])
    if not _KEY.fullmatch(key):
        raise ApiError(
            400,
            "validation_error",
            "the request is not valid",
            fields={HEADER: [f"expected 1 to {MAX_KEY} printable ASCII characters"]},
        )
    return key


def _fingerprint() -> str:
    """SHA-256 of what the request sends: its body, or a form's fields and files (a form's
    stream is parsed once, so the raw body cannot be read beside it)."""
    digest = hashlib.sha256()
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(f"field\0{name}\0{value}\0".encode())
        for name, upload in sorted(request.files.items(multi=True), key=lambda f: f[0]):
            digest.update(f"file\0{name}\0{upload.filename}\0{upload.mimetype}\0".encode())
            digest.update(hashlib.sha256(upload.stream.read()).digest())
            upload.stream.seek(0)
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _request_line() -> str:
    """Method, path and query; a line longer than its column keeps its start and the SHA-256
    of the whole (still one value per request, whatever a client makes its URL)."""
    query = request.query_string.decode("latin-1")
    line = f"{request.method} {request.path}" + (f"?{query}" if query else "")
    if len(line) > LINE_LENGTH:
        whole = hashlib.sha256(line.encode()).hexdigest()
        line = f"{line[: LINE_LENGTH - 72]} sha256:{whole}"
    return line


def _stored(user_id: int, key: str) -> ApiIdempotency | None:
    query = select(ApiIdempotency).where(
        ApiIdempotency.user_id == user_id, ApiIdempotency.key == key
    )
    return db.session.scalar(query.execution_options(populate_existing=True))


def _claim(user_id: int, key: str, line: str, fingerprint: str) -> ApiIdempotency | Response:
    """Our claim on `key` (committed), or the stored answer to replay; ApiError when the key
    is another request's or still running."""
    now = utcnow()
    for _ in range(2):  # a lost race for the key: read the winner's row once more
        with unit_of_work():
            cutoff = now - timedelta(hours=KEY_HOURS)
            db.session.execute(delete(ApiIdempotency).where(ApiIdempotency.created_at < cutoff))
        row = _stored(user_id, key)
        if row is not None:
            return _answer_for(row, line, fingerprint)
        claim = ApiIdempotency(
            user_id=user_id, key=key, request_line=line, body_sha256=fingerprint, created_at=now
        )
        try:
            with unit_of_work():
                db.session.add(claim)
        except IntegrityError:
            continue
        return claim
    raise ApiError(409, "idempotency_key_in_use", "a request with this Idempotency-Key runs")


def _answer_for(row: ApiIdempotency, line: str, fingerprint: str) -> Response:
    if row.request_line != line or row.body_sha256 != fingerprint:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was sent with another request: use a new key for it",
        )
    if row.status is None:
        raise ApiError(
            409,
            "idempotency_key_in_use",
            "a request with this Idempotency-Key is still running: retry later",
        )
    response = Response(row.response_body or b"", status=row.status)
    for name, value in json.loads(row.response_headers or "{}").items():
        response.headers[name] = value
    response.headers[REPLAYED] = "true"
    return response


def _final(response: Response) -> bool:
    """An answer the same request would get again: 2xx and 4xx, except a rate limit's."""
    return 200 <= response.status_code < 300 or (
        400 <= response.status_code < 500 and response.status_code not in (408, 429)
    )


def _release(claim: ApiIdempotency) -> None:
    db.session.rollback()  # whatever the failed request left in the session is not ours
    with unit_of_work():
        db.session.execute(delete(ApiIdempotency).where(ApiIdempotency.id == claim.id))


def _keep(claim: ApiIdempotency, response: Response) -> None:
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    # The write committed in its own unit of work; anything else left in the session
    # (nothing, by the one door) is not to be committed along with the answer.
    db.session.rollback()
    with unit_of_work():
        row = db.session.get(ApiIdempotency, claim.id, populate_existing=True)
        if row is None:  # expired and swept meanwhile (a request running for a day)
            return
        row.status = response.status_code
        row.response_headers = json.dumps(headers)
        row.response_body = response.get_data()


def _as_response(run: Callable[[], Response]) -> Response:
    """The answer `run` gives, its refusals (ApiError, a refused transition…) answered by the
    blueprint's error handlers as they would be anyway; anything unhandled is raised."""
    try:
        return run()
    except Exception as error:  # the app's own handlers decide, as always
        handled = current_app.handle_user_exception(error)
        return current_app.make_response(handled)


def idempotent(user_id: int, run: Callable[[], Response]) -> Response:
    """`run()` once per (user, key): the write a request with `Idempotency-Key` asks for."""
    key = sent_key()
    if key is None:
        return run()
    claimed = _claim(user_id, key, _request_line(), _fingerprint())
    if isinstance(claimed, Response):
        return claimed
    try:
        response = _as_response(run)
    except BaseException:
        _release(claimed)
        raise
    if _final(response):
        _keep(claimed, response)
    else:
        _release(claimed)
    return response


# --- the OpenAPI document -------------------------------------------------------------------

KEY_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "A key of the client's choosing (e.g. a UUID), 1–255 printable ASCII characters, also "
        'accepted as a structured-field string ("…"). Sending the same request again with '
        f"the same key within {KEY_HOURS} hours answers the first answer (its status and "
        f"body, with `{REPLAYED}: true`) without doing the write again; the same key with "
        "another method, path, query or body is 422 idempotency_key_reused, and while the "
        "first request runs 409 idempotency_key_in_use. 5xx answers are not kept."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY, "pattern": r"^[ -~]+$"},
}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def document_header(operation: dict[str, Any]) -> None:
    """Add the header, its replay marker and its refusals to a write's operation."""
    operation["parameters"].append(dict(KEY_PARAMETER))
    responses = operation["responses"]
    for status, answer in responses.items():
        if status.startswith("2"):
            answer.setdefault("headers", {})[REPLAYED] = {
                "description": "`true` when this is the kept answer to an earlier request "
                "with the same Idempotency-Key.",
                "schema": {"type": "string", "enum": ["true"]},
            }
    conflict = responses.setdefault("409", {"description": "Conflict.", "content": _ERROR})
    conflict["description"] += " idempotency_key_in_use: the same key's request still runs."
    responses["422"] = {
        "description": "idempotency_key_reused: the Idempotency-Key was sent with another request.",
        "content": _ERROR,
    }

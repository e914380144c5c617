"""Known browsers: a signed cookie, set when a browser proves an account's password (a login,
a password change, a reset through an emailed link), naming the accounts it did so for.
Login throttling counts a known browser's failures on their own and spares it the
account-wide and per-address limits, so wrong guesses made elsewhere cannot keep an account's
owner out of a browser they have used before (OWASP's "device cookie").

The cookie holds a random id for the browser and, per account, its id, a tag of its current
password hash and when it was last proved. A new password, however set, forgets every browser
of the account except the one that chose it. The cookie opens nothing by itself: it is not a
login, only a way to be counted apart."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from flask import current_app, request
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..extensions import db
from ..security.throttling import client_address, username_key
from .models import User

COOKIE = "known_device"
SALT = "workflow_app.known-device"
# A shared office computer: the accounts proved most recently, no more.
MAX_ACCOUNTS = 5
MAX_COOKIE_CHARS = 2000
ENVIRON_KEY = "workflow_app.known_device_id"


@dataclass(frozen=True)
class Entry:
    user_id: int
    password_tag: str
    proved_at: int


@dataclass(frozen=True)
class Device:
    id: str
    entries: tuple[Entry, ...]


def cookie_name() -> str:
    # Beside `__Host-session` in production: only this host over HTTPS can set it.
    return f"__Host-{COOKIE}" if current_app.config.get("SESSION_COOKIE_SECURE") else COOKIE


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=SALT)


def _max_age() -> int:
    return int(current_app.config["KNOWN_DEVICE_DAYS"]) * 86400


def _password_tag(user: User) -> str:
    return hashlib.blake2b(user.password_hash.encode(), digest_size=8).hexdigest()


def _parse(data: object, now: int) -> Device | None:
    if not isinstance(data, dict) or not isinstance(data.get("d"), str):
        return None
    rows = data.get("a")
    if not isinstance(rows, list):
        return None
    entries = tuple(
        Entry(row[0], row[1], row[2])
        for row in rows[:MAX_ACCOUNTS]
        if isinstance(row, list)
        and len(row) == 3
        and isinstance(row[0], int)
        and isinstance(row[1], str)
        and isinstance(row[2], int)
        and now - row[2] <= _max_age()
    )
    return Device(data["d"], entries)


def this_device() -> Device | None:
    """The browser's cookie, if it carries this app's signature."""
    raw = request.cookies.get(cookie_name())
    if not raw or len(raw) > MAX_COOKIE_CHARS:
        return None
    try:
        data = _serializer().loads(raw)
    except BadData:
        return None
    return _parse(data, int(time.time()))


def _known_to(username: str) -> str | None:
    device = this_device()
    if device is None or not device.entries or not username.strip():
        return None
    # The account as the login looks it up; a browser without the cookie costs no query.
    user = db.session.scalar(select(User).where(User.username == username.strip()[:80]))
    if user is None:
        return None
    tag = _password_tag(user)
    known = any(e.user_id == user.id and e.password_tag == tag for e in device.entries)
    return device.id if known else None


def known_device_id() -> str | None:
    """This browser's id if it is known to the account typed into the login form."""
    # Asked by several limits of one request: looked up once (kept with the request, not in
    # `g`, which outlives a request when an app context is already open).
    cache = request.environ
    if ENVIRON_KEY not in cache:
        cache[ENVIRON_KEY] = _known_to(request.form.get("username") or "")
    return cache[ENVIRON_KEY]


def is_known_device() -> bool:
    return known_device_id() is not None


def login_client_key() -> str:
    """The username typed, and who types it: a known browser by its id (wherever it is), any
    other client by its address."""
    device = known_device_id()
    client = f"device:{device}" if device else f"ip:{client_address()}"
    return f"{username_key()}|{client}"


def remember_device(response: Response, user: User) -> None:
    """This browser has just proved `user`'s password: it is known to the account from now
    on (the other accounts it knows stay, the most recent first)."""
    now = int(time.time())
    device = this_device()
    device_id = device.id if device else secrets.token_urlsafe(16)
    others = [e for e in device.entries if e.user_id != user.id] if device else []
    entries = [Entry(user.id, _password_tag(user), now), *others][:MAX_ACCOUNTS]
    value = _serializer().dumps(
        {"d": device_id, "a": [[e.user_id, e.password_tag, e.proved_at] for e in entries]}
    )
    response.set_cookie(
        cookie_name(),
        value,
        max_age=_max_age(),
        path="/",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )

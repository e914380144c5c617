"""Keeping what a refused form submission carried, for the user who sent it.

A POST refused because the login had ended (idle or absolute timeout, a logout in another
tab, every session ended elsewhere) or because its CSRF token no longer matches would lose
what the user typed. Its fields are kept server-side, bound to the user whose session it
was and reachable only through a random key held in this browser's session; restore.py puts
them back into the form when that user, logged in again, opens the form's page.

Kept only when the request provably comes from a page of this site (Origin, Referer or
Sec-Fetch-Site): a forged cross-site POST can never plant values in someone's form. Never
kept: the CSRF token, files, a form with a field named like a password, or more than
PENDING_FORM_MAX_BYTES.
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, request, session
from sqlalchemy import delete, select
from werkzeug.exceptions import MethodNotAllowed, NotFound

from ..extensions import db
from ..models_base import utcnow
from .models import PendingForm

# This browser's kept submissions (their keys), newest last.
SESSION_REFS = "_pending_forms"
# Whose login ended in this browser (logout, timeout): a form still open in another tab is
# theirs. Cleared by the next login, like everything else in the session.
ENDED_USER = "_ended_user_id"
MAX_REFS = 3
MAX_PER_USER = 5
NEVER_KEPT = ("csrf_token",)
# A form with a field named like this is not kept at all.
SECRET_WORDS = ("password", "passwd", "secret")

log = logging.getLogger(__name__)


def mark_session_ended(user_id: int | str | None) -> None:
    """After the session was cleared: remember whose it was, for a form still open."""
    if user_id is not None:
        session[ENDED_USER] = str(user_id)


def ended_user_id() -> int | None:
    """The user whose login ended in this browser, if the session says so."""
    value = str(session.get(ENDED_USER) or "")
    return int(value) if value.isascii() and value.isdigit() else None


def from_this_site() -> bool:
    """True when the browser says the request was sent by a page of this site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    for header in ("Origin", "Referer"):
        value = request.headers.get(header)
        if value and value != "null":
            return urlsplit(value).netloc == request.host
    return False


def _plain_path(path: str) -> bool:
    return path.startswith("/") and not path.startswith("//") and "\\" not in path


def _page_of_the_form() -> str | None:
    """Where the form was shown: the Referer (same site), else the URL posted to when it
    also answers GET. Path and query only."""
    referer = request.headers.get("Referer")
    if referer:
        parts = urlsplit(referer)
        # A path a redirect could take off the site ("//host/…", "/\\host") is not used.
        if parts.netloc == request.host and _plain_path(parts.path):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    if not _plain_path(request.path):
        return None
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        adapter.match(request.path, method="GET")
    except (MethodNotAllowed, NotFound):
        return None
    query = request.query_string.decode("latin-1")
    return request.path + (f"?{query}" if query else "")


def _fields() -> list[list[str]] | None:
    """The submitted text fields worth keeping (files are in request.files, never here);
    None for a form that carries a password: none of it is kept (its confirmation either)."""
    if any(word in name.lower() for name in request.form for word in SECRET_WORDS):
        return None
    return [
        [name, value] for name, value in request.form.items(multi=True) if name not in NEVER_KEPT
    ]


def keep_submission(user_id: int, reason: str) -> str | None:
    """Keep this POST's fields for `user_id` (whose session it was) and put the key in this
    browser's session (call it after any session.clear()). The page of the form, where the
    values come back, or None when nothing was kept. Flushes; the caller commits."""
    if request.method != "POST" or not from_this_site():
        return None
    fields = _fields()
    if fields is None or not any(value.strip() for _name, value in fields):
        return None
    if len(json.dumps(fields)) > current_app.config["PENDING_FORM_MAX_BYTES"]:
        log.info("form too large to keep: user=%s path=%s", user_id, request.path)
        return None
    page = _page_of_the_form()
    if page is None or len(page) > 2000:
        return None
    now = utcnow()
    db.session.execute(delete(PendingForm).where(PendingForm.expires_at <= now))
    older = db.session.scalars(
        select(PendingForm.id)
        .where(PendingForm.user_id == user_id)
        .order_by(PendingForm.created_at.desc())
        .offset(MAX_PER_USER - 1)
    ).all()
    if older:
        db.session.execute(delete(PendingForm).where(PendingForm.id.in_(older)))
    kept = PendingForm(
        id=secrets.token_urlsafe(32),
        user_id=user_id,
        path=page,
        fields=fields,
        reason=reason,
        created_at=now,
        expires_at=now + timedelta(minutes=current_app.config["PENDING_FORM_MINUTES"]),
    )
    db.session.add(kept)
    db.session.flush()
    session[SESSION_REFS] = [*session_refs(), kept.id][-MAX_REFS:]
    log.info("form kept: user=%s path=%s reason=%s", user_id, page, reason)
    return page


def session_refs() -> list[str]:
    refs = session.get(SESSION_REFS)
    return [ref for ref in refs if isinstance(ref, str)] if isinstance(refs, list) else []


def carry_over(refs: list[str], user_id: int) -> None:
    """At login, after the session was cleared: keep the keys of `refs` that belong to the
    user who just logged in; another user's kept submissions stay out of reach."""
    if not refs:
        return
    own = db.session.scalars(
        select(PendingForm.id).where(
            PendingForm.id.in_(refs),
            PendingForm.user_id == user_id,
            PendingForm.expires_at > utcnow(),
        )
    ).all()
    if own:
        session[SESSION_REFS] = [ref for ref in refs if ref in set(own)]

"""Login, logout and the start page."""

from __future__ import annotations

import logging
from functools import cache
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import format_time, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import Date, bindparam, select
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from ..errors import MESSAGES, TITLES
from ..extensions import db
from ..pending_forms.keep import carry_over, mark_session_ended, session_refs
from ..security.throttling import (
    Throttle,
    breaches,
    client_address,
    login_limit_per_account,
    login_limit_per_ip,
    login_limit_per_username,
    throttled,
    username_key,
)
from ..unit_of_work import unit_of_work
from ..workspaces import landing_url
from .forms import LoginForm
from .known_devices import is_known_device, login_client_key, remember_device
from .login import _with_grants
from .models import User, password_hasher, wita_today
from .sessions import end_sessions_and_tokens, start_session_clock

blueprint = Blueprint("accounts", __name__)
log = logging.getLogger("workflow_app.security")


@cache
def _dummy_hash() -> str:
    return password_hasher.hash("not-a-password")


# The account with what the redirect after login reads (its landing page follows its roles and
# the delegations in force today), in one statement as the session's loader reads it
# (accounts/login.py), not three (User.roles' selectin, then the delegations lazily). Built
# once; today's date is a callable, evaluated at each execution.
_USER_BY_NAME = (
    select(User)
    .where(User.username == bindparam("username"))
    .options(*_with_grants(bindparam("today", type_=Date, callable_=wita_today)))
)


def _authenticate(username: str, password: str) -> User | None:
    """The user whose password matches, or None. An unknown name costs a hash check too, so
    response times do not reveal which usernames exist."""
    found = db.session.execute(_USER_BY_NAME, {"username": username})
    user = found.unique().scalar_one_or_none()
    if user is None:
        password_hasher.verify(_dummy_hash(), "not-a-password")
        return None
    if not user.check_password(password):
        return None
    if user.rehash_if_needed(password):
        db.session.commit()
    return user


def is_local_path(target: str | None) -> bool:
    """True for a path on this site (`/plans/3?x=1`); false for anything that could leave it."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _after_login_url(user: User) -> str:
    target = request.args.get("next")
    return target if target and is_local_path(target) else landing_url(user)


@blueprint.route("/")
def start() -> Response:
    """Each user's start page: the workspace of their roles (workspaces.py)."""
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    return redirect(url_for("accounts.login"))


# How failed logins are counted, and what an attacker and a user each get: security/throttling.py.
@blueprint.route("/login", methods=["GET", "POST"])
@throttled(
    Throttle(
        login_limit_per_username,
        login_client_key,
        failures_only=True,
        reason=_l("Too many failed logins for this account from here."),
    ),
    Throttle(
        login_limit_per_account,
        username_key,
        failures_only=True,
        exempt_when=is_known_device,
        reason=_l(
            "Too many failed logins for this account from elsewhere: for now it accepts "
            "logins only from browsers it has been used in before."
        ),
    ),
    Throttle(
        login_limit_per_ip,
        client_address,
        failures_only=True,
        exempt_when=is_known_device,
        reason=_l("Too many failed logins from your network address."),
    ),
)
def login() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_after_login_url(current_user))
    form = LoginForm()
    if not form.is_submitted():
        return render_template("accounts/login.html", form=form)
    if not form.validate():
        return render_template("accounts/login.html", form=form), 400
    username = form.username.data.strip()
    user = _authenticate(username, form.password.data)
    if user is None:
        log.warning("login failed: username=%r ip=%s", username[:80], client_address())
        error = _("Unknown username or wrong password.")
        return render_template("accounts/login.html", form=form, error=error), 400
    if not user.active:
        log.warning(
            "login refused, account disabled: username=%r ip=%s", username, client_address()
        )
        error = _("This account has been disabled. Please contact the administrator.")
        return render_template("accounts/login.html", form=form, error=error), 403
    target = _after_login_url(user)
    kept_forms = session_refs()
    # A fresh session at login: nothing from before (e.g. a planted session) carries over,
    # except the forms this user sent after their session ended (another user's stay apart).
    session.clear()
    login_user(user)
    start_session_clock()
    carry_over(kept_forms, user.id)
    log.info("login: username=%r ip=%s", user.username, client_address())
    response = redirect(target)
    remember_device(response, user)
    return response


@blueprint.errorhandler(TooManyRequests)
def too_many_attempts(error: TooManyRequests) -> tuple[str, int]:
    """A throttled login is the login page saying why and what to do; the other pages of
    this blueprint keep the usual error page."""
    broken = breaches()
    if request.endpoint != "accounts.login" or not broken:
        page = render_template("error.html", status=429, title=TITLES[429], message=MESSAGES[429])
        return page, 429
    reason = next((b.reason for b in broken if b.reason is not None), MESSAGES[429])
    until = format_time(max(b.until for b in broken), "short")
    advice = _(
        "Try again after %(time)s, log in from a browser you have used for this account "
        "before, or choose a new password with the link below (opening the emailed link in "
        "this browser makes it known to the account).",
        time=until,
    )
    form = LoginForm()
    return render_template("accounts/login.html", form=form, error=f"{reason} {advice}"), 429


@blueprint.post("/logout")
def logout() -> Response:
    revoked = 0
    if current_user.is_authenticated:
        # Logging out anywhere logs out everywhere: every session of this user ends, and
        # every API token of theirs (one made from a stolen session ends with it).
        with unit_of_work():
            revoked = len(end_sessions_and_tokens(current_user._get_current_object()))
        log.info(
            "logout: username=%r ip=%s tokens_revoked=%d",
            current_user.username,
            client_address(),
            revoked,
        )
    user_id = current_user.id if current_user.is_authenticated else None
    logout_user()
    session.clear()
    # A form still open in another tab is this user's: sent, it is kept for their next login.
    mark_session_ended(user_id)
    if revoked:
        message = ngettext(
            "You have been logged out everywhere, and your API token was revoked: make a new "
            "one for a script that still needs it.",
            "You have been logged out everywhere, and your %(num)d API tokens were revoked: "
            "make new ones for the scripts that still need them.",
            revoked,
        )
        flash(message, "info")
    else:
        flash(_("You have been logged out."), "info")
    return redirect(url_for("accounts.login"))

"""Password pages: the signed-in user's change (/account/password), the request for a reset
link (/password/forgot) and the link itself (/password/reset/<token>)."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from werkzeug.wrappers import Response

from ..security.passwords import MIN_LENGTH
from ..security.throttling import (
    Throttle,
    account_key,
    client_address,
    login_limit_per_username,
    reset_limit_per_account,
    reset_limit_per_ip,
    throttled,
)
from ..unit_of_work import unit_of_work
from . import passwords as ops
from .forms import ForgotPasswordForm, PasswordChangeForm, PasswordResetForm
from .known_devices import remember_device
from .sessions import start_session_clock
from .views import blueprint

Page = str | tuple[str, int]
log = logging.getLogger("workflow_app.security")


def _user_key() -> str:
    return f"user-id:{current_user.get_id()}"


def _change_page(form: PasswordChangeForm, status: int = 200) -> Page:
    page = render_template("accounts/password_change.html", form=form, password_min=MIN_LENGTH)
    return page, status


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
# Guessing the current password from a stolen session is throttled like a login.
@throttled(Throttle(login_limit_per_username, _user_key, failures_only=True))
def change_password() -> Page | Response:
    form = PasswordChangeForm()
    if not form.is_submitted():
        return _change_page(form)
    if not form.validate():
        return _change_page(form, 400)
    user = current_user._get_current_object()
    try:
        with unit_of_work():
            ops.change_password(user, form.current_password.data, form.new_password.data)
    except ops.PasswordRefused as exc:
        getattr(form, exc.field).errors.append(exc.message)
        return _change_page(form, 400)
    log.info("password changed: username=%r ip=%s", user.username, client_address())
    # Every other session has ended; this one goes on as a new session.
    session.clear()
    login_user(user)
    start_session_clock()
    flash(_("Your password has been changed. You were logged out everywhere else."), "success")
    response = redirect(url_for("accounts.account"), code=303)
    # The new password forgets the browsers known to the account, but not this one.
    remember_device(response, user)
    return response


def _forgot_page(form: ForgotPasswordForm, status: int = 200) -> Page:
    return render_template("accounts/password_forgot.html", form=form), status


@blueprint.route("/password/forgot", methods=["GET", "POST"])
@throttled(
    Throttle(reset_limit_per_ip, client_address), Throttle(reset_limit_per_account, account_key)
)
def forgot_password() -> Page | Response:
    if current_user.is_authenticated:
        return redirect(url_for("accounts.change_password"))
    form = ForgotPasswordForm()
    if not form.is_submitted():
        return _forgot_page(form)
    if not form.validate():
        return _forgot_page(form, 400)
    with unit_of_work():
        sent = ops.request_reset(form.account.data)
    log.info(
        "password reset asked: account=%r ip=%s links=%d",
        form.account.data.strip()[:254],
        client_address(),
        sent,
    )
    # The same answer whether or not the account exists: the page reveals no usernames.
    flash(
        _(
            "If an active account has this username or email, a link to choose a new password "
            "has been sent to its email address. The link works once, for a limited time."
        ),
        "info",
    )
    return redirect(url_for("accounts.login"), code=303)


def _reset_page(form: PasswordResetForm, token: str, status: int = 200) -> Page:
    page = render_template(
        "accounts/password_reset.html", form=form, token=token, password_min=MIN_LENGTH
    )
    return page, status


def _invalid_link() -> Page:
    return render_template("accounts/password_reset_invalid.html"), 404


@blueprint.route("/password/reset/<token>", methods=["GET", "POST"])
@throttled(Throttle(reset_limit_per_ip, client_address, failures_only=True))
def reset_password(token: str) -> Page | Response:
    if ops.usable_link(token) is None:
        return _invalid_link()
    form = PasswordResetForm()
    if not form.is_submitted():
        return _reset_page(form, token)
    if not form.validate():
        return _reset_page(form, token, 400)
    try:
        with unit_of_work():
            user = ops.reset_password(token, form.new_password.data)
    except ops.ResetLinkInvalid:
        return _invalid_link()
    except ops.PasswordRefused as exc:
        getattr(form, exc.field).errors.append(exc.message)
        return _reset_page(form, token, 400)
    log.info("password reset: username=%r ip=%s", user.username, client_address())
    session.clear()
    flash(_("Your password has been changed. Log in with the new one."), "success")
    response = redirect(url_for("accounts.login"), code=303)
    # Proving the mailbox makes this browser known: the way in while strangers' failures hold
    # back browsers the account does not know (security/throttling.py).
    remember_device(response, user)
    return response

"""The user's personal API tokens at /account/tokens: create one (shown once, after the user
typed their password again), list, revoke. Changes go through `tokens` inside
`unit_of_work()`."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..engine import InvalidInput
from ..errors import MESSAGES
from ..forms_base import BaseForm
from ..models_base import utcnow
from ..security.passwords import MAX_LENGTH
from ..security.throttling import (
    client_address,
    count_failure,
    failures_held_until,
    login_limit_per_username,
)
from ..unit_of_work import unit_of_work
from . import tokens
from .models import User
from .views import blueprint

log = logging.getLogger("workflow_app.security")


class TokenForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=tokens.NAME_MAX_LENGTH)])
    days = IntegerField(
        _l("Valid for (days)"),
        validators=[Optional(), NumberRange(min=1, max=tokens.MAX_DAYS)],
    )
    # A token outlives the session it was made in: whoever holds only a session (a browser
    # left open, a stolen cookie) must not be able to make one.
    password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class RevokeForm(BaseForm):
    """CSRF only: which token is in the URL."""


def _tokens_page(form: TokenForm, status: int = 200, error: str | None = None) -> tuple[str, int]:
    page = render_template(
        "accounts/tokens.html",
        max_days=tokens.max_days(),
        form=form,
        revoke_form=RevokeForm(formdata=None),
        tokens=tokens.tokens_of(current_user),
        now=utcnow(),
        error=error,
    )
    return page, status


@blueprint.get("/account/tokens")
@login_required
def api_tokens() -> tuple[str, int]:
    return _tokens_page(TokenForm(formdata=None))


def _failures_key(user: User) -> str:
    return f"token-password:{user.id}"


def _password_refused(form: TokenForm, user: User) -> tuple[str, int] | None:
    """The page refusing the typed password (wrong, or too many wrong ones lately: guessing
    it from a stolen session is throttled like a login), or None when it is right."""
    limit, key = login_limit_per_username(), _failures_key(user)
    if failures_held_until(limit, key) is not None:
        form.password.errors.append(str(MESSAGES[429]))
        return _tokens_page(form, 429)
    if user.check_password(form.password.data):
        return None
    count_failure(limit, key)
    log.warning("token refused, wrong password: username=%r ip=%s", user.username, client_address())
    form.password.errors.append(_("The current password is not right."))
    return _tokens_page(form, 400)


@blueprint.post("/account/tokens")
@login_required
def create_api_token() -> tuple[str, int] | Response:
    form = TokenForm()
    if not form.validate():
        return _tokens_page(form, 400)
    user = current_user._get_current_object()
    refused = _password_refused(form, user)
    if refused is not None:
        return refused
    try:
        with unit_of_work():
            issued = tokens.issue_token(user, form.name.data, days=form.days.data)
    except InvalidInput as exc:
        return _tokens_page(form, 400, exc.message)
    # The secret exists only in this response: never stored, never cached, never shown again.
    page = render_template("accounts/token_created.html", token=issued.token, secret=issued.secret)
    response = Response(page, status=201, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int) -> Response:
    form = RevokeForm()
    if not form.validate():
        return _tokens_page(TokenForm(formdata=None), 400)  # type: ignore[return-value]
    with unit_of_work():
        token = tokens.revoke_token(current_user, token_id)
    flash(_("The token “%(name)s” is revoked.", name=token.name), "success")
    return redirect(url_for("accounts.api_tokens"), code=303)

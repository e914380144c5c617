"""The user's personal API tokens at /account/tokens: create one (shown once), list, revoke.
Changes go through `tokens` inside `unit_of_work()`."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..engine import InvalidInput
from ..forms_base import BaseForm
from ..unit_of_work import unit_of_work
from . import tokens
from .views import blueprint


class TokenForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=tokens.NAME_MAX_LENGTH)])
    days = IntegerField(
        _l("Valid for (days)"),
        validators=[Optional(), NumberRange(min=1, max=tokens.MAX_DAYS)],
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
        error=error,
    )
    return page, status


@blueprint.get("/account/tokens")
@login_required
def api_tokens() -> tuple[str, int]:
    return _tokens_page(TokenForm(formdata=None))


@blueprint.post("/account/tokens")
@login_required
def create_api_token() -> tuple[str, int] | Response:
    form = TokenForm()
    if not form.validate():
        return _tokens_page(form, 400)
    try:
        with unit_of_work():
            issued = tokens.issue_token(current_user, form.name.data, days=form.days.data)
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

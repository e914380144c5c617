"""The user's own account page and the interface language choice.

A signed-in user's choice is stored on their account (User.language) and follows them to
every browser; a visitor's choice lives in the session until they log in, when their own
setting takes over (`select_locale` in web.py).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..admin.user_forms import LanguageForm
from ..feeds.operations import feed_of
from ..notifications.rendering import role_label
from ..unit_of_work import unit_of_work
from .forms import EmailDeliveryForm
from .models import EMAIL_DELIVERIES, User
from .views import blueprint, is_local_path

SESSION_KEY = "language"


def set_language(user: User, language: str) -> None:
    """Change the user's interface language (and the language of their emails)."""
    if language not in current_app.config["LANGUAGES"]:
        raise ValueError(language)
    user.language = language


def set_email_delivery(user: User, delivery: str) -> None:
    """Choose how the user receives their cases' emails: each event, a daily digest, or both
    (events already written keep the choice they were written under)."""
    if delivery not in EMAIL_DELIVERIES:
        raise ValueError(delivery)
    user.email_delivery = delivery


def _account_page(
    form: LanguageForm | None = None,
    status: int = 200,
    *,
    delivery_form: EmailDeliveryForm | None = None,
) -> tuple[str, int]:
    roles = sorted(current_user.roles, key=lambda a: (a.region.code, a.role))
    page = render_template(
        "accounts/account.html",
        form=form or LanguageForm(formdata=None, language=current_user.language),
        delivery_form=delivery_form
        or EmailDeliveryForm(formdata=None, delivery=current_user.email_delivery),
        calendar_feed=feed_of(current_user),
        roles=roles,
        role_label=role_label,
    )
    return page, status


@blueprint.get("/account")
@login_required
def account() -> tuple[str, int]:
    return _account_page()


@blueprint.post("/account/notifications")
@login_required
def change_email_delivery() -> Response | tuple[str, int]:
    form = EmailDeliveryForm()
    if not form.validate():
        return _account_page(status=400, delivery_form=form)
    with unit_of_work():
        set_email_delivery(current_user._get_current_object(), form.delivery.data)
    flash(_("Your choice of emails is saved."), "success")
    return redirect(url_for("accounts.account") + "#email-delivery", code=303)


def _back_to() -> str:
    target = request.form.get("next")
    if target and is_local_path(target):
        return target
    if current_user.is_authenticated:
        return url_for("accounts.account")
    return url_for("accounts.login")


@blueprint.post("/account/language")
def change_language() -> Response | tuple[str, int]:
    form = LanguageForm()
    if not form.validate():
        if current_user.is_authenticated:
            return _account_page(form, 400)
        abort(400)
    if current_user.is_authenticated:
        with unit_of_work():
            set_language(current_user._get_current_object(), form.language.data)
    else:
        session[SESSION_KEY] = form.language.data
    # The locale of this request was already chosen; choose again so the message below is
    # in the new language.
    refresh()
    flash(_("Language changed."), "success")
    return redirect(_back_to())

"""Forms of the accounts feature."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from ..forms_base import BaseForm
from ..security.passwords import MAX_LENGTH
from .models import DELIVERY_BOTH, DELIVERY_DIGEST, DELIVERY_EACH


class LoginForm(BaseForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=80)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


def _new_password_field(label: object) -> PasswordField:
    # The policy itself (length, common passwords, guessability) is checked by the operation,
    # which knows whose password it is; the form only bounds the input.
    return PasswordField(
        label,
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )


def _confirmation_field() -> PasswordField:
    return PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two new passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class PasswordChangeForm(BaseForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = _new_password_field(_l("New password"))
    confirm = _confirmation_field()


class ForgotPasswordForm(BaseForm):
    account = StringField(
        _l("Username or email"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )


class PasswordResetForm(BaseForm):
    new_password = _new_password_field(_l("New password"))
    confirm = _confirmation_field()


class EmailDeliveryForm(BaseForm):
    """How the user receives the emails of their cases' events (User.email_delivery)."""

    delivery = RadioField(
        _l("Which emails you receive"),
        choices=[
            (DELIVERY_EACH, _l("An email for each event, as it happens")),
            (DELIVERY_DIGEST, _l("One daily summary, at 07.00 WITA on working days")),
            (DELIVERY_BOTH, _l("Both: an email for each event and the daily summary")),
        ],
        validators=[InputRequired()],
    )

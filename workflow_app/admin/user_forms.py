"""Forms of the admin pages for users, role assignments, regions and agencies, and the
language choice every user makes for themselves."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from ..forms_base import BaseForm
from ..workflows import role_label, roles

PASSWORD_MIN_LENGTH = 12

# Language names are written in their own language: whoever cannot read the current
# interface language still recognises their own.
LANGUAGE_CHOICES = [("id", "Bahasa Indonesia"), ("en", "English")]

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _username_field() -> StringField:
    return StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(min=3, max=80),
            Regexp(USERNAME_PATTERN, message=_l("Use letters, digits, dots, dashes or _ only.")),
        ],
        render_kw={"autocomplete": "off"},
    )


def _full_name_field() -> StringField:
    return StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])


def _email_field() -> EmailField:
    return EmailField(
        _l("Email"),
        validators=[
            DataRequired(),
            Length(max=254),
            Regexp(EMAIL_PATTERN, message=_l("Enter an email address such as name@example.go.id.")),
        ],
    )


def _language_field() -> SelectField:
    return SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="id")


def _password_field(label: object) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(), Length(min=PASSWORD_MIN_LENGTH, max=200)],
        render_kw={"autocomplete": "new-password"},
    )


class UserCreateForm(BaseForm):
    username = _username_field()
    full_name = _full_name_field()
    email = _email_field()
    language = _language_field()
    password = _password_field(_l("Initial password"))


class UserEditForm(BaseForm):
    full_name = _full_name_field()
    email = _email_field()
    language = _language_field()
    active = BooleanField(_l("Account active (can log in)"))


class PasswordResetForm(BaseForm):
    password = _password_field(_l("New password"))


def role_choices() -> list[tuple[str, str]]:
    """The roles a person can be given: the workflows' declared roles, then the platform's."""
    assignable = roles().assignable()
    declared = {role.name for role in roles().workflow_roles()}
    ordered = [r for r in assignable if r.name in declared] + [
        r for r in assignable if r.name not in declared
    ]
    return [(role.name, role_label(role.name)) for role in ordered]


class RoleAddForm(BaseForm):
    role = SelectField(_l("Role"), validators=[InputRequired()])
    region = SelectField(_l("Province or district"), validators=[InputRequired()])

    def fill_choices(self, regions: list[tuple[str, str]]) -> RoleAddForm:
        self.role.choices = role_choices()
        self.region.choices = regions
        return self


class RegionForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    seat = StringField(_l("Seat (ibu kota)"), validators=[Optional(), Length(max=120)])


class AgencyForm(BaseForm):
    short_name = StringField(_l("Short name"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])


class LanguageForm(BaseForm):
    """The language choice: the select on /account, or one of the switch's two buttons."""

    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, validators=[InputRequired()])

"""Admin pages for user accounts and their role assignments.

The operations (create_user, update_user, reset_password, add_role, remove_role) check every
rule and change the session; the views validate forms, run one operation inside
`unit_of_work()` and show a refusal next to the field it concerns. An account is never
deleted: disabling it keeps its name on the plans' history.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, func, or_, select
from werkzeug.wrappers import Response

from ..accounts.models import RoleAssignment, User
from ..accounts.passwords import retire_reset_links
from ..accounts.sessions import end_sessions_and_tokens
from ..accounts.system import is_system_account
from ..audit.admin_log import Action, record_act
from ..engine import InvalidInput, Role, RoleScope
from ..extensions import db
from ..regions.catalogue import PROVINCE
from ..regions.models import Region
from ..security.passwords import WeakPassword, check_new_password, words_of
from ..unit_of_work import unit_of_work
from ..workflows import role_label, roles
from .blueprint import blueprint
from .forms import ButtonForm
from .user_forms import (
    PASSWORD_MIN_LENGTH,
    PasswordResetForm,
    RoleAddForm,
    UserCreateForm,
    UserEditForm,
    role_choices,
)


class AdminRefused(InvalidInput):
    """A change the admin pages refuse. `field` names the form field the message belongs to
    (None: the message concerns the whole page)."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class UserData:
    full_name: str
    email: str
    language: str


# --- operations -------------------------------------------------------------------------


def _check_language(language: str) -> None:
    if language not in current_app.config["LANGUAGES"]:
        raise AdminRefused(_("Unknown language."), field="language")


def _clean(data: UserData) -> UserData:
    _check_language(data.language)
    return UserData(data.full_name.strip(), data.email.strip(), data.language)


def create_user(actor: User, username: str, data: UserData, password: str) -> User:
    """A new active account without roles; the password is stored hashed."""
    username = username.strip().lower()
    taken = db.session.scalar(select(User.id).where(func.lower(User.username) == username))
    if taken is not None:
        raise AdminRefused(_("This username is already taken."), field="username")
    data = _clean(data)
    _check_password(password, username, data.full_name, data.email)
    user = User(
        username=username,
        full_name=data.full_name,
        email=data.email,
        language=data.language,
        active=True,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_act(actor, Action.ACCOUNT_CREATED, target=user, details=_account_details(user))
    return user


def _account_details(user: User) -> dict[str, str]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "language": user.language,
    }


def _not_the_system_account(user: User) -> None:
    """The built-in `sistem` account acts for the app alone: it is never enabled, given a
    password, edited or given roles, by anyone."""
    if is_system_account(user):
        raise AdminRefused(_("The built-in system account cannot be changed."), status=403)


def update_user(actor: User, user: User, data: UserData, active: bool) -> None:
    _not_the_system_account(user)
    if user.id == actor.id and not active:
        raise AdminRefused(_("You cannot disable your own account."), field="active", status=403)
    data = _clean(data)
    before = _account_details(user)
    was_active = user.active
    user.full_name = data.full_name
    user.email = data.email
    user.language = data.language
    if user.active and not active:
        # A disabled account is logged out everywhere at once, and its API tokens end: they
        # do not come back to life if the account is enabled again.
        end_sessions_and_tokens(user)
    user.active = active
    _record_update(actor, user, before, was_active)


def _record_update(actor: User, user: User, before: dict[str, str], was_active: bool) -> None:
    """One act per kind of change: the email, the name or language, the account's status."""
    after = _account_details(user)
    if before["email"] != after["email"]:
        details = {"from": before["email"], "to": after["email"]}
        record_act(actor, Action.EMAIL_CHANGED, target=user, details=details)
    edited = {
        field: {"from": before[field], "to": after[field]}
        for field in ("full_name", "language")
        if before[field] != after[field]
    }
    if edited:
        record_act(actor, Action.ACCOUNT_EDITED, target=user, details=edited)
    if was_active != user.active:
        action = Action.ACCOUNT_ENABLED if user.active else Action.ACCOUNT_DISABLED
        record_act(actor, action, target=user, details={"username": user.username})


def _check_password(password: str, *own_words: str) -> None:
    try:
        check_new_password(password, words_of(*own_words))
    except WeakPassword as exc:
        raise AdminRefused(exc.message, field="password") from exc


def reset_password(actor: User, user: User, password: str) -> None:
    """A new password chosen by the admin (the policy applies); the user's sessions and API
    tokens end."""
    _not_the_system_account(user)
    _check_password(password, user.username, user.full_name, user.email)
    user.set_password(password)
    end_sessions_and_tokens(user)
    retire_reset_links(user)  # a link sent before no longer opens the account
    record_act(actor, Action.PASSWORD_SET, target=user, details={"username": user.username})


def _province_only(role: str) -> bool:
    """A role held in the province as a whole rather than in a district: one declared to act
    in the province or everywhere (the provincial roles, admin). Partners read the published
    cases of whatever region they are given (a role declared to read only what is published)."""
    catalogue = roles()
    return not catalogue.published_only(role) and catalogue.scope_of(role) in (
        RoleScope.PROVINCE,
        RoleScope.GLOBAL,
    )


def check_scope(role: str, region: Region) -> None:
    """Roles declared with district scope are held in a district, those acting in the
    province or beyond (and admin) in the province, partners in any region."""
    if role not in {r.name for r in roles().assignable()}:
        raise AdminRefused(_("Unknown role."), field="role")
    if roles().scope_of(role) == RoleScope.DISTRICT and region.is_province:
        raise AdminRefused(_("A district role needs a district, not the province."), "region")
    if _province_only(role) and region.code != PROVINCE.code:
        message = _("This role is held in the province (%(code)s) only.", code=PROVINCE.code)
        raise AdminRefused(message, field="region")


def add_role(actor: User, user: User, role: str, region: Region) -> RoleAssignment:
    _not_the_system_account(user)
    check_scope(role, region)
    if any(a.role == role and a.region_id == region.id for a in user.roles):
        raise AdminRefused(_("The user already holds this role in this region."), "role")
    assignment = RoleAssignment(role=role, region=region)
    user.roles.append(assignment)
    db.session.flush()
    record_act(actor, Action.ROLE_GRANTED, target=user, details=_role_details(assignment))
    return assignment


def _role_details(assignment: RoleAssignment) -> dict[str, str]:
    return {"role": assignment.role, "region": assignment.region.code}


def remove_role(actor: User, user: User, assignment_id: int) -> RoleAssignment:
    _not_the_system_account(user)
    assignment = next((a for a in user.roles if a.id == assignment_id), None)
    if assignment is None:
        raise AdminRefused(_("This role assignment no longer exists."), status=404)
    if user.id == actor.id and assignment.role == Role.ADMIN:
        raise AdminRefused(_("You cannot remove your own administrator role."), status=403)
    details = _role_details(assignment)
    user.roles.remove(assignment)
    db.session.flush()
    record_act(actor, Action.ROLE_REMOVED, target=user, details=details)
    return assignment


# --- reading ----------------------------------------------------------------------------


def region_choices() -> list[tuple[str, str]]:
    regions = db.session.scalars(select(Region).order_by(Region.code))
    return [(r.code, f"{r.code} {r.name}") for r in regions]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def find_users(text: str = "", region_code: str = "", role: str = "") -> list[User]:
    """Users whose username or name contains `text`, holding `role` in `region_code` (each
    filter applies only when given)."""
    query = select(User).order_by(User.username)
    if text:
        pattern = _like(text)
        query = query.where(
            or_(
                func.lower(User.username).like(pattern, escape="\\"),
                func.lower(User.full_name).like(pattern, escape="\\"),
            )
        )
    conditions = []
    if role:
        conditions.append(RoleAssignment.role == role)
    if region_code:
        conditions.append(RoleAssignment.region.has(Region.code == region_code))
    if conditions:
        query = query.where(User.roles.any(and_(*conditions)))
    return list(db.session.scalars(query))


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


# --- views ------------------------------------------------------------------------------


@blueprint.get("/users")
def users() -> str:
    text = request.args.get("q", "").strip()
    region_code = request.args.get("region", "")
    role = request.args.get("role", "")
    return render_template(
        "admin/users.html",
        users=find_users(text, region_code, role),
        text=text,
        region_code=region_code,
        role=role,
        regions=region_choices(),
        roles=role_choices(),
        role_label=role_label,
    )


def _new_page(form: UserCreateForm, status: int = 200) -> tuple[str, int]:
    page = render_template("admin/users_new.html", form=form, password_min=PASSWORD_MIN_LENGTH)
    return page, status


@blueprint.route("/users/new", methods=["GET", "POST"])
def new_user() -> Response | tuple[str, int]:
    form = UserCreateForm()
    if not form.is_submitted():
        return _new_page(form)
    if not form.validate():
        return _new_page(form, 400)
    data = UserData(form.full_name.data, form.email.data, form.language.data)
    try:
        with unit_of_work():
            user = create_user(current_user, form.username.data, data, form.password.data)
    except AdminRefused as exc:
        getattr(form, exc.field or "username").errors.append(exc.message)
        return _new_page(form, exc.status)
    flash(_("User %(username)s created. Now give them a role.", username=user.username), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


def _user_page(
    user: User,
    status: int = 200,
    *,
    edit: UserEditForm | None = None,
    password: PasswordResetForm | None = None,
    role: RoleAddForm | None = None,
    error: str | None = None,
) -> tuple[str, int]:
    page = render_template(
        "admin/users_edit.html",
        user=user,
        edit=edit or UserEditForm(formdata=None, obj=user),
        password=password or PasswordResetForm(formdata=None),
        role=role or RoleAddForm(formdata=None).fill_choices(region_choices()),
        button=ButtonForm(formdata=None),
        role_label=role_label,
        error=error,
        password_min=PASSWORD_MIN_LENGTH,
    )
    return page, status


def _unplaced(exc: AdminRefused) -> str | None:
    """The message of a refusal that no field shows (it goes to the top of the page)."""
    return None if exc.field else exc.message


def _refused(form: object, exc: AdminRefused) -> None:
    field = getattr(form, exc.field) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]


@blueprint.get("/users/<int:user_id>")
def edit_user(user_id: int) -> tuple[str, int]:
    return _user_page(_user_or_404(user_id))


@blueprint.post("/users/<int:user_id>")
def update_user_view(user_id: int) -> Response | tuple[str, int]:
    user = _user_or_404(user_id)
    form = UserEditForm()
    if not form.validate():
        return _user_page(user, 400, edit=form)
    data = UserData(form.full_name.data, form.email.data, form.language.data)
    try:
        with unit_of_work():
            update_user(current_user, user, data, form.active.data)
    except AdminRefused as exc:
        _refused(form, exc)
        return _user_page(user, exc.status, edit=form, error=exc.message)
    flash(_("User %(username)s saved.", username=user.username), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@blueprint.post("/users/<int:user_id>/password")
def reset_password_view(user_id: int) -> Response | tuple[str, int]:
    user = _user_or_404(user_id)
    form = PasswordResetForm()
    if not form.validate():
        return _user_page(user, 400, password=form)
    try:
        with unit_of_work():
            reset_password(current_user, user, form.password.data)
    except AdminRefused as exc:
        _refused(form, exc)
        return _user_page(user, exc.status, password=form, error=_unplaced(exc))
    flash(_("The password of %(username)s was changed.", username=user.username), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@blueprint.post("/users/<int:user_id>/roles")
def add_role_view(user_id: int) -> Response | tuple[str, int]:
    user = _user_or_404(user_id)
    form = RoleAddForm().fill_choices(region_choices())
    if not form.validate():
        return _user_page(user, 400, role=form)
    region = db.session.scalar(select(Region).where(Region.code == form.region.data))
    try:
        with unit_of_work():
            add_role(current_user, user, form.role.data, region)
    except AdminRefused as exc:
        _refused(form, exc)
        return _user_page(user, exc.status, role=form, error=_unplaced(exc))
    flash(_("Role added."), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@blueprint.post("/users/<int:user_id>/roles/<int:assignment_id>/delete")
def remove_role_view(user_id: int, assignment_id: int) -> Response | tuple[str, int]:
    user = _user_or_404(user_id)
    try:
        with unit_of_work():
            remove_role(current_user, user, assignment_id)
    except AdminRefused as exc:
        return _user_page(user, exc.status, error=exc.message)
    flash(_("Role removed."), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))

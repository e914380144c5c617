"""Password hashes: argon2id at OWASP's recommended parameters, and a hash made with other
parameters (argon2-cffi's heavier defaults, used before) still lets its user in and is made
again with today's parameters at that login, once."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY
from flask import Flask
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token, login
from workflow_app.accounts.models import User, password_hasher
from workflow_app.extensions import db


def _stored_hash(username: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(User.password_hash).where(User.username == username))


def test_new_passwords_are_hashed_with_owasps_argon2id_parameters(app_ctx: Flask) -> None:
    user = factories.user("drafter.tnl", ("drafter", "6301"))
    user.set_password("lumbung-padi-martapura-tujuh")
    db.session.commit()
    stored = _stored_hash("drafter.tnl")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert not password_hasher.check_needs_rehash(stored)


def test_an_older_hash_lets_its_user_in_and_is_made_again_once(app_ctx: Flask) -> None:
    user = factories.user("drafter.tnl", ("drafter", "6301"))
    old = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY).hash(factories.PASSWORD)
    user.password_hash = old
    db.session.commit()

    login(app_ctx.test_client(), "drafter.tnl")
    renewed = _stored_hash("drafter.tnl")
    assert renewed != old
    assert renewed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert password_hasher.verify(renewed, factories.PASSWORD)

    login(app_ctx.test_client(), "drafter.tnl")  # a hash of today's parameters stays as it is
    assert _stored_hash("drafter.tnl") == renewed


def test_a_wrong_password_does_not_touch_an_older_hash(app_ctx: Flask) -> None:
    user = factories.user("drafter.tnl", ("drafter", "6301"))
    old = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY).hash(factories.PASSWORD)
    user.password_hash = old
    db.session.commit()

    client = app_ctx.test_client()
    token = csrf_token(client, "/login")
    data = {"username": "drafter.tnl", "password": "bukan-sandinya", "csrf_token": token}
    assert client.post("/login", data=data).status_code == 400
    assert _stored_hash("drafter.tnl") == old

"""The page shell's kept parts (accounts/page_shell.py): rendered once per language and shape
(endpoint, what the user may open), then only their slots filled in; a page served from them
reads exactly as one rendered afresh, for every user, page and language."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import signed_in
from workflow_app.accounts import page_shell
from workflow_app.accounts.models import User
from workflow_app.extensions import db

# A page that is the shell and a message only: the "not found" page (error.html).
SHELL_PATH = "/no-such-page"
PAGES = ("/tasks", "/plans", "/notifications", "/account", SHELL_PATH)
USERS = ("drafter.6301", "provincial.63", "admin", "mitra.demo")
# The labels only the shell shows (not the error page's own content).
SHELL_LABELS = {
    "Skip to content",
    "(scrollable)",
    "Kalimantan Selatan",
    "Main menu",
    "My tasks",
    "Log out",
    "Interface language",
    "My account",
    "Notifications",
    "Pokja PKP Provinsi Kalimantan Selatan",
}
SHELL_ENDPOINTS = {
    "static",
    "bootstrap.static",
    "accounts.start",
    "accounts.logout",
    "accounts.change_language",
    "accounts.account",
    "inbox.index",
}
_TOKEN = re.compile(r'(name="csrf_token" (?:type="hidden" )?value="|data-csrf-token=")[^"]+"')


def _without_tokens(page: str) -> str:
    # Time-signed: two requests a second apart get different tokens.
    return _TOKEN.sub(r'\1TOKEN"', page)


def _forget_parts(app: Flask) -> None:
    app.extensions.pop("page_shell", None)


@pytest.fixture
def renders(app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The parts whose bodies are rendered, in order, from now on (none kept yet)."""
    _forget_parts(app_ctx)
    seen: list[str] = []
    original = page_shell._rendered

    def rendered(caller: object, values: dict[str, object]) -> object:
        seen.append(",".join(values))
        return original(caller, values)  # type: ignore[arg-type]

    monkeypatch.setattr(page_shell, "_rendered", rendered)
    yield seen
    _forget_parts(app_ctx)


def _looked_up(app: Flask, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """(msgids translated through the templates' `_`/`gettext`, endpoints built by url_for)."""
    msgids: list[str] = []
    endpoints: list[str] = []
    original = app.jinja_env.globals["gettext"]  # `_` calls it too
    passes_context = hasattr(original, "jinja_pass_arg")

    def gettext(*args: object, **kwargs: object) -> object:
        msgids.append(str(args[1] if passes_context else args[0]))
        return original(*args, **kwargs)

    if passes_context:
        gettext.jinja_pass_arg = original.jinja_pass_arg  # type: ignore[attr-defined]
    monkeypatch.setitem(app.jinja_env.globals, "gettext", gettext)
    url_for = app.jinja_env.globals["url_for"]  # the templates' (the app's, bound at start)
    monkeypatch.setitem(
        app.jinja_env.globals,
        "url_for",
        lambda endpoint, **v: endpoints.append(endpoint) or url_for(endpoint, **v),
    )
    return msgids, endpoints


def test_a_warm_shell_renders_no_part_translates_no_label_and_builds_no_link(
    app_ctx: Flask, users: dict[str, User], renders: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = signed_in(app_ctx, "provincial.63")
    msgids, endpoints = _looked_up(app_ctx, monkeypatch)
    assert client.get(SHELL_PATH).status_code == 404
    # head, top, nav, bell, account, language, foot (the session warning: no timeouts here).
    assert len(renders) == 7
    assert set(msgids) >= SHELL_LABELS
    assert set(endpoints) >= SHELL_ENDPOINTS

    renders.clear()
    msgids.clear()
    endpoints.clear()
    assert client.get(SHELL_PATH).status_code == 404
    assert renders == []
    assert not SHELL_LABELS & set(msgids)
    assert not SHELL_ENDPOINTS & set(endpoints)


def test_another_user_of_the_same_shape_reuses_the_parts(
    app_ctx: Flask, users: dict[str, User], renders: list[str]
) -> None:
    assert signed_in(app_ctx, "drafter.6301").get("/tasks").status_code == 200
    renders.clear()
    page = signed_in(app_ctx, "drafter.6304").get("/tasks").get_data(as_text=True)
    assert renders == []
    assert "(drafter.6304)" in page and "drafter.6301" not in page


def _pages(app: Flask, *, afresh: bool) -> dict[tuple[str, str, str], str]:
    found = {}
    for language in ("id", "en"):
        for username in USERS:
            user = db.session.scalar(db.select(User).where(User.username == username))
            user.language = language
            db.session.commit()
            client = signed_in(app, username)
            for path in PAGES:
                if afresh:
                    _forget_parts(app)
                response = client.get(path)
                found[(language, username, path)] = _without_tokens(response.get_data(as_text=True))
    return found


def test_pages_from_kept_parts_read_as_pages_rendered_afresh(
    app_ctx: Flask, users: dict[str, User], renders: list[str]
) -> None:
    # Afresh: no part kept from one request to the next (every part renders its body).
    fresh = _pages(app_ctx, afresh=True)
    _forget_parts(app_ctx)
    renders.clear()
    # Kept: the first user's parts serve the others wherever their shape is the same.
    kept = _pages(app_ctx, afresh=False)
    assert 0 < len(renders) < len(fresh) * 4
    assert kept.keys() == fresh.keys()
    for key, page in fresh.items():
        assert kept[key] == page, key
    assert len(app_ctx.extensions["page_shell"]) > 0


def _bell(page: str) -> str:
    return re.search(r'<a class="bell.*?</a>', page, re.S).group(0)  # type: ignore[union-attr]


@pytest.mark.parametrize(("unread", "shown"), [(0, None), (3, "3"), (150, "99+")])
def test_the_bell_shows_this_request_s_count(
    app_ctx: Flask,
    users: dict[str, User],
    renders: list[str],
    monkeypatch: pytest.MonkeyPatch,
    unread: int,
    shown: str | None,
) -> None:
    client = signed_in(app_ctx, "reviewer.6301")
    client.get("/tasks")  # the parts kept with no unread notification
    monkeypatch.setitem(app_ctx.jinja_env.globals, "unread_notifications", lambda: unread)
    bell = _bell(client.get("/tasks").get_data(as_text=True))
    assert ("has-unread" in bell) is bool(unread)
    count = re.search(r'id="unread-count">([^<]+)<', bell)
    assert (count.group(1) if count else None) == shown


def test_the_slots_hold_this_request_s_values_escaped(
    app_ctx: Flask, users: dict[str, User], renders: list[str]
) -> None:
    client: FlaskClient = signed_in(app_ctx, "drafter.6301")
    client.get("/tasks")
    users["drafter"].full_name = 'Ani <b>"Kepala"</b>'
    db.session.commit()
    page = client.get("/plans?q=a%22b").get_data(as_text=True)
    assert '<span class="who">Ani &lt;b&gt;&#34;Kepala&#34;&lt;/b&gt;' in page
    assert '<input type="hidden" name="next" value="/plans?q=a%22b">' in page
    tokens = {m.group(0) for m in re.finditer(r'name="csrf_token" value="[^"]+"', page)}
    assert len(tokens) == 1  # the logout and the language forms: this session's token
    # The current page is marked in the menu, whichever page kept the menu first.
    assert re.search(r'href="/plans" aria-current="page"', page)
    assert not re.search(r'href="/tasks" aria-current="page"', page)


def test_nothing_is_kept_while_templates_are_read_again_when_edited(
    app_ctx: Flask, users: dict[str, User], renders: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_ctx.jinja_env, "auto_reload", True)
    client = signed_in(app_ctx, "provincial.63")
    client.get(SHELL_PATH)
    client.get(SHELL_PATH)
    assert len(renders) == 14  # every part, on both requests
    assert "page_shell" not in app_ctx.extensions

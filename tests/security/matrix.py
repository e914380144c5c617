"""Requesting every route of the app as one role: the URL map, route arguments filled from
the dataset, logged-in clients with their CSRF token, and a snapshot of the database to see
whether a request changed anything."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from workflow_app.accounts.models import User
from workflow_app.extensions import db

from .. import factories
from ..conftest import login
from ..statements import recorded_statements
from .dataset import Dataset
from .expectations import ANONYMOUS, EXPECTATIONS, Case

IGNORED_METHODS = {"HEAD", "OPTIONS"}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
API_PREFIX = "/api/v1"

# Route arguments with no district: the same value for "own" and "other".
FIXED_ARGS = {"fmt": "xlsx", "name": "tidak-ada.eml", "token": "tautan-tidak-dikenal"}
# Route arguments filled from the district's objects, by default.
DEFAULT_KEYS = {
    "plan_id": "draft",
    "activity_id": "draft_activity",
    "report_id": "due",
    "attachment_id": "due_attachment",
    "user_id": "user",
    "assignment_id": "assignment",
    "agency_id": "agency",
    "delegation_id": "delegation",
    "token_id": "token",
    "kind": "case_kind",
    "case_id": "decree",
    "field": "decree_file",
}
SHARED_ARGS = {"override_id": "override", "notification_id": "notification"}


def routes(app: Flask) -> Iterator[tuple[str, Rule]]:
    """(method, rule) for every rule of the URL map except static files."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            yield method, rule


def fill(rule: Rule, case: Case, dataset: Dataset, target: str) -> str:
    """The URL of `rule` with its arguments taken from `target`'s objects."""
    side = dataset.side(target)
    values: dict[str, object] = {}
    for name in rule.arguments:
        if name in case.args:
            key = case.args[name]
            values[name] = side.ids.get(key, dataset.shared.get(key, key))
        elif name == "code":
            values[name] = side.code
        elif name in FIXED_ARGS:
            values[name] = FIXED_ARGS[name]
        elif name in SHARED_ARGS:
            values[name] = dataset.shared[SHARED_ARGS[name]]
        elif name in DEFAULT_KEYS:
            values[name] = side.ids[DEFAULT_KEYS[name]]
        else:
            raise AssertionError(
                f"{rule.rule}: no value for the argument {name!r}; give it in the case's args"
            )
    url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule.rule)
    return url + (f"?{case.query}" if case.query else "")


_CSRF_RE = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@dataclass
class Visitor:
    """A test client signed in as one role's user (dataset.holders; none for the anonymous
    visitor), with its CSRF token."""

    app: Flask
    role: str
    username: str | None = None
    client: FlaskClient | None = None
    token: str = ""
    # The API is called from a client of its own: a bearer token, never the session cookie.
    api_client: FlaskClient | None = None
    api_headers: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        self.client = self.app.test_client()
        self.api_client = self.app.test_client(use_cookies=False)
        if self.role != ANONYMOUS:
            assert self.username, f"no user to sign in as {self.role}"
            login(self.client, self.username)
            if not self.api_headers:
                user = db.session.scalar(select(User).where(User.username == self.username))
                self.api_headers = {"Authorization": f"Bearer {factories.api_token(user)}"}
        page = self.client.get("/account" if self.role != ANONYMOUS else "/login")
        match = _CSRF_RE.search(page.get_data(as_text=True))
        assert match, f"no CSRF token for {self.role}"
        self.token = match.group(1)

    def request(
        self,
        method: str,
        url: str,
        data: dict[str, str] | None = None,
        *,
        csrf: bool = True,
        json: object = None,
    ) -> TestResponse:
        assert self.client is not None and self.api_client is not None
        if url.startswith(API_PREFIX):
            return self.api_client.open(url, method=method, headers=self.api_headers, json=json)
        if method == "GET":
            return self.client.get(url)
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.token
        return self.client.open(url, method=method, data=form)


def form_data(case: Case, dataset: Dataset, target: str) -> dict[str, str]:
    """The case's form data, "{key}" placeholders filled from `target`'s objects."""
    ids = dataset.side(target).ids
    return {name: value.format(**ids) for name, value in case.data.items()}


def json_body(case: Case, dataset: Dataset, target: str) -> object:
    """The case's JSON body; a value "{key}" becomes the id (or version) `key` of `target`."""
    if case.json is None:
        return None
    ids = dataset.side(target).ids
    return {
        name: ids[value[1:-1]] if isinstance(value, str) and value.startswith("{") else value
        for name, value in case.json.items()
    }


def snapshot() -> dict[str, tuple[int, str]]:
    """Per table: the number of rows and a hash of their content."""
    db.session.expire_all()
    state = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        rows = db.session.execute(table.select().order_by(*order)).all()
        digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
        state[table.name] = (len(rows), digest)
    db.session.rollback()
    return state


def changed_tables(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list:
    return sorted(name for name in after if before.get(name) != after[name])


@dataclass(frozen=True)
class Seen:
    """One request of the matrix and what came of it."""

    method: str
    rule: str
    case: int
    target: str
    url: str
    expected: int
    status: int
    location: str
    changed: tuple[str, ...]

    def describe(self) -> str:
        where = f" -> {self.location}" if self.location else ""
        changed = f" changed {list(self.changed)}" if self.changed else ""
        return (
            f"{self.method} {self.rule} [case {self.case}, {self.target}] {self.url}: "
            f"expected {self.expected}, got {self.status}{where}{changed}"
        )


def wrote(statements: list[str]) -> bool:
    """Whether an INSERT/UPDATE/DELETE is among `statements`, so that the (slower) snapshot
    of the database is taken again only after a request that wrote something."""
    return any(
        statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")
        for statement in statements
    )


def visit_all(app: Flask, dataset: Dataset, role: str) -> list[Seen]:
    """Request every route with an expectation as `role`, on both districts' objects."""
    visitor = Visitor(app, role, dataset.holders.get(role))
    visitor.start()
    seen: list[Seen] = []
    state = snapshot()
    with recorded_statements() as sent:
        for method, rule in routes(app):
            cases = EXPECTATIONS.get((method, rule.rule), ())
            for number, case in enumerate(cases):
                targets = ("own", "other") if case.other is not None else ("own",)
                for target in targets:
                    statuses = case.own if target == "own" else case.other
                    assert statuses is not None and role in statuses, (
                        f"{method} {rule.rule} [case {number}, {target}]: no status for {role}"
                    )
                    url = fill(rule, case, dataset, target)
                    sent.clear()
                    response = visitor.request(
                        method,
                        url,
                        form_data(case, dataset, target),
                        json=json_body(case, dataset, target),
                    )
                    changed: list[str] = []
                    if wrote(sent):
                        after = snapshot()
                        changed, state = changed_tables(state, after), after
                    seen.append(
                        Seen(
                            method=method,
                            rule=rule.rule,
                            case=number,
                            target=target,
                            url=url,
                            expected=statuses[role],
                            status=response.status_code,
                            location=response.headers.get("Location", ""),
                            changed=tuple(changed),
                        )
                    )
                    if case.ends_session:
                        # Logging out ends the user's API tokens too: a new one, as a user would.
                        visitor.api_headers = {}
                        visitor.start()
                        state = snapshot()
    return seen


# What each role saw, kept for the session: the matrix, GET and POST checks read the same
# requests (each dataset is built afresh in the test that first asks for a role).
_SEEN: dict[str, list[Seen]] = {}


def seen_by(app: Flask, role: str, build: Callable[[], Dataset]) -> list[Seen]:
    if role not in _SEEN:
        _SEEN[role] = visit_all(app, build(), role)
    return _SEEN[role]

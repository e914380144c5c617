"""sqlmap against the app on loopback: the login form, the list and dashboard filters and a
POST form, each bounded in time.

    .venv/bin/python -m tests.security.sqlmap_run [--seconds-per-target 25]

The app runs in a thread (werkzeug's server on 127.0.0.1, a free port) on a temporary SQLite
database filled with the test factories' users and plans. The script logs in as a browser
would (session cookie and CSRF token from the page), then runs Debian's sqlmap (`--batch
--level 2 --risk 1`, SQLite payloads, time-based blind tests left out because a timeout cuts
them short anyway) once per target, killing it after the target's time. sqlmap re-reads the
CSRF token from the form's page before each request (`--csrf-token`, `--csrf-url`).

Prints one line per target and a summary; exits 0 when no parameter was found injectable,
1 when one was, 2 when sqlmap is missing. Only loopback is ever contacted.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from werkzeug.serving import make_server

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FOUND = re.compile(r"identified the following injection point|is vulnerable", re.I)
NOT_FOUND = re.compile(r"do not appear to be injectable|does not seem to be injectable", re.I)


@dataclass(frozen=True)
class Target:
    name: str
    path: str  # with the query string for GET targets
    params: str  # the parameters sqlmap tests (-p)
    who: str | None  # the user whose session is used; None: anonymous
    data: str | None = None  # the POST body (with csrf_token=) for POST targets
    csrf_page: str | None = None  # where the form (and a fresh CSRF token) is


@dataclass
class Outcome:
    target: Target
    verdict: str  # "not injectable", "INJECTABLE", "cut off (nothing found)", "error"
    seconds: float
    summary: str


def _seed(app: object) -> dict[str, object]:
    """Users and plans for the targets: a plan in district review, a monitored plan with a
    submitted report."""
    from tests import factories
    from workflow_app.extensions import db

    with app.app_context():  # type: ignore[attr-defined]
        db.create_all()
        users = factories.standard_users()
        db.session.commit()
        in_review = factories.plan_in_state(users, "district_review")
        factories.reported_plan(users)
        db.session.commit()
        return {"review_plan": in_review.id}


@contextmanager
def serve(tmp: Path) -> Iterator[tuple[str, dict[str, object]]]:
    os.environ["WORKFLOW_APP_INSTANCE_PATH"] = str(tmp / "instance")
    from workflow_app import create_app

    app = create_app(
        {
            "SECRET_KEY": "sqlmap-run-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'sqlmap.db'}",
            # Throttling would answer sqlmap's login attempts with 429 before any query runs;
            # here the point is what reaches the database.
            "RATELIMIT_ENABLED": False,
            "DASHBOARD_CACHE_SECONDS": 0,
        }
    )
    ids = _seed(app)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not one line per sqlmap request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", ids
    finally:
        server.shutdown()
        thread.join(timeout=10)


class Browser:
    """A cookie-keeping client, to log in and to hand sqlmap a session and a CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def token(self, path: str) -> str:
        match = CSRF.search(self.get(path))
        if not match:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1)

    def login(self, username: str, password: str) -> None:
        body = urllib.parse.urlencode(
            {"username": username, "password": password, "csrf_token": self.token("/login")}
        ).encode()
        with self.opener.open(self.base + "/login", body, timeout=30) as response:
            if response.url.endswith("/login"):
                raise RuntimeError(f"login of {username} failed")

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def targets(ids: dict[str, object]) -> list[Target]:
    plan = ids["review_plan"]
    return [
        Target(
            "login form",
            "/login",
            "username,password",
            None,
            data="username=drafter.6301&password=salah-sandi-2026&csrf_token=x",
            csrf_page="/login",
        ),
        Target(
            "plans list filters", "/plans?region=6301&state=draft", "region,state", "provincial.63"
        ),
        Target(
            "reports list filters",
            "/reports?district=6301&state=submitted&year=2026&quarter=3",
            "district,state,year,quarter",
            "provincial.63",
        ),
        Target(
            "dashboard filters",
            "/dashboard?year=2026&district=6301&sub_sector=wastewater",
            "year,district,sub_sector",
            "provincial.63",
        ),
        Target(
            "review comment (POST form)",
            f"/plans/{plan}/comments",
            "body,item_type,item_id",
            "reviewer.6301",
            data="item_type=plan&item_id=&body=Periksa+lagi&csrf_token=x",
            csrf_page=f"/plans/{plan}",
        ),
    ]


def run_sqlmap(base: str, target: Target, seconds: float, out_dir: Path) -> Outcome:
    from tests.factories import PASSWORD

    browser = Browser(base)
    if target.who:
        browser.login(target.who, PASSWORD)
    if target.csrf_page:
        browser.token(target.csrf_page)  # the anonymous login form needs its session first
    command = [
        "sqlmap",
        "--batch",
        "--level=2",
        "--risk=1",
        "--dbms=SQLite",
        "--technique=BEUS",
        "--disable-coloring",
        "--flush-session",
        "--timeout=10",
        "--retries=1",
        f"--output-dir={out_dir}",
        f"--cookie={browser.cookie()}",
        "-u",
        base + target.path,
        "-p",
        target.params,
        # The session cookie is not a parameter under test: a changed cookie is a new session.
        "--skip=session",
    ]
    if target.data is not None:
        command += [f"--data={target.data}", "--csrf-token=csrf_token"]
        command += [f"--csrf-url={base}{target.csrf_page}"]
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds, stdin=subprocess.DEVNULL
        )
        output, cut_off = done.stdout + done.stderr, False
    except subprocess.TimeoutExpired as exc:
        output = _text(exc.stdout) + _text(exc.stderr)
        cut_off = True
    elapsed = time.monotonic() - started
    if FOUND.search(output):
        verdict = "INJECTABLE"
    elif NOT_FOUND.search(output):
        verdict = "not injectable"
    elif cut_off:
        verdict = "cut off (nothing found)"
    else:
        verdict = "error"
    return Outcome(target, verdict, elapsed, _summary(output))


def _text(value: bytes | str | None) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value or ""


def _summary(output: str) -> str:
    """sqlmap's verdict lines: warnings and criticals about parameters, and any finding."""
    keep = re.compile(r"\[(WARNING|CRITICAL|ERROR)\]|injectable|injection point|Parameter:")
    lines = [line.strip() for line in output.splitlines() if keep.search(line)]
    return "\n".join(f"    {line}" for line in lines[-12:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds-per-target", type=float, default=25.0)
    args = parser.parse_args(argv)
    if shutil.which("sqlmap") is None:
        print("sqlmap is not installed (Debian package `sqlmap`)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="sqlmap-run-") as tmp, serve(Path(tmp)) as (base, ids):
        outcomes = [
            run_sqlmap(base, target, args.seconds_per_target, Path(tmp) / "sqlmap")
            for target in targets(ids)
        ]
    for outcome in outcomes:
        print(f"{outcome.target.name:32} {outcome.verdict:26} {outcome.seconds:5.1f} s")
        print(f"  {outcome.target.path}  -p {outcome.target.params}")
        if outcome.summary:
            print(outcome.summary)
    found = [o for o in outcomes if o.verdict == "INJECTABLE"]
    errors = [o for o in outcomes if o.verdict == "error"]
    print(
        f"sqlmap summary: {len(outcomes)} targets, {len(found)} injectable, "
        f"{len(errors)} errors, {sum(o.seconds for o in outcomes):.0f} s"
    )
    if found:
        return 1
    return 3 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

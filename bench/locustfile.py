"""The users of bench/load.py's load run: district drafters, district reviewers and the
provincial reviewer at work, each through the real pages and forms.

Not meant to run by hand: bench/load.py seeds the data, starts the stack and runs locust with
LOAD_PLAN_FILE naming a JSON file it wrote:

    {"password": "...", "users": 50,
     "districts": [{"code": "6301", "plans": [ids...], "moving": [ids...]}, ...]}

`plans` are all the district's plans (read by its people), `moving` those in the states the
run moves back and forth: draft and returned (the drafter submits), district review (the
district reviewer forwards or returns), provincial sync (the provincial reviewer returns).

Every user logs in through the login form (CSRF token from the page) and never logs out:
logging out ends every session of the account, and several users share an account. Users do
not race: for each role, every moving plan belongs to exactly one user of that role, and in
any state only one role may act, so at any moment a plan has one user who may move it. A 409
(changed by someone else) or any other error is therefore a real failure. No redirect is
followed: a view must answer 200 (a 302 to the login page would be a lost session), a
transition 303 back to its plan.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
from collections import Counter
from dataclasses import dataclass
from http.cookiejar import Cookie, DefaultCookiePolicy, request_host
from typing import Any
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, between, events

# Think time between two actions of one user: a working week, compressed.
THINK_SECONDS = (1.0, 3.0)
# Users per provincial reviewer (at least one provincial user once there are three users).
PROVINCIAL_SHARE = 10
RETURN_COMMENT = "Lengkapi data dukung dan target tahunan (uji beban)."
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True)
class Role:
    """Who a locust user is: the account, what it reads, what it moves and how."""

    username: str
    readable: tuple[int, ...]  # plan pages it opens
    owned: tuple[int, ...]  # plans it alone moves in the states its triggers leave
    triggers: tuple[str, ...]


def provincial_count(users: int) -> int:
    return max(1, users // PROVINCIAL_SHARE) if users >= 3 else 0


def roster(users: int, districts: list[dict[str, Any]]) -> tuple[list[Role], list[Role]]:
    """The roles of `users` users, district and provincial: a tenth provincial reviewers, the
    others a drafter and a reviewer per district in turn (more than one per district once
    every district has one)."""
    provincial = provincial_count(users)
    slots = [
        ("drafter" if k % 2 == 0 else "reviewer", districts[k // 2 % len(districts)])
        for k in range(users - provincial)
    ]
    sharing = Counter(f"{kind}.{district['code']}" for kind, district in slots)
    taken: Counter[str] = Counter()
    district_roles: list[Role] = []
    for kind, district in slots:
        username = f"{kind}.{district['code']}"
        # Users of one account share its district's moving plans out, each its own part.
        part = taken[username]
        taken[username] += 1
        owned = tuple(district["moving"][part :: sharing[username]])
        triggers = ("submit",) if kind == "drafter" else ("forward", "return")
        district_roles.append(Role(username, tuple(district["plans"]), owned, triggers))
    every_plan = tuple(plan for district in districts for plan in district["plans"])
    every_moving = [plan for district in districts for plan in district["moving"]]
    provincial_roles = [
        Role("provincial.63", every_plan, tuple(every_moving[part::provincial]), ("return",))
        for part in range(provincial)
    ]
    return district_roles, provincial_roles


def _load_roster() -> tuple[str, list[Role], list[Role]]:
    path = os.environ.get("LOAD_PLAN_FILE")
    if not path:
        raise SystemExit("LOAD_PLAN_FILE is not set: run this through bench/load.py")
    with open(path, encoding="utf-8") as handle:
        plan_file = json.load(handle)
    return plan_file["password"], *roster(plan_file["users"], plan_file["districts"])


PASSWORD, DISTRICT_ROLES, PROVINCIAL_ROLES = _load_roster()

# Every request, for bench/load.py's own figures (exact percentiles, the phase after all users
# have logged in): [start (epoch s), method, name, milliseconds, failed].
_samples: list[tuple[float, str, str, float, bool]] = []


@events.request.add_listener
def _record(
    request_type: str,
    name: str,
    response_time: float,
    exception: BaseException | None,
    start_time: float,
    **_: Any,
) -> None:
    _samples.append((start_time, request_type, name, response_time, exception is not None))


@events.quitting.add_listener
def _write_samples(**_: Any) -> None:
    path = os.environ.get("LOAD_SAMPLES_FILE")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(_samples, handle)


def field_value(form_html: str, name: str) -> str | None:
    """The value of the input named `name` (attributes in either order)."""
    for pattern in (
        rf'name="{name}"[^>]*value="([^"]*)"',
        rf'value="([^"]*)"[^>]*name="{name}"',
    ):
        found = re.search(pattern, form_html)
        if found:
            return html.unescape(found.group(1))
    return None


def action_form(page: str, trigger: str) -> dict[str, str] | None:
    """The fields of the page's form for `trigger` (hidden CSRF token, trigger, version), or
    None when the page offers no such action."""
    start = page.find(f'id="action-{trigger}"')
    if start < 0:
        return None
    end = page.find("</form>", start)
    block = page[start : end if end > 0 else len(page)]
    token, version = field_value(block, "csrf_token"), field_value(block, "version")
    if token is None or version is None:
        return None
    return {"csrf_token": token, "trigger": trigger, "version": version}


class LoopbackIsSecure(DefaultCookiePolicy):
    """Send Secure cookies to the loopback over plain HTTP, as browsers do for localhost: the
    production profile's `__Host-session` cookie is Secure, and the stack serves plain HTTP on
    127.0.0.1 (in production HTTPS ends at the proxy in front)."""

    LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")

    def return_ok_secure(self, cookie: Cookie, request: Any) -> bool:
        return request_host(request) in self.LOOPBACK or super().return_ok_secure(cookie, request)


class Official(FastHttpUser):
    """What every user does; the subclasses weigh it for their role."""

    abstract = True
    # FastHttpUser: cheaper per request than HttpUser, and locust shares the machine's cores.
    wait_time = between(*THINK_SECONDS)
    roles: list[Role] = []
    slots: itertools.count[int]

    def on_start(self) -> None:
        # One role per user, in spawning order; one process spawns them all.
        self.role = self.roles[next(self.slots) % len(self.roles)]
        self.client.cookiejar.set_policy(LoopbackIsSecure())
        self.log_in()

    def log_in(self) -> None:
        with self.client.get(
            "/login", name="/login", allow_redirects=False, catch_response=True
        ) as page:
            token = field_value(page.text or "", "csrf_token")
            if page.status_code != 200 or token is None:
                page.failure(f"login page: status {page.status_code}, CSRF token {token!r}")
                return
        form = {"csrf_token": token, "username": self.role.username, "password": PASSWORD}
        with self.client.post(
            "/login",
            data=urlencode(form),
            headers=FORM,
            name="/login",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            target = answer.headers.get("location", "") if answer.headers else ""
            if answer.status_code != 302 or "/login" in target:
                answer.failure(f"login as {self.role.username}: status {answer.status_code}")

    def view(self, path: str, name: str) -> str | None:
        """A page that must answer 200; its HTML."""
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as page:
            if page.status_code != 200:
                where = page.headers.get("location", "") if page.headers else ""
                page.failure(f"status {page.status_code} {where}".rstrip())
                return None
            return page.text or ""

    def tasks_page(self) -> None:
        self.view("/tasks", "/tasks")

    def plan_page(self) -> None:
        self.view(f"/plans/{random.choice(self.role.readable)}", "/plans/[id]")

    def plan_list(self) -> None:
        self.view("/plans", "/plans")

    def reports(self) -> None:
        self.view("/reports", "/reports")

    def dashboard(self) -> None:
        self.view("/dashboard", "/dashboard")

    def act(self) -> None:
        """Open one of its own plans; when the user's action is offered there, take it."""
        if not self.role.owned:
            return
        plan = random.choice(self.role.owned)
        page = self.view(f"/plans/{plan}", "/plans/[id]")
        if page is None:
            return
        forms = [f for f in (action_form(page, t) for t in self.role.triggers) if f is not None]
        if not forms:
            return  # not in a state this user acts on: someone else's turn
        form = random.choice(forms)
        if form["trigger"] == "return":
            form["comment"] = RETURN_COMMENT
        with self.client.post(
            f"/plans/{plan}/transition",
            data=urlencode(form),
            headers=FORM,
            name=f"/plans/[id]/transition ({form['trigger']})",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            target = answer.headers.get("location", "") if answer.headers else ""
            if answer.status_code != 303 or urlsplit(target).path != f"/plans/{plan}":
                answer.failure(f"plan {plan} {form['trigger']}: status {answer.status_code}")
                return
        # The browser follows the redirect: the plan page with its "done" message.
        self.view(f"/plans/{plan}", "/plans/[id]")


# Mostly reading, some acting. District roles have no dashboard (403): their plan pages show
# their figures.
class DistrictOfficial(Official):
    roles = DISTRICT_ROLES
    slots = itertools.count()
    weight = 1
    tasks = {
        Official.tasks_page: 4,
        Official.plan_page: 4,
        Official.plan_list: 2,
        Official.reports: 1,
        Official.act: 3,
    }


class ProvincialReviewer(Official):
    roles = PROVINCIAL_ROLES
    slots = itertools.count()
    abstract = not PROVINCIAL_ROLES  # fewer than three users: none
    fixed_count = len(PROVINCIAL_ROLES)
    tasks = {
        Official.tasks_page: 3,
        Official.plan_page: 3,
        Official.plan_list: 2,
        Official.dashboard: 2,
        Official.reports: 1,
        Official.act: 3,
    }

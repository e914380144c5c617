"""The objects the route matrix fills route arguments from: the same set in district 6301
("own": the district of the test users) and in 6304 ("other"), plus a few global rows.

Objects a successful request would destroy (an attachment, an agency, a role assignment, a
calendar override) exist in spare copies used only by the route that destroys them, so the
order in which routes are requested does not matter.

Every column of the matrix (columns.py: each role the definitions declare, the partner, the
admin) gets the user it signs in as: a user of the test data (factories.standard_users)
holding exactly that role where the column says, or, for a role that has none (a role just
added to a definition), one created here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from workflow_app.accounts import delegations
from workflow_app.accounts import tokens as api_tokens
from workflow_app.accounts.models import User, wita_today
from workflow_app.accounts.system import system_user
from workflow_app.admin.directory import add_agency
from workflow_app.cases.models import DeclaredCase
from workflow_app.cases.operations import open_case
from workflow_app.deadlines.calendar_store import current_calendar
from workflow_app.deadlines.models import CalendarOverride
from workflow_app.deadlines.operations import add_holiday
from workflow_app.extensions import db
from workflow_app.firing import fire
from workflow_app.monitoring import operations as reports
from workflow_app.monitoring.evidence import forget_written_files
from workflow_app.monitoring.models import ProgressReport
from workflow_app.monitoring.quarters import Quarter
from workflow_app.notifications.models import Notification
from workflow_app.plans.models import ActionPlan
from workflow_app.reviews.operations import add_comment as add_review_comment

from .. import factories
from .columns import OTHER_DISTRICT, OWN_DISTRICT
from .expectations import COLUMNS

OWN, OTHER = OWN_DISTRICT, OTHER_DISTRICT
DECLARED_KIND = "sk_pokja"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Side:
    """One district's objects, by the name a route argument is filled from."""

    code: str
    ids: dict[str, int] = field(default_factory=dict)


@dataclass
class Dataset:
    own: Side
    other: Side
    shared: dict[str, int]
    users: dict[str, User]
    # The user each signed-in column of the matrix signs in as, by role.
    holders: dict[str, str] = field(default_factory=dict)

    def side(self, target: str) -> Side:
        return self.own if target == "own" else self.other


def _district_side(users: dict[str, User], code: str) -> Side:
    people = factories.district_people(users, code)
    drafter = people["drafter"]
    side = Side(code)
    draft = factories.complete_plan(drafter, code, title=f"Draf {code}")
    side.ids["draft"] = draft.id
    side.ids["draft_activity"] = draft.activities[0].id
    # Acted on by the matrix's real transition: a plan of its own so nothing else moves.
    spare_draft = factories.complete_plan(drafter, code, title=f"Cadangan {code}")
    side.ids["spare_draft"] = spare_draft.id
    side.ids["api_draft"] = factories.complete_plan(drafter, code, title=f"API {code}").id

    monitored = factories.complete_plan(drafter, code, title=f"Pantau {code}")
    for who, trigger in (
        ("drafter", "submit"),
        ("reviewer", "forward"),
        ("provincial", "approve"),
        ("provincial", "start_monitoring"),
    ):
        factories.ops.transition(people[who], monitored, trigger)
    side.ids["monitored"] = monitored.id
    side.ids["monitored_activity"] = monitored.activities[0].id
    # The district's fourth plan: its period (and so its reports' year) lies after the others'.
    year = 2026 + factories.shift(monitored)

    # A verified report (TW II) with evidence, and a due one (TW III) that can still change.
    verified = reports.open_report(system_user(), monitored, Quarter(year, 2), current_calendar())
    assert verified is not None
    side.ids["verified_attachment"] = reports.add_attachment(
        drafter, verified, line_id=None, filename="bukti.pdf", data=PDF
    ).id
    reports.save_report(
        drafter,
        verified,
        expected_version=None,
        lines=[reports.LineData(verified.lines[0].activity_id, Decimal(20), 100_000_000)],
        indicator_values=None,
    )
    reports.report_transition(drafter, verified, "submit")
    reports.report_transition(people["provincial"], verified, "verify")
    side.ids["verified"] = verified.id

    due = reports.open_report(system_user(), monitored, Quarter(year, 3), current_calendar())
    assert due is not None
    side.ids["due"] = due.id
    for name in ("due_attachment", "spare_attachment"):
        side.ids[name] = reports.add_attachment(
            drafter, due, line_id=None, filename=f"{name}.pdf", data=PDF
        ).id

    spare_report = reports.open_report(
        system_user(), monitored, Quarter(year, 4), current_calendar()
    )
    assert spare_report is not None
    side.ids["spare_report"] = spare_report.id
    api_report = reports.open_report(system_user(), monitored, Quarter(year, 1), current_calendar())
    assert api_report is not None
    reports.save_report(
        drafter,
        api_report,
        expected_version=None,
        lines=[reports.LineData(api_report.lines[0].activity_id, Decimal(5), 10_000_000)],
        indicator_values=None,
    )
    side.ids["api_report"] = api_report.id

    # Admin pages: a user of the district whose role can be taken away, an unused agency.
    spare = factories.user(f"spare.{code}", ("district_drafter", code))
    side.ids["user"] = spare.id
    side.ids["assignment"] = spare.roles[0].id
    side.ids["agency"] = add_agency(users["admin"], factories.regions()[code], "Spare", "Spare")

    # A decree of the kind declared as data (sk_pokja.yaml), with its signed file, and a
    # spare one the matrix withdraws for real.
    region = factories.regions()[code]
    side.ids["case_kind"] = DECLARED_KIND
    side.ids["dak_kind"] = factories.DAK_KIND
    side.ids["decree_file"] = "signed_decree"
    decree = open_case(
        drafter,
        DECLARED_KIND,
        region,
        {"decree_kind": "formation", "decree_number": f"SK/{code}"},
        {"signed_decree": FileStorage(io.BytesIO(PDF), "sk.pdf")},
    )
    side.ids["decree"] = decree.id
    side.ids["spare_decree"] = open_case(drafter, DECLARED_KIND, region, {}).id
    # A DAK proposal waiting for its agencies' sign-off: the matrix's Pokja member of 6301 is
    # asked, and an agency of the district's own in each district.
    factories.user(f"pokja.matrix.{code}", ("pokja_member", code))
    signing = factories.dak_proposal(drafter, code)
    fire(drafter, signing, "submit")
    side.ids["signing"] = signing.id
    api_signing = factories.dak_proposal(drafter, code)
    fire(drafter, api_signing, "submit")
    side.ids["api_signing"] = api_signing.id

    # A personal API token of the district's drafter (not the one the matrix calls with).
    spare_token = api_tokens.issue_token(drafter, "cadangan")
    side.ids["token"] = spare_token.token.id

    # A delegation from the district head to the reviewer, starting next month: the parties
    # see it, nobody acts under it yet (so it changes no other route's answer).
    head = users["head"] if code == OWN else factories.user(f"head.{code}", ("district_head", code))
    start = wita_today() + timedelta(days=30)
    side.ids["delegation"] = delegations.create_delegation(
        users["admin"],
        delegator=head,
        delegate=people["reviewer"],
        role="district_head",
        region=factories.regions()[code],
        starts_on=start,
        ends_on=start + timedelta(days=10),
    ).id
    # A later one of the same two, for the API's route to end (the web's route ends the first).
    side.ids["api_delegation"] = delegations.create_delegation(
        users["admin"],
        delegator=head,
        delegate=people["reviewer"],
        role="district_head",
        region=factories.regions()[code],
        starts_on=start + timedelta(days=20),
        ends_on=start + timedelta(days=25),
    ).id
    _commented_plans(side, people, code)
    return side


def _commented_plans(side: Side, people: dict[str, User], code: str) -> None:
    """A plan returned with a review comment open ("returned"), and one submitted again after
    its return ("resubmitted", back in district review): the threads' routes act on their
    comments."""
    drafter, reviewer = people["drafter"], people["reviewer"]
    for name, again in (("returned", False), ("resubmitted", True)):
        plan = factories.complete_plan(drafter, code, title=f"Komentar {name} {code}")
        factories.ops.transition(drafter, plan, "submit")
        comment = add_review_comment(reviewer, plan, "plan", None, "Lengkapi data dasar")
        factories.ops.transition(reviewer, plan, "return", comment="Lihat komentar")
        if again:
            factories.ops.transition(drafter, plan, "submit")
        side.ids[name] = plan.id
        side.ids[f"{name}_comment"] = comment.id


def holders(users: dict[str, User]) -> dict[str, str]:
    """role -> the username of the matrix's user for that column: the first of `users` who
    holds that role, and only it, in the column's region; created if there is none."""
    found = {}
    for column in COLUMNS:
        if column.region is None:  # the anonymous visitor
            continue
        wanted = {(column.role, column.region)}
        holder = next(
            (
                user
                for user in users.values()
                if {(a.role, a.region.code) for a in user.roles} == wanted
            ),
            None,
        )
        if holder is None:
            holder = factories.user(f"{column.role}.{column.region}", (column.role, column.region))
        found[column.role] = holder.username
    return found


def build(users: dict[str, User]) -> Dataset:
    people = holders(users)
    own = _district_side(users, OWN)
    other = _district_side(users, OTHER)
    own.ids["agency"] = _agency_id(own.ids["agency"])
    other.ids["agency"] = _agency_id(other.ids["agency"])
    add_holiday(users["admin"], _next_weekday(date(2030, 1, 2)), "Libur uji")
    db.session.commit()
    forget_written_files(delete=False)  # the evidence files are stored for good now
    for side in (own, other):  # the versions a form must carry, once everything is stored
        for name in ("spare_draft", "api_draft"):
            side.ids[f"{name}_version"] = db.session.get(ActionPlan, side.ids[name]).version
        for name in ("spare_report", "api_report"):
            report = db.session.get(ProgressReport, side.ids[name])
            side.ids[f"{name}_version"] = report.version
        side.ids["spare_decree_version"] = db.session.get(
            DeclaredCase, side.ids["spare_decree"]
        ).version
    shared = {
        "override": db.session.scalar(select(CalendarOverride.id)),
        "notification": db.session.scalar(select(Notification.id).order_by(Notification.id)),
    }
    assert all(shared.values()), shared
    return Dataset(own=own, other=other, shared=shared, users=users, holders=people)


def _agency_id(agency: object) -> int:
    return agency.id  # type: ignore[attr-defined]


def _next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day

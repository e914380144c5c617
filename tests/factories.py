"""Test data: regions, users with roles, plans in a given state (through the operations)."""

from __future__ import annotations

import io
from decimal import Decimal
from functools import cache

from workflow_app.accounts.models import RoleAssignment, User, password_hasher
from workflow_app.cases.models import DeclaredCase
from workflow_app.cases.operations import open_case
from workflow_app.extensions import db
from workflow_app.plans import live_period
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.regions.models import Agency, Region
from workflow_app.regions.operations import ensure_regions

PASSWORD = "uji-coba-sandi-2026"


@cache
def _password_hash() -> str:
    # argon2 is deliberately slow: the shared test password is hashed once per session, with
    # the app's own parameters so that no login in the tests has to hash it again.
    return password_hasher.hash(PASSWORD)


def regions() -> dict[str, Region]:
    return ensure_regions()


def user(
    username: str,
    *roles: tuple[str, str],
    language: str = "id",
    by_code: dict[str, Region] | None = None,
    flush: bool = True,
) -> User:
    """A user holding each (role, region code) given; `by_code` is regions() when the caller
    has it already, and `flush=False` leaves the INSERT to the caller's next flush."""
    by_code = regions() if by_code is None else by_code
    account = User(
        username=username,
        full_name=username.replace(".", " ").title(),
        email=f"{username}@example.test",
        password_hash=_password_hash(),
        language=language,
    )
    for role, code in roles:
        account.roles.append(RoleAssignment(role=role, region=by_code[code]))
    db.session.add(account)
    if flush:
        db.session.flush()
    return account


def standard_users(code: str = "6301", other: str = "6304") -> dict[str, User]:
    """One user per role in district `code`, the province, and a drafter of `other`."""
    # Nearly every test starts here: the regions are read once and the users written in one
    # flush (in the order given, so their ids are those of one flush per user).
    by_code = regions()
    people = [
        ("drafter", f"drafter.{code}", ("district_drafter", code)),
        ("reviewer", f"reviewer.{code}", ("district_reviewer", code)),
        ("head", f"head.{code}", ("district_head", code)),
        ("provincial", "provincial.63", ("provincial_reviewer", "63")),
        ("provincial_head", "head.63", ("provincial_head", "63")),
        ("partner", "mitra.demo", ("partner", code)),
        ("admin", "admin", ("admin", "63")),
        ("other_drafter", f"drafter.{other}", ("district_drafter", other)),
        ("other_reviewer", f"reviewer.{other}", ("district_reviewer", other)),
    ]
    accounts = {
        key: user(username, role, by_code=by_code, flush=False) for key, username, role in people
    }
    db.session.flush()
    return accounts


def agency(code: str, short_name: str = "Dinas PUPR") -> Agency:
    region = regions()[code]
    return db.session.scalars(
        db.select(Agency).where(Agency.region_id == region.id, Agency.short_name == short_name)
    ).one()


# Plans of one district may not share a year while live (plans/live_period.py): a new plan
# gets the first five-year period from FIRST_PERIOD on that no live plan of its district covers,
# unless the test asks for a period. Its contents move with it (all years shifted alike).
FIRST_PERIOD = (2025, 2029)


def free_period(code: str = "6301") -> tuple[int, int]:
    """The first period from FIRST_PERIOD on, in steps of five years, that no live plan of
    district `code` covers."""
    region = regions()[code]
    start, end = FIRST_PERIOD
    while live_period.holder(region, start, end) is not None:
        start, end = start + 5, end + 5
    return start, end


def shift(plan: ActionPlan) -> int:
    """How many years `plan`'s period lies after FIRST_PERIOD (its contents moved as much)."""
    return plan.period_start - FIRST_PERIOD[0]


def complete_plan(
    drafter: User,
    code: str = "6301",
    title: str = "Rencana Aksi",
    *,
    period: tuple[int, int] | None = None,
) -> ActionPlan:
    """A draft that passes the submission guard: one funded activity with an agency and one
    indicator with a baseline and a target for every year. In 2025–2029 (the baseline in 2024,
    the activity 2026–2029, funded in 2026) unless that is taken or `period` says otherwise."""
    start, end = period or free_period(code)
    offset = start - FIRST_PERIOD[0]
    plan = ops.create_plan(
        drafter, regions()[code], title=title, period_start=start, period_end=end
    )
    ops.replace_challenges(
        drafter, plan, expected_version=None, descriptions=["Cakupan LLTT masih rendah"]
    )
    ops.replace_indicators(
        drafter,
        plan,
        expected_version=None,
        indicators=[
            ops.IndicatorData(
                name="% rumah tangga dengan akses sanitasi aman",
                unit="%",
                baseline_year=start - 1,
                baseline_value=Decimal("6.0"),
                targets={
                    year: Decimal(3 * (year - offset - 2023)) for year in range(start, end + 1)
                },
            )
        ],
    )
    first_year = min(start + 1, end)
    ops.add_activity(
        drafter,
        plan,
        expected_version=None,
        data=ops.ActivityData(
            sub_sector="wastewater",
            activity_type="lltt",
            title="Layanan LLTT",
            location="Pelaihari",
            volume=Decimal(1200),
            unit="tangki septik/tahun",
            agency_id=agency(code).id,
            start_year=first_year,
            end_year=end,
            funding=[ops.FundingData(year=first_year, source="apbd_district", amount=850_000_000)],
        ),
    )
    return plan


def plan_in_state(
    users: dict[str, User],
    state: str,
    code: str = "6301",
    *,
    period: tuple[int, int] | None = None,
) -> ActionPlan:
    """A complete plan (of `period`, else the first free one) moved through the real operation
    to `state`."""
    paths = {
        "draft": [],
        "district_review": [("drafter", "submit", None)],
        "provincial_sync": [("drafter", "submit", None), ("reviewer", "forward", None)],
        "returned": [("drafter", "submit", None), ("reviewer", "return", "Lengkapi baseline")],
        "approved": [
            ("drafter", "submit", None),
            ("reviewer", "forward", None),
            ("provincial", "approve", None),
        ],
        "monitored": [
            ("drafter", "submit", None),
            ("reviewer", "forward", None),
            ("provincial", "approve", None),
            ("provincial", "start_monitoring", None),
        ],
        "closed": [
            ("drafter", "submit", None),
            ("reviewer", "forward", None),
            ("provincial", "approve", None),
            ("provincial", "start_monitoring", None),
            ("provincial_head", "close", None),
        ],
        "withdrawn": [("drafter", "withdraw", None)],
    }
    plan = complete_plan(users["drafter"], code, period=period)
    for who, trigger, comment in paths[state]:
        ops.transition(users[who], plan, trigger, comment=comment)
    db.session.commit()
    return plan


def plan_with_activities(
    drafter: User, code: str = "6301", title: str = "Rencana Aksi", *, activities: int = 3
) -> ActionPlan:
    """A complete plan whose activities vary everything an export must carry: several funding
    lines and sources, a decimal volume, a provincial agency, no agency, and no funding (in
    2025–2028 when the plan has the first period; moved with its period otherwise)."""
    plan = complete_plan(drafter, code, title)
    y = shift(plan)
    specs = [
        ops.ActivityData(
            sub_sector="wastewater",
            activity_type="spald_s",
            title="SPALD-S untuk 300 rumah tangga",
            location="Desa Ambungan, Kec. Pelaihari",
            volume=Decimal("300.5"),
            unit="RT",
            agency_id=agency(code, "Dinas Perkim").id,
            start_year=2026 + y,
            end_year=2027 + y,
            funding=[
                ops.FundingData(year=2026 + y, source="dak", amount=1_350_000_000),
                ops.FundingData(year=2026 + y, source="swadaya", amount=90_000_000),
                ops.FundingData(year=2027 + y, source="apbd_district", amount=125_500_000),
            ],
        ),
        ops.ActivityData(
            sub_sector="solid_waste",
            activity_type="study_ded",
            title="DED TPST kabupaten",
            location="Kec. Bati-Bati",
            volume=None,
            unit="",
            agency_id=agency("63", "Dinas PUPR Provinsi").id,
            start_year=2025 + y,
            end_year=2025 + y,
            funding=[ops.FundingData(year=2025 + y, source="apbd_province", amount=400_000_000)],
        ),
        ops.ActivityData(
            sub_sector="hygiene",
            activity_type="regulation",
            title="Perbup air limbah domestik",
            location="Kabupaten",
            volume=Decimal(1),
            unit="perbup",
            agency_id=None,
            start_year=2027 + y,
            end_year=2028 + y,
            funding=[],
        ),
    ]
    for data in specs[: max(0, activities)]:
        ops.add_activity(drafter, plan, expected_version=None, data=data)
    return plan


# For the monitoring factory below (added after the others, so imported here).
from workflow_app.accounts.system import system_user  # noqa: E402
from workflow_app.deadlines.calendar_store import current_calendar  # noqa: E402
from workflow_app.monitoring.models import ProgressReport  # noqa: E402
from workflow_app.monitoring.operations import open_report  # noqa: E402
from workflow_app.monitoring.quarters import Quarter  # noqa: E402


def monitored_plan_with_report(
    users: dict[str, User], quarter: Quarter | None = None, code: str = "6301"
) -> tuple[ActionPlan, ProgressReport]:
    """A monitored plan and its open (due) report for `quarter` (default: TW III 2026, or of
    the plan's second year when its period is not the first), opened by the system account as
    the monitoring round would, and committed."""
    plan = plan_in_state(users, "monitored", code)
    quarter = quarter or Quarter(2026 + shift(plan), 3)
    report = open_report(system_user(), plan, quarter, current_calendar())
    assert report is not None
    db.session.commit()
    return plan, report


# For the dashboard: plans with filled-in quarterly reports, in any district.
from workflow_app.monitoring import operations as report_ops  # noqa: E402


def district_people(users: dict[str, User], code: str) -> dict[str, User]:
    """`users` (from standard_users) with a drafter and a reviewer of district `code` in their
    places, created on first use."""
    if code == "6301":
        return users
    if code == "6304":
        return dict(users, drafter=users["other_drafter"], reviewer=users["other_reviewer"])
    people = {}
    for key, role in (("drafter", "district_drafter"), ("reviewer", "district_reviewer")):
        username = f"{key}.{code}"
        found = db.session.scalar(db.select(User).where(User.username == username))
        people[key] = found or user(username, (role, code))
    return dict(users, **people)


def reported_plan(
    users: dict[str, User],
    code: str = "6301",
    *,
    quarter: Quarter | None = None,
    figures: tuple[tuple[Decimal | None, int | None], ...] = ((Decimal(45), 540_000_000),),
    hygiene_budget: int | None = None,
    safe_sanitation: Decimal | None = None,
    report_state: str = "submitted",
) -> tuple[ActionPlan, ProgressReport]:
    """A monitored plan of district `code` and its report for `quarter` (default TW III 2026)
    in `report_state` (due, submitted or verified), committed.

    The plan has the LLTT activity of `complete_plan` (2026 budget Rp850.000.000) and, with
    `hygiene_budget`, a hygiene (STBM) activity with that budget in 2026. `figures` gives
    (physical %, money spent) per activity in that order; `safe_sanitation` the indicator's
    achieved value. A plan whose district has a live plan in 2025–2029 already gets the next
    free period, its years (and the default quarter) moved with it."""
    people = district_people(users, code)
    drafter = people["drafter"]
    plan = complete_plan(drafter, code)
    y = shift(plan)
    if hygiene_budget is not None:
        ops.add_activity(
            drafter,
            plan,
            expected_version=None,
            data=ops.ActivityData(
                sub_sector="hygiene",
                activity_type="stbm",
                title="Pemicuan STBM 15 desa",
                location="Kabupaten",
                volume=Decimal(15),
                unit="desa",
                agency_id=agency(code, "Dinkes").id,
                start_year=2026 + y,
                end_year=2027 + y,
                funding=[ops.FundingData(year=2026 + y, source="dana_desa", amount=hygiene_budget)],
            ),
        )
    for who, trigger in (
        ("drafter", "submit"),
        ("reviewer", "forward"),
        ("provincial", "approve"),
        ("provincial", "start_monitoring"),
    ):
        ops.transition(people[who], plan, trigger)
    quarter = quarter or Quarter(2026 + y, 3)
    report = open_report(system_user(), plan, quarter, current_calendar())
    assert report is not None
    if report_state != "due":
        lines = [
            report_ops.LineData(line.activity_id, physical, spent)
            for line, (physical, spent) in zip(report.lines, figures, strict=False)
        ]
        indicator = plan.indicators[0]
        report_ops.save_report(
            drafter,
            report,
            expected_version=None,
            lines=lines,
            indicator_values={indicator.id: safe_sanitation} if safe_sanitation else None,
        )
        report_ops.report_transition(drafter, report, "submit")
        if report_state == "verified":
            report_ops.report_transition(people["provincial"], report, "verify")
    db.session.commit()
    return plan, report


# Personal API tokens (the JSON API at /api/v1).
from workflow_app.accounts import tokens as api_tokens  # noqa: E402


def api_token(account: User, name: str = "test script", *, days: int | None = None) -> str:
    """A new API token of `account`, committed; returns the secret to send as Bearer."""
    issued = api_tokens.issue_token(account, name, days=days)
    db.session.commit()
    return issued.secret


DAK_KIND = "dak_sanitation"
MINIMAL_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
POKJA_AGENCIES = ("PUPR", "DLH", "Dinkes")


def pokja_members(code: str = "6301") -> list[User]:
    """One account per agency of the district's Pokja, holding the sign-off role there."""
    members = []
    for agency_name in POKJA_AGENCIES:
        member = user(f"pokja.{agency_name.lower()}.{code}", ("pokja_member", code))
        member.full_name = f"Pokja {agency_name} {code}"
        members.append(member)
    db.session.flush()
    return members


def dak_proposal(drafter: User, code: str = "6301", year: int = 2027) -> DeclaredCase:
    """A complete DAK proposal in draft, linked to a complete plan of the district."""
    from werkzeug.datastructures import FileStorage

    plan = complete_plan(drafter, code, title=f"Rencana Aksi {code}")
    files = {
        name: FileStorage(io.BytesIO(MINIMAL_PDF), f"{name}.pdf")
        for name in ("land_statement", "detailed_design", "operator_commitment")
    }
    typed = {
        "year": year,
        "action_plan": plan.id,
        "activities": [
            {
                "sub_sector": "wastewater",
                "activity_type": "septic_individual",
                "location": "Desa Atu-Atu",
                "volume": Decimal("120"),
                "unit": "unit",
                "unit_cost": 9_500_000,
                "total": 1_140_000_000,
            }
        ],
        "proposed_total": 1_140_000_000,
    }
    return open_case(drafter, DAK_KIND, regions()[code], typed, files)

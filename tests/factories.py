"""Test data: regions, users with roles, plans in a given state (through the operations)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from argon2 import PasswordHasher

from workflow_app.accounts.models import RoleAssignment, User
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.regions.models import Agency, Region
from workflow_app.regions.operations import ensure_regions

PASSWORD = "uji-coba-sandi-2026"


@cache
def _password_hash() -> str:
    # argon2 is deliberately slow. Verification reads its cost from the hash itself, so a
    # cheaply made hash of the shared test password keeps every login in the tests fast.
    return PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)


def regions() -> dict[str, Region]:
    return ensure_regions()


def user(username: str, *roles: tuple[str, str], language: str = "id") -> User:
    """A user holding each (role, region code) given."""
    by_code = regions()
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
    db.session.flush()
    return account


def standard_users(code: str = "6301", other: str = "6304") -> dict[str, User]:
    """One user per role in district `code`, the province, and a drafter of `other`."""
    return {
        "drafter": user(f"drafter.{code}", ("district_drafter", code)),
        "reviewer": user(f"reviewer.{code}", ("district_reviewer", code)),
        "head": user(f"head.{code}", ("district_head", code)),
        "provincial": user("provincial.63", ("provincial_reviewer", "63")),
        "provincial_head": user("head.63", ("provincial_head", "63")),
        "partner": user("mitra.demo", ("partner", code)),
        "admin": user("admin", ("admin", "63")),
        "other_drafter": user(f"drafter.{other}", ("district_drafter", other)),
        "other_reviewer": user(f"reviewer.{other}", ("district_reviewer", other)),
    }


def agency(code: str, short_name: str = "Dinas PUPR") -> Agency:
    region = regions()[code]
    return db.session.scalars(
        db.select(Agency).where(Agency.region_id == region.id, Agency.short_name == short_name)
    ).one()


def complete_plan(drafter: User, code: str = "6301", title: str = "Rencana Aksi") -> ActionPlan:
    """A draft that passes the submission guard: one funded activity with an agency and one
    indicator with a baseline and a target for every year."""
    plan = ops.create_plan(
        drafter, regions()[code], title=title, period_start=2025, period_end=2029
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
                baseline_year=2024,
                baseline_value=Decimal("6.0"),
                targets={year: Decimal(3 * (year - 2023)) for year in range(2025, 2030)},
            )
        ],
    )
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
            start_year=2026,
            end_year=2029,
            funding=[ops.FundingData(year=2026, source="apbd_district", amount=850_000_000)],
        ),
    )
    return plan


def plan_in_state(users: dict[str, User], state: str, code: str = "6301") -> ActionPlan:
    """A complete plan moved through the real operation to `state`."""
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
    plan = complete_plan(users["drafter"], code)
    for who, trigger, comment in paths[state]:
        ops.transition(users[who], plan, trigger, comment=comment)
    db.session.commit()
    return plan

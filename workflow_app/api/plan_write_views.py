"""/api/v1 writes on an action plan: create one, change its header, challenges, indicators and
activities, each through the operation the web's page calls (plans/operations.py) in one unit
of work, on the version the caller read (409 stale if the plan changed since). Its files (the
exports, the import template, the activity import) are in plan_file_views.py.

Refusals as on the web: a plan the caller may not see is 404; one they see but may not edit
403 (the partner, the province, the district's reviewer); one not editable in its state 409
invalid_state. What the forms check next to a field (a year outside the period, an agency of
another region, a value beyond its unit's bounds) is 400 validation_error naming the field;
the operation's own refusals name the fields they concern: funding beyond its caps (400,
`funding`), a period another live plan of the district holds (409 conflict, the period)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal

from flask import Response, url_for
from pydantic import ValidationError
from pydantic_core import InitErrorDetails
from sqlalchemy import select

from ..accounts.models import User
from ..engine import InvalidInput, OutOfScope, RoleNotAllowed, StaleObject
from ..extensions import db
from ..number_input import NumberError, NumberKind, check_number
from ..plans import access, funding, operations
from ..plans.forms import VOLUME
from ..plans.models import PLAN_KIND_NAME, ActionPlan, Activity
from ..plans.vocabulary import indicator_value_kind
from ..regions.models import Region
from ..spreadsheets import layout
from ..unit_of_work import STALE_MESSAGE, unit_of_work
from ..workflows import roles
from . import case_views, serialize
from . import plan_write_schemas as w
from . import schemas as s
from .auth import api_user
from .blueprint import created, endpoint
from .errors import ApiError

TAG = "plans"
PLAN = "/plans/<int:plan_id>"
ACTIVITY = PLAN + "/activities/<int:activity_id>"
WRITE_ERRORS = case_views.WRITE_ERRORS
READ_ERRORS = case_views.READ_ERRORS


def invalid(fields: dict[str, list[str]]) -> ValidationError:
    """Rules the document cannot state (a year of the plan's period, an agency of its region,
    the funding caps, a body that is not a workbook) refused as pydantic refuses a rule stated
    in a validator: 400 validation_error naming each field (a path such as funding.0.year),
    each message led by "Value error, "."""
    return ValidationError.from_exception_data(
        "request",
        [
            InitErrorDetails(
                type="value_error",
                loc=tuple(int(part) if part.isdigit() else part for part in path.split(".")),
                input=None,
                ctx={"error": message},
            )
            for path, messages in fields.items()
            for message in messages
        ],
    )


@contextmanager
def refused_as(names: Sequence[str], *, conflict: bool = False) -> Iterator[None]:
    """An operation's InvalidInput as 400 validation_error (409 conflict: it is about other
    contents or plans, not the request alone) naming the fields `names`."""
    try:
        yield
    except InvalidInput as exc:
        fields = {name: [exc.message] for name in names}
        if conflict:
            raise ApiError(409, "conflict", exc.message, fields=fields) from None
        raise invalid(fields) from None


def editable_plan(plan_id: int, version: int) -> tuple[User, ActionPlan]:
    """The caller and the plan, if they may edit it now (404, 403, 409 invalid_state) on the
    version they read (409 stale): refused before its contents are looked at."""
    user, plan = case_views.find(PLAN_KIND_NAME, plan_id)
    operations.check_editable(user, plan)
    if version != plan.version:
        raise StaleObject(STALE_MESSAGE)
    return user, plan


def plan_detail(user: User, plan: ActionPlan) -> s.PlanDetail:
    """The plan as GET /plans/{id} answers it."""
    return serialize.plan_detail(user, plan)


def _number(text: str | None, kind: NumberKind, where: str, fields: dict[str, list[str]]) -> None:
    """Hold `text` to `kind` as the form holds what is typed; a problem is put under `where`."""
    if text is None:
        return
    try:
        check_number(Decimal(text), kind)
    except NumberError as exc:
        fields.setdefault(where, []).append(str(exc))


def _in_period(plan: ActionPlan, year: int) -> str | None:
    if plan.period_start <= year <= plan.period_end:
        return None
    return f"choose a year between {plan.period_start} and {plan.period_end}"


# --- a new plan and its header ------------------------------------------------------------------


def _creation_region(user: User, code: str | None) -> Region:
    """The district asked for, or the caller's only one; whether they may create a plan there
    is the operation's rule (403)."""
    if code is not None:
        region = db.session.scalar(select(Region).where(Region.code == code))
        if region is None:
            raise invalid({"region": ["no region has this code"]})
        return region
    regions = access.creation_regions(user)
    if not regions:
        creator = roles().label(access.creator_role(), "en")
        raise RoleNotAllowed(f"only a {creator} may create plans")
    if len(regions) > 1:
        choices = ", ".join(r.code for r in regions)
        raise invalid({"region": [f"give the district, one of {choices}"]})
    return regions[0]


@endpoint(
    "POST",
    "/plans",
    summary="Create a plan (the district drafter, in their district) in its workflow's first "
    "state; answers it as GET does, with its address in Location.",
    tag=TAG,
    body=w.PlanCreateRequest,
    response=s.PlanDetail,
    status=201,
    errors=(400, 401, 403, 409, 415),
)
def create_plan(body: w.PlanCreateRequest) -> Response:
    user = api_user()
    region = _creation_region(user, body.region)
    with refused_as(("period_start", "period_end"), conflict=True), unit_of_work():
        plan = operations.create_plan(
            user,
            region,
            title=body.title,
            period_start=body.period_start,
            period_end=body.period_end,
        )
    return created(plan_detail(user, plan), url_for("api.plan_detail", plan_id=plan.id))


@endpoint(
    "PUT",
    PLAN + "/header",
    summary="Change the plan's title and period.",
    tag=TAG,
    body=w.PlanHeaderRequest,
    response=s.PlanDetail,
    errors=WRITE_ERRORS,
)
def update_plan_header(plan_id: int, body: w.PlanHeaderRequest) -> s.PlanDetail:
    with refused_as(("period_start", "period_end"), conflict=True), unit_of_work():
        user, plan = editable_plan(plan_id, body.version)
        operations.update_header(
            user,
            plan,
            expected_version=body.version,
            title=body.title,
            period_start=body.period_start,
            period_end=body.period_end,
        )
    return plan_detail(user, plan)


# --- challenges and indicators ------------------------------------------------------------------


@endpoint(
    "PUT",
    PLAN + "/challenges",
    summary="Replace the plan's challenges.",
    tag=TAG,
    body=w.ChallengesRequest,
    response=s.PlanDetail,
    errors=WRITE_ERRORS,
)
def replace_plan_challenges(plan_id: int, body: w.ChallengesRequest) -> s.PlanDetail:
    with unit_of_work():
        user, plan = editable_plan(plan_id, body.version)
        operations.replace_challenges(
            user, plan, expected_version=body.version, descriptions=body.items
        )
    return plan_detail(user, plan)


def _indicators(plan: ActionPlan, items: list[w.IndicatorIn]) -> list[operations.IndicatorData]:
    """The indicators as the operation takes them, or 400 naming every field outside the
    plan's years or its unit's bounds (a percentage is 0–100)."""
    fields: dict[str, list[str]] = {}
    for i, item in enumerate(items):
        kind = indicator_value_kind(item.unit)
        where = f"items.{i}"
        if item.baseline_year is not None and item.baseline_year > plan.period_end:
            fields[f"{where}.baseline_year"] = [f"at the latest {plan.period_end}"]
        _number(item.baseline_value, kind, f"{where}.baseline_value", fields)
        for j, target in enumerate(item.targets):
            reason = _in_period(plan, target.year)
            if reason:
                fields[f"{where}.targets.{j}.year"] = [reason]
            _number(target.value, kind, f"{where}.targets.{j}.value", fields)
    if fields:
        raise invalid(fields)
    return [
        operations.IndicatorData(
            name=item.name.strip(),
            unit=item.unit.strip(),
            baseline_year=item.baseline_year,
            baseline_value=w.to_decimal(item.baseline_value),
            targets={t.year: Decimal(t.value) for t in item.targets},
        )
        for item in items
    ]


@endpoint(
    "PUT",
    PLAN + "/indicators",
    summary="Replace the plan's indicators and their targets.",
    tag=TAG,
    body=w.IndicatorsRequest,
    response=s.PlanDetail,
    errors=WRITE_ERRORS,
)
def replace_plan_indicators(plan_id: int, body: w.IndicatorsRequest) -> s.PlanDetail:
    with refused_as(("items",)), unit_of_work():
        user, plan = editable_plan(plan_id, body.version)
        indicators = _indicators(plan, body.items)
        operations.replace_indicators(
            user, plan, expected_version=body.version, indicators=indicators
        )
    return plan_detail(user, plan)


# --- activities ---------------------------------------------------------------------------------


def _activity_data(plan: ActionPlan, body: w.ActivityRequest) -> operations.ActivityData:
    """The activity as the operation takes it, or 400 naming every field the web's form would
    mark: years outside the plan's period or the activity's schedule, an agency of another
    region, a volume beyond its bounds."""
    fields: dict[str, list[str]] = {}
    for name in ("start_year", "end_year"):
        reason = _in_period(plan, getattr(body, name))
        if reason:
            fields[name] = [reason]
    agencies = {agency.id for agency in layout.plan_agencies(plan)}
    if body.agency_id is not None and body.agency_id not in agencies:
        fields["agency_id"] = ["not an agency of this plan's district or of the province"]
    _number(body.volume, VOLUME, "volume", fields)
    for i, row in enumerate(body.funding):
        reason = _in_period(plan, row.year) or funding.outside_schedule(
            row.year, body.start_year, body.end_year
        )
        if reason:
            fields[f"funding.{i}.year"] = [reason]
    if fields:
        raise invalid(fields)
    return operations.ActivityData(
        sub_sector=body.sub_sector.value,
        activity_type=body.activity_type.value,
        title=body.title.strip(),
        location=body.location.strip(),
        volume=w.to_decimal(body.volume),
        unit=body.unit.strip(),
        agency_id=body.agency_id,
        start_year=body.start_year,
        end_year=body.end_year,
        funding=[
            operations.FundingData(year=row.year, source=row.source.value, amount=row.amount)
            for row in body.funding
        ],
    )


def _activity(plan: ActionPlan, activity_id: int) -> Activity:
    found = next((a for a in plan.activities if a.id == activity_id), None)
    if found is None:
        raise OutOfScope("activity not found")
    return found


def _activity_out(a: Activity) -> s.ActivityOut:
    agency = a.agency
    return s.ActivityOut(
        id=a.id,
        title=a.title,
        sub_sector=a.sub_sector,
        activity_type=a.activity_type,
        location=a.location,
        volume=a.volume,
        unit=a.unit,
        agency=s.AgencyRef(id=agency.id, short_name=agency.short_name, name=agency.name)
        if agency
        else None,
        start_year=a.start_year,
        end_year=a.end_year,
        funding=[s.FundingOut(year=f.year, source=f.source, amount=f.amount) for f in a.funding],
    )


@endpoint(
    "POST",
    PLAN + "/activities",
    summary="Add an activity with its funding (rows of one year and source are added up; "
    "an activity's and a plan's total funding are capped); answers the plan, the activity's "
    "address in Location.",
    tag=TAG,
    body=w.ActivityRequest,
    response=s.PlanDetail,
    status=201,
    errors=WRITE_ERRORS,
)
def add_plan_activity(plan_id: int, body: w.ActivityRequest) -> Response:
    with refused_as(("funding",)), unit_of_work():
        user, plan = editable_plan(plan_id, body.version)
        activity = operations.add_activity(
            user, plan, expected_version=body.version, data=_activity_data(plan, body)
        )
    where = url_for("api.plan_activity", plan_id=plan.id, activity_id=activity.id)
    return created(plan_detail(user, plan), where)


@endpoint(
    "GET",
    ACTIVITY,
    summary="One activity of the plan with its funding.",
    tag=TAG,
    response=s.ActivityOut,
    errors=READ_ERRORS,
)
def plan_activity(plan_id: int, activity_id: int) -> s.ActivityOut:
    _, plan = case_views.find(PLAN_KIND_NAME, plan_id)
    return _activity_out(_activity(plan, activity_id))


@endpoint(
    "PUT",
    ACTIVITY,
    summary="Replace an activity and all its funding.",
    tag=TAG,
    body=w.ActivityRequest,
    response=s.PlanDetail,
    errors=WRITE_ERRORS,
)
def update_plan_activity(plan_id: int, activity_id: int, body: w.ActivityRequest) -> s.PlanDetail:
    with refused_as(("funding",)), unit_of_work():
        user, plan = editable_plan(plan_id, body.version)
        _activity(plan, activity_id)
        operations.update_activity(
            user,
            plan,
            activity_id,
            expected_version=body.version,
            data=_activity_data(plan, body),
        )
    return plan_detail(user, plan)


@endpoint(
    "DELETE",
    ACTIVITY,
    summary="Delete an activity and its funding, on the plan's version (?version=N).",
    tag=TAG,
    query=w.VersionQuery,
    response=s.PlanDetail,
    errors=(400, 401, 403, 404, 409),
)
def delete_plan_activity(plan_id: int, activity_id: int, query: w.VersionQuery) -> s.PlanDetail:
    with unit_of_work():
        user, plan = editable_plan(plan_id, query.version)
        operations.delete_activity(user, plan, activity_id, expected_version=query.version)
    return plan_detail(user, plan)

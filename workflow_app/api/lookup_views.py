"""/api/v1 lookups: regions, agencies, the plans' closed lists, who the caller is, and the
caller's own API tokens (listed, and revoked through accounts.tokens, the one door that
records the act). Regions, agencies and the closed lists are no secret in this product:
every authenticated caller reads them all."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts import tokens
from ..accounts.models import wita_today
from ..api.models import ApiToken
from ..engine.roles import Label
from ..extensions import db
from ..plans.vocabulary import ACTIVITY_TYPES, FUNDING_SOURCES, SUB_SECTORS
from ..regions.models import Agency, Region
from ..spreadsheets.layout import ENGLISH_LABELS
from ..unit_of_work import unit_of_work
from ..workflows import roles
from . import definition_schemas as d
from . import schemas as s
from .auth import api_user
from .blueprint import endpoint
from .errors import ApiError

TAG = "lookups"


@endpoint(
    "GET",
    "/regions",
    summary="The province and its districts (kabupaten/kota), by code.",
    tag=TAG,
    response=d.RegionList,
    errors=(401,),
)
def list_regions() -> d.RegionList:
    regions = db.session.scalars(
        select(Region).options(joinedload(Region.parent)).order_by(Region.code)
    )
    return d.RegionList(
        items=[
            d.RegionOut(
                code=r.code,
                name=r.name,
                kind=r.kind,  # type: ignore[arg-type]
                parent=r.parent.code if r.parent else None,
            )
            for r in regions
        ]
    )


@endpoint(
    "GET",
    "/agencies",
    summary="The agencies (OPD) of every region, or of one (?region=code).",
    tag=TAG,
    query=d.AgencyQuery,
    response=d.AgencyList,
    errors=(400, 401, 404),
)
def list_agencies(query: d.AgencyQuery) -> d.AgencyList:
    selection = select(Agency).join(Agency.region).options(joinedload(Agency.region))
    if query.region is not None:
        if db.session.scalar(select(Region.id).where(Region.code == query.region)) is None:
            raise ApiError(404, "not_found", "no region has this code")
        selection = selection.where(Region.code == query.region)
    agencies = db.session.scalars(selection.order_by(Region.code, Agency.short_name, Agency.id))
    return d.AgencyList(
        items=[
            d.AgencyOut(id=a.id, short_name=a.short_name, name=a.name, region=a.region.code)
            for a in agencies
        ]
    )


def _terms(labels: Mapping[str, object]) -> list[d.Term]:
    """Each code with its label: the Indonesian one, and the English one where it differs
    (an acronym such as APBN is the same in both)."""
    with force_locale("id"):
        indonesian = {code: str(label) for code, label in labels.items()}
    return [
        d.Term(code=code, label=s.Label(id=text, en=ENGLISH_LABELS.get(code, text)))
        for code, text in indonesian.items()
    ]


@endpoint(
    "GET",
    "/vocabularies",
    summary="The closed lists of a plan: sub-sectors, funding sources and activity types.",
    tag=TAG,
    response=d.Vocabularies,
    errors=(401,),
)
def vocabularies() -> d.Vocabularies:
    return d.Vocabularies(
        sub_sectors=_terms(SUB_SECTORS),
        funding_sources=_terms(FUNDING_SOURCES),
        activity_types=_terms(ACTIVITY_TYPES),
    )


def _role_label(role: str) -> s.Label:
    declared = roles().get(role)
    label = declared.label if declared is not None else Label(role, role)
    return s.Label(id=label.id, en=label.en)


@endpoint(
    "GET",
    "/me",
    summary="The caller: their roles by region and the delegations they act under today.",
    tag=TAG,
    response=d.Me,
    errors=(401,),
)
def me() -> d.Me:
    user = api_user()
    today = wita_today()
    return d.Me(
        username=user.username,
        full_name=user.full_name,
        language=user.language,
        roles=[
            d.HeldRole(role=r.role, label=_role_label(r.role), region=r.region.code)
            for r in user.roles
        ],
        delegations=[
            d.HeldDelegation(
                id=x.id,
                role=x.role,
                label=_role_label(x.role),
                region=x.region.code,
                acting_for=x.delegator.username,
                starts_on=x.starts_on,
                ends_on=x.ends_on,
            )
            for x in user.acting_delegations
            if x.is_active_on(today)
        ],
    )


def _token(token: ApiToken) -> d.TokenOut:
    return d.TokenOut(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


@endpoint(
    "GET",
    "/tokens",
    summary="The caller's own API tokens, the newest first (revoked ones too).",
    tag=TAG,
    response=d.TokenList,
    errors=(401,),
)
def list_tokens() -> d.TokenList:
    return d.TokenList(items=[_token(t) for t in tokens.tokens_of(api_user())])


@endpoint(
    "DELETE",
    "/tokens/<int:token_id>",
    summary="Revoke one of the caller's own tokens (again: no change); it stops working at once.",
    tag=TAG,
    response=d.TokenOut,
    errors=(401, 404),
)
def revoke_token(token_id: int) -> d.TokenOut:
    with unit_of_work():
        token = tokens.revoke_token(api_user(), token_id, actor=api_user())
    return _token(token)

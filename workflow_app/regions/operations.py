"""Creating the reference regions and agencies (idempotent)."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .catalogue import DISTRICT_AGENCIES, DISTRICTS, PROVINCE, PROVINCIAL_AGENCIES
from .models import Agency, Region


def ensure_regions() -> dict[str, Region]:
    """Create the province, its districts and their agencies where missing; return by code."""
    existing = {r.code: r for r in db.session.scalars(select(Region))}
    province = existing.get(PROVINCE.code)
    if province is None:
        province = Region(
            code=PROVINCE.code, name=PROVINCE.name, kind=PROVINCE.kind, seat=PROVINCE.seat
        )
        db.session.add(province)
        for short_name, name in PROVINCIAL_AGENCIES:
            db.session.add(Agency(region=province, short_name=short_name, name=name))
        existing[province.code] = province
    for info in DISTRICTS:
        if info.code in existing:
            continue
        region = Region(
            code=info.code, name=info.name, kind=info.kind, seat=info.seat, parent=province
        )
        db.session.add(region)
        for short_name, name in DISTRICT_AGENCIES:
            db.session.add(Agency(region=region, short_name=short_name, name=f"{name} {info.name}"))
        existing[info.code] = region
    db.session.flush()
    return existing

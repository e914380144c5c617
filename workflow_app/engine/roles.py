"""Roles and the regional scope each one acts in."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    DISTRICT_DRAFTER = "district_drafter"
    DISTRICT_REVIEWER = "district_reviewer"
    DISTRICT_HEAD = "district_head"
    PROVINCIAL_REVIEWER = "provincial_reviewer"
    PROVINCIAL_HEAD = "provincial_head"
    PARTNER = "partner"
    ADMIN = "admin"
    # The app itself, for what happens on a date (monitoring starts when a plan's period
    # does). Held only by the built-in `sistem` account, which cannot log in.
    SYSTEM = "system"


DISTRICT_ROLES = frozenset({Role.DISTRICT_DRAFTER, Role.DISTRICT_REVIEWER, Role.DISTRICT_HEAD})
PROVINCIAL_ROLES = frozenset({Role.PROVINCIAL_REVIEWER, Role.PROVINCIAL_HEAD})
ALL_ROLES = frozenset(Role)
# Roles a person can be given; `system` is not one.
ASSIGNABLE_ROLES = tuple(role for role in Role if role != Role.SYSTEM)

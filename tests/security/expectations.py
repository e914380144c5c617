"""What every route answers to every role: the table the route matrix checks.

Each entry is keyed by (method, rule) exactly as in the app's URL map and lists one or more
cases. A case names the objects its route arguments are filled from (see matrix.DEFAULT_KEYS;
`args` overrides them), the minimal form data of a POST (the CSRF token is always added) and
the expected status per role, on the own district's objects (6301) and on another
district's (6304). A route with no district object (`other=None`) is requested once.

A new route fails tests/security/test_route_matrix.py until it is entered here.

The roles (columns) are not listed here: they are the roles the workflow definitions declare
(columns.py), plus the partner, the administrator and the anonymous visitor. Statuses are
written with `answers(default, district=..., province=..., <role>=...)`, and a role's answer
is, in this order:

1. the status given for it by name;
2. else the status given for its scope group: `district=` for the district-scoped roles,
   `province=` for the province-scoped and global ones; used where the app decides by the
   role's declared scope (the sync desk and the dashboard are for whoever acts in the province
   or beyond);
3. else `default`: the answer of a role with no particular right on the route.

So a role added to a definition is covered at once, with no edit here: it gets a column and a
user, and answers as the plainest role of its scope does (for a district role: as the district
head, who owns no step and is named only as a party to the matrix's delegation; for a
province role: as the provincial head). This keeps the matrix strict: the new role is expected
to have exactly the rights every holder of its scope has and no more, so if the definition
gives it a step (a transition, a state it owns), every route where that shows answers
differently and the matrix fails, naming the role, the route and both statuses, until its
answers are written here by name. Nothing is ever defaulted to "allowed" for a role the table
does not know: test_route_matrix checks that every declared role has a column with a status in
every case, and (test_a_new_role_answers_as_its_plainest_peer) that a role added to a
definition indeed gets the plainest peer's answers.

The grouping "on another district's object, whoever holds a role in the own district gets
404" (`hidden_from_district`) likewise comes from the columns: the district-scoped roles
(held in 6301) and the partner, whose grant is in 6301.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .columns import (
    ANONYMOUS,
    DISTRICT_GROUP,
    OWN_DISTRICT,
    PROVINCE_GROUP,
    columns,
    declared_catalogue,
)

CATALOGUE = declared_catalogue()
COLUMNS = columns(CATALOGUE)
ROLES = tuple(column.role for column in COLUMNS)
# The roles the definitions declare, each a column (the rest are the platform's).
WORKFLOW_ROLES = tuple(column.role for column in COLUMNS if column.group is not None)
GROUP_OF = {column.role: column.group for column in COLUMNS}
REGION_OF = {column.role: column.region for column in COLUMNS}
DISTRICT_ROLES = tuple(role for role in ROLES if GROUP_OF[role] == DISTRICT_GROUP)
PROVINCE_ROLES = tuple(role for role in ROLES if GROUP_OF[role] == PROVINCE_GROUP)
# Everyone who holds a role in district 6301: the district roles and the partner.
IN_DISTRICT = tuple(role for role in ROLES if REGION_OF[role] == OWN_DISTRICT)

Statuses = Mapping[str, int]


def answers(
    default: int,
    *,
    anonymous: int = 302,
    district: int | None = None,
    province: int | None = None,
    **by_role: int,
) -> dict[str, int]:
    """A status for every column: the role's own if named, else its scope group's if given,
    else `default` (see the module's docstring); anonymous visitors are sent to the login
    page unless said otherwise."""
    unknown = set(by_role) - set(ROLES)
    assert not unknown, f"unknown roles {unknown} (the declared roles: {ROLES})"
    by_group = {DISTRICT_GROUP: district, PROVINCE_GROUP: province}
    statuses = {}
    for role in ROLES:
        group_status = by_group.get(GROUP_OF[role]) if GROUP_OF[role] else None
        if role in by_role:
            statuses[role] = by_role[role]
        elif group_status is not None:
            statuses[role] = group_status
        else:
            statuses[role] = default
    statuses[ANONYMOUS] = anonymous
    return statuses


def hidden_from_district(own: Statuses) -> dict[str, int]:
    """Another district's object: whoever holds a role in 6301 (the district roles and the
    partner) gets 404, never 403, so that its existence is not revealed; the province's roles
    and the admin answer as on the own district's object."""
    return {role: 404 if role in IN_DISTRICT else status for role, status in own.items()}


@dataclass(frozen=True)
class Case:
    own: Statuses
    other: Statuses | None = None
    args: Mapping[str, str] = field(default_factory=dict)
    data: Mapping[str, str] = field(default_factory=dict)
    query: str = ""
    # The JSON body of an /api/v1 request (sent with the role's bearer token, no cookie).
    json: Mapping[str, object] | None = None
    # The request ends the session (logout): the matrix signs in again afterwards.
    ends_session: bool = False


def scoped(own: Statuses, **kwargs: object) -> Case:
    """A case on a district object: the other district's copy as `hidden_from_district`."""
    return Case(own=own, other=hidden_from_district(own), **kwargs)  # type: ignore[arg-type]


def same_everywhere(own: Statuses, **kwargs: object) -> Case:
    """A case on an object the admin manages province-wide: the same answers in 6304."""
    return Case(own=own, other=own, **kwargs)  # type: ignore[arg-type]


# --- recurring answers ------------------------------------------------------------------------

SIGNED_IN = answers(200)
ADMIN_ONLY = answers(403, admin=200)
ADMIN_FORM_INVALID = answers(403, admin=400)  # the admin's empty form is refused, nothing saved
ADMIN_DONE = answers(403, admin=302)
NO_WEBHOOK = Case(answers(403, admin=404), args={"webhook_id": "999999"})
# The sync desk and the dashboard: whoever acts in the province or beyond, by the scope the
# role is declared with (the dashboard also for the partner, the sync desk not).
PROVINCE_DESK = answers(403, province=200, admin=200)
DASHBOARD = answers(403, province=200, partner=200, admin=200)

# A plan in draft: every role of its district and the province reads it; partners read only
# published plans (approved, monitored, closed).
READ_DRAFT = answers(200, partner=404)
READ_PUBLISHED = answers(200)
# Editing a draft: only the district drafter; everyone else who can see it gets 403.
EDIT_DRAFT = answers(403, district_drafter=200, partner=404)
EDIT_DRAFT_EMPTY = answers(403, district_drafter=400, partner=404)  # empty form: 400, nothing saved
# Editing a monitored plan: the drafter is told its status allows no editing (409).
EDIT_PUBLISHED = answers(403, district_drafter=409)
# A plan action with an empty form: the form is checked first (400) by whoever sees the plan.
ACTION_EMPTY_DRAFT = answers(400, partner=404)
# Submitting the draft for real: the drafter only.
SUBMIT = answers(403, district_drafter=303, partner=404)
# Comments on a draft: the plan's reviewers are told it is not their stage yet (409).
COMMENT_ON_DRAFT = answers(403, district_reviewer=409, provincial_reviewer=409, partner=404)

# A due report: every role of its district and the province reads it, partners only
# verified reports.
READ_DUE_REPORT = answers(200, partner=404)
READ_VERIFIED_REPORT = answers(200)
FILL_DUE_EMPTY = answers(403, district_drafter=400, partner=404)
FILL_VERIFIED = answers(403, district_drafter=409)

API_SIGNED_IN = answers(200, anonymous=401)


def api(statuses: Statuses) -> dict[str, int]:
    """The same answers from the API, where a caller without a token gets 401."""
    return {**statuses, ANONYMOUS: 401}


PLAN_READ_CASES = (
    scoped(READ_DRAFT),
    scoped(READ_PUBLISHED, args={"plan_id": "monitored"}),
)
PLAN_EDIT_GET_CASES = (
    scoped(EDIT_DRAFT),
    scoped(EDIT_PUBLISHED, args={"plan_id": "monitored", "activity_id": "monitored_activity"}),
)
PLAN_EDIT_POST_CASES = (scoped(EDIT_DRAFT_EMPTY),)
API_PLAN_READ_CASES = (
    scoped(api(READ_DRAFT)),
    scoped(api(READ_PUBLISHED), args={"plan_id": "monitored"}),
)
# An API write on a plan's version long gone (api/plan_write_views.py).
STALE_PLAN_EDIT = answers(403, district_drafter=409, partner=404)
STALE_ACTIVITY = {
    "version": 0,
    "sub_sector": "wastewater",
    "activity_type": "lltt",
    "title": "Kegiatan lama",
    "location": "Pelaihari",
    "start_year": 2026,
    "end_year": 2026,
}
REPORT_READ_CASES = (
    scoped(READ_DUE_REPORT),
    scoped(READ_VERIFIED_REPORT, args={"report_id": "verified"}),
)

EXPECTATIONS: dict[tuple[str, str], tuple[Case, ...]] = {
    # --- accounts -----------------------------------------------------------------------------
    ("GET", "/"): (Case(answers(302)),),
    # For the orchestrator: open to anyone, JSON, up or down only.
    ("GET", "/healthz"): (Case(answers(200, anonymous=200)),),
    ("GET", "/readyz"): (Case(answers(200, anonymous=200)),),
    ("GET", "/login"): (Case(answers(302, anonymous=200)),),
    ("POST", "/login"): (Case(answers(400, anonymous=400)),),
    ("POST", "/logout"): (Case(answers(302), ends_session=True),),
    # The page's session warning (static/session.js): how long is left, and "stay logged in".
    # JSON for anyone: a visitor is told there is no session ({"active": false}).
    ("GET", "/session/status"): (Case(answers(200, anonymous=200)),),
    ("POST", "/session/keep-alive"): (Case(answers(200, anonymous=200)),),
    ("GET", "/account"): (Case(SIGNED_IN),),
    ("POST", "/account/language"): (Case(answers(400, anonymous=400)),),
    ("GET", "/delegations"): (Case(SIGNED_IN),),
    ("POST", "/delegations"): (Case(answers(400)),),
    # The head.6301 -> reviewer.6301 delegation: its two parties and the admin may end it
    # (the parties are these two users, not their roles: anyone else gets 404).
    ("POST", "/delegations/<int:delegation_id>/end"): (
        Case(
            own=answers(404, district_reviewer=303, district_head=303, admin=303),
            other=answers(404, admin=303),
        ),
    ),
    ("GET", "/account/password"): (Case(SIGNED_IN),),
    ("POST", "/account/password"): (Case(answers(400)),),
    ("GET", "/account/tokens"): (Case(SIGNED_IN),),
    ("POST", "/account/tokens"): (Case(answers(400)),),
    # The 6301 drafter's token: only its owner may revoke it (everyone else: not found).
    ("POST", "/account/tokens/<int:token_id>/revoke"): (
        Case(own=answers(404, district_drafter=303), other=answers(404)),
    ),
    # The app's notifications: the list and "mark all as read" for whoever is signed in; the
    # dataset's first outbox row is the 6301 reviewer's (the drafter's submission), opened
    # (marked read) by them only, not found by anyone else.
    ("GET", "/notifications"): (Case(SIGNED_IN),),
    ("POST", "/notifications/read"): (Case(answers(303)),),
    ("POST", "/notifications/<int:notification_id>/open"): (
        Case(answers(404, district_reviewer=303)),
    ),
    ("POST", "/account/notifications"): (Case(answers(400)),),
    # The calendar feed: its address is made (201, shown once) and stopped by its owner; the
    # feed itself answers without a session, so an address that opens no feed (a well-formed
    # secret nobody holds, or anything else) is 404 to everyone alike.
    ("POST", "/account/calendar"): (Case(answers(201)),),
    ("POST", "/account/calendar/revoke"): (Case(answers(303)),),
    ("GET", "/calendar/<secret>.ics"): (
        Case(answers(404, anonymous=404), args={"secret": "A" * 43}),
        Case(answers(404, anonymous=404), args={"secret": "tidak-dikenal"}),
    ),
    # Signed in, the forgotten-password page sends to the change-password page.
    ("GET", "/password/forgot"): (Case(answers(302, anonymous=200)),),
    ("POST", "/password/forgot"): (Case(answers(302, anonymous=400)),),
    # An unknown reset link: "invalid link" (404) to anyone.
    ("GET", "/password/reset/<token>"): (Case(answers(404, anonymous=404)),),
    ("POST", "/password/reset/<token>"): (Case(answers(404, anonymous=404)),),
    # --- plans ----------------------------------------------------------------------------------
    ("GET", "/tasks"): (Case(SIGNED_IN),),
    ("GET", "/plans"): (Case(SIGNED_IN),),
    ("GET", "/plans/new"): (Case(answers(403, district_drafter=200)),),
    ("POST", "/plans/new"): (Case(answers(403, district_drafter=400)),),
    ("GET", "/plans/<int:plan_id>"): PLAN_READ_CASES,
    ("GET", "/plans/<int:plan_id>/edit"): PLAN_EDIT_GET_CASES,
    ("POST", "/plans/<int:plan_id>/edit"): PLAN_EDIT_POST_CASES,
    ("GET", "/plans/<int:plan_id>/challenges"): PLAN_EDIT_GET_CASES,
    ("POST", "/plans/<int:plan_id>/challenges"): PLAN_EDIT_POST_CASES,
    ("GET", "/plans/<int:plan_id>/indicators"): PLAN_EDIT_GET_CASES,
    ("POST", "/plans/<int:plan_id>/indicators"): PLAN_EDIT_POST_CASES,
    ("GET", "/plans/<int:plan_id>/activities/new"): PLAN_EDIT_GET_CASES,
    ("POST", "/plans/<int:plan_id>/activities/new"): PLAN_EDIT_POST_CASES,
    ("GET", "/plans/<int:plan_id>/activities/<int:activity_id>/edit"): PLAN_EDIT_GET_CASES,
    ("POST", "/plans/<int:plan_id>/activities/<int:activity_id>/edit"): PLAN_EDIT_POST_CASES,
    ("POST", "/plans/<int:plan_id>/activities/<int:activity_id>/delete"): PLAN_EDIT_POST_CASES,
    ("POST", "/plans/<int:plan_id>/transition"): (
        scoped(ACTION_EMPTY_DRAFT),
        scoped(
            SUBMIT,
            args={"plan_id": "spare_draft"},
            data={"trigger": "submit", "version": "{spare_draft_version}"},
        ),
    ),
    # The confirmation page of an action (those that cannot be undone link to it): refused
    # exactly as the action is (the same checks, firing.check). Approving the draft: the
    # provincial reviewer is told it is not possible now (409); submitting it: its drafter.
    ("GET", "/plans/<int:plan_id>/confirm/<trigger>"): (
        scoped(answers(403, provincial_reviewer=409, partner=404), args={"trigger": "approve"}),
        scoped(answers(403, district_drafter=200, partner=404), args={"trigger": "submit"}),
    ),
    ("POST", "/plans/<int:plan_id>/comments"): (scoped(COMMENT_ON_DRAFT),),
    # A review comment's thread. Answering: the drafter while the plan is back with them, the
    # reviewer of the stage it is at; the plan's other reviewers and its drafter at another
    # moment are told it is not their turn (409); anyone else who sees it may not (403).
    ("POST", "/plans/<int:plan_id>/comments/<int:comment_id>/replies"): (
        scoped(
            answers(
                403,
                district_drafter=303,
                district_reviewer=409,
                provincial_reviewer=409,
                partner=404,
            ),
            args={"plan_id": "returned", "comment_id": "returned_comment"},
            data={"body": "Sudah diperbaiki"},
        ),
        scoped(
            answers(
                403,
                district_reviewer=303,
                district_drafter=409,
                provincial_reviewer=409,
                partner=404,
            ),
            args={"plan_id": "resubmitted", "comment_id": "resubmitted_comment"},
            data={"body": "Terima kasih"},
        ),
        # Another plan's comment under this plan's URL: not found, to everyone.
        scoped(
            answers(404),
            args={"plan_id": "returned", "comment_id": "resubmitted_comment"},
            data={"body": "Sudah diperbaiki"},
        ),
    ),
    # Marking a comment resolved: the reviewer of the stage that wrote it, while the plan is
    # at that stage (303); before, they are told it is not their turn (409).
    ("POST", "/plans/<int:plan_id>/comments/<int:comment_id>/resolution"): (
        scoped(
            answers(403, district_reviewer=303, partner=404),
            args={"plan_id": "resubmitted", "comment_id": "resubmitted_comment"},
            data={"resolved": "1"},
        ),
        scoped(
            answers(403, district_reviewer=409, partner=404),
            args={"plan_id": "returned", "comment_id": "returned_comment"},
            data={"resolved": "1"},
        ),
    ),
    # --- spreadsheets and the printable plan ----------------------------------------------------
    ("GET", "/plans/<int:plan_id>/export.<fmt>"): PLAN_READ_CASES,
    ("GET", "/plans/<int:plan_id>/import-template.xlsx"): PLAN_READ_CASES,
    ("GET", "/plans/<int:plan_id>/print"): PLAN_READ_CASES,
    ("GET", "/plans/<int:plan_id>/import"): PLAN_EDIT_GET_CASES,
    ("POST", "/plans/<int:plan_id>/import"): PLAN_EDIT_POST_CASES,
    # --- quarterly reports ----------------------------------------------------------------------
    ("GET", "/reports"): (Case(SIGNED_IN),),
    ("GET", "/reports/export.<fmt>"): (Case(SIGNED_IN),),
    ("GET", "/reports/<int:report_id>"): REPORT_READ_CASES,
    ("POST", "/reports/<int:report_id>"): (
        scoped(FILL_DUE_EMPTY),
        scoped(FILL_VERIFIED, args={"report_id": "verified"}),
    ),
    ("GET", "/reports/<int:report_id>/export.<fmt>"): REPORT_READ_CASES,
    ("POST", "/reports/<int:report_id>/transition"): (
        scoped(answers(400, partner=404)),
        # Submitting the report: the drafter only.
        scoped(
            answers(403, district_drafter=303, partner=404),
            args={"report_id": "spare_report"},
            data={"trigger": "submit", "version": "{spare_report_version}"},
        ),
    ),
    # Verifying a report that is still due (its confirmation page): the provincial reviewer is
    # told it is not possible now (409), as the action would tell them; anyone else 403.
    ("GET", "/reports/<int:report_id>/confirm/<trigger>"): (
        scoped(answers(403, provincial_reviewer=409, partner=404), args={"trigger": "verify"}),
    ),
    ("POST", "/reports/<int:report_id>/attachments"): (scoped(FILL_DUE_EMPTY),),
    ("GET", "/reports/<int:report_id>/attachments/<int:attachment_id>"): (
        scoped(READ_DUE_REPORT),
        scoped(
            READ_VERIFIED_REPORT,
            args={"report_id": "verified", "attachment_id": "verified_attachment"},
        ),
        # An attachment of another report of the same plan, asked for under this report.
        scoped(answers(404), args={"attachment_id": "verified_attachment"}),
    ),
    ("POST", "/reports/<int:report_id>/attachments/<int:attachment_id>/delete"): (
        scoped(
            answers(403, district_drafter=303, partner=404),
            args={"attachment_id": "spare_attachment"},
        ),
        scoped(
            answers(403, district_drafter=409),
            args={"report_id": "verified", "attachment_id": "verified_attachment"},
        ),
    ),
    # --- kinds declared as data (sk_pokja.yaml) --------------------------------------------------
    ("GET", "/cases/<kind>"): (Case(SIGNED_IN),),
    ("GET", "/cases/<kind>/new"): (Case(answers(403, district_drafter=200)),),
    ("POST", "/cases/<kind>/new"): (Case(answers(403, district_drafter=400)),),
    ("GET", "/cases/<kind>/<int:case_id>"): (scoped(READ_DRAFT),),
    ("GET", "/cases/<kind>/<int:case_id>/files/<field>"): (scoped(READ_DRAFT),),
    ("GET", "/cases/<kind>/<int:case_id>/edit"): (scoped(EDIT_DRAFT),),
    ("POST", "/cases/<kind>/<int:case_id>/edit"): (scoped(EDIT_DRAFT_EMPTY),),
    # A participant's opinion: an empty form is refused (400) to whoever sees the case; on a
    # proposal waiting for the agencies, only the Pokja member asked answers (303), anyone
    # else who sees it is not asked (403).
    ("POST", "/cases/<kind>/<int:case_id>/sign-off"): (
        scoped(answers(400, partner=404)),
        scoped(
            answers(403, pokja_member=303, partner=404),
            args={"kind": "dak_kind", "case_id": "signing"},
            data={"answer": "agree"},
        ),
    ),
    # Review comments on a draft decree: its reviewer (the province) is told it is not their
    # stage yet (409); everyone else who sees it may not comment (403).
    ("POST", "/cases/<kind>/<int:case_id>/comments"): (
        scoped(answers(403, provincial_reviewer=409, partner=404), data={"body": "Catatan"}),
    ),
    ("POST", "/cases/<kind>/<int:case_id>/transition"): (
        scoped(ACTION_EMPTY_DRAFT),
        # Withdrawing a draft, confirmed on its confirmation page: its drafter only.
        scoped(
            answers(403, district_drafter=303, partner=404),
            args={"case_id": "spare_decree"},
            data={"trigger": "withdraw", "version": "{spare_decree_version}", "confirmed": "1"},
        ),
    ),
    # Asking to withdraw the draft decree (its confirmation page): its drafter only.
    ("GET", "/cases/<kind>/<int:case_id>/confirm/<trigger>"): (
        scoped(answers(403, district_drafter=200, partner=404), args={"trigger": "withdraw"}),
    ),
    # Exports: the list as its page shows it (to whoever is signed in, only what they may see);
    # one case as its page.
    ("GET", "/cases/<kind>/export.<fmt>"): (Case(SIGNED_IN),),
    ("GET", "/cases/<kind>/<int:case_id>/export.<fmt>"): (scoped(READ_DRAFT),),
    # --- the province's pages -------------------------------------------------------------------
    ("GET", "/sync"): (Case(PROVINCE_DESK),),
    ("GET", "/dashboard"): (Case(DASHBOARD),),
    ("GET", "/dashboard/export.<fmt>"): (Case(DASHBOARD),),
    # --- the JSON API: a bearer token instead of the session; no token is 401 ---------------
    ("GET", "/api/v1/openapi.json"): (Case(answers(200, anonymous=200)),),
    ("GET", "/api/v1/tasks"): (Case(API_SIGNED_IN),),
    ("GET", "/api/v1/changes"): (Case(API_SIGNED_IN),),
    ("GET", "/api/v1/plans"): (Case(API_SIGNED_IN),),
    ("GET", "/api/v1/plans/<int:plan_id>"): API_PLAN_READ_CASES,
    ("GET", "/api/v1/plans/<int:plan_id>/history"): API_PLAN_READ_CASES,
    ("GET", "/api/v1/plans/<int:plan_id>/transitions"): API_PLAN_READ_CASES,
    ("GET", "/api/v1/plans/<int:plan_id>/reports"): API_PLAN_READ_CASES,
    ("POST", "/api/v1/plans/<int:plan_id>/transitions"): (
        # A body that is not a transition: 400 before anything is looked up.
        Case(own=answers(400, anonymous=401), other=answers(400, anonymous=401), json={}),
        scoped(
            api(answers(403, district_drafter=200, partner=404)),
            args={"plan_id": "api_draft"},
            json={"trigger": "submit", "version": "{api_draft_version}"},
        ),
    ),
    # Writing a plan (api/plan_write_views.py) on a version long gone: the drafter gets past
    # access to 409 (stale), whoever else sees the draft is refused (403); nothing changes.
    # Creating one: the drafter's district has a live plan for those years (409 conflict);
    # any other role creates none (403).
    ("POST", "/api/v1/plans"): (
        Case(
            api(answers(403, district_drafter=409)),
            json={"title": "Rencana API", "period_start": 2025, "period_end": 2029},
        ),
    ),
    ("PUT", "/api/v1/plans/<int:plan_id>/header"): (
        scoped(
            api(STALE_PLAN_EDIT),
            json={"version": 0, "title": "Judul lama", "period_start": 2025, "period_end": 2029},
        ),
    ),
    ("PUT", "/api/v1/plans/<int:plan_id>/challenges"): (
        scoped(api(STALE_PLAN_EDIT), json={"version": 0, "items": ["Lama"]}),
    ),
    ("PUT", "/api/v1/plans/<int:plan_id>/indicators"): (
        scoped(api(STALE_PLAN_EDIT), json={"version": 0, "items": []}),
    ),
    ("POST", "/api/v1/plans/<int:plan_id>/activities"): (
        scoped(api(STALE_PLAN_EDIT), json=STALE_ACTIVITY),
    ),
    ("GET", "/api/v1/plans/<int:plan_id>/activities/<int:activity_id>"): (scoped(api(READ_DRAFT)),),
    ("PUT", "/api/v1/plans/<int:plan_id>/activities/<int:activity_id>"): (
        scoped(api(STALE_PLAN_EDIT), json=STALE_ACTIVITY),
    ),
    ("DELETE", "/api/v1/plans/<int:plan_id>/activities/<int:activity_id>"): (
        scoped(api(STALE_PLAN_EDIT), query="version=0"),
    ),
    # The import takes a workbook as its body: JSON is refused (415) before anything is read.
    ("POST", "/api/v1/plans/<int:plan_id>/activities/import"): (
        Case(own=api(answers(415)), other=api(answers(415)), query="version=0", json={}),
    ),
    ("GET", "/api/v1/plans/<int:plan_id>/export"): (
        scoped(api(READ_DRAFT), query="format=csv"),
        scoped(api(READ_PUBLISHED), args={"plan_id": "monitored"}),
    ),
    ("GET", "/api/v1/plans/<int:plan_id>/import-template"): API_PLAN_READ_CASES,
    ("GET", "/api/v1/reports/<int:report_id>"): (
        scoped(api(READ_DUE_REPORT)),
        scoped(api(READ_VERIFIED_REPORT), args={"report_id": "verified"}),
    ),
    ("GET", "/api/v1/reports/<int:report_id>/history"): (
        scoped(api(READ_DUE_REPORT)),
        scoped(api(READ_VERIFIED_REPORT), args={"report_id": "verified"}),
    ),
    ("GET", "/api/v1/reports/<int:report_id>/transitions"): (
        scoped(api(READ_DUE_REPORT)),
        scoped(api(READ_VERIFIED_REPORT), args={"report_id": "verified"}),
    ),
    ("POST", "/api/v1/reports/<int:report_id>/transitions"): (
        scoped(
            api(answers(403, district_drafter=200, partner=404)),
            args={"report_id": "api_report"},
            json={"trigger": "submit", "version": "{api_report_version}"},
        ),
    ),
    # A report's writes (api/report_write_views.py): figures on a version long gone, the
    # drafter gets past access to 409 (stale), whoever else sees the report is refused (403).
    ("PUT", "/api/v1/reports/<int:report_id>/lines"): (
        scoped(api(answers(403, district_drafter=409, partner=404)), json={"version": 0}),
        scoped(
            api(answers(403, district_drafter=409)),
            args={"report_id": "verified"},
            json={"version": 0},
        ),
    ),
    ("GET", "/api/v1/reports/<int:report_id>/attachments"): (
        scoped(api(READ_DUE_REPORT)),
        scoped(api(READ_VERIFIED_REPORT), args={"report_id": "verified"}),
    ),
    # An upload is multipart: a JSON body is refused (415) before anything is looked up.
    ("POST", "/api/v1/reports/<int:report_id>/attachments"): (
        Case(own=api(answers(415)), other=api(answers(415)), json={}),
    ),
    ("GET", "/api/v1/reports/<int:report_id>/attachments/<int:attachment_id>"): (
        scoped(api(READ_DUE_REPORT)),
        scoped(
            api(READ_VERIFIED_REPORT),
            args={"report_id": "verified", "attachment_id": "verified_attachment"},
        ),
        # An attachment of another report of the same plan, asked for under this report.
        scoped(api(answers(404)), args={"attachment_id": "verified_attachment"}),
    ),
    ("DELETE", "/api/v1/reports/<int:report_id>/attachments/<int:attachment_id>"): (
        scoped(
            api(answers(403, district_drafter=409, partner=404)),
            args={"attachment_id": "spare_attachment"},
            query="version=0",
        ),
    ),
    ("GET", "/api/v1/reports/<int:report_id>/export"): (
        scoped(api(READ_DUE_REPORT)),
        scoped(api(READ_VERIFIED_REPORT), args={"report_id": "verified"}),
    ),
    ("GET", "/api/v1/reports/export"): (Case(API_SIGNED_IN),),
    # The kinds declared as data (sk_pokja.yaml) through the API: the web pages' answers, 401
    # without a token; a name that is no declared kind (a built-in kind too) is 404 to all.
    ("GET", "/api/v1/cases/<kind>"): (
        Case(API_SIGNED_IN),
        Case(api(answers(404)), args={"kind": "plan"}),
    ),
    # Opening a decree: the district drafter (200, a new case); a role that opens none, 403.
    ("POST", "/api/v1/cases/<kind>"): (
        Case(
            api(answers(403, district_drafter=200)),
            json={"values": {"decree_kind": "formation", "decree_number": "SK/API"}},
        ),
    ),
    ("GET", "/api/v1/cases/<kind>/<int:case_id>"): (
        scoped(api(READ_DRAFT)),
        # A plan's id under the name of its kind: not a declared kind, so not found.
        scoped(api(answers(404)), args={"kind": "plan", "case_id": "draft"}),
    ),
    # Changing values on a version long gone: the drafter gets past access to 409 (stale),
    # whoever else sees the draft is refused (403); nothing changes.
    ("PATCH", "/api/v1/cases/<kind>/<int:case_id>"): (
        scoped(
            api(answers(403, district_drafter=409, partner=404)),
            json={"version": 0, "values": {"notes": "lama"}},
        ),
    ),
    ("GET", "/api/v1/cases/<kind>/<int:case_id>/history"): (scoped(api(READ_DRAFT)),),
    ("GET", "/api/v1/cases/<kind>/<int:case_id>/transitions"): (scoped(api(READ_DRAFT)),),
    ("POST", "/api/v1/cases/<kind>/<int:case_id>/transitions"): (
        # A body that is not a transition: 400 before anything is looked up.
        Case(own=answers(400, anonymous=401), other=answers(400, anonymous=401), json={}),
        # Sending the decree on a version long gone: the drafter is told it is stale (409),
        # any other role may not send it (403).
        scoped(
            api(answers(403, district_drafter=409, partner=404)),
            json={"trigger": "submit", "version": 0},
        ),
    ),
    ("POST", "/api/v1/cases/<kind>/<int:case_id>/sign-off"): (
        # A body that is not an answer: 400 before anything is looked up.
        Case(own=answers(400, anonymous=401), other=answers(400, anonymous=401), json={}),
        # On the proposal waiting for its agencies: only the Pokja member asked answers.
        scoped(
            api(answers(403, pokja_member=200, partner=404)),
            args={"kind": "dak_kind", "case_id": "api_signing"},
            json={"answer": "agree"},
        ),
    ),
    # The definitions and lookups: no secret, the same for every caller with a token.
    ("GET", "/api/v1/workflows"): (Case(API_SIGNED_IN),),
    ("GET", "/api/v1/workflows/<workflow>"): (
        Case(API_SIGNED_IN, args={"workflow": "action_plan"}),
        Case(api(answers(404)), args={"workflow": "no_such_workflow"}),
    ),
    ("GET", "/api/v1/regions"): (Case(API_SIGNED_IN),),
    ("GET", "/api/v1/agencies"): (Case(API_SIGNED_IN),),
    ("GET", "/api/v1/vocabularies"): (Case(API_SIGNED_IN),),
    ("GET", "/api/v1/me"): (Case(API_SIGNED_IN),),
    ("GET", "/api/v1/tokens"): (Case(API_SIGNED_IN),),
    # The 6301 drafter's spare token: only its owner may revoke it (everyone else: not found).
    ("DELETE", "/api/v1/tokens/<int:token_id>"): (
        Case(own=api(answers(404, district_drafter=200)), other=api(answers(404))),
    ),
    # The caller's notifications (as /notifications): the dataset's first outbox row is the 6301
    # reviewer's, marked read by them only, not found by anyone else.
    ("GET", "/api/v1/notifications"): (Case(API_SIGNED_IN),),
    ("POST", "/api/v1/notifications/read"): (Case(API_SIGNED_IN),),
    ("POST", "/api/v1/notifications/<int:notification_id>/read"): (
        Case(api(answers(404, district_reviewer=200))),
    ),
    # Acting officials (as /delegations): an empty request is refused (400) for everyone; the
    # head.6301 -> reviewer.6301 delegation is seen and ended by its two parties and the admin.
    ("GET", "/api/v1/delegations"): (Case(API_SIGNED_IN),),
    ("POST", "/api/v1/delegations"): (Case(answers(400, anonymous=401), json={}),),
    ("GET", "/api/v1/delegations/<int:delegation_id>"): (
        Case(
            own=api(answers(404, district_reviewer=200, district_head=200, admin=200)),
            other=api(answers(404, admin=200)),
        ),
    ),
    ("POST", "/api/v1/delegations/<int:delegation_id>/end"): (
        Case(
            own=api(answers(404, district_reviewer=200, district_head=200, admin=200)),
            other=api(answers(404, admin=200)),
            args={"delegation_id": "api_delegation"},
        ),
    ),
    # A declared kind's files (as the web's download and exports).
    ("GET", "/api/v1/cases/<kind>/<int:case_id>/files/<field>"): (scoped(api(READ_DRAFT)),),
    ("GET", "/api/v1/cases/<kind>/<int:case_id>/export"): (scoped(api(READ_DRAFT)),),
    ("GET", "/api/v1/cases/<kind>/export"): (Case(API_SIGNED_IN),),
    # The dashboard and the sync desk (as /dashboard and /sync): by the role's declared scope.
    ("GET", "/api/v1/dashboard"): (Case(api(DASHBOARD)),),
    ("GET", "/api/v1/dashboard/export"): (Case(api(DASHBOARD)),),
    ("GET", "/api/v1/sync"): (Case(api(PROVINCE_DESK)),),
    # Uploading a file field takes multipart/form-data: any other body is 415 before anything
    # is looked up (tests/db/test_api_declared_files.py checks who may upload).
    ("PUT", "/api/v1/cases/<kind>/<int:case_id>/files/<field>"): (
        Case(answers(415, anonymous=401)),
    ),
    # Review work (as the plan page's threads, api/review_views.py): reading for whoever sees
    # the plan, a thread only under its own plan. Commenting on the draft: its reviewers are told
    # it is not their stage (409); on the plan back in district review, its reviewer comments
    # (201). Answering: the drafter while the plan is back with them, the reviewer of the stage
    # it is at; the plan's other reviewers and its drafter at another moment 409, anyone else
    # who sees it 403. Resolving or reopening: the reviewer of the comment's stage while the
    # plan is at that stage (200); before, 409.
    ("GET", "/api/v1/plans/<int:plan_id>/comments"): API_PLAN_READ_CASES,
    ("GET", "/api/v1/plans/<int:plan_id>/resubmission-diff"): API_PLAN_READ_CASES,
    ("GET", "/api/v1/plans/<int:plan_id>/comments/<int:comment_id>"): (
        scoped(api(READ_DRAFT), args={"plan_id": "returned", "comment_id": "returned_comment"}),
        # Another plan's comment under this plan's address: not found, to everyone.
        scoped(
            api(answers(404)), args={"plan_id": "returned", "comment_id": "resubmitted_comment"}
        ),
    ),
    ("POST", "/api/v1/plans/<int:plan_id>/comments"): (
        Case(own=answers(400, anonymous=401), other=answers(400, anonymous=401), json={}),
        scoped(api(COMMENT_ON_DRAFT), json={"item_type": "plan", "body": "Catatan"}),
        scoped(
            api(answers(403, district_reviewer=201, provincial_reviewer=409, partner=404)),
            args={"plan_id": "resubmitted"},
            json={"item_type": "plan", "body": "Catatan baru"},
        ),
    ),
    ("POST", "/api/v1/comments/<int:comment_id>/replies"): (
        scoped(
            api(
                answers(
                    403,
                    district_drafter=201,
                    district_reviewer=409,
                    provincial_reviewer=409,
                    partner=404,
                )
            ),
            args={"comment_id": "returned_comment"},
            json={"body": "Sudah diperbaiki"},
        ),
        scoped(
            api(
                answers(
                    403,
                    district_reviewer=201,
                    district_drafter=409,
                    provincial_reviewer=409,
                    partner=404,
                )
            ),
            args={"comment_id": "resubmitted_comment"},
            json={"body": "Terima kasih"},
        ),
    ),
    ("POST", "/api/v1/comments/<int:comment_id>/reopen"): (
        scoped(
            api(answers(403, district_reviewer=200, partner=404)),
            args={"comment_id": "resubmitted_comment"},
        ),
        scoped(
            api(answers(403, district_reviewer=409, partner=404)),
            args={"comment_id": "returned_comment"},
        ),
    ),
    ("POST", "/api/v1/comments/<int:comment_id>/resolve"): (
        scoped(
            api(answers(403, district_reviewer=200, partner=404)),
            args={"comment_id": "resubmitted_comment"},
        ),
        scoped(
            api(answers(403, district_reviewer=409, partner=404)),
            args={"comment_id": "returned_comment"},
        ),
    ),
    # A declared case's review comments: read by whoever sees the case; on the draft decree its
    # reviewer (the province) is told it is not their stage yet (409), anyone else 403.
    ("GET", "/api/v1/cases/<kind>/<int:case_id>/comments"): (
        scoped(api(READ_DRAFT)),
        scoped(api(answers(404)), args={"kind": "plan", "case_id": "draft"}),
    ),
    ("POST", "/api/v1/cases/<kind>/<int:case_id>/comments"): (
        scoped(api(answers(403, provincial_reviewer=409, partner=404)), json={"body": "Catatan"}),
    ),
    # --- administration: the admin only, for every district -------------------------------------
    ("GET", "/admin/"): (Case(ADMIN_ONLY),),
    ("GET", "/admin/outbox"): (Case(ADMIN_ONLY),),
    ("POST", "/admin/outbox/<int:notification_id>/retry"): (Case(ADMIN_DONE),),
    ("POST", "/admin/outbox/retry-failed"): (Case(ADMIN_DONE),),
    ("GET", "/admin/mailbox"): (Case(ADMIN_ONLY),),
    # No such message in the mailbox: 404 for the admin.
    ("GET", "/admin/mailbox/<name>"): (Case(answers(403, admin=404)),),
    ("GET", "/admin/calendar"): (Case(ADMIN_ONLY),),
    ("GET", "/admin/audit"): (Case(ADMIN_ONLY),),
    # Webhooks: none in the dataset, so the admin's pages of one answer 404; the list and
    # the new-webhook form are the admin's; an empty form is refused, nothing saved.
    ("GET", "/admin/webhooks"): (Case(ADMIN_ONLY),),
    ("GET", "/admin/webhooks/new"): (Case(ADMIN_ONLY),),
    ("POST", "/admin/webhooks/new"): (Case(ADMIN_FORM_INVALID),),
    ("GET", "/admin/webhooks/<int:webhook_id>"): (NO_WEBHOOK,),
    ("POST", "/admin/webhooks/<int:webhook_id>"): (NO_WEBHOOK,),
    ("POST", "/admin/webhooks/<int:webhook_id>/disable"): (NO_WEBHOOK,),
    ("POST", "/admin/webhooks/<int:webhook_id>/enable"): (NO_WEBHOOK,),
    ("POST", "/admin/webhooks/<int:webhook_id>/secret"): (NO_WEBHOOK,),
    ("GET", "/admin/webhooks/<int:webhook_id>/deliveries"): (NO_WEBHOOK,),
    ("POST", "/admin/webhooks/deliveries/<int:delivery_id>/retry"): (
        Case(answers(403, admin=404), args={"delivery_id": "999999"}),
    ),
    ("POST", "/admin/calendar/overrides"): (Case(ADMIN_FORM_INVALID),),
    ("POST", "/admin/calendar/overrides/<int:override_id>/delete"): (Case(ADMIN_DONE),),
    ("GET", "/admin/regions"): (Case(ADMIN_ONLY),),
    ("GET", "/admin/regions/<code>"): (same_everywhere(ADMIN_ONLY),),
    ("POST", "/admin/regions/<code>"): (same_everywhere(ADMIN_FORM_INVALID),),
    ("GET", "/admin/agencies"): (Case(ADMIN_ONLY),),
    ("POST", "/admin/agencies/<code>/new"): (same_everywhere(ADMIN_FORM_INVALID),),
    ("GET", "/admin/agencies/<int:agency_id>"): (same_everywhere(ADMIN_ONLY),),
    ("POST", "/admin/agencies/<int:agency_id>"): (same_everywhere(ADMIN_FORM_INVALID),),
    ("POST", "/admin/agencies/<int:agency_id>/delete"): (same_everywhere(ADMIN_DONE),),
    ("GET", "/admin/users"): (Case(ADMIN_ONLY),),
    ("GET", "/admin/users/new"): (Case(ADMIN_ONLY),),
    ("POST", "/admin/users/new"): (Case(ADMIN_FORM_INVALID),),
    ("GET", "/admin/users/<int:user_id>"): (same_everywhere(ADMIN_ONLY),),
    ("POST", "/admin/users/<int:user_id>"): (same_everywhere(ADMIN_FORM_INVALID),),
    ("POST", "/admin/users/<int:user_id>/password"): (same_everywhere(ADMIN_FORM_INVALID),),
    ("POST", "/admin/users/<int:user_id>/roles"): (same_everywhere(ADMIN_FORM_INVALID),),
    ("POST", "/admin/users/<int:user_id>/roles/<int:assignment_id>/delete"): (
        same_everywhere(ADMIN_DONE),
    ),
}

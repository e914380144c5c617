"""Everything a person can do on the web, a client can do over the API — or there is a stated
reason why not. Every web route is listed here with its API operation(s) or that reason, so
a new page cannot ship without deciding; every API operation named here must be served."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

# A web route (its endpoint name) → the API operations doing the same ("METHOD /path" as in
# the OpenAPI document), or a reason starting "web only:".
Capability = tuple[str, ...] | str

PEOPLE_ONLY = "web only: a person's sign-in, password or browser session, never a token's"
ADMIN_ONLY = (
    "web only: administration; a token must not be able to grant rights or change accounts "
    "(a stolen token would escalate)"
)
PAGE_ONLY = "web only: serves the web pages themselves"

WEB_CAPABILITIES: dict[str, Capability] = {
    # Signing in and the account of a person.
    "accounts.start": PAGE_ONLY,
    "accounts.login": PEOPLE_ONLY,
    "accounts.logout": PEOPLE_ONLY,
    "accounts.forgot_password": PEOPLE_ONLY,
    "accounts.reset_password": PEOPLE_ONLY,
    "accounts.change_password": PEOPLE_ONLY,
    "accounts.session_keep_alive": PEOPLE_ONLY,
    "accounts.session_status": PEOPLE_ONLY,
    "accounts.account": ("GET /me",),
    "accounts.change_language": PEOPLE_ONLY,
    "accounts.change_email_delivery": PEOPLE_ONLY,
    "accounts.api_tokens": ("GET /tokens",),
    "accounts.create_api_token": (
        "web only: making a token asks for the password again, which a token cannot give"
    ),
    "accounts.revoke_api_token": ("DELETE /tokens/{token_id}",),
    "feeds.create": PEOPLE_ONLY + " (the calendar address is a secret for a calendar app)",
    "feeds.revoke": PEOPLE_ONLY + " (the calendar address is a secret for a calendar app)",
    "feeds.calendar": "web only: the calendar feed itself, read by calendar apps by its secret",
    "accounts.delegations": ("GET /delegations", "POST /delegations"),
    "accounts.end_delegation": ("POST /delegations/{delegation_id}/end",),
    # Work.
    "plans.tasks": ("GET /tasks",),
    "inbox.index": ("GET /notifications",),
    "inbox.open_item": ("POST /notifications/{notification_id}/read",),
    "inbox.read_all": ("POST /notifications/read",),
    "dashboard.index": ("GET /dashboard",),
    "dashboard.export": ("GET /dashboard/export",),
    "sync.index": ("GET /sync",),
    # Plans.
    "plans.index": ("GET /plans",),
    "plans.new": ("POST /plans",),
    "plans.detail": (
        "GET /plans/{plan_id}",
        "GET /plans/{plan_id}/history",
        "GET /plans/{plan_id}/comments",
        "GET /plans/{plan_id}/resubmission-diff",
    ),
    "plans.edit": ("PUT /plans/{plan_id}/header",),
    "plans.edit_challenges": ("PUT /plans/{plan_id}/challenges",),
    "plans.edit_indicators": ("PUT /plans/{plan_id}/indicators",),
    "plans.new_activity": ("POST /plans/{plan_id}/activities",),
    "plans.edit_activity": ("PUT /plans/{plan_id}/activities/{activity_id}",),
    "plans.delete_activity": ("DELETE /plans/{plan_id}/activities/{activity_id}",),
    "plans.confirm": ("GET /plans/{plan_id}/transitions",),
    "plans.transition": ("POST /plans/{plan_id}/transitions",),
    "plans.add_comment": ("POST /plans/{plan_id}/comments", "GET /plans/{plan_id}/comments"),
    "plans.reply": ("POST /comments/{comment_id}/replies",),
    "plans.resolution": (
        "POST /comments/{comment_id}/resolve",
        "POST /comments/{comment_id}/reopen",
    ),
    "spreadsheets.export": ("GET /plans/{plan_id}/export",),
    "spreadsheets.print_plan": ("GET /plans/{plan_id}/export",),
    "spreadsheets.template": ("GET /plans/{plan_id}/import-template",),
    "spreadsheets.import_activities": ("POST /plans/{plan_id}/activities/import",),
    # Quarterly reports.
    "monitoring.index": ("GET /plans/{plan_id}/reports",),
    "monitoring.report": (
        "GET /reports/{report_id}",
        "GET /reports/{report_id}/history",
        "GET /reports/{report_id}/attachments",
        "PUT /reports/{report_id}/lines",
    ),
    "monitoring.upload": ("POST /reports/{report_id}/attachments",),
    "monitoring.download": ("GET /reports/{report_id}/attachments/{attachment_id}",),
    "monitoring.delete_attachment": ("DELETE /reports/{report_id}/attachments/{attachment_id}",),
    "monitoring.confirm": ("GET /reports/{report_id}/transitions",),
    "monitoring.transition": ("POST /reports/{report_id}/transitions",),
    "monitoring.export_report": ("GET /reports/{report_id}/export",),
    "monitoring.export": ("GET /reports/export",),
    # Every kind of case declared as data.
    "cases.index": ("GET /cases/{kind}",),
    "cases.new": ("POST /cases/{kind}",),
    "cases.detail": (
        "GET /cases/{kind}/{case_id}",
        "GET /cases/{kind}/{case_id}/history",
        "GET /cases/{kind}/{case_id}/comments",
    ),
    "cases.edit": ("PATCH /cases/{kind}/{case_id}", "PUT /cases/{kind}/{case_id}/files/{field}"),
    "cases.confirm": ("GET /cases/{kind}/{case_id}/transitions",),
    "cases.transition": ("POST /cases/{kind}/{case_id}/transitions",),
    "cases.sign_off": ("POST /cases/{kind}/{case_id}/sign-off",),
    "cases.add_comment": ("POST /cases/{kind}/{case_id}/comments",),
    "cases.download": ("GET /cases/{kind}/{case_id}/files/{field}",),
    "cases.export_case": ("GET /cases/{kind}/{case_id}/export",),
    "cases.export_list": ("GET /cases/{kind}/export",),
    # Administration.
    "admin.index": ADMIN_ONLY,
    "admin.users": ADMIN_ONLY,
    "admin.new_user": ADMIN_ONLY,
    "admin.edit_user": ADMIN_ONLY,
    "admin.update_user_view": ADMIN_ONLY,
    "admin.reset_password_view": ADMIN_ONLY,
    "admin.add_role_view": ADMIN_ONLY,
    "admin.remove_role_view": ADMIN_ONLY,
    "admin.agencies": ("GET /agencies",),
    "admin.add_agency_view": ADMIN_ONLY,
    "admin.edit_agency": ("GET /agencies",),
    "admin.update_agency_view": ADMIN_ONLY,
    "admin.remove_agency_view": ADMIN_ONLY,
    "admin.regions": ("GET /regions",),
    "admin.edit_region": ("GET /regions",),
    "admin.update_region_view": ADMIN_ONLY,
    "admin.calendar": ADMIN_ONLY,
    "admin.add_override": ADMIN_ONLY,
    "admin.delete_override": ADMIN_ONLY,
    "admin.audit": ADMIN_ONLY,
    "admin.outbox": ADMIN_ONLY,
    "admin.retry": ADMIN_ONLY,
    "admin.retry_failed": ADMIN_ONLY,
    "admin.mailbox": ADMIN_ONLY,
    "admin.mailbox_message": ADMIN_ONLY,
    # Webhooks are registered by an administrator; what they deliver is GET /changes.
    "admin.webhooks": ADMIN_ONLY,
    "admin.new_webhook": ADMIN_ONLY,
    "admin.edit_webhook": ADMIN_ONLY,
    "admin.enable_webhook": ADMIN_ONLY,
    "admin.disable_webhook": ADMIN_ONLY,
    "admin.rotate_webhook_secret": ADMIN_ONLY,
    "admin.webhook_deliveries": ADMIN_ONLY,
    "admin.retry_webhook_delivery": ADMIN_ONLY,
    # The machinery.
    "health.healthz": "web only: the load balancer's health check (no login)",
    "health.readyz": "web only: the load balancer's readiness check (no login)",
    "static": PAGE_ONLY,
    "bootstrap.static": PAGE_ONLY,
}


def _web_endpoints(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if not rule.rule.startswith("/api/")}


def _served_operations(client: FlaskClient) -> set[str]:
    document = client.get("/api/v1/openapi.json").get_json()
    return {
        f"{method.upper()} {path.removeprefix('/api/v1')}"
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_every_web_route_has_an_api_operation_or_a_reason(app: Flask) -> None:
    unlisted = sorted(_web_endpoints(app) - WEB_CAPABILITIES.keys())
    assert not unlisted, f"web routes with no API operation and no reason: {unlisted}"
    gone = sorted(WEB_CAPABILITIES.keys() - _web_endpoints(app))
    assert not gone, f"listed here but no longer on the web: {gone}"


def test_every_api_operation_named_is_served(client: FlaskClient) -> None:
    served = _served_operations(client)
    named = {op for ops in WEB_CAPABILITIES.values() if isinstance(ops, tuple) for op in ops}
    missing = sorted(named - served)
    assert not missing, f"named as the API's way but not served: {missing}"


def test_a_reason_is_given_where_the_api_has_no_operation() -> None:
    for endpoint, capability in WEB_CAPABILITIES.items():
        if isinstance(capability, str):
            assert capability.startswith("web only: "), endpoint

"""Binds extensions, workflows, blueprints, template helpers and error pages to an app."""

from __future__ import annotations

import select
import time
from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

from .celery_app import celery_init_app
from .engine import DefinitionErrors, WorkflowRegistry, guards
from .extensions import babel, bootstrap, cache, csrf, db, login_manager, mail
from .reloads import init_reloads
from .workspaces import check_role_workspaces

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# The POST-only action endpoints, each with the page it acts on: reloading the address of a
# refused action (GET) shows that page instead of "405" (reloads.py).
RELOAD_TARGETS = {
    "plans.transition": "plans.detail",
    "plans.add_comment": "plans.detail",
    "plans.delete_activity": "plans.detail",
    "plans.reply": "plans.detail",
    "plans.resolution": "plans.detail",
    "monitoring.transition": "monitoring.report",
    "monitoring.upload": "monitoring.report",
    "monitoring.delete_attachment": "monitoring.report",
    "cases.transition": "cases.detail",
    "cases.add_comment": "cases.detail",
    "cases.sign_off": "cases.detail",
    "accounts.end_delegation": "accounts.delegations",
    "accounts.revoke_api_token": "accounts.api_tokens",
    "accounts.change_email_delivery": "accounts.account",
    "feeds.create": "accounts.account",
    "feeds.revoke": "accounts.account",
    "inbox.open_item": "inbox.index",
    "inbox.read_all": "inbox.index",
    "admin.add_role_view": "admin.edit_user",
    "admin.remove_role_view": "admin.edit_user",
    "admin.reset_password_view": "admin.edit_user",
    "admin.add_override": "admin.calendar",
    "admin.delete_override": "admin.calendar",
    "admin.add_agency_view": "admin.agencies",
    "admin.remove_agency_view": "admin.agencies",
    "admin.retry": "admin.outbox",
    "admin.retry_failed": "admin.outbox",
}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: object, connection_record: object) -> None:
    # SQLite enforces foreign keys only when asked; WAL lets readers run beside the writer.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


# Where a pooled connection's record keeps when it was last given back (time.monotonic()); the
# record's info is emptied whenever its connection is replaced, so a new one has no stamp.
_LAST_USED = "workflow_app.last_used"


def _server_spoke(dbapi_connection: object) -> bool:
    """Whether the server sent something on an idle connection, that nobody has read: between
    requests it sends nothing unless it is ending the connection (a restart, a failover,
    pg_terminate_backend send their notice, then close). A poll of the socket, no round trip;
    a connection with no socket (SQLite) never has."""
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None:
        return False
    try:
        readable, _, _ = select.select([fileno()], [], [], 0)
    except Exception:  # closed already (or no pollable socket): let the ping find out
        return True
    return bool(readable)


def ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Before a pooled connection is used, ping it (SELECT 1) if it sat unused for
    `idle_seconds` or the server spoke on it; one that fails is replaced, with every pooled
    connection older than it (as pool_pre_ping does), before the request sees it. A
    connection in use a moment ago is not asked again: pinging on every checkout cost a round
    trip per request."""

    @event.listens_for(engine, "checkin")
    def _stamp(dbapi_connection: object, record: object) -> None:
        record.info[_LAST_USED] = time.monotonic()  # type: ignore[attr-defined]

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: object, record: object, proxy: object) -> None:
        last_used = record.info.get(_LAST_USED)  # type: ignore[attr-defined]
        if last_used is None:  # connected just now
            return
        if time.monotonic() - last_used < idle_seconds and not _server_spoke(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # type: ignore[arg-type]
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.InvalidatePoolError(str(error)) from error


def init_connection_checks(app: Flask) -> None:
    """DATABASE_PING_IDLE_SECONDS (None: none) on every engine of the app, unless the engine
    options ask SQLAlchemy to ping on every checkout anyway."""
    idle_seconds = app.config.get("DATABASE_PING_IDLE_SECONDS")
    options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    if idle_seconds is None or options.get("pool_pre_ping"):
        return
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        ping_idle_connections(engine, float(idle_seconds))


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.language:
        return current_user.language
    # A visitor's choice from the language switch (accounts/account_views.py).
    if session.get("language") in current_app.config["LANGUAGES"]:
        return session["language"]
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "id"


def load_workflows(app: Flask) -> WorkflowRegistry:
    # Importing the guards registers them, so the definitions can refer to them by name; and
    # what the features need the definitions to declare (monitoring's requirements) is checked:
    # the app refuses to start naming the file and the entry that lack it.
    from .engine.requirements import check_requirements
    from .monitoring import guards as _report_guards  # noqa: F401
    from .monitoring import requirements as _monitoring_requirements  # noqa: F401
    from .plans import guards as _plan_guards  # noqa: F401

    registry = WorkflowRegistry.from_directory(Path(app.config["WORKFLOWS_DIR"]), guards)
    errors = check_requirements(registry)
    if errors:
        raise DefinitionErrors(errors)
    return registry


def init_app(app: Flask) -> None:
    from . import celery_logging as _celery_logging  # noqa: F401 (connects Celery's signals)
    from . import logs

    logs.init_app(app)  # first: every other hook's log lines carry the request id
    db.init_app(app)
    init_connection_checks(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    mail.init_app(app)
    bootstrap.init_app(app)
    cache.init_app(app)
    celery_init_app(app)

    # Importing the models registers them on the metadata; importing a feature's `kind`
    # registers its kind of case with the core (history, deadlines, version checks).
    from .accounts import login as _login  # noqa: F401
    from .accounts import models as _accounts_models  # noqa: F401
    from .api import models as _api_models  # noqa: F401
    from .cases import models as _case_models  # noqa: F401
    from .changes import recording as _change_recording  # noqa: F401  (records every change)
    from .deadlines import models as _deadline_models  # noqa: F401
    from .feeds import models as _feed_models  # noqa: F401
    from .monitoring import kind as _report_kind  # noqa: F401
    from .monitoring import models as _monitoring_models  # noqa: F401
    from .notifications import digest_email as _digest_email  # noqa: F401  (its renderer)
    from .notifications import models as _notification_models  # noqa: F401
    from .plans import kind as _plan_kind  # noqa: F401
    from .plans import models as _plan_models  # noqa: F401
    from .regions import models as _region_models  # noqa: F401
    from .signoffs import service as _sign_offs  # noqa: F401  (opens sign-offs on entry)
    from .versions import models as _version_models  # noqa: F401

    app.extensions["workflows"] = load_workflows(app)
    from .cases.kinds import register_declared_kinds

    register_declared_kinds(app, app.extensions["workflows"])
    if app.config.get("WORKFLOWS_VERIFY_AT_STARTUP", True):
        from .versions.startup import verify_at_startup

        verify_at_startup(app, app.extensions["workflows"])

    from .accounts import account_views as _account_routes  # noqa: F401
    from .accounts import delegation_views as _delegation_routes  # noqa: F401
    from .accounts import password_views as _password_routes  # noqa: F401
    from .accounts import session_views as _session_routes  # noqa: F401
    from .accounts import token_views as _token_routes  # noqa: F401
    from .accounts.page_shell import shell_part
    from .accounts.sessions import init_session_timeouts
    from .accounts.views import blueprint as accounts_blueprint
    from .admin import blueprint as admin_blueprint
    from .api.errors import init_app_errors as init_api_errors
    from .api.rate_limit import init_rate_limit as init_api_rate_limit
    from .api.routes import blueprint as api_blueprint
    from .cases import comment_views as _comment_routes  # noqa: F401
    from .cases import export_views as _case_export_routes  # noqa: F401
    from .cases import sign_off_views as _sign_off_routes  # noqa: F401
    from .cases.kinds import declared_case_kinds
    from .cases.views import blueprint as cases_blueprint
    from .cli import register_commands
    from .dashboard.views import blueprint as dashboard_blueprint
    from .errors import init_error_pages
    from .feeds.views import blueprint as feeds_blueprint
    from .health import blueprint as health_blueprint
    from .inbox.views import blueprint as inbox_blueprint
    from .monitoring.views import blueprint as monitoring_blueprint
    from .plans import editing as _editing_routes  # noqa: F401
    from .plans.diagram import workflow_diagram
    from .plans.views import blueprint as plans_blueprint
    from .reviews import views as _review_routes  # noqa: F401
    from .security import init_security
    from .security.headers import fixed_headers
    from .spreadsheets.views import blueprint as spreadsheets_blueprint
    from .static_files import init_static_files
    from .sync.views import blueprint as sync_blueprint
    from .templating import init_templating
    from .webhooks import views as _webhook_routes  # noqa: F401  (admin pages, deliveries)

    app.register_blueprint(accounts_blueprint)
    app.register_blueprint(plans_blueprint)
    app.register_blueprint(admin_blueprint)
    app.register_blueprint(sync_blueprint)
    app.register_blueprint(dashboard_blueprint)
    app.register_blueprint(spreadsheets_blueprint)
    app.register_blueprint(monitoring_blueprint)
    app.register_blueprint(cases_blueprint)
    app.register_blueprint(api_blueprint)
    app.register_blueprint(health_blueprint)
    app.register_blueprint(inbox_blueprint)
    app.register_blueprint(feeds_blueprint)
    # The API authenticates by bearer token only, never by the session cookie: a forged
    # cross-site request carries no token, so CSRF protection does not apply there.
    csrf.exempt(api_blueprint)
    app.add_template_global(workflow_diagram)
    app.add_template_global(declared_case_kinds)
    app.add_template_global(shell_part)
    init_templating(app)
    init_error_pages(app)
    init_security(app)
    init_static_files(app, fixed_headers(app))  # after the WSGI wrappers init_security adds
    init_api_rate_limit(app)  # on the limiter init_security gave the app
    init_session_timeouts(app)
    init_api_errors(app)  # after the HTML pages: JSON for unknown /api/ paths
    register_commands(app)
    # Where each role lands after login (workspaces.py), checked once every feature registered
    # its workspace; and what reloading the address of an action shows (reloads.py).
    check_role_workspaces(app, app.extensions["workflows"].roles)
    init_reloads(app, RELOAD_TARGETS)

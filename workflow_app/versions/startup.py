"""The start-up check: no stored version changed, and every case and pending step finds its
definition. The app refuses to start otherwise, naming the file and the entry."""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.exc import OperationalError, ProgrammingError

from ..engine import DefinitionError, DefinitionErrors, WorkflowRegistry
from ..extensions import db
from .references import missing_references, remember_used_versions
from .store import changed_versions, table_exists

log = logging.getLogger(__name__)


def version_problems(registry: WorkflowRegistry) -> list[DefinitionError]:
    """Every problem of the database's cases with `registry` (none before the migration)."""
    if not table_exists():
        return []
    return [*changed_versions(registry), *missing_references(registry)]


def verify_at_startup(app: Flask, registry: WorkflowRegistry) -> None:
    with app.app_context():
        try:
            errors = version_problems(registry)
            if not errors:
                remember_used_versions(registry)
                db.session.commit()
        except (OperationalError, ProgrammingError) as exc:
            # No database yet (a first start before `db upgrade`) or not reachable: the
            # readiness check reports the latter; nothing here can be checked.
            log.warning("workflow versions not checked: %s", exc.__class__.__name__)
            db.session.rollback()
            return
        finally:
            db.session.remove()
            # Close the connection the check opened: a Celery or gunicorn master forks after
            # creating the app, and children sharing one socket would corrupt each other's
            # conversations with PostgreSQL.
            db.engine.dispose()
    if errors:
        raise DefinitionErrors(errors)

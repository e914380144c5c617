"""`/healthz` and `/readyz` for an orchestrator (compose, Kubernetes, a load balancer).

`/healthz`: the process answers (no dependency is touched, so a slow database never gets a
healthy process restarted). `/readyz`: the database and the broker answer, each within a short
timeout; 503 names what is down, so traffic goes elsewhere until it is back. Both are open to
anyone, answer JSON, set no cookie and reveal nothing but up or down.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from werkzeug.wrappers import Response

from .extensions import db

blueprint = Blueprint("health", __name__)

BROKER_TIMEOUT_SECONDS = 2.0


def database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not ready"; the reason belongs in the logs
        current_app.logger.warning("readiness: the database does not answer", exc_info=True)
        db.session.rollback()
        return False


def broker_ok() -> bool:
    celery = current_app.extensions["celery"]
    try:
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
        return True
    except Exception:
        current_app.logger.warning("readiness: the broker does not answer", exc_info=True)
        return False


@blueprint.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@blueprint.get("/readyz")
def readyz() -> tuple[Response, int]:
    checks = {
        "database": "ok" if database_ok() else "down",
        "broker": "ok" if broker_ok() else "down",
    }
    ready = all(state == "ok" for state in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), (200 if ready else 503)

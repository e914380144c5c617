"""What a page's script (static/session.js) asks about its session: how long until it ends
(GET /session/status, which is not activity) and "stay logged in" (POST /session/keep-alive,
which is). Pages of a signed-in user carry a hidden warning that the script shows before the
idle timeout ends the session; without JavaScript nothing changes."""

from __future__ import annotations

import math
import time
from typing import Any

from flask import current_app, jsonify
from flask_login import current_user
from werkzeug.wrappers import Response

from .sessions import absolute_seconds, idle_seconds, mark_seen, seconds_left
from .views import blueprint


def warning_seconds() -> int:
    """How long before the end the page warns: the setting, at most half the timeout."""
    timeout = idle_seconds() or absolute_seconds()
    return min(int(current_app.config["SESSION_IDLE_WARNING_SECONDS"]), timeout // 2)


def _state() -> dict[str, Any]:
    if not current_user.is_authenticated:
        return {"active": False}
    idle, absolute = seconds_left(int(time.time()))
    return {
        "active": True,
        "idle_seconds_left": idle,
        "absolute_seconds_left": absolute,
        "warning_seconds": warning_seconds(),
    }


@blueprint.get("/session/status")
def session_status() -> Response:
    return jsonify(_state())


@blueprint.post("/session/keep-alive")
def session_keep_alive() -> Response:
    if current_user.is_authenticated:
        mark_seen(int(time.time()))
    return jsonify(_state())


@blueprint.app_template_global()
def session_warning() -> dict[str, int] | None:
    """For the page's warning: when to first ask how long is left, and how many minutes
    ahead it warns; None when no timeout can end this session."""
    if not current_user.is_authenticated:
        return None
    lefts = [left for left in seconds_left(int(time.time())) if left is not None]
    if not lefts:
        return None
    warning = warning_seconds()
    return {
        "check_in": max(min(lefts) - warning, 1),
        "minutes": max(math.ceil(warning / 60), 1),
    }

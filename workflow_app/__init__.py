"""workflow_app: the workflow and approval engine for sanitation action plans."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from .config import check_profile, defaults, ensure_secret_key, from_environment
from .resources import resource_path


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The application factory. `config` (tests) wins over the environment, which wins over
    the embedded-profile defaults."""
    app = Flask(
        __name__,
        template_folder=str(resource_path("templates")),
        instance_path=os.environ.get("WORKFLOW_APP_INSTANCE_PATH") or None,
    )
    instance_path = Path(app.instance_path)
    app.config.update(defaults(instance_path))
    # Any setting as WORKFLOW_APP_<NAME> (values parsed as JSON where they can be), then the
    # conventional names (DATABASE_URL, SECRET_KEY, REDIS_URL, WORKFLOW_APP_PROFILE).
    app.config.from_prefixed_env("WORKFLOW_APP")
    app.config.update(from_environment(os.environ))
    if config:
        app.config.update(config)
    check_profile(app.config)
    ensure_secret_key(app.config, instance_path)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        instance_path.mkdir(parents=True, exist_ok=True)

    from . import web

    web.init_app(app)
    return app

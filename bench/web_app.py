"""The WSGI app that bench/web.py serves under gunicorn: the real application factory plus a
minimal route (and a start-up probe), so the baseline shares the server, its workers and the
app's middleware.

    gunicorn --preload bench.web_app:app   (from the project root; settings from the
    environment)
"""

from __future__ import annotations

import os
import time

from flask import Flask, request

from workflow_app import create_app
from workflow_app.wsgi import compile_templates, freeze_loaded

PING_PATH = "/bench-ping"
WORKER_PATH = "/bench-worker"


def build() -> Flask:
    app = create_app()

    @app.get(PING_PATH)
    def bench_ping() -> str:
        # The baseline: Flask's request handling and the app's hooks, no database, no template.
        return "ok"

    @app.get(WORKER_PATH)
    def bench_worker() -> str:
        # For start-up only: which worker answered, after holding it a moment, so that
        # concurrent calls spread over the workers and show when all have loaded the app.
        time.sleep(min(request.args.get("hold", 0.0, type=float), 1.0))
        return str(os.getpid())

    # As the production entry point does (workflow_app/wsgi.py).
    compile_templates(app)
    freeze_loaded()
    return app


app = build()

"""The WSGI app that bench/web.py serves under gunicorn: the real application factory plus a
minimal route (and a start-up probe), so the baseline shares the server, its workers and the
app's middleware. Each worker also times its garbage collections (gc.callbacks), which
/bench-gc reports, so that the bench can tell GC pauses apart from the rest of a page.

    gunicorn --preload bench.web_app:app   (from the project root; settings from the
    environment)
"""

from __future__ import annotations

import gc
import json
import os
import time

from flask import Flask, request

from workflow_app import create_app
from workflow_app.wsgi import compile_templates, freeze_loaded

PING_PATH = "/bench-ping"
WORKER_PATH = "/bench-worker"
GC_PATH = "/bench-gc"

# Per generation: collections and their seconds, in this process (each worker its own after
# the fork: the callback is registered before it, the counts start at 0 in every worker).
_collections = [0, 0, 0]
_seconds = [0.0, 0.0, 0.0]
_longest = [0.0, 0.0, 0.0]
_started = [0.0]


def _time_collection(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
    else:
        generation = info["generation"]
        _collections[generation] += 1
        spent = time.perf_counter() - _started[0]
        _seconds[generation] += spent
        _longest[generation] = max(_longest[generation], spent)


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

    @app.get(GC_PATH)
    def bench_gc() -> str:
        # Held a moment too, so that concurrent calls reach every worker.
        time.sleep(min(request.args.get("hold", 0.0, type=float), 1.0))
        found = {
            "pid": os.getpid(),
            "collections": _collections,
            "seconds": _seconds,
            "longest": _longest,
        }
        return json.dumps(found)

    # As the production entry point does (workflow_app/wsgi.py).
    compile_templates(app)
    freeze_loaded()
    gc.callbacks.append(_time_collection)
    return app


app = build()

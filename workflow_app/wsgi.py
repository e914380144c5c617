"""The production WSGI entry point: `gunicorn --preload 'workflow_app.wsgi:create_app()'`.

The factory's app, its templates compiled, then its start-up objects (about 200,000: modules,
definitions, templates, SQLAlchemy's mappings) frozen out of the garbage collector's reach.
They live as long as the process, yet every full collection walked them all (~110 ms, every
~40 task pages): frozen, a collection looks only at what requests create. The Celery worker
does the same (workers/entry.py).

gunicorn loads the app once in its master (`--preload`, topology.web_command) and forks the
workers from it: the loaded and frozen objects are then shared copy-on-write by the workers,
not built again in each one, and a collection in a worker never touches (so never copies)
their pages. Nothing open crosses the fork: the start-up check closes its database connection
(versions/startup.py), redis-py reconnects in a child, the mailer forgets its SMTP connection.
"""

from __future__ import annotations

import gc

from flask import Flask

from . import create_app as build_app

# Allocations (less deallocations) of tracked objects between two collections of the youngest
# generation: CPython's 700 collects it ~20 times per task page, and every 100th collection is
# a full one, which walks all the page's live rows and objects (~16 ms CPU on the provincial
# /tasks, 13 x 200 bench data). At 7,000, the same page measured GC 1.6 -> 0.0 ms CPU per
# request and no full collection in 80 requests; at most ~7,000 more objects wait for one.
YOUNG_THRESHOLD = 7_000


def freeze_loaded() -> None:
    """Collect what start-up left over (so no garbage is kept for ever), then move every
    object alive into the permanent generation, which collections skip; the youngest
    generation collected ten times less often (YOUNG_THRESHOLD)."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)


def compile_templates(app: Flask) -> None:
    """Compile every template now (Jinja would on first use, in each worker): built once in
    the master, the compiled code is shared by the workers and no first request waits for it."""
    environment = app.jinja_env
    for name in environment.list_templates():
        environment.get_template(name)


def create_app() -> Flask:
    app = build_app()
    compile_templates(app)
    freeze_loaded()
    return app

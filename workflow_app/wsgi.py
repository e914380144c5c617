"""The production WSGI entry point: `gunicorn 'workflow_app.wsgi:create_app()'`.

The factory's app, then its start-up objects (about 200,000: modules, definitions, templates,
SQLAlchemy's mappings) frozen out of the garbage collector's reach. They live as long as the
process, yet every full collection walked them all (~110 ms, every ~40 task pages): frozen,
a collection looks only at what requests create. The Celery worker does the same
(workers/entry.py).
"""

from __future__ import annotations

import gc

from flask import Flask

from . import create_app as build_app


def freeze_loaded() -> None:
    """Collect what start-up left over (so no garbage is kept for ever), then move every
    object alive into the permanent generation, which collections skip."""
    gc.collect()
    gc.freeze()


def create_app() -> Flask:
    app = build_app()
    freeze_loaded()
    return app

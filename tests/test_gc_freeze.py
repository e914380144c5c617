"""The production entry points freeze the app's start-up objects out of the garbage
collector's reach (gc.freeze): the web command of the stack and of docker-compose.yml
(gunicorn's `workflow_app.wsgi:create_app()`) and the Celery worker (workers/entry.py, and
each pool process as it starts). Each is loaded in a fresh interpreter, as gunicorn and Celery
load it: a freeze in this process would keep the test run's objects for ever."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.external import once_per_ci_run
from workflow_app.stack.topology import web_command
from workflow_app.wsgi import YOUNG_THRESHOLD

ROOT = Path(__file__).resolve().parents[1]

LOAD_WEB = r"""
import gc, json, os, sys
from gunicorn.app.wsgiapp import WSGIApplication
sys.argv = json.loads(sys.argv[1])
before = gc.get_freeze_count()
application = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]")
wsgi = application.load()
def target(fd):
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # the descriptor listdir itself used
        return ""
sockets = [fd for fd in os.listdir("/proc/self/fd") if target(fd).startswith("socket:")]
print(json.dumps({"app": type(wsgi).__name__, "before": before, "after": gc.get_freeze_count(),
                  "threshold": gc.get_threshold()[0],
                  "preload": application.cfg.preload_app,
                  "templates": len(wsgi.jinja_env.list_templates()),
                  "compiled": len(wsgi.jinja_env.cache), "sockets": len(sockets)}))
"""

LOAD_WORKER = r"""
import gc, json
before = gc.get_freeze_count()
import workers
workers.app  # what `celery --app=workers` loads
loaded = gc.get_freeze_count()
gc.unfreeze()
from celery.signals import worker_process_init
worker_process_init.send(sender=None)  # what a prefork pool process receives as it starts
print(json.dumps({"before": before, "loaded": loaded, "pool": gc.get_freeze_count()}))
"""


def run(code: str, tmp_path: Path, *args: str) -> dict:
    env = dict(os.environ)
    env.update(
        WORKFLOW_APP_INSTANCE_PATH=str(tmp_path / "instance"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}",
        SECRET_KEY="gc-freeze-test",
        CELERY_BROKER_URL="memory://",
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(autouse=True, scope="module")
def _once_per_ci_run() -> None:
    # Each process is given a SQLite database of its own: the database under test plays no part.
    once_per_ci_run("the freeze of the loaded app", because="its processes use SQLite")


@pytest.fixture(scope="module")
def web_master(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """What LOAD_WEB saw of the web entry point, loaded once for the two tests that read it."""
    command = list(web_command("127.0.0.1:0", {}))
    return run(LOAD_WEB, tmp_path_factory.mktemp("web"), json.dumps(command))


def test_the_web_entry_point_freezes_the_loaded_app(web_master: dict) -> None:
    found = web_master
    assert found["app"] == "Flask"
    assert found["before"] == 0
    assert found["after"] > 0
    assert found["threshold"] == YOUNG_THRESHOLD


def test_the_web_master_loads_the_app_for_its_workers_with_nothing_open(web_master: dict) -> None:
    """gunicorn loads the app in its master and forks the workers from it (--preload), so the
    loaded, frozen objects and the compiled templates are shared copy-on-write; no socket (a
    database or Redis connection) is open then, or two workers would share it."""
    found = web_master
    assert found["preload"] is True
    assert found["templates"] > 0
    assert found["compiled"] == found["templates"]
    assert found["sockets"] == 0


def test_the_worker_and_each_pool_process_freeze_the_loaded_app(tmp_path: Path) -> None:
    found = run(LOAD_WORKER, tmp_path)
    assert found["before"] == 0
    assert found["loaded"] > 0
    assert found["pool"] > 0

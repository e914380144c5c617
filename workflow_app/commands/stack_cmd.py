"""`workflow-app stack [--port 8000]`: the production topology, natively (workflow_app/stack/).

It takes DATABASE_URL (default: the local PostgreSQL's `workflow_app` database, created if
missing), REDIS_URL (default: the local Redis) and the MAIL_* settings from the environment; with
no MAIL_SERVER it starts its own SMTP server, whose mail the admin area's mailbox shows. The
profile stays the environment's (embedded unless WORKFLOW_APP_PROFILE says production): the
stack serves plain HTTP on loopback, where production's Secure cookies would not be sent."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

import click
import psycopg
import redis
from flask import current_app
from flask.cli import with_appcontext

from ..stack.database import ensure_database
from ..stack.supervisor import StackError, Supervisor, http_ready
from ..stack.topology import MALLOC_ENVIRONMENT, migrate_command, seed_command, services

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/workflow_app"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def stack_environment(
    environ: Mapping[str, str], *, port: int, instance: Path, smtp_port: int | None
) -> dict[str, str]:
    """The children's environment: the caller's, with what the topology needs where unset."""
    env = dict(environ)
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = env.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    # Broker, login throttles and the dashboard cache in Redis, as in production: any number
    # of web and worker processes share them.
    env.setdefault("CELERY_BROKER_URL", redis_url)
    env.setdefault("RATELIMIT_STORAGE_URI", redis_url)
    env.setdefault("WORKFLOW_APP_CACHE_TYPE", "RedisCache")
    env.setdefault("WORKFLOW_APP_CACHE_REDIS_URL", redis_url)
    env.setdefault("WORKFLOW_APP_MAIL_BACKEND", "smtp")
    env.setdefault("WORKFLOW_APP_BASE_URL", f"http://127.0.0.1:{port}")
    env.setdefault("WORKFLOW_APP_LOG_FORMAT", "json")
    env.setdefault("WORKFLOW_APP_SQLALCHEMY_ENGINE_OPTIONS", '{"pool_pre_ping": true}')
    env.setdefault("WORKFLOW_APP_INSTANCE_PATH", str(instance))
    env.setdefault("PYTHONUNBUFFERED", "1")
    for name, value in MALLOC_ENVIRONMENT.items():  # freed buffers handed back (topology.py)
        env.setdefault(name, value)
    if smtp_port is not None:
        env["MAIL_SERVER"] = "127.0.0.1"
        env["MAIL_PORT"] = str(smtp_port)
    return env


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def check_services(env: Mapping[str, str]) -> None:
    """Say plainly which server is missing, before starting anything that would loop on it."""
    database_url = env["DATABASE_URL"]
    if database_url.startswith(("postgres://", "postgresql")):
        try:
            if ensure_database(database_url):
                click.echo(f"stack: created the database of {database_url}")
        except psycopg.OperationalError as exc:
            raise click.ClickException(
                f"PostgreSQL does not answer at {database_url}: start it, or set DATABASE_URL "
                f"({str(exc).strip().splitlines()[0]})"
            ) from exc
    try:
        redis.Redis.from_url(env["REDIS_URL"], socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        raise click.ClickException(
            f"Redis does not answer at {env['REDIS_URL']}: start it, or set REDIS_URL ({exc})"
        ) from exc


@click.command("stack")
@click.option("--port", type=int, envvar="PORT", default=8000, show_default=True,
              help="Serve on http://127.0.0.1:PORT (also from the PORT variable).")  # fmt: skip
@click.option("--smtp-port", type=int, default=1025, show_default=True,
              help="The local SMTP server's port, when MAIL_SERVER is not set.")  # fmt: skip
@click.option("--log-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Each process's output to LOG_DIR/<name>.log, not this terminal.")  # fmt: skip
@click.option("--seed-demo", is_flag=True, help="Load the demo data after migrating.")
@with_appcontext
def stack_command(port: int, smtp_port: int, log_dir: Path | None, seed_demo: bool) -> None:
    """Run web (gunicorn), worker, beat and a local SMTP server, as docker-compose.yml does."""
    instance = Path(current_app.instance_path)
    own_smtp = None if os.environ.get("MAIL_SERVER") else smtp_port
    env = stack_environment(os.environ, port=port, instance=instance, smtp_port=own_smtp)
    for wanted, what in ((port, "PORT"), (own_smtp, "--smtp-port")):
        if wanted is not None and not port_is_free(wanted):
            raise click.ClickException(f"port {wanted} is in use: choose another with {what}")
    check_services(env)
    supervisor = Supervisor(env, cwd=Path.cwd(), out=sys.stdout, log_dir=log_dir)
    try:
        supervisor.run_once("migrate", migrate_command())
        if seed_demo:
            supervisor.run_once("seed-demo", seed_command())
    except StackError as exc:
        raise click.ClickException(str(exc)) from exc
    for service in services(port, instance, env, smtp_port=own_smtp):
        supervisor.start(service)
    click.echo(f"stack: serving http://127.0.0.1:{port} (stop with Ctrl-C)")
    supervisor.supervise(http_ready(f"http://127.0.0.1:{port}/readyz"))

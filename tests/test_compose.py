"""The Docker topology without a Docker engine: docker-compose.yml is valid against the Compose
specification, every service's command names something the project really has, and every
setting the compose file uses is documented in .env.example and read by someone."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from workflow_app.config import defaults, from_environment

from .external import once_per_ci_run, unavailable

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
# Read by docker-compose.yml itself (ports, process counts, database account), not by the app.
TOPOLOGY_SETTINGS = {
    "WORKFLOW_APP_IMAGE",
    "WEB_PORT",
    "WEB_CONCURRENCY",
    "WORKER_CONCURRENCY",
    "MAIL_UI_PORT",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_DB",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
}
# What a fresh `cp .env.example .env` leaves for the operator to fill in.
REQUIRED_SECRETS = {"SECRET_KEY": "compose-test-secret", "POSTGRES_PASSWORD": "composetestpw"}

VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")

# Run in a fresh interpreter with a service's environment: resolves the service's command
# the way the real program would, without starting it, and prints what it found.
RESOLVE_COMMAND = r"""
import json, sys
argv = json.loads(sys.argv[1])
program, args = argv[0], argv[1:]
found = {}

def unparsed(ctx):
    # A group keeps its subcommand's name apart (click < 9) or in ctx.args (click 9).
    return [*getattr(ctx, "_protected_args", []), *ctx.args]

if program == "gunicorn":
    from gunicorn.app.wsgiapp import WSGIApplication
    sys.argv = argv  # gunicorn parses its own command line, options and APP_MODULE
    application = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]")
    wsgi = application.load()
    found = {"app": type(wsgi).__name__, "callable": callable(wsgi),
             "bind": application.cfg.bind, "workers": application.cfg.workers}
elif program == "celery":
    from celery import Celery
    from celery.app.utils import find_app
    from celery.bin.celery import celery as cli
    ctx = cli.make_context("celery", list(args))
    app = find_app(ctx.params["app"])
    [name, *rest] = unparsed(ctx)
    command = cli.commands[name]
    known = {opt for param in command.params for opt in param.opts}
    unknown = [a.split("=")[0] for a in rest if a.startswith("-") and a.split("=")[0] not in known]
    found = {"celery_app": isinstance(app, Celery), "subcommand": name, "unknown": unknown}
elif program == "workflow-app":
    import click
    from workflow_app.cli import main
    group, ctx, path = main, main.make_context("workflow-app", list(args)), []
    rest = unparsed(ctx)
    while isinstance(group, click.Group) and rest:
        name, command, rest = group.resolve_command(ctx, rest)
        path.append(name)
        ctx = command.make_context(name, list(rest), parent=ctx)
        group, rest = command, unparsed(ctx)
    found = {"path": path, "leaf": not isinstance(group, click.Group)}
print(json.dumps(found))
"""


@pytest.fixture(autouse=True, scope="module")
def _once_per_ci_run() -> None:
    # Files and interpreters of its own, given the compose file's settings: no database.
    once_per_ci_run("the compose file's checks", because="the database under test plays no part")


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def env_example() -> dict[str, tuple[str, bool]]:
    """name -> (value, active): `NAME=value` lines and commented `# NAME=value` defaults."""
    found: dict[str, tuple[str, bool]] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            value = match.group(3).strip().strip('"')
            found[match.group(2)] = (value, match.group(1) is None)
    return found


def interpolate(text: str, values: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}`, `$$` for a literal `$`."""

    def substitute(match: re.Match[str]) -> str:
        name, operator, argument = match.groups()
        value = values.get(name, "")
        if operator in (":?", "?") and not value:
            raise AssertionError(f"{name} is required: {argument}")
        if operator in (":-", "-") and not value:
            return argument
        return value

    return VARIABLE.sub(substitute, text).replace("$$", "$")


def configured(env: dict[str, str]) -> dict[str, Any]:
    """The compose model as `docker compose config` would see it with this .env."""
    return yaml.safe_load(interpolate(COMPOSE_FILE.read_text(), env))


def fresh_env() -> dict[str, str]:
    """A copied .env.example with the required secrets filled in."""
    values = {name: value for name, (value, active) in env_example().items() if active}
    values.update(REQUIRED_SECRETS)
    return values


def argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


# --- the Compose specification --------------------------------------------------------------


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    try:
        import check_jsonschema  # noqa: F401  (the validator, with the schema bundled)
    except ImportError:
        unavailable("check-jsonschema is not installed (pip install -e '.[dev]')")
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
    return subprocess.run(
        [*command, str(path)], capture_output=True, text=True, timeout=120, check=False
    )


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    result = validate(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_rejects_a_compose_file_that_breaks_the_specification(
    tmp_path: Path,
) -> None:
    model = compose()
    model["services"]["web"]["depends_on"]["migrate"]["condition"] = "service_finished"
    model["services"]["worker"]["restart_policy"] = "always"
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(model))
    result = validate(broken)
    assert result.returncode != 0
    assert "service_finished" in result.stdout
    assert "restart_policy" in result.stdout


# --- the topology ----------------------------------------------------------------------------


def test_topology_has_the_services_one_image_and_named_volumes() -> None:
    model = configured(fresh_env())
    services = model["services"]
    assert {"web", "worker", "beat", "migrate", "postgres", "redis", "mail"} <= set(services)
    images = {services[name]["image"] for name in ("web", "worker", "beat", "migrate")}
    assert images == {"workflow-app:latest"}
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert {"postgres-data", "redis-data", "attachments"} <= set(model["volumes"])
    # The app runs in the production profile and mails the `mail` service by default.
    environment = services["worker"]["environment"]
    assert environment["WORKFLOW_APP_PROFILE"] == "production"
    assert environment["DATABASE_URL"] == (
        "postgresql://workflow_app:composetestpw@postgres:5432/workflow_app"
    )
    assert (environment["MAIL_SERVER"], str(environment["MAIL_PORT"])) == ("mail", "1025")


def test_compose_refuses_to_start_while_a_secret_is_unset() -> None:
    for name in REQUIRED_SECRETS:
        assert env_example()[name] == ("", True), f"{name} must be empty in .env.example"
        env = fresh_env()
        env[name] = ""
        with pytest.raises(AssertionError, match=name):
            configured(env)


@pytest.mark.parametrize("service", ["migrate", "web", "worker", "beat", "seed-demo"])
def test_service_command_names_what_exists(service: str, tmp_path: Path) -> None:
    model = configured(fresh_env())
    definition = model["services"][service]
    command = argv(definition["command"])
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update({key: str(value) for key, value in definition["environment"].items()})
    # Paths inside the image are not writable here; nothing else differs from the container.
    env["WORKFLOW_APP_INSTANCE_PATH"] = str(tmp_path / "instance")
    env["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")
    result = subprocess.run(
        [sys.executable, "-c", RESOLVE_COMMAND, json.dumps(command)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    if command[0] == "gunicorn":
        assert found == {"app": "Flask", "callable": True, "bind": ["0.0.0.0:8000"], "workers": 2}
    elif command[0] == "celery":
        assert found["celery_app"] is True
        assert found["subcommand"] == service
        assert found["unknown"] == []
    else:
        expected = {"migrate": ["db", "upgrade"], "seed-demo": ["seed-demo"]}[service]
        assert found == {"path": expected, "leaf": True}


def test_healthcheck_commands_name_what_exists() -> None:
    services = configured(fresh_env())["services"]
    web_check = " ".join(services["web"]["healthcheck"]["test"])
    assert "/healthz" in web_check
    worker_check = argv(services["worker"]["healthcheck"]["test"][1])
    assert worker_check[:4] == ["celery", "--app=workers", "inspect", "ping"]
    assert worker_check[4].startswith("--destination=celery@$HOSTNAME")
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "http://127.0.0.1:8000/healthz" in dockerfile
    assert '"workflow_app.wsgi:create_app()"' in dockerfile


# --- settings --------------------------------------------------------------------------------


def test_every_compose_variable_is_documented_in_env_example() -> None:
    used = set(VARIABLE.findall(COMPOSE_FILE.read_text()))
    documented = set(env_example())
    missing = sorted({name for name, _, _ in used} - documented)
    assert missing == []


def test_every_env_example_setting_has_a_comment_and_is_read_by_someone() -> None:
    lines = ENV_EXAMPLE.read_text().splitlines()
    compose_text = COMPOSE_FILE.read_text()
    app_source = "\n".join(
        path.read_text() for path in (ROOT / "workflow_app").rglob("*.py") if path.is_file()
    )
    setting_names = set(defaults(Path("instance")))
    unread = []
    for index, line in enumerate(lines):
        match = ASSIGNMENT.match(line)
        if not match:
            continue
        name = match.group(2)
        previous = lines[index - 1]
        assert previous.startswith("#") and not ASSIGNMENT.match(previous), (
            f"{name} needs a comment line of its own above it"
        )
        if name in TOPOLOGY_SETTINGS:
            read = "${" + name in compose_text
        elif name.startswith("WORKFLOW_APP_"):
            # from_prefixed_env: any setting; or a variable the code reads itself.
            read = name.removeprefix("WORKFLOW_APP_") in setting_names or f'"{name}"' in app_source
        else:
            read = bool(from_environment({name: "60"}))
        if not read:
            unread.append(name)
    assert unread == []


# --- the same topology natively (workflow-app stack) -----------------------------------------


def test_the_native_stack_runs_the_compose_commands() -> None:
    """`make stack` is the compose topology without Docker: the same programs with the same
    options, only bound to loopback instead of the container's 0.0.0.0:8000."""
    from workflow_app.stack.topology import (
        beat_command,
        migrate_command,
        seed_command,
        web_command,
        worker_command,
    )

    env = fresh_env()
    services = configured(env)["services"]
    sizes = {"WEB_CONCURRENCY": env.get("WEB_CONCURRENCY", "2")}
    sizes["WORKER_CONCURRENCY"] = env.get("WORKER_CONCURRENCY", "2")
    assert argv(services["web"]["command"]) == list(web_command("0.0.0.0:8000", sizes))
    assert argv(services["worker"]["command"]) == list(worker_command(sizes))
    assert argv(services["beat"]["command"]) == list(beat_command())
    assert argv(services["migrate"]["command"]) == list(migrate_command())
    assert argv(services["seed-demo"]["command"]) == list(seed_command())
    # The image's own default command (`docker run` without compose) is the same web server.
    cmd = [
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD")
    ]
    assert json.loads(cmd[-1].removeprefix("CMD")) == list(web_command("0.0.0.0:8000", {}))

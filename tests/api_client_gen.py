"""A Python client generated from the API's served OpenAPI document with
openapi-python-client (a dev extra; it runs offline), imported from a temporary directory.

The same recipe as the README's: `openapi-python-client generate --path openapi.json
--output-path <dir>/wf_api_client --meta none --config config.yml`, the config mapping the
API's file media types (a workbook, PDF and images, a declared kind's stored file) to binary,
which the generator otherwise leaves out."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from .external import unavailable

PACKAGE = "wf_api_client"
# Bodies that are a file's bytes: generated as `File` (request) and raw bytes (response).
BINARY = "application/octet-stream"


def _file_media_types(document: dict[str, Any]) -> set[str]:
    """The media types of the document's file bodies (format: binary, not a form)."""
    found = set()
    for item in document["paths"].values():
        for operation in item.values():
            bodies = [operation.get("requestBody", {}), *operation["responses"].values()]
            for body in bodies:
                for media_type, content in body.get("content", {}).items():
                    binary = content.get("schema", {}).get("format") == "binary"
                    if binary and media_type not in (BINARY, "multipart/form-data"):
                        found.add(media_type)
    return found


def generator() -> str:
    """The openapi-python-client command, next to this interpreter (the project's venv)."""
    command = Path(sys.executable).parent / "openapi-python-client"
    if not command.exists():
        found = shutil.which("openapi-python-client")
        if found is None:
            unavailable("openapi-python-client is not installed (pip install -e '.[dev]')")
        return str(found)
    return str(command)


def generate_client(document: dict[str, Any], into: Path) -> ModuleType:
    """Generate the client of `document` under `into` and import it (fresh: any client of an
    earlier document is forgotten first)."""
    into.mkdir(parents=True, exist_ok=True)
    source, config = into / "openapi.json", into / "config.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    overrides = {media_type: BINARY for media_type in _file_media_types(document)}
    config.write_text(json.dumps({"content_type_overrides": overrides}), encoding="utf-8")
    output = into / PACKAGE
    # The generator formats its output with ruff when it finds it: the venv's.
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(
        [
            generator(),
            "generate",
            "--path",
            str(source),
            "--output-path",
            str(output),
            "--meta",
            "none",
            "--config",
            str(config),
            "--overwrite",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0 and (output / "client.py").exists(), done.stdout + done.stderr
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    sys.path.insert(0, str(into))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(into))


def api_module(client_package: ModuleType, tag: str, operation_id: str) -> ModuleType | None:
    """The generated module of one operation (api/<tag>/<operation_id>.py), None if the
    document has not got it."""
    name = f"{client_package.__name__}.api.{tag}.{operation_id}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        return None

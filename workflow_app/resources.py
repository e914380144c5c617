"""Where the top-level resource folders are: inside the package when installed from a wheel,
at the repository root when running from a checkout (editable install)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_path(name: str) -> Path:
    bundled = _PACKAGE_DIR / name
    if bundled.is_dir():
        return bundled
    return _PACKAGE_DIR.parent / name

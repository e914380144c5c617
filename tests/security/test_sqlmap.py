"""sqlmap finds nothing injectable in the login form, the list and dashboard filters and a POST
form (tests/security/sqlmap_run.py, about two minutes, on loopback only)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.external import once_per_ci_run, unavailable

ROOT = Path(__file__).resolve().parents[2]
SECONDS_PER_TARGET = 25
TARGETS = 5


def test_sqlmap_finds_nothing_injectable() -> None:
    once_per_ci_run("sqlmap")
    if shutil.which("sqlmap") is None:
        unavailable("sqlmap is not installed (apt-get install sqlmap)")
    done = subprocess.run(
        [sys.executable, "-m", "tests.security.sqlmap_run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SECONDS_PER_TARGET * TARGETS + 60,
        stdin=subprocess.DEVNULL,
    )
    report = done.stdout + done.stderr
    print(report)  # the summary, for the log
    assert "sqlmap summary: 5 targets, 0 injectable, 0 errors" in report, report[-3000:]
    assert done.returncode == 0, report[-3000:]

"""The stack's processes (and the image's) run with glibc's mmap threshold pinned: a login's
argon2 buffer (19 MiB) is handed back to the system when freed, instead of staying in each web
worker's heap for good (stack/topology.py). Counted in bytes kept free by malloc, not timed."""

from __future__ import annotations

import ctypes
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workflow_app.commands.stack_cmd import stack_environment
from workflow_app.stack.topology import MALLOC_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024

# A few logins' password checks, with other large allocations in between as a request makes;
# then the bytes malloc keeps free in its heap (mallinfo2: fordblks).
LOGINS = """
import ctypes, json
from workflow_app.accounts.models import password_hasher

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

digest = password_hasher.hash("a password of the bench")
for _ in range(4):
    password_hasher.verify(digest, "a password of the bench")
    pages = [bytes(300_000) for _ in range(3)]
    del pages
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
print(json.dumps({"free": libc.mallinfo2().fordblks}))
"""


def _glibc_with_mallinfo2() -> bool:
    try:
        return hasattr(ctypes.CDLL("libc.so.6"), "mallinfo2")
    except OSError:
        return False


def _heap_kept_free(tmp_path: Path, extra: dict[str, str]) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.update(extra, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", LOGINS],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=tmp_path,
        env=env,
    )
    return json.loads(done.stdout.splitlines()[-1])["free"]


def test_the_stack_pins_the_threshold_unless_the_caller_set_it(tmp_path: Path) -> None:
    env = stack_environment({}, port=8000, instance=tmp_path, smtp_port=None)
    assert {name: env[name] for name in MALLOC_ENVIRONMENT} == MALLOC_ENVIRONMENT
    own = stack_environment(
        {"MALLOC_MMAP_THRESHOLD_": "262144"}, port=8000, instance=tmp_path, smtp_port=None
    )
    assert own["MALLOC_MMAP_THRESHOLD_"] == "262144"


def test_the_image_sets_what_the_stack_sets() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    runtime = dockerfile[dockerfile.index("AS runtime") :]
    for name, value in MALLOC_ENVIRONMENT.items():
        assert re.search(rf"^\s+{re.escape(name)}={value}\b", runtime, re.MULTILINE), name


@pytest.mark.skipif(not _glibc_with_mallinfo2(), reason="glibc's malloc (2.33+) only")
def test_argon2s_buffer_goes_back_to_the_system(tmp_path: Path) -> None:
    pinned = _heap_kept_free(tmp_path, MALLOC_ENVIRONMENT)
    default = _heap_kept_free(tmp_path, {})
    # Without the setting, the freed 19 MiB buffer stays in the heap (what the web workers
    # kept); with it, the heap keeps only small change.
    assert default > 15 * MIB
    assert pinned < 4 * MIB

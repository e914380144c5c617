"""A gunicorn configuration module that profiles the memory a web worker gains while it serves:
tracemalloc from the fork on, and at the worker's exit a snapshot of what it then holds, its
/proc smaps_rollup, glibc's malloc statistics (before and after malloc_trim) and the sizes of
the caches it grew. Nothing of the app changes; enabled from the environment only:

    GUNICORN_CMD_ARGS="--config=python:bench.memory_trace_gunicorn" \\
    WORKFLOW_APP_MEMORY_TRACE=/tmp/trace PYTHONPATH=. .venv/bin/python bench/load.py ...

then `python bench/memory_trace_gunicorn.py /tmp/trace` prints the top growers per worker.
Tracing costs CPU and memory of its own: the figures of such a run are not the stack's.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import sys
import tempfile
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

# Frames kept per allocation (WORKFLOW_APP_MEMORY_TRACE_FRAMES); 0: no tracemalloc at all, only
# the /proc, malloc and cache figures (tracing slows every request down several times).
FRAMES = int(os.environ.get("WORKFLOW_APP_MEMORY_TRACE_FRAMES", "1"))


def _out() -> Path:
    path = Path(os.environ.get("WORKFLOW_APP_MEMORY_TRACE", "/tmp/wf-memory-trace"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def smaps_rollup() -> dict[str, int]:
    """kB per field of /proc/self/smaps_rollup (Rss, Pss, Private_Dirty, Anonymous...)."""
    found: dict[str, int] = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        found[key] = int(value.split()[0])
    return found


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def mallinfo() -> dict[str, int]:
    """glibc's main figures in KiB: arena (heap from brk/mmap'd arenas), uordblks (in use),
    fordblks (free but kept), hblkhd (direct mmaps)."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    return {name: getattr(info, name) // 1024 for name, _ in _MallInfo2._fields_}


def malloc_trim() -> None:
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def cache_sizes(app: Any) -> dict[str, Any]:
    """The caches a worker fills while serving: functools' LRU caches, SQLAlchemy's compiled
    statement cache per engine, Jinja's template cache."""
    sizes: dict[str, Any] = {}
    # The module-level caches were frozen at start-up (wsgi.freeze_loaded): gc.get_objects()
    # no longer lists them, the modules' namespaces do.
    seen: set[int] = set()
    for name, module in list(sys.modules.items()):
        if not name.startswith(("workflow_app", "sqlalchemy", "jinja2", "flask", "babel")):
            continue
        for attr, value in list(vars(module).items()):
            if attr.startswith("__") or id(value) in seen:
                continue
            seen.add(id(value))
            if type(value).__name__ == "_lru_cache_wrapper":
                info = value.cache_info()
                if info.currsize:
                    sizes[f"lru {name}.{attr}"] = info._asdict()
            elif isinstance(value, dict) and len(value) > 50:
                sizes[f"dict {name}.{attr}"] = len(value)
    if app is not None:
        with app.app_context():
            engines = app.extensions["sqlalchemy"].engines
            for key, engine in engines.items():
                cache = engine._compiled_cache
                sizes[f"sqlalchemy compiled cache {key}"] = None if cache is None else len(cache)
        sizes["jinja cache"] = len(app.jinja_env.cache or {})
    return sizes


def object_types(limit: int = 25) -> list[tuple[str, int]]:
    counts = Counter(type(obj).__qualname__ for obj in gc.get_objects())
    return counts.most_common(limit)


def pymalloc_stats() -> dict[str, int]:
    """CPython's own allocator (its arenas are mmap'd, outside malloc's figures): arenas
    allocated now and bytes in used / free blocks, from sys._debugmallocstats."""
    with tempfile.TemporaryFile("w+") as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        text = sink.read()
    found: dict[str, int] = {}
    for line in text.splitlines():
        if "=" in line and line.startswith("#"):
            key, _, value = line.lstrip("# ").partition("=")
            digits = value.strip().replace(",", "")
            if digits.isdigit():
                found[key.strip()] = int(digits)
    return found


def post_fork(server: Any, worker: Any) -> None:
    if FRAMES:
        tracemalloc.start(FRAMES)
    state = {
        "smaps": smaps_rollup(),
        "mallinfo": mallinfo(),
        "pymalloc": pymalloc_stats(),
        "types": object_types(),
    }
    (_out() / f"{os.getpid()}-start.json").write_text(json.dumps(state))


def worker_exit(server: Any, worker: Any) -> None:
    out = _out()
    if FRAMES:
        snapshot = tracemalloc.take_snapshot()
        tracemalloc.stop()
        snapshot.dump(str(out / f"{os.getpid()}-end.snap"))
    state: dict[str, Any] = {
        "smaps": smaps_rollup(),
        "mallinfo": mallinfo(),
        "pymalloc": pymalloc_stats(),
        "types": object_types(),
        "caches": cache_sizes(getattr(worker, "wsgi", None)),
    }
    malloc_trim()
    state["smaps_after_trim"] = smaps_rollup()
    state["mallinfo_after_trim"] = mallinfo()
    (out / f"{os.getpid()}-end.json").write_text(json.dumps(state, default=str))


def report(directory: Path, top: int = 30) -> None:
    for ended in sorted(directory.glob("*-end.json")):
        pid = ended.name.split("-")[0]
        snap = directory / f"{pid}-end.snap"
        print(f"== worker {pid}")
        start = json.loads((directory / f"{pid}-start.json").read_text())
        end = json.loads((directory / f"{pid}-end.json").read_text())
        for key in ("Rss", "Pss", "Private_Dirty", "Anonymous"):
            begin, finish = start["smaps"][key] / 1024, end["smaps"][key] / 1024
            trimmed = end["smaps_after_trim"][key] / 1024
            print(f"{key:14} start {begin:7.1f}  end {finish:7.1f}  after trim {trimmed:7.1f} MiB")
        print("mallinfo start", start["mallinfo"])
        print("mallinfo end  ", end["mallinfo"])
        print("mallinfo trim ", end["mallinfo_after_trim"])
        print("caches", json.dumps(end["caches"], indent=1))
        print("pymalloc start", start["pymalloc"])
        print("pymalloc end  ", end["pymalloc"])
        print("types start", start["types"][:15])
        print("types end  ", end["types"][:15])
        if not snap.exists():
            continue
        stats = tracemalloc.Snapshot.load(str(snap)).statistics("traceback")
        total = sum(stat.size for stat in stats)
        print(f"traced at the end: {total / 2**20:.1f} MiB in {len(stats)} tracebacks")
        by_file = tracemalloc.Snapshot.load(str(snap)).statistics("filename")
        for stat in by_file[:top]:
            print(f"  {stat.size / 2**20:7.2f} MiB {stat.count:8}  {stat.traceback[0].filename}")
        for stat in stats[:top]:
            print(f"--- {stat.size / 2**20:.2f} MiB in {stat.count} blocks")
            for frame in stat.traceback.format(most_recent_first=True)[: FRAMES * 2]:
                print("    " + frame)


if __name__ == "__main__":
    report(Path(sys.argv[1]))

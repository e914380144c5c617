"""What every bench prints: the machine, the load, its ratios and absolute figures, and at the
end ONE line of JSON, so that a script can follow the ratios from run to run:

    {"bench": "web", "load": [1.2, 0.9, 0.7], "ratios": {...}, "figures": {...}}

Also the Redis database a bench may use: a numbered database of its own (never 0), flushed
before and after the run, and refused when another program's keys are in it.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# A bench marks the Redis database it works in with this key, so that a later run (after a
# crash) recognises its own leftovers and flushes them, but never another program's data.
OWNER_KEY = "wf-bench:owner"


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def load_average() -> list[float]:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:  # not on this platform
        return []


def machine() -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
    }


def machine_lines() -> list[str]:
    found = machine()
    load = ", ".join(f"{value:.2f}" for value in load_average())
    return [
        f"cpu: {found['cpu']}",
        f"cores: {found['cores']}",
        f"python: {found['python']}",
        f"load average at start: {load}",
    ]


def emit(bench: str, ratios: Mapping[str, float], figures: Mapping[str, Any]) -> None:
    """The ratios, the machine and load, then the one JSON line (the last line printed)."""
    print("ratios:")
    for name, value in ratios.items():
        print(f"  {name}: {value:.3f}")
    load = load_average()
    print(f"load average at the end: {', '.join(f'{value:.2f}' for value in load)}")
    line = {
        "bench": bench,
        "load": load,
        "machine": machine(),
        "ratios": {name: round(value, 4) for name, value in ratios.items()},
        "figures": dict(figures),
    }
    print(json.dumps(line, sort_keys=False), flush=True)


# --- processes ------------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def children(parent: int) -> list[int]:
    """The pids whose parent is `parent` (from /proc), sorted."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The parent pid is the second field after the parenthesised command name.
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.append(int(entry.name))
    return sorted(found)


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime: fields 14 and 15 of stat, 12 and 13 after the command name.
    return (int(fields[11]) + int(fields[12])) / TICKS


def memory_mib(pid: int) -> dict[str, float] | None:
    """RSS (every resident page mapped, shared ones whole), PSS (shared pages divided among
    the processes sharing them) and USS (pages of this process alone: what ending it frees),
    in MiB, from /proc/<pid>/smaps_rollup."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    kib = {}
    for line in text.splitlines()[1:]:
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            kib[name] = int(parts[0])
    private = kib.get("Private_Clean", 0) + kib.get("Private_Dirty", 0)
    return {
        "rss": round(kib.get("Rss", 0) / 1024, 1),
        "pss": round(kib.get("Pss", 0) / 1024, 1),
        "uss": round(private / 1024, 1),
    }


# --- Redis ----------------------------------------------------------------------------------


def redis_db_url(url: str, db: int) -> str:
    """`url` (redis://host:port[/n]) on database `db`."""
    from redis.connection import parse_url

    parsed = parse_url(url)
    host, port = parsed.get("host", "127.0.0.1"), parsed.get("port", 6379)
    password = parsed.get("password")
    auth = f":{password}@" if password else ""
    return f"redis://{auth}{host}:{port}/{db}"


def redis_problem(url: str) -> str | None:
    """Why Redis at `url` cannot be used, or None."""
    try:
        import redis
    except ImportError:  # pragma: no cover - a dependency of the app
        return "the redis package is not installed"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis is not reachable at {url}: {exc}"
    return None


@contextmanager
def own_redis_db(url: str, owner: str) -> Iterator[str]:
    """Database `n` of `url` for this run: refused if it is 0 or holds another program's keys;
    flushed (that database only) before and after."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    number = int(client.connection_pool.connection_kwargs.get("db", 0))
    if number == 0:
        raise SystemExit(f"refusing Redis database 0 ({url}): give the bench one of its own")
    size = client.dbsize()
    if size and client.get(OWNER_KEY) is None:
        raise SystemExit(
            f"Redis database {number} at {url} holds {size} keys of another program:"
            " choose a free database number"
        )
    client.flushdb()
    client.set(OWNER_KEY, owner)
    try:
        yield url
    finally:
        client.flushdb()
        client.close()

"""Static files: compressed, under content-hashed names, cached by browsers for a year.

At start-up every file the pages link (the app's static folder and the Bootstrap files named in
BOOTSTRAP_FILES) is copied into STATIC_CACHE_DIR (instance/static-cache, never the repository)
under a name carrying its content's hash (app.css -> app.3f2a9b1c4d5e.css), beside its gzip
form (and Brotli, when the `brotli` package is installed). A copy already there is reused, so
a restart costs a hash per file. WhiteNoise, wrapped around the WSGI app (so gunicorn, `make
run` and the test client all go through it), serves them: the compressed form the browser
accepts, ETag and Last-Modified, and for a hashed name `Cache-Control: public, max-age=...,
immutable`: a changed file gets a new name, so a browser never asks again.

`url_for('static', filename='app.css')` and `url_for('bootstrap.static', ...)` give the hashed
URL; the plain name still works, cached for a minute. A file not known at start-up (added
since, or another of Bootstrap-Flask's 17 MB of themes and icons) falls through to Flask's own
static route, uncompressed. In debug mode nothing of this is installed: Flask serves the
files as they are on disk, so an edited stylesheet shows on the next reload.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.headers import Headers

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor, brotli_installed

log = logging.getLogger(__name__)

#: Bootstrap-Flask's files the pages link (templates/base.html), relative to its static folder.
BOOTSTRAP_FILES = ("css/bootstrap.min.css",)
HASH_LENGTH = 12
ONE_YEAR = 365 * 24 * 60 * 60
PLAIN_NAME_MAX_AGE = 60  # seconds: a plain name may change under the same URL
# Compressing a file that shrinks by less than this is not worth a second copy.
WORTHWHILE_RATIO = 0.95


@dataclass(frozen=True)
class Source:
    """A folder of static files and the URL endpoint Flask builds their URLs with."""

    endpoint: str
    url_path: str  # the URL prefix, e.g. "/static"
    folder: Path
    names: tuple[str, ...] | None = None  # relative names; None: every file of the folder


@dataclass(frozen=True)
class Asset:
    plain_url: str
    hashed_url: str
    hashed_name: str  # relative to the source's folder, as url_for takes it
    path: Path  # the copy in the cache


def hashed_name(name: str, data: bytes) -> str:
    """`name` with the first HASH_LENGTH hex digits of its content's SHA-256 before its
    extension: css/bootstrap.min.css -> css/bootstrap.min.<hash>.css."""
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    folder, _, base = name.rpartition("/")
    stem, dot, extension = base.rpartition(".")
    versioned = f"{stem}.{digest}.{extension}" if dot and stem else f"{base}.{digest}"
    return f"{folder}/{versioned}" if folder else versioned


def _files(source: Source) -> Iterator[str]:
    if source.names is not None:
        yield from source.names
        return
    for path in sorted(source.folder.rglob("*")):
        if path.is_file():
            yield path.relative_to(source.folder).as_posix()


def _write_atomically(target: Path, data: bytes) -> None:
    # Several processes (gunicorn's workers, the Celery worker) may start at once: each writes
    # its own temporary file and renames it, so nobody ever reads half a file.
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide it from a proxy serving it
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _compressed_forms(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    if not Compressor().should_compress(name) or not data:
        return
    forms: list[tuple[str, Callable[[bytes], bytes]]] = [(".gz", Compressor.compress_gzip)]
    if brotli_installed:
        forms.append((".br", Compressor.compress_brotli))
    for suffix, compress in forms:
        packed = compress(data)
        if len(packed) <= WORTHWHILE_RATIO * len(data):
            yield suffix, packed


def _cache_copy(cache: Path, source: Source, name: str) -> Asset:
    data = (source.folder / name).read_bytes()
    versioned = hashed_name(name, data)
    prefix = source.url_path.rstrip("/")
    target = cache / prefix.lstrip("/") / versioned
    if not target.exists():  # same name, same content: a copy made by an earlier start
        for suffix, packed in _compressed_forms(name, data):
            _write_atomically(target.with_name(target.name + suffix), packed)
        _write_atomically(target, data)  # last: its presence means the set is complete
    return Asset(f"{prefix}/{name}", f"{prefix}/{versioned}", versioned, target)


def collect(sources: Iterable[Source], cache: Path) -> dict[tuple[str, str], Asset]:
    """Every file of `sources` copied (once) into `cache`, by (endpoint, filename)."""
    return {
        (source.endpoint, name): _cache_copy(cache, source, name)
        for source in sources
        for name in _files(source)
        if (source.folder / name).is_file()
    }


def _sources(app: Flask) -> list[Source]:
    sources = []
    if app.static_folder:
        sources.append(Source("static", app.static_url_path or "/static", Path(app.static_folder)))
    bootstrap = app.blueprints.get("bootstrap")
    if bootstrap is not None and bootstrap.static_folder and bootstrap.static_url_path:
        sources.append(
            Source(
                "bootstrap.static",
                bootstrap.static_url_path,
                Path(bootstrap.static_folder),
                BOOTSTRAP_FILES,
            )
        )
    return sources


def _cache_dir(app: Flask) -> Path:
    wanted = Path(app.config["STATIC_CACHE_DIR"])
    try:
        wanted.mkdir(parents=True, exist_ok=True)
        if os.access(wanted, os.W_OK):
            return wanted
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / f"workflow_app-static-{os.getuid()}"
    log.warning("STATIC_CACHE_DIR %s is not writable; using %s", wanted, fallback)
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def init_static_files(app: Flask, headers: dict[str, str]) -> None:
    """Serve the app's static files through WhiteNoise (see the module's docstring); every
    file carries `headers` (the security headers of the app's own responses)."""
    if app.debug:
        return
    assets = collect(_sources(app), _cache_dir(app))
    hashed_urls = {asset.hashed_url for asset in assets.values()}

    def add_headers(response_headers: Headers, path: str, url: str) -> None:
        for name, value in headers.items():
            response_headers[name] = value

    def immutable(path: str, url: str) -> bool:
        return url in hashed_urls

    server = WhiteNoise(
        app.wsgi_app,
        max_age=PLAIN_NAME_MAX_AGE,
        allow_all_origins=False,
        add_headers_function=add_headers,
        immutable_file_test=immutable,
    )
    server.FOREVER = ONE_YEAR
    for asset in assets.values():
        server.add_file_to_dictionary(asset.plain_url, str(asset.path))
        server.add_file_to_dictionary(asset.hashed_url, str(asset.path))
    app.wsgi_app = server  # type: ignore[method-assign]
    versioned = {key: asset.hashed_name for key, asset in assets.items()}

    @app.url_defaults
    def hashed_static_names(endpoint: str, values: dict[str, Any]) -> None:
        filename = values.get("filename")
        if filename is not None:
            values["filename"] = versioned.get((endpoint, filename), filename)

"""Cross-cutting protections: response headers, login throttling, the password policy."""

from __future__ import annotations

from flask import Flask


def init_security(app: Flask) -> None:
    from .body_limit import init_body_limit
    from .headers import init_headers
    from .ids import init_bounded_ids
    from .proxies import init_proxies
    from .query_text import init_query_text
    from .throttling import init_throttling

    init_headers(app)
    init_bounded_ids(app)
    init_body_limit(app)
    init_proxies(app)
    init_query_text(app)
    init_throttling(app)

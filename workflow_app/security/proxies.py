"""Behind a reverse proxy (the usual HTTPS front of production) the client's address and scheme
arrive in X-Forwarded-* headers. `TRUSTED_PROXIES` says how many proxies stand in front: that
many hops of the headers are believed (werkzeug's ProxyFix), so the per-IP login limit counts
clients, not the proxy. 0 (the default) believes none: a client could otherwise forge them."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_proxies(app: Flask) -> None:
    hops = int(app.config["TRUSTED_PROXIES"])
    if hops > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )

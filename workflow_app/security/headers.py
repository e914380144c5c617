"""Security headers on every response the app sends (pages, files, errors, redirects).

The pages need no script at all, so scripts come only from this site (there are none) and
nothing else may be embedded. Styles: Bootstrap and app.css are files of the site, but the
server-drawn SVG charts and the admin mailbox's email preview carry `style` attributes, so
inline style attributes (never <style> blocks, never scripts) are allowed.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _is_static(endpoint: str | None) -> bool:
    return bool(endpoint) and (endpoint == "static" or endpoint.endswith(".static"))


def fixed_headers(app: Flask) -> dict[str, str]:
    """The headers every response carries, pages and static files (static_files.py) alike."""
    headers = dict(HEADERS)
    if app.config["PROFILE"] == "production":
        # Only over HTTPS, which production is; on the embedded profile's plain HTTP it
        # would be ignored at best and lock a browser out of http://127.0.0.1 at worst.
        headers["Strict-Transport-Security"] = HSTS
    return headers


def init_headers(app: Flask) -> None:
    headers = fixed_headers(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        # Pages show plans, budgets and accounts: no copy in the browser's or a proxy's cache.
        # CSS and files that set their own caching keep theirs.
        if not _is_static(request.endpoint) and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response

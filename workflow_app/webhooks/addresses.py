"""Which endpoint addresses a webhook may have: HTTPS to a public address only.

The app POSTs from inside the province's network: an address an admin types could otherwise
make it call what only that network reaches (an internal service, a cloud's metadata address
169.254.169.254, the database). So the scheme must be https, and every address the host name
resolves to must be public (not private, loopback, link-local, reserved or multicast),
checked when the webhook is saved and again before each request (the name may resolve
elsewhere since). Plain http is allowed to the loopback host only (127.0.0.1, ::1, localhost)
and only in testing or with WEBHOOK_ALLOW_HTTP_LOOPBACK on: for a receiver on the same
machine during development.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_URL = 2000


class UnsafeAddress(ValueError):
    """An endpoint address the app will not call; the message says why."""


def loopback_http_allowed() -> bool:
    config = current_app.config
    return bool(config.get("TESTING") or config.get("WEBHOOK_ALLOW_HTTP_LOOPBACK"))


def _resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeAddress(_l("The host name cannot be resolved.")) from exc
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check_url(url: str) -> SplitResult:
    """The parts of `url` if the app may POST to it; UnsafeAddress (with the reason) if not."""
    if len(url) > MAX_URL:
        raise UnsafeAddress(_l("The address is too long."))
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeAddress(_l("This is not a valid address.")) from exc
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise UnsafeAddress(_l("The address must start with https:// and name a host."))
    if parts.username or parts.password:
        raise UnsafeAddress(_l("The address must not contain a user name or password."))
    if parts.fragment:
        raise UnsafeAddress(_l("The address must not contain a #fragment."))
    loopback_ok = host in LOOPBACK_NAMES and loopback_http_allowed()
    if parts.scheme == "http" and not loopback_ok:
        raise UnsafeAddress(
            _l("Only https:// addresses are allowed: the events must not travel unencrypted.")
        )
    for resolved in _resolve(host, port or (443 if parts.scheme == "https" else 80)):
        # ::ffff:10.0.0.1 is 10.0.0.1: judge the IPv4 address it carries.
        mapped = getattr(resolved, "ipv4_mapped", None)
        address = mapped or resolved
        if loopback_ok and address.is_loopback:
            continue
        if not address.is_global or address.is_multicast:
            raise UnsafeAddress(
                _l(
                    "The address points into a private or local network (%(address)s): the "
                    "app only calls public addresses, so that a webhook cannot reach internal "
                    "services.",
                    address=str(address),
                )
            )
    return parts

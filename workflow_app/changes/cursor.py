"""The feed's cursor: the place (txid, id) of the last event a reader has, as opaque text.

Strict both ways: only the text `encode` makes decodes (no padding, no other alphabet, no
leading zeros), so a cursor cannot be forged into another place than one served."""

from __future__ import annotations

import base64
import binascii
import re

PREFIX = "c1_"
_PLACE = re.compile(r"(0|[1-9][0-9]{0,18})\.([1-9][0-9]{0,18})")
MAX_BIGINT = 2**63 - 1


class BadCursor(ValueError):
    pass


def encode(txid: int, event_id: int) -> str:
    raw = f"{txid}.{event_id}".encode("ascii")
    return PREFIX + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(cursor: str) -> tuple[int, int]:
    """The (txid, id) of `cursor`; BadCursor unless `encode` wrote exactly this text."""
    if not cursor.startswith(PREFIX) or len(cursor) > 64:
        raise BadCursor("not a cursor this feed gave")
    body = cursor[len(PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadCursor("not a cursor this feed gave") from exc
    match = _PLACE.fullmatch(raw)
    if match is None:
        raise BadCursor("not a cursor this feed gave")
    txid, event_id = int(match[1]), int(match[2])
    if txid > MAX_BIGINT or event_id > MAX_BIGINT or encode(txid, event_id) != cursor:
        raise BadCursor("not a cursor this feed gave")
    return txid, event_id

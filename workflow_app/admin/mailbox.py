"""The local mailbox of the embedded profile: the .eml files the mailer wrote, newest first,
and one message with its headers and bodies. The HTML body is shown only inside a sandboxed
iframe (no scripts, no same origin), never as part of this page. In production, or with
another mail backend, these pages do not exist (404)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from flask import abort, current_app, render_template

from ..notifications.mailer import OUTBOX_ID_HEADER, mailbox_path
from .blueprint import blueprint

# The mailer's own names: <UTC timestamp>-<outbox id>.eml, nothing else is served.
FILE_NAME = re.compile(r"^\d{8}T\d{6,12}Z-\d+\.eml$")
LIST_LIMIT = 500


@dataclass(frozen=True)
class MailboxEntry:
    name: str
    subject: str
    to: str
    date: datetime | None
    outbox_id: str


def mailbox_enabled() -> bool:
    config = current_app.config
    return config["PROFILE"] == "embedded" and config["MAIL_BACKEND"] == "mailbox"


def _require_mailbox() -> None:
    if not mailbox_enabled():
        abort(404)


def _parse(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)  # type: ignore[return-value]


def _entries() -> list[MailboxEntry]:
    folder = mailbox_path()
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.iterdir() if FILE_NAME.match(p.name)), reverse=True)
    entries = []
    for name in names[:LIST_LIMIT]:
        message = _parse(folder / name)
        entries.append(
            MailboxEntry(
                name=name,
                subject=str(message["Subject"] or ""),
                to=str(message["To"] or ""),
                date=sent_at(message),
                outbox_id=str(message[OUTBOX_ID_HEADER] or ""),
            )
        )
    return entries


def sent_at(message: EmailMessage) -> datetime | None:
    """The message's Date header as an instant (shown in WITA), or None when it has none."""
    header = message["Date"]
    when = getattr(header, "datetime", None)
    if when is None:
        return None
    # A date without a zone (RFC 5322's "-0000": the zone is unknown) is read as UTC.
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _body(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None else None


@blueprint.get("/mailbox")
def mailbox() -> str:
    _require_mailbox()
    return render_template("admin/mailbox.html", entries=_entries(), limit=LIST_LIMIT)


@blueprint.get("/mailbox/<name>")
def mailbox_message(name: str) -> str:
    _require_mailbox()
    path = mailbox_path() / name
    if not FILE_NAME.match(name) or not path.is_file():
        abort(404)
    message = _parse(path)
    return render_template(
        "admin/mailbox_message.html",
        name=name,
        subject=str(message["Subject"] or ""),
        sent=sent_at(message),
        headers=[(key, str(value)) for key, value in message.items()],
        text=_body(message, "plain"),
        html=_body(message, "html"),
    )


@blueprint.context_processor
def _mailbox_link() -> dict[str, object]:
    return {"mailbox_enabled": mailbox_enabled}

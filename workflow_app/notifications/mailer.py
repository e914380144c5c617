"""Sending one email: over SMTP with Flask-Mail's settings, or, with MAIL_BACKEND=mailbox (the
embedded profile), into `<instance>/mailbox/` as an .eml file an admin reads in the browser.

Every message carries its outbox id (`X-Workflow-Outbox-Id`) and a Message-ID made from it, so
a duplicate delivery (a worker killed after the server accepted the mail) is recognisable.
"""

from __future__ import annotations

import os
import smtplib
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from flask_mail import Connection, Message

OUTBOX_ID_HEADER = "X-Workflow-Outbox-Id"
MAILBOX_DIR = "mailbox"


def mailbox_path() -> Path:
    return Path(current_app.instance_path) / MAILBOX_DIR


def message_id(outbox_id: int) -> str:
    """The same Message-ID for every delivery of one outbox row: mail clients fold duplicates."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"] or ""
    domain = parseaddr(sender)[1].rpartition("@")[2]
    domain = domain or urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"<outbox-{outbox_id}@{domain}>"


def build_message(
    *, outbox_id: int, to: str, subject: str, text: str, html: str | None, language: str
) -> Message:
    message = Message(
        # One line whatever the data held: a CR/LF from a name typed by someone must never
        # start a header of its own (or end the headers early).
        subject=" ".join(subject.split()),
        recipients=[to],
        body=text,
        html=html,
        extra_headers={OUTBOX_ID_HEADER: str(outbox_id), "Content-Language": language},
    )
    message.msgId = message_id(outbox_id)
    return message


class _TimedConnection(Connection):
    """Flask-Mail's connection with a socket timeout: a server that stops answering must
    fail the attempt (and let it be retried), not hang the worker."""

    def configure_host(self) -> smtplib.SMTP:
        state = self.mail
        timeout = float(current_app.config["NOTIFICATION_SMTP_TIMEOUT_SECONDS"])
        smtp_class = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
        host = smtp_class(state.server, state.port, timeout=timeout)
        host.set_debuglevel(int(state.debug))
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host


def _send_smtp(message: Message) -> None:
    """Returns once the server accepted the message; raises smtplib/OS errors otherwise."""
    with _TimedConnection(current_app.extensions["mail"]) as connection:
        connection.send(message)


def write_eml(folder: Path, raw: bytes, outbox_id: int | str) -> Path:
    """Store one message in the mailbox folder the admin area reads (also used by the local
    SMTP server of `workflow-app stack`)."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{stamp}-{outbox_id}.eml"
    # Write then rename: the mailbox page never reads a half-written file.
    partial = folder / f".{target.name}.part"
    partial.write_bytes(raw)
    os.replace(partial, target)
    return target


def _write_mailbox(message: Message, outbox_id: int) -> Path:
    return write_eml(mailbox_path(), message.as_bytes(), outbox_id)


def send_email(
    *,
    outbox_id: int,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    language: str = "id",
) -> Path | None:
    """Send one email through the configured backend; the .eml path for the mailbox backend."""
    message = build_message(
        outbox_id=outbox_id, to=to, subject=subject, text=text, html=html, language=language
    )
    if current_app.config["MAIL_BACKEND"] == "mailbox":
        return _write_mailbox(message, outbox_id)
    _send_smtp(message)
    return None

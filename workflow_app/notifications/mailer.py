"""Sending one email: over SMTP with Flask-Mail's settings, or, with MAIL_BACKEND=mailbox (the
embedded profile), into `<instance>/mailbox/` as an .eml file an admin reads in the browser.

Every message carries its outbox id (`X-Workflow-Outbox-Id`) and a Message-ID made from it, so
a duplicate delivery (a worker killed after the server accepted the mail) is recognisable.

A process keeps one SMTP connection open and sends every email over it (a connection costs
the greeting, EHLO, STARTTLS and AUTH: more than the email). A kept connection the server has
since closed is opened again once before the attempt counts as failed; the worker closes it
when its process ends (workers/entry.py), and a forked child never uses its parent's.
"""

from __future__ import annotations

import logging
import os
import smtplib
import threading
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from flask_mail import Connection, Mail, Message

log = logging.getLogger(__name__)

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


class _KeptConnection(threading.local):
    """This thread's open connection and the settings it was opened with."""

    connection: _TimedConnection | None = None
    settings: tuple[object, ...] | None = None


_kept = _KeptConnection()
# A child process must not write to its parent's socket: it opens its own.
os.register_at_fork(after_in_child=lambda: _forget())

# The server dropped a connection kept open (an idle timeout, a restart): worth one new one.
_GONE = (smtplib.SMTPServerDisconnected, ConnectionError)


def _settings(state: Mail) -> tuple[object, ...]:
    timeout = float(current_app.config["NOTIFICATION_SMTP_TIMEOUT_SECONDS"])
    return (id(state), state.server, state.port, state.use_ssl, state.use_tls, state.username,
            state.password, timeout)  # fmt: skip


def _forget() -> None:
    _kept.connection = None
    _kept.settings = None


def close_connection() -> None:
    """Say goodbye to the server and close the kept connection (worker shutdown); never raises."""
    connection = _kept.connection
    _forget()
    host = connection.host if connection is not None else None
    if host is None:
        return
    try:
        host.quit()
    except Exception:  # already gone: the socket is closed all the same
        host.close()


def _open_connection(state: Mail) -> _TimedConnection:
    settings = _settings(state)
    if _kept.connection is not None and _kept.settings != settings:
        close_connection()  # the mail settings changed: the old server is not the one
    if _kept.connection is None:
        connection = _TimedConnection(state)
        connection.host = connection.configure_host()
        _kept.connection, _kept.settings = connection, settings
    return _kept.connection


def _send_smtp(message: Message) -> None:
    """Returns once the server accepted the message; raises smtplib/OS errors otherwise."""
    state = current_app.extensions["mail"]
    if state.suppress:  # Flask-Mail's MAIL_SUPPRESS_SEND: only the signal, no server
        with _TimedConnection(state) as connection:
            connection.send(message)
        return
    reused = _kept.connection is not None and _kept.settings == _settings(state)
    try:
        _open_connection(state).send(message)
    except smtplib.SMTPResponseException as exc:
        # The server answered (and smtplib reset the transaction): the connection still
        # serves, unless the answer was 421 (closing).
        if exc.smtp_code == 421:
            close_connection()
        raise
    except smtplib.SMTPRecipientsRefused:
        raise
    except _GONE as exc:
        close_connection()
        if not reused:
            raise
        # A kept connection the server has closed since: once more on a new one. Had the
        # server accepted the message before it went, this sends a duplicate, never a loss.
        log.info("SMTP connection lost (%s): connecting again", exc)
        try:
            _open_connection(state).send(message)
        except Exception:
            close_connection()
            raise
    except BaseException:  # a timeout, TLS, anything: the next email starts afresh
        close_connection()
        raise


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

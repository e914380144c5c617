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
import random
import re
import smtplib
import sys
import threading
import time
from datetime import UTC, datetime
from email import policy
from email.utils import formatdate, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import flask_mail
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


# --- the message's bytes ----------------------------------------------------------------------
# Flask-Mail builds a message as email.mime objects and lets the stdlib generator flatten them
# under policy SMTP, which parses every header again on the way: more CPU than rendering the
# email. OutboxMessage writes the same bytes directly for the one shape outbox emails have (a
# text and an HTML alternative, no attachments, Cc or Reply-To): each header still folded by
# policy SMTP as the generator folds it, the boundaries drawn and checked as it draws them.
# tests/db/test_email_bytes.py holds it byte for byte to Flask-Mail's output.
_SMTP = policy.SMTP
_NL = "\r\n"
_NLCRE = re.compile(r"\r\n|\r|\n")  # email.generator's: every line ending becomes CRLF
_BOUNDARY_DIGITS = len(repr(sys.maxsize - 1))  # email.generator's boundary width


@lru_cache(maxsize=4096)
def _address(address: str) -> str:
    """Flask-Mail's sanitize_address (a Header per call): the same few addresses recur."""
    return flask_mail.sanitize_address(address, "utf-8")


def _boundary(enclosed: bytes) -> str:
    """A boundary as email.generator draws it, and redrawn as it would be (suffixed) if a line
    of the enclosed parts were that boundary."""
    boundary = "=" * 15 + f"{random.randrange(sys.maxsize):0{_BOUNDARY_DIGITS}d}" + "=="
    candidate, counter = boundary, 0
    while (f"--{candidate}").encode() in enclosed and re.search(
        b"^--" + re.escape(candidate.encode()) + b"(--)?$", enclosed, re.MULTILINE
    ):
        candidate, counter = f"{boundary}.{counter}", counter + 1
    return candidate


@lru_cache(maxsize=16)
def _folded_content_type(subtype: str, shape: str, outermost: bool) -> bytes:
    """Content-Type of a multipart with a boundary of `shape` (its digits zeroed: the folding
    depends on the length alone), folded as the generator folds it: the outermost part's
    header was stored under policy SMTP, the inner one's under compat32."""
    value = f'multipart/{subtype}; boundary="{shape}"'
    if outermost:
        return _SMTP.fold_binary("Content-Type", _SMTP.header_store_parse("Content-Type", value)[1])
    return _SMTP.fold_binary("Content-Type", value)


def _content_type(subtype: str, boundary: str, *, outermost: bool) -> bytes:
    shape = re.sub(r"\d", "0", boundary)
    return _folded_content_type(subtype, shape, outermost).replace(
        shape.encode(), boundary.encode()
    )


@lru_cache(maxsize=8)
def _text_headers(subtype: str, eight_bit: bool) -> bytes:
    return b"".join(
        _SMTP.fold_binary(name, value)
        for name, value in (
            ("Content-Type", f'text/{subtype}; charset="utf-8"'),
            ("MIME-Version", "1.0"),
            ("Content-Transfer-Encoding", "8bit" if eight_bit else "7bit"),
        )
    )


def _text_part(subtype: str, content: str) -> bytes:
    """A text part as MIMEText(content, subtype, "utf-8") flattens (8bit unless all ASCII)."""
    body = content.encode("utf-8")
    lines = _NLCRE.split(content)
    flat = "".join(line + _NL for line in lines[:-1]) + lines[-1]
    return _text_headers(subtype, not body.isascii()) + _NL.encode() + flat.encode("utf-8")


def _multipart(parts: list[bytes], boundary: str) -> bytes:
    """The body of a multipart (no preamble or epilogue) around flattened `parts`."""
    delimiter = f"{_NL}--{boundary}{_NL}".encode()
    return (
        f"--{boundary}{_NL}".encode() + delimiter.join(parts) + f"{_NL}--{boundary}--{_NL}".encode()
    )


class OutboxMessage(Message):
    """A Flask-Mail message whose bytes are written directly (same bytes, a fraction of the
    work) when it has the outbox's shape; any other shape is left to Flask-Mail."""

    def _direct(self) -> bool:
        return (
            not self.attachments
            and not self.cc
            and not self.reply_to
            and self.charset in (None, "utf-8")
            and list(self.alts) == ["html"]
            and isinstance(self.body, str)
            and len(self.recipients) == 1
            and all(isinstance(address, str) for address in (self.sender, *self.recipients))
        )

    def as_bytes(self) -> bytes:
        if not self._direct():
            return super().as_bytes()
        alternatives = [_text_part("plain", str(self.body)), _text_part("html", self.alts["html"])]
        inner = _boundary(_NL.encode().join(alternatives))
        alternative = (
            _content_type("alternative", inner, outermost=False)
            + _SMTP.fold_binary("MIME-Version", "1.0")
            + _NL.encode()
            + _multipart(alternatives, inner)
        )
        outer = _boundary(alternative)
        headers: list[tuple[str, Any]] = [("MIME-Version", "1.0")]
        if self.subject:
            subject = flask_mail.sanitize_subject(flask_mail.force_text(self.subject), "utf-8")
            headers.append(("Subject", subject))
        headers += [
            ("From", _address(str(self.sender))),
            ("To", _address(str(self.recipients[0]))),
            ("Date", formatdate(self.date, localtime=True)),
            ("Message-ID", self.msgId),
            *(self.extra_headers or {}).items(),
        ]
        return (
            _content_type("mixed", outer, outermost=True)
            + b"".join(_SMTP.fold_binary(name, value) for name, value in headers)
            + _NL.encode()
            + _multipart([alternative], outer)
        )


def build_message(
    *, outbox_id: int, to: str, subject: str, text: str, html: str | None, language: str
) -> Message:
    message = OutboxMessage(
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

    def send(self, message: Message, envelope_from: str | tuple[str, str] | None = None) -> None:
        """Flask-Mail's send, with the sender's and recipient's sanitized forms kept."""
        if not isinstance(message, OutboxMessage) or not message._direct() or envelope_from:
            super().send(message, envelope_from)
            return
        assert message.send_to, "No recipients have been added"
        assert message.sender, "The message does not specify a sender"
        if message.has_bad_headers():
            raise flask_mail.BadHeaderError
        if message.date is None:
            message.date = time.time()
        if self.host is not None:
            self.host.sendmail(
                _address(str(message.sender)),
                [_address(str(address)) for address in message.send_to],
                message.as_bytes(),
                message.mail_options,
                message.rcpt_options,
            )
        flask_mail.email_dispatched.send(current_app._get_current_object(), message=message)
        self.num_emails += 1
        if self.num_emails == self.mail.max_emails:
            self.num_emails = 0
            if self.host:
                self.host.quit()
                self.host = self.configure_host()


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

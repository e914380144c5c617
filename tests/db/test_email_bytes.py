"""The outbox's email bytes, written directly (notifications/mailer.OutboxMessage), are Flask-
Mail's bytes, byte for byte: for any subject, text, HTML, address and sender, with the same
date and the same random boundaries (the generator's random draws, seeded alike)."""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_mail import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflow_app.notifications.mailer import OutboxMessage, build_message

# Lines that stress the generator: every kind of line ending, "From " and "--" lines, dots,
# long lines, non-ASCII text (8bit) and none (7bit).
_piece = st.sampled_from(
    ["\n", "\r\n", "\r", "From here", "--", "--==", ".", " ", "é", "“kutip”", "<b>&</b>", "x" * 90]
)
_text = st.lists(st.one_of(_piece, st.text(max_size=12)), max_size=12).map("".join)
_name = st.sampled_from(["", "Budi", "Budi Süd", "Pokja PKP “Kalsel”", "a" * 70])
_mailbox = st.sampled_from(["a.b@example.org", "nama@kalselprov.go.id", "x@münchen.example"])


@pytest.fixture(scope="module")
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


def _both(message: Message, seed: int) -> tuple[bytes, bytes]:
    random.seed(seed)
    direct = message.as_bytes()
    random.seed(seed)
    return direct, Message.as_bytes(message)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    subject=_text,
    text=_text,
    html=_text,
    name=_name,
    mailbox=_mailbox,
    sender=st.sampled_from(["noreply@example.org", "Pokja PKP Süd <noreply@example.org>"]),
    language=st.sampled_from(["id", "en"]),
    outbox_id=st.integers(1, 10**9),
    seed=st.integers(0, 2**32),
)
def test_the_direct_bytes_are_flask_mails_bytes(
    app_context: None,
    subject: str,
    text: str,
    html: str,
    name: str,
    mailbox: str,
    sender: str,
    language: str,
    outbox_id: int,
    seed: int,
) -> None:
    to = f"{name} <{mailbox}>" if name else mailbox
    message = build_message(
        outbox_id=outbox_id, to=to, subject=subject, text=text, html=html, language=language
    )
    message.sender = sender
    message.date = 1_780_000_000.5
    assert isinstance(message, OutboxMessage) and message._direct()
    direct, flask_mails = _both(message, seed)
    assert direct == flask_mails


def test_a_boundary_found_in_the_text_is_drawn_again_as_the_generator_draws_it(
    app_context: None,
) -> None:
    random.seed(7)
    inner = "=" * 15 + f"{random.randrange(sys.maxsize):019d}" + "=="
    # With CRLF line ends, the generator's pattern finds a boundary only at the very end.
    html = f"before\n--{inner}"
    message = build_message(
        outbox_id=1, to="a@example.org", subject="s", text="t", html=html, language="id"
    )
    direct, flask_mails = _both(message, 7)
    assert direct == flask_mails
    assert f'boundary="{inner}.0"'.encode() in direct.replace(b"\r\n ", b" ")


def test_other_shapes_are_left_to_flask_mail(app_context: None) -> None:
    message = build_message(
        outbox_id=1, to="a@example.org", subject="s", text="t", html=None, language="id"
    )
    assert not message._direct()
    message.date = 1_780_000_000.0
    direct, flask_mails = _both(message, 3)
    assert direct == flask_mails

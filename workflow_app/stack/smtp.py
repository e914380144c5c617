"""The stack's local SMTP server (aiosmtpd): every message it receives is stored in the
instance's mailbox folder, where the admin area's mailbox page shows it, as in the embedded
profile. `python -m workflow_app.stack.smtp --port 1025 --mailbox instance/mailbox`."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from ..notifications.mailer import write_eml

OUTBOX_ID_HEADER = b"X-Workflow-Outbox-Id:"


class MailboxHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        write_eml(self.folder, raw, outbox_id_of(raw))
        return "250 Message accepted for delivery"


def outbox_id_of(raw: bytes) -> int:
    """The outbox id the message carries in its header (0 if none): the mailbox's file name."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for line in head.splitlines():
        if line[: len(OUTBOX_ID_HEADER)].lower() == OUTBOX_ID_HEADER.lower():
            value = line[len(OUTBOX_ID_HEADER) :].strip()
            return int(value) if value.isdigit() else 0
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--mailbox", type=Path, required=True)
    args = parser.parse_args()
    controller = Controller(MailboxHandler(args.mailbox), hostname=args.host, port=args.port)
    controller.start()
    print(f"smtp: listening on {args.host}:{args.port}, mail kept in {args.mailbox}", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()

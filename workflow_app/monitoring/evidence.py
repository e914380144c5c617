"""Evidence files for progress reports: checked by their content, stored under generated names.

The name a user's browser sends is only ever shown (escaped) and offered as the download name;
on disk a file is `<random hex><extension of its real type>` in the attachments folder, so no
name can reach outside it or overwrite another file.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import gettext as _

from ..engine import InvalidInput
from ..extensions import db
from ..unit_of_work import on_settled

# What evidence may be: a scanned or exported document, or a photo of the work.
ALLOWED_TYPES = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
EXTENSIONS_OF = {
    "application/pdf": {".pdf"},
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
}
NAME_LENGTH = 200
_WRITTEN = "evidence_files_written"
_REMOVED = "evidence_files_removed"


@dataclass(frozen=True)
class Evidence:
    display_name: str
    content_type: str
    extension: str
    size: int
    sha256: str


def max_bytes() -> int:
    return int(current_app.config["ATTACHMENT_MAX_BYTES"])


def attachments_dir() -> Path:
    folder = Path(current_app.config["ATTACHMENTS_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def display_name(sent_name: str) -> str:
    """The last part of whatever path the browser sent, without control characters."""
    name = sent_name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[-NAME_LENGTH:] if name not in ("", ".", "..") else ""


def inspect(sent_name: str, data: bytes) -> Evidence:
    """Check an upload, or raise InvalidInput naming what is wrong with it."""
    name = display_name(sent_name)
    if not name:
        raise InvalidInput(_("The file has no name."))
    if not data:
        raise InvalidInput(_("The file %(name)s is empty.", name=name))
    limit = max_bytes()
    if len(data) > limit:
        megabytes = f"{limit / 1_000_000:g}"
        raise InvalidInput(
            _("The file %(name)s is larger than %(limit)s MB.", name=name, limit=megabytes)
        )
    kind = filetype.guess(data)
    content_type = kind.mime if kind is not None else None
    if content_type not in ALLOWED_TYPES:
        raise InvalidInput(
            _(
                "The file %(name)s is not a PDF, PNG or JPEG file (judged by its content).",
                name=name,
            )
        )
    suffix = Path(name).suffix.lower()
    if suffix not in EXTENSIONS_OF[content_type]:
        raise InvalidInput(
            _(
                "The file %(name)s is named as %(suffix)s but its content is %(kind)s.",
                name=name,
                suffix=suffix or _("(no extension)"),
                kind=ALLOWED_TYPES[content_type].lstrip(".").upper(),
            )
        )
    return Evidence(
        display_name=name,
        content_type=content_type,
        extension=ALLOWED_TYPES[content_type],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def store(evidence: Evidence, data: bytes) -> str:
    """Write the file under a new random name; it is removed again if the transaction that
    records it rolls back (see `discard_unrecorded_files`)."""
    stored_name = secrets.token_hex(16) + evidence.extension
    path = attachments_dir() / stored_name
    with path.open("xb") as handle:
        handle.write(data)
    db.session.info.setdefault(_WRITTEN, []).append(path)
    return stored_name


def path_of(stored_name: str) -> Path:
    return attachments_dir() / stored_name


def delete_after_commit(stored_name: str) -> None:
    """Delete a file once the transaction that removed its record has committed."""
    db.session.info.setdefault(_REMOVED, []).append(path_of(stored_name))


def forget_written_files(*, delete: bool) -> None:
    """Settle the files of a finished transaction. After a commit (`delete` False): keep the
    files it wrote, delete those whose records it removed. After a rollback (`delete` True):
    delete the files it wrote, keep the others."""
    written = db.session.info.pop(_WRITTEN, [])
    removed = db.session.info.pop(_REMOVED, [])
    for path in written if delete else removed:
        path.unlink(missing_ok=True)


@on_settled
def _settle_files(committed: bool) -> None:
    # Files written for a change that did not happen are deleted; those a stored change
    # removed go now.
    forget_written_files(delete=not committed)

"""Uploaded files: checked by their content, stored under generated names, kept only if the
change that records them commits.

The name a user's browser sends is only ever shown (escaped) and offered as the download name;
on disk a file is `<random hex><extension of its real type>` in the attachments folder, so no
name can reach outside it or overwrite another file. Progress-report evidence and the file
fields of declared kinds both go through here.
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

from .engine import InvalidInput
from .extensions import db
from .unit_of_work import on_settled

NAME_LENGTH = 200
_WRITTEN = "uploaded_files_written"
_REMOVED = "uploaded_files_removed"


class FileTooLarge(InvalidInput):
    """The file is larger than one file may be (a client branches on the code)."""

    code = "file_too_large"


class FileTypeNotAllowed(InvalidInput):
    """The file's content (or its name's extension) is not one of the allowed types."""

    code = "file_type_not_allowed"


@dataclass(frozen=True)
class Upload:
    display_name: str
    content_type: str
    extension: str
    size: int
    sha256: str


def attachments_dir() -> Path:
    folder = Path(current_app.config["ATTACHMENTS_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def display_name(sent_name: str) -> str:
    """The last part of whatever path the browser sent, without control characters."""
    name = sent_name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[-NAME_LENGTH:] if name not in ("", ".", "..") else ""


def inspect_upload(
    sent_name: str, data: bytes, allowed: dict[str, tuple[str, ...]], limit: int, kinds: str
) -> Upload:
    """Check an upload against `allowed` (MIME type -> its extensions, the first the one it
    is stored with) and `limit` bytes, or raise InvalidInput naming what is wrong with it;
    `kinds` names the allowed types for the message ("PDF, PNG or JPEG")."""
    name = display_name(sent_name)
    if not name:
        raise InvalidInput(_("The file has no name."))
    if not data:
        raise InvalidInput(_("The file %(name)s is empty.", name=name))
    if len(data) > limit:
        megabytes = f"{limit / 1_000_000:g}"
        raise FileTooLarge(
            _("The file %(name)s is larger than %(limit)s MB.", name=name, limit=megabytes)
        )
    guessed = filetype.guess(data)
    content_type = guessed.mime if guessed is not None else None
    if content_type not in allowed:
        raise FileTypeNotAllowed(
            _(
                "The file %(name)s is not a %(kinds)s file (judged by its content).",
                name=name,
                kinds=kinds,
            )
        )
    suffix = Path(name).suffix.lower()
    if suffix not in allowed[content_type]:
        raise FileTypeNotAllowed(
            _(
                "The file %(name)s is named as %(suffix)s but its content is %(kind)s.",
                name=name,
                suffix=suffix or _("(no extension)"),
                kind=allowed[content_type][0].lstrip(".").upper(),
            )
        )
    return Upload(
        display_name=name,
        content_type=content_type,
        extension=allowed[content_type][0],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def store(upload: Upload, data: bytes) -> str:
    """Write the file under a new random name; it is removed again if the transaction that
    records it rolls back."""
    stored_name = secrets.token_hex(16) + upload.extension
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

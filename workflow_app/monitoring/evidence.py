"""Evidence files for progress reports: a PDF or an image, checked by its content and stored
under a generated name (uploads.py does both), within what one report may hold."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..engine import InvalidInput
from ..extensions import db
from ..uploads import (
    Upload,
    attachments_dir,
    delete_after_commit,
    display_name,
    forget_written_files,
    inspect_upload,
    path_of,
    store,
)
from .models import ReportAttachment

__all__ = [
    "Evidence",
    "Room",
    "attachments_dir",
    "delete_after_commit",
    "display_name",
    "forget_written_files",
    "inspect",
    "max_bytes",
    "path_of",
    "room_of",
    "store",
]

# What evidence may be: a scanned or exported document, or a photo of the work.
ALLOWED_TYPES = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
EXTENSIONS_OF = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
}
Evidence = Upload


class TooManyFiles(InvalidInput):
    """The report holds EVIDENCE_MAX_FILES_PER_REPORT files already."""

    code = "evidence_files_limit"


class TooManyBytes(InvalidInput):
    """The file would take the report's files beyond EVIDENCE_MAX_BYTES_PER_REPORT."""

    code = "evidence_bytes_limit"


def max_bytes() -> int:
    return int(current_app.config["ATTACHMENT_MAX_BYTES"])


def inspect(sent_name: str, data: bytes) -> Evidence:
    """Check an upload, or raise InvalidInput naming what is wrong with it."""
    return inspect_upload(sent_name, data, EXTENSIONS_OF, max_bytes(), "PDF, PNG or JPEG")


def megabytes(size: float, *, up: bool = False) -> str:
    """`size` bytes in MB as this language writes numbers, to one decimal (rounded up when
    `up`, so what is used never reads as less than it is)."""
    value = size / 1_000_000
    if up:
        value = math.ceil(value * 10) / 10
    return str(format_decimal(value, format="#,##0.#"))


@dataclass(frozen=True)
class Room:
    """A report's evidence so far, against what one report may hold (EVIDENCE_MAX_*)."""

    files: int
    size: int
    max_files: int
    max_size: int

    @property
    def full(self) -> bool:
        return self.files >= self.max_files or self.size >= self.max_size

    def summary(self) -> str:
        """What the upload form says before anything is sent."""
        return _(
            "At most %(files)d files and %(size)s MB per report; used: %(count)d files, "
            "%(used)s MB.",
            files=self.max_files,
            size=megabytes(self.max_size),
            count=self.files,
            used=megabytes(self.size, up=True),
        )

    def check(self, name: str, size: int) -> None:
        """Refuse (InvalidInput) a file of `size` bytes that the report has no room for."""
        if self.files + 1 > self.max_files:
            raise TooManyFiles(
                _(
                    "A report may have at most %(limit)d evidence files and this one has "
                    "%(count)d. Remove one before adding another.",
                    limit=self.max_files,
                    count=self.files,
                )
            )
        if self.size + size > self.max_size:
            raise TooManyBytes(
                _(
                    "The file %(name)s (%(size)s MB) does not fit: a report's files may "
                    "total at most %(limit)s MB and %(used)s MB are used.",
                    name=name,
                    size=megabytes(size, up=True),
                    limit=megabytes(self.max_size),
                    used=megabytes(self.size, up=True),
                )
            )


def room_of(report_id: int) -> Room:
    """The report's evidence as stored now (callers that add to it hold the report's lock)."""
    files, size = db.session.execute(
        select(func.count(), func.coalesce(func.sum(ReportAttachment.size), 0)).where(
            ReportAttachment.report_id == report_id
        )
    ).one()
    return Room(
        files=int(files),
        size=int(size),
        max_files=int(current_app.config["EVIDENCE_MAX_FILES_PER_REPORT"]),
        max_size=int(current_app.config["EVIDENCE_MAX_BYTES_PER_REPORT"]),
    )

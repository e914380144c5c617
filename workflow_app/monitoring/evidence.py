"""Evidence files for progress reports: a PDF or an image, checked by its content and stored
under a generated name (uploads.py does both)."""

from __future__ import annotations

from flask import current_app

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

__all__ = [
    "Evidence",
    "attachments_dir",
    "delete_after_commit",
    "display_name",
    "forget_written_files",
    "inspect",
    "max_bytes",
    "path_of",
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


def max_bytes() -> int:
    return int(current_app.config["ATTACHMENT_MAX_BYTES"])


def inspect(sent_name: str, data: bytes) -> Evidence:
    """Check an upload, or raise InvalidInput naming what is wrong with it."""
    return inspect_upload(sent_name, data, EXTENSIONS_OF, max_bytes(), "PDF, PNG or JPEG")

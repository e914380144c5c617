"""An uploaded workbook read within bounds, so no file can hold a worker for long.

An XLSX is a zip of XML parts, and a few hundred kilobytes of it can unpack into hundreds of
megabytes holding tens of millions of empty cells, each of which openpyxl parses in Python.
So before anything is parsed the archive is checked (how many parts, how large unpacked, how
tightly a large part is packed) and its cells are counted at C speed; then openpyxl reads it
with every read of a part checking a CPU-time budget, which also bounds what the counts do
not see (styles, shared strings, anything else openpyxl parses). Every refusal names the
limit. The limits are settings (config.py, IMPORT_MAX_*).
"""

from __future__ import annotations

import io
import math
import re
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from flask_babel import format_decimal
from flask_babel import gettext as _

# openpyxl (~6 MiB) is imported by the first workbook read, not by every web process at start.
if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

MEGABYTE = 1024 * 1024
# Parts smaller than this may be packed as tightly as they like: they cannot cost much.
RATIO_CHECKED_FROM = MEGABYTE
_CHUNK = MEGABYTE

# The start of a cell element, `<c ...>`, `<c>` or `<c/>`, with or without a namespace prefix
# (an attacker may choose one; longer prefixes than this leave such cells to the time budget).
_CELL = re.compile(rb"<(?:[^\s<>/:=\"']{1,30}:)?c[\s/>]")
# A cell start cut by the end of a chunk begins within this many bytes of it.
_CELL_SPAN = 40


class LimitExceeded(Exception):
    """The workbook is beyond a limit; the message, for the user, names the limit."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Limits:
    unpacked_bytes: int
    parts: int
    compression_ratio: int
    cells: int
    seconds: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        return cls(
            unpacked_bytes=int(config["IMPORT_MAX_UNPACKED_BYTES"]),
            parts=int(config["IMPORT_MAX_PARTS"]),
            compression_ratio=int(config["IMPORT_MAX_COMPRESSION_RATIO"]),
            cells=int(config["IMPORT_MAX_CELLS"]),
            seconds=float(config["IMPORT_MAX_SECONDS"]),
        )


def _advice() -> str:
    return _("Delete the empty rows and columns, or copy the data into the import template.")


def _number(value: float) -> str:
    return str(format_decimal(value, format="#,##0.#"))


class Budget:
    """The CPU time this thread may spend reading one workbook (CPU, not wall-clock time: a
    busy machine slows a request down without the file being any worse)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.thread_time()

    def check(self) -> None:
        if time.thread_time() - self.started > self.seconds:
            raise LimitExceeded(
                _(
                    "Reading the file takes more than %(seconds)s seconds of processing, "
                    "the most allowed.",
                    seconds=_number(self.seconds),
                )
                + " "
                + _advice()
            )


def check_archive(entries: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Refuse an archive of too many parts, too large unpacked, or with a large part packed far
    more tightly than a spreadsheet's XML ever is. The sizes are those the archive declares:
    zipfile never unpacks a part beyond its declared size (and then fails its checksum)."""
    if len(entries) > limits.parts:
        raise LimitExceeded(
            _(
                "The file holds %(count)s parts; at most %(limit)s are accepted.",
                count=_number(len(entries)),
                limit=_number(limits.parts),
            )
            + " "
            + _advice()
        )
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > limits.unpacked_bytes:
        raise LimitExceeded(
            _(
                "The file unpacks to %(size)s MB; at most %(limit)s MB is accepted.",
                # Rounded up, so a file just over the limit never reads as the limit itself.
                size=_number(math.ceil(unpacked * 10 / MEGABYTE) / 10),
                limit=_number(limits.unpacked_bytes / MEGABYTE),
            )
            + " "
            + _advice()
        )
    ratio = max(
        (
            entry.file_size / max(entry.compress_size, 1)
            for entry in entries
            if entry.file_size >= RATIO_CHECKED_FROM
        ),
        default=0.0,
    )
    if ratio > limits.compression_ratio:
        raise LimitExceeded(
            _(
                "A part of the file unpacks to %(ratio)s times its packed size; "
                "at most %(limit)s times is accepted.",
                ratio=_number(math.floor(ratio)),
                limit=_number(limits.compression_ratio),
            )
            + " "
            + _advice()
        )


def _count_cells(stream: IO[bytes], budget: Budget) -> int:
    count, carry = 0, b""
    while chunk := stream.read(_CHUNK):
        budget.check()
        data = carry + chunk
        # Leave a cell start that the chunk's end may have cut for the next round.
        cut = data.rfind(b"<", max(0, len(data) - _CELL_SPAN))
        if cut == -1:
            cut = len(data)
        count += len(_CELL.findall(data, 0, cut))
        carry = data[cut:]
    return count + len(_CELL.findall(carry))


def count_cells(archive: zipfile.ZipFile, limits: Limits, budget: Budget) -> None:
    """Refuse a workbook holding more cells, empty ones included, than the limit. Every part
    is counted (a worksheet may be stored under any name), at the speed of the regular
    expression engine, before openpyxl parses a single one."""
    total = 0
    for entry in archive.infolist():
        with archive.open(entry) as stream:
            total += _count_cells(stream, budget)
    if total > limits.cells:
        raise LimitExceeded(
            _(
                "The workbook holds %(count)s cells, empty ones included; "
                "at most %(limit)s are accepted.",
                count=_number(total),
                limit=_number(limits.cells),
            )
            + " "
            + _advice()
        )


def check_declared_size(sheet: ReadOnlyWorksheet, name: str, limits: Limits) -> None:
    """Refuse a sheet whose declared size (its `<dimension ref="A1:ZZ99999">`) holds more cells
    than the limit; a sheet declaring no size is read cell by cell within the budget."""
    if not all((sheet.max_row, sheet.max_column)):
        return
    rows = sheet.max_row - sheet.min_row + 1
    columns = sheet.max_column - sheet.min_column + 1
    if rows * columns > limits.cells:
        raise LimitExceeded(
            _(
                "Sheet “%(sheet)s” declares %(count)s cells (%(range)s); "
                "at most %(limit)s are accepted.",
                sheet=name,
                count=_number(rows * columns),
                range=sheet.calculate_dimension(),
                limit=_number(limits.cells),
            )
            + " "
            + _advice()
        )


class _BudgetedStream:
    """A part of the archive as openpyxl reads it, checking the budget at every read."""

    def __init__(self, stream: IO[bytes], budget: Budget) -> None:
        self._stream = stream
        self._budget = budget

    def read(self, size: int = -1) -> bytes:
        self._budget.check()
        return self._stream.read(size)

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> _BudgetedStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class _BudgetedArchive(zipfile.ZipFile):
    def __init__(self, content: bytes, budget: Budget) -> None:
        super().__init__(io.BytesIO(content))
        self._budget = budget

    def open(self, name: Any, mode: str = "r", pwd: Any = None, **kwargs: Any) -> Any:
        stream = super().open(name, mode, pwd, **kwargs)
        return _BudgetedStream(stream, self._budget) if mode == "r" else stream


def open_workbook(content: bytes, budget: Budget) -> Workbook:
    """openpyxl's `load_workbook(read_only=True, data_only=True)`, on an archive whose every
    read checks `budget`, both while loading and later while the sheets' rows are read (a
    read-only workbook keeps reading from the archive it was loaded from)."""
    from openpyxl.reader.excel import ExcelReader

    reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True)
    reader.archive.close()
    reader.archive = _BudgetedArchive(content, budget)
    reader.read()
    return reader.wb

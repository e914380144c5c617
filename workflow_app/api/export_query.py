"""The query of a file export served by this helper's endpoints (a declared kind's case or
list, the dashboard): the format, the CSV dialect and the language of the file's words."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..spreadsheets.tabular import CSV_MIMETYPE, XLSX_MIMETYPE

# What the files are documented as (the CSV's charset parameter aside).
EXPORT_TYPES = (XLSX_MIMETYPE, CSV_MIMETYPE.split(";")[0])


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["xlsx", "csv"] = Field(default="xlsx", description="The file's format.")
    dialect: Literal["standard", "id"] = Field(
        default="standard",
        description="CSV only: id for Excel under Indonesian settings (semicolons, decimal comma).",
    )
    language: Literal["id", "en"] = Field(
        default="en",
        description="The language of the file's headers and labels (id: as the web's file "
        "for an Indonesian user).",
    )

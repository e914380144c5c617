"""Queries of the files of /api/v1/cases/<kind>: a case's or the list's export."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ..security.ids import MAX_ID
from .blueprint import UploadedFile
from .export_query import ExportQuery
from .schemas import RegionCode, StateName


class CaseListExportQuery(ExportQuery):
    """The list's filters, as GET /cases/{kind} takes them (the kind's own filter fields are
    further parameters, compared as text), without paging: every case the caller may see."""

    model_config = ConfigDict(extra="allow")

    region: RegionCode | None = None
    state: StateName | None = None


class CaseFileUpload(BaseModel):
    """A file for a file field of the case, on the version the caller read; it replaces the
    file the field held. The field's declared types (judged by content) and size apply."""

    model_config = ConfigDict(extra="forbid")

    file: UploadedFile
    version: int = Field(ge=0, le=MAX_ID)

"""Queries of the files of /api/v1/cases/<kind>: a case's or the list's export."""

from __future__ import annotations

from pydantic import ConfigDict

from .export_query import ExportQuery
from .schemas import RegionCode, StateName


class CaseListExportQuery(ExportQuery):
    """The list's filters, as GET /cases/{kind} takes them (the kind's own filter fields are
    further parameters, compared as text), without paging: every case the caller may see."""

    model_config = ConfigDict(extra="allow")

    region: RegionCode | None = None
    state: StateName | None = None

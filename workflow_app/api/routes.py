"""The API blueprint with every endpoint module imported (importing declares the routes)."""

from __future__ import annotations

from . import (  # noqa: F401
    change_views,
    dashboard_views,
    declared_file_views,
    declared_views,
    definition_views,
    delegation_views,
    inbox_views,
    lookup_views,
    openapi,
    plan_file_views,
    plan_views,
    plan_write_views,
    report_views,
    report_write_views,
    review_views,
    sync_views,
    task_views,
)
from .blueprint import blueprint

__all__ = ["blueprint"]

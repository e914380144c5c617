"""The API blueprint with every endpoint module imported (importing declares the routes)."""

from __future__ import annotations

from . import declared_views, openapi, plan_views, report_views, task_views  # noqa: F401
from .blueprint import blueprint

__all__ = ["blueprint"]

"""The monitoring blueprint. Its routes live in views.py (list, report page, actions),
evidence_views.py (attachments) and export_views.py (spreadsheets)."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("monitoring", __name__)

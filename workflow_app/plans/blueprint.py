"""The plans blueprint. Its routes live in views.py (reading, acting) and editing.py."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("plans", __name__)

"""JSON Schema for workflow definition files (the shape; cross-checks live in definition.py)."""

from __future__ import annotations

_LABEL = {
    "type": "object",
    "required": ["id", "en"],
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "en": {"type": "string", "minLength": 1},
    },
    "additionalProperties": False,
}
_NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}

DEFINITION_SCHEMA: dict = {
    "type": "object",
    "required": ["name", "version", "initial", "states", "transitions"],
    "additionalProperties": False,
    "properties": {
        "name": _NAME,
        "version": {"type": "integer", "minimum": 1},
        "label": _LABEL,
        "initial": _NAME,
        "states": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": _NAME,
            "additionalProperties": {
                "type": "object",
                "required": ["label", "owner"],
                "additionalProperties": False,
                "properties": {
                    "label": _LABEL,
                    "owner": _NAME,
                    "final": {"type": "boolean"},
                    "editable": {"type": "boolean"},
                    "published": {"type": "boolean"},
                },
            },
        },
        "transitions": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["trigger", "source", "dest", "roles"],
                "additionalProperties": False,
                "properties": {
                    "trigger": _NAME,
                    "label": _LABEL,
                    "source": {"type": "array", "minItems": 1, "items": _NAME},
                    "dest": _NAME,
                    "roles": {"type": "array", "minItems": 1, "items": _NAME},
                    "guards": {"type": "array", "items": _NAME},
                    "comment": {"enum": ["required", "optional"]},
                    "inform": {"type": "array", "items": _NAME},
                },
            },
        },
        "deadlines": {
            "type": "object",
            "propertyNames": _NAME,
            "additionalProperties": {
                "type": "object",
                "required": ["sla"],
                "additionalProperties": False,
                "properties": {
                    "sla": {"type": "integer"},
                    "steps": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name", "at", "notify"],
                            "additionalProperties": False,
                            "properties": {
                                "name": _NAME,
                                "at": {"type": "integer"},
                                "notify": {"type": "array", "minItems": 1, "items": _NAME},
                            },
                        },
                    },
                },
            },
        },
    },
}

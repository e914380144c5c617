"""JSON Schema for workflow definition files (the shape; cross-checks live in definition.py).

The state tags and transition attributes listed here are the whole vocabulary features bind
to: Python asks "is this state tagged `review`?", never "is this state `district_review`?".
"""

from __future__ import annotations

from .case_spec import FIELD_TYPES, FILE_KINDS

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
_NAMES = {"type": "array", "items": _NAME, "uniqueItems": True}

#: What each state tag makes the features do with a state.
STATE_TAGS = {
    "review": "the owner reviews the case here: they may comment on its items",
    "sync": "listed on the provincial sync page, where its owner acts on several at once",
    "monitoring": "the case is being monitored: its periodic reports are opened and chased",
    "cancelled": "the case was abandoned: left out of counts, totals and sync lists",
    "reported": "a report in this state counts as handed in (its figures are used)",
}

_FIELD: dict = {
    "type": "object",
    "required": ["type", "label"],
    "additionalProperties": False,
    "properties": {
        "type": {"enum": list(FIELD_TYPES)},
        "label": _LABEL,
        "required": {"type": "boolean"},
        "help": _LABEL,
        "min": {"type": "number"},
        "max": {"type": "number"},
        "max_length": {"type": "integer", "minimum": 1, "maximum": 10000},
        "options": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": _NAME,
            "additionalProperties": _LABEL,
        },
        "accept": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"enum": sorted(FILE_KINDS)},
        },
        "max_mb": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
        # A table's columns are fields themselves (no files or tables inside).
        "columns": {
            "type": "object",
            "propertyNames": _NAME,
            "additionalProperties": {"$ref": "#/$defs/field"},
        },
        "min_rows": {"type": "integer", "minimum": 0},
        "max_rows": {"type": "integer", "minimum": 1},
        # Where and by whom it may be changed (default: the owner of an `editable` state).
        "edit": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {"states": _NAMES, "roles": _NAMES},
        },
    },
}

#: The `case:` block: a kind of case declared as data (engine/case_spec.py).
_CASE = {
    "type": "object",
    "required": ["scope", "title", "fields"],
    "additionalProperties": False,
    "properties": {
        "scope": {"enum": ["district", "province"]},
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "fields": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": _NAME,
            "additionalProperties": {"$ref": "#/$defs/field"},
        },
        "list": _NAMES,
        "filters": _NAMES,
    },
}


def _steps(extra: dict) -> dict:
    """Escalation steps: `at` working days from a due time (negative: before it), whom they
    `notify`, the email subject's end (`summary`; `{days}` is the working days), and what
    else the use allows (`extra`)."""
    return {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["name", "at"],
            "additionalProperties": False,
            "properties": {
                "name": _NAME,
                "at": {"type": "integer"},
                "notify": {"type": "array", "minItems": 1, "items": _NAME},
                "summary": _LABEL,
                **extra,
            },
        },
    }


_SIGN_OFF = {
    "type": "object",
    "required": ["role", "quorum", "sla"],
    "additionalProperties": False,
    "properties": {
        "role": _NAME,
        "quorum": {"oneOf": [{"const": "all"}, {"type": "integer", "minimum": 1}]},
        "sla": {"type": "integer", "minimum": 1},
        "label": _LABEL,
        "on_quorum": _NAME,
        "on_objection": _NAME,
        "on_unreachable": _NAME,
        # A participant's steps: `counts_as` records silence as that answer when due.
        "steps": _steps({"counts_as": {"enum": ["agree"]}}),
    },
}

#: The values a transition's `signature` may take: the signature blocks of the printed plan.
SIGNATURES = ("prepared", "reviewed", "approved")
#: When the system fires a transition by itself.
AUTOMATIC = ("period_start",)
STYLES = ("primary", "secondary", "danger")

DEFINITION_SCHEMA: dict = {
    "type": "object",
    "required": ["name", "version", "initial", "roles", "states", "transitions"],
    "additionalProperties": False,
    "$defs": {"field": _FIELD},
    "properties": {
        "name": _NAME,
        "version": {"type": "integer", "minimum": 1},
        "case": _CASE,
        "label": _LABEL,
        "initial": _NAME,
        "roles": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": _NAME,
            "additionalProperties": {
                "type": "object",
                "required": ["label", "scope"],
                "additionalProperties": False,
                "properties": {
                    "label": _LABEL,
                    "scope": {"enum": ["district", "province", "global"]},
                    "delegable": {"type": "boolean"},
                    # Sees the cases of its region still in the workflow, the earliest due
                    # first, on its task page (a head who is escalated to).
                    "oversees": {"type": "boolean"},
                },
            },
        },
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
                    "tags": {
                        "type": "array",
                        "uniqueItems": True,
                        "items": {"enum": sorted(STATE_TAGS)},
                    },
                    # What the owner has to do here, to end "you are asked to …" in emails.
                    "task": _LABEL,
                    # Parallel sign-off by every holder of a role (engine/sign_off.py).
                    "sign_off": _SIGN_OFF,
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
                    # What happened, ending the email subject ("plan approved").
                    "summary": _LABEL,
                    "style": {"enum": list(STYLES)},
                    # `true`, or what will happen, said on the confirmation page.
                    "confirm": {
                        "type": ["boolean", "object"],
                        "required": ["consequence"],
                        "additionalProperties": False,
                        "properties": {"consequence": _LABEL},
                    },
                    "snapshot": {"type": "boolean"},
                    "submission": {"type": "boolean"},
                    "signature": {"enum": list(SIGNATURES)},
                    "automatic": {"enum": list(AUTOMATIC)},
                    "actor_differs_from": _NAMES,
                    # Declared checks on the case's fields (a kind with a `case:` block).
                    "requires": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["filled"],
                            "additionalProperties": False,
                            "properties": {
                                "filled": _NAME,
                                "min_rows": {"type": "integer", "minimum": 1},
                            },
                        },
                    },
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
                    # A timer that acts: `fire` makes the system fire this trigger (from the
                    # deadline's state) through the one door when the step is due.
                    "steps": _steps({"fire": _NAME}),
                },
            },
        },
    },
}

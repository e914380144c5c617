"""The workflow engine: definitions as data, run on `transitions`. No Flask in here."""

from .access import Grant, Scope, authorize, available_transitions, grant_covers
from .definition import Label, StateDef, TransitionDef, WorkflowDefinition, load_definition
from .errors import (
    CommentRequired,
    DefinitionError,
    DefinitionErrors,
    DutiesNotSeparated,
    GuardFailed,
    InvalidInput,
    NotAllowedFromState,
    OutOfScope,
    RoleNotAllowed,
    StaleObject,
    TransitionRefused,
    UnknownTrigger,
)
from .guards import GuardRegistry, guards
from .machine import WorkflowMachine
from .registry import WorkflowRegistry
from .roles import Role, RoleCatalogue, RoleDef, RoleScope

__all__ = [
    "CommentRequired",
    "DefinitionError",
    "DefinitionErrors",
    "DutiesNotSeparated",
    "Grant",
    "GuardFailed",
    "GuardRegistry",
    "InvalidInput",
    "Label",
    "NotAllowedFromState",
    "OutOfScope",
    "Role",
    "RoleCatalogue",
    "RoleDef",
    "RoleNotAllowed",
    "RoleScope",
    "Scope",
    "StaleObject",
    "StateDef",
    "TransitionDef",
    "TransitionRefused",
    "UnknownTrigger",
    "WorkflowDefinition",
    "WorkflowMachine",
    "WorkflowRegistry",
    "authorize",
    "available_transitions",
    "grant_covers",
    "guards",
    "load_definition",
]

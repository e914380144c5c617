"""Each definition version a case uses is stored once, with its content and hash; a file that
no longer says what a stored version said is refused, naming what changed."""

from __future__ import annotations

import json

from sqlalchemy import inspect, select
from sqlalchemy.dialects import postgresql, sqlite

from ..engine import DefinitionError, WorkflowDefinition, WorkflowRegistry
from ..extensions import db
from ..models_base import utcnow
from .diff import document_changes, summarise
from .models import WorkflowVersion


def table_exists() -> bool:
    """False before the migration that creates it has run (e.g. while `db upgrade` starts)."""
    return inspect(db.engine).has_table(WorkflowVersion.__tablename__)


def remember(definition: WorkflowDefinition) -> None:
    """Store `definition` as used, if it is not stored yet (in the caller's transaction; two
    at once store it once)."""
    if _known(definition):
        return
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    db.session.execute(
        dialect.insert(WorkflowVersion)
        .values(
            name=definition.name,
            version=definition.version,
            content_hash=definition.content_hash,
            content=definition.content,
            first_used_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["name", "version"])
    )


def _known(definition: WorkflowDefinition) -> bool:
    return (
        db.session.scalar(
            select(WorkflowVersion.id).where(
                WorkflowVersion.name == definition.name,
                WorkflowVersion.version == definition.version,
            )
        )
        is not None
    )


def changed_versions(registry: WorkflowRegistry) -> list[DefinitionError]:
    """One error per stored version whose file now says something else."""
    errors: list[DefinitionError] = []
    for stored in db.session.scalars(select(WorkflowVersion).order_by(WorkflowVersion.id)):
        definition = registry.find(stored.name, stored.version)
        if definition is None or definition.content_hash == stored.content_hash:
            continue
        changes = document_changes(json.loads(stored.content), json.loads(definition.content))
        errors.append(
            DefinitionError(
                definition.source_file,
                "version",
                f"{stored.name} version {stored.version} is in use since "
                f"{stored.first_used_at:%Y-%m-%d} and its file has changed "
                f"({summarise(changes)}): running cases must not change under their users. "
                f"Restore the file, or put the change in a new version (raise `version`, keep "
                f"this one as {stored.name}.v{stored.version}.yaml) and move cases with "
                "`workflow-app workflows migrate`",
            )
        )
    return errors

"""Guards of the progress report workflow, registered by name for the definition to use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import gettext as _

from ..engine import guards
from ..engine.guards import Problem

if TYPE_CHECKING:
    from .models import ProgressReport


@guards.register("report_complete")
def report_complete(report: ProgressReport) -> list[Problem]:
    """A report goes to the province only with every activity's physical progress and money
    spent filled in; each problem links to the activity's row on the report page."""
    problems = []
    for index, line in enumerate(report.lines):
        missing = []
        if line.physical_progress is None:
            missing.append(_("physical progress"))
        if line.spent is None:
            missing.append(_("money spent"))
        if missing:
            problems.append(
                Problem(
                    _(
                        "Activity “%(title)s”: %(missing)s not filled in.",
                        title=line.activity.title,
                        missing=", ".join(missing),
                    ),
                    anchor=f"line-{line.activity_id}",
                    fix_endpoint="monitoring.report",
                    fix_args={"report_id": report.id},
                    field=f"lines[{index}]",
                    code="line_incomplete",
                )
            )
    return problems

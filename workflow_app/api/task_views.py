"""/api/v1/tasks: what waits for the caller, as on the web's "My tasks"."""

from __future__ import annotations

from ..monitoring.queries import ReportTask, report_task_page
from ..plans.queries import Task, my_task_page
from . import schemas as s
from . import serialize
from .auth import api_user
from .blueprint import endpoint


@endpoint(
    "GET",
    "/tasks",
    summary="Plans and reports waiting for the caller's action, the earliest due first.",
    tag="tasks",
    query=s.TaskQuery,
    response=s.TaskList,
    errors=(400, 401),
)
def tasks(query: s.TaskQuery) -> s.TaskList:
    user = api_user()
    plans = my_task_page(user, query.limit)
    reports = report_task_page(user, query.limit)
    return s.TaskList(
        plans=[
            s.PlanTask(plan=serialize.plan_summary(t.plan), actions=_triggers(t))
            for t in plans.items
        ],
        plans_total=plans.total,
        reports=[
            s.ReportTask(report=serialize.report_summary(t.report), actions=_triggers(t))
            for t in reports.items
        ],
        reports_total=reports.total,
    )


def _triggers(task: Task | ReportTask) -> list[str]:
    """The actions the caller may take on the case now."""
    return [step.trigger for step in task.actions]

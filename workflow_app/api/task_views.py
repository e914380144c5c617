"""/api/v1/tasks: what waits for the caller, as on the web's "My tasks"."""

from __future__ import annotations

from ..monitoring.queries import report_task_page
from ..plans.queries import my_task_page
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
            s.PlanTask(
                plan=serialize.plan_summary(task.plan),
                actions=[step.trigger for step in task.actions],
            )
            for task in plans.items
        ],
        plans_total=plans.total,
        reports=[
            s.ReportTask(
                report=serialize.report_summary(task.report),
                actions=[step.trigger for step in task.actions],
            )
            for task in reports.items
        ],
        reports_total=reports.total,
    )

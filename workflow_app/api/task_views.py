"""/api/v1/tasks: what waits for the caller, as on the web's "My tasks"."""

from __future__ import annotations

import heapq
from datetime import UTC, datetime
from itertools import islice

from ..monitoring.queries import ReportTask, report_task_page
from ..plans.queries import Task, my_task_page
from . import schemas as s
from . import serialize
from .auth import api_user
from .blueprint import endpoint
from .paging import paged


@endpoint(
    "GET",
    "/tasks",
    summary=(
        "Plans and reports waiting for the caller's action, a page at a time: the earliest "
        "due first, those without a deadline last."
    ),
    tag="tasks",
    query=s.PageQuery,
    response=s.TaskList,
    errors=(400, 401),
)
def tasks(query: s.PageQuery) -> s.TaskList:
    user = api_user()
    # Each kind's list in its own order (earliest due first); merged by deadline alone, so
    # the merged order keeps each kind's, and the first offset + limit of each suffice.
    wanted = query.offset + query.limit
    plans = my_task_page(user, wanted)
    reports = report_task_page(user, wanted)
    merged = heapq.merge(plans.items, reports.items, key=_deadline)
    items = [_task(task) for task in islice(merged, query.offset, wanted)]
    return s.TaskList(items=items, **paged(query, plans.total + reports.total))


_NEVER = datetime.max.replace(tzinfo=UTC)


def _deadline(task: Task | ReportTask) -> tuple[bool, datetime]:
    due = task.plan.due_at if isinstance(task, Task) else task.report.due_at
    return (due is None, due or _NEVER)


def _task(task: Task | ReportTask) -> s.Task:
    if isinstance(task, Task):
        plan = serialize.plan_summary(task.plan)
        return s.Task(kind="plan", plan=plan, actions=_triggers(task))
    report = serialize.report_summary(task.report)
    return s.Task(kind="report", report=report, actions=_triggers(task))


def _triggers(task: Task | ReportTask) -> list[str]:
    """The actions the caller may take on the case now."""
    return [step.trigger for step in task.actions]

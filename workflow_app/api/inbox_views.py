"""/api/v1/notifications: the caller's own notifications in the app, as the web's list shows
them (notifications/inbox.py, the same queries and the same marking). Another user's
notification is 404 not_found, whatever its id; reading the list changes nothing."""

from __future__ import annotations

from flask_babel import force_locale

from ..engine import OutOfScope
from ..notifications import inbox
from ..notifications.inbox import InboxItem
from ..unit_of_work import unit_of_work
from . import inbox_schemas as n
from . import schemas as s
from .auth import api_user
from .blueprint import endpoint
from .errors import ApiError

TAG = "notifications"


def _titled(user_id: int, query: n.NotificationQuery) -> list[tuple[InboxItem, s.Label]]:
    """The page of notifications, each titled in both languages."""
    found: dict[str, list[InboxItem]] = {}
    for language in ("id", "en"):
        with force_locale(language):
            found[language] = inbox.inbox(
                user_id,
                language,
                query.limit,
                offset=query.offset,
                unread_only=query.unread,
            )
    return [
        (item, s.Label(id=item.title, en=english.title))
        for item, english in zip(found["id"], found["en"], strict=True)
    ]


def _out(item: InboxItem, title: s.Label) -> n.NotificationOut:
    row = item.notification
    return n.NotificationOut(
        id=row.id,
        event=row.event,
        title=title,
        actor=item.actor,
        comment=item.comment,
        case=n.CaseRef(kind=row.subject_kind or "", id=row.subject_id or 0),
        web_path=item.path,
        created_at=row.created_at,
        read_at=row.read_at,
        unread=item.unread,
    )


@endpoint(
    "GET",
    "/notifications",
    summary=(
        "The caller's notifications (events of their cases), the newest first, a page at a "
        "time; ?unread=true for the unread ones only. Reading them marks nothing."
    ),
    tag=TAG,
    query=n.NotificationQuery,
    response=n.NotificationList,
    errors=(400, 401),
)
def list_notifications(query: n.NotificationQuery) -> n.NotificationList:
    user_id = api_user().id
    return n.NotificationList(
        items=[_out(item, title) for item, title in _titled(user_id, query)],
        total=inbox.inbox_total(user_id, unread_only=query.unread),
        unread_total=inbox.unread_count(user_id),
        limit=query.limit,
        offset=query.offset,
    )


@endpoint(
    "POST",
    "/notifications/<int:notification_id>/read",
    summary="Mark one of the caller's notifications read (again: no change).",
    tag=TAG,
    response=n.NotificationOut,
    errors=(401, 404),
)
def read_notification(notification_id: int) -> n.NotificationOut:
    user_id = api_user().id
    try:
        with unit_of_work():
            row = inbox.mark_read(user_id, notification_id)
    except OutOfScope:
        raise ApiError(404, "not_found", "no notification of yours has this id") from None
    titles = {}
    for language in ("id", "en"):
        with force_locale(language):
            titles[language] = inbox.inbox_item(row, language)
    return _out(titles["id"], s.Label(id=titles["id"].title, en=titles["en"].title))


@endpoint(
    "POST",
    "/notifications/read",
    summary="Mark every unread notification of the caller read.",
    tag=TAG,
    response=n.ReadAllResult,
    errors=(401,),
)
def read_all_notifications() -> n.ReadAllResult:
    with unit_of_work():
        marked = inbox.mark_all_read(api_user().id)
    return n.ReadAllResult(marked=marked)

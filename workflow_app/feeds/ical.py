"""A user's deadlines as an iCalendar document (RFC 5545), written with the `icalendar`
library: one VEVENT per deadline at its due time in WITA (the VTIMEZONE of Asia/Makassar comes
with it, so every calendar shows the right moment in its own zone; it also keeps a feed with no
deadline valid, as a calendar must hold at least one component), its UID stable for as long as
it is the same deadline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone, TimezoneStandard

from ..engine.calendar import WITA
from ..templating import wita_datetime
from .deadlines import Deadline

PRODUCT_ID = "-//Pokja PKP Kalimantan Selatan//Rencana Aksi Sanitasi//ID"
# How often a calendar should fetch the feed again (clients that honour it).
REFRESH = timedelta(hours=1)


def _wita() -> Timezone:
    """Asia/Makassar: UTC+8 all year, no daylight saving (one STANDARD rule, no end)."""
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", timedelta(hours=8))
    standard.add("tzoffsetto", timedelta(hours=8))
    standard.add("tzname", "WITA")
    timezone = Timezone()
    timezone.add("tzid", "Asia/Makassar")
    timezone.add_component(standard)
    return timezone


def _event(deadline: Deadline, base_url: str, host: str, stamp: datetime) -> Event:
    url = f"{base_url}{deadline.path}"
    title = deadline.title
    if deadline.region and deadline.region not in title:
        title = f"{title} ({deadline.region})"
    summary = f"{title}: {deadline.action}" if deadline.action else title
    lines = [
        _("Due: %(when)s", when=wita_datetime(deadline.due_at)),
        _("Region: %(region)s", region=deadline.region),
    ]
    if deadline.task:
        lines.append(_("What you need to do: %(task)s", task=deadline.task))
    lines.append(url)
    event = Event()
    event.add("uid", f"{deadline.key}@{host}")
    event.add("dtstamp", stamp)
    # A moment, not a span: the deadline itself (an event that ends as it starts).
    event.add("dtstart", deadline.due_at.astimezone(WITA))
    event.add("summary", summary)
    event.add("description", "\n".join(lines))
    event.add("location", deadline.region)
    event.add("url", url)
    event.add("transp", "TRANSPARENT")  # a deadline does not make the user busy
    return event


def calendar_document(
    deadlines: Iterable[Deadline], *, name: str, base_url: str, now: datetime
) -> bytes:
    host = urlsplit(base_url).hostname or "localhost"
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")  # the same, as Outlook and Apple read it
    calendar.add_component(_wita())
    stamp = now.astimezone(UTC)
    for deadline in deadlines:
        calendar.add_component(_event(deadline, base_url, host, stamp))
    return calendar.to_ical()

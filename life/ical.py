"""The iCalendar (RFC 5545) form of a member's events, for phone calendars."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from icalendar import Calendar
from icalendar import Event as VEvent

from .models import Event


def calendar_bytes(name: str, events: Iterable[Event]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Copro//Calendrier de la résidence//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    host = settings.SITE_URL.split("://", 1)[-1]
    for event in events:
        item = VEvent()
        item.add("uid", f"event-{event.pk}@{host}")
        item.add("summary", event.title)
        item.add("dtstart", event.starts_at)
        item.add("dtend", event.ends_at)
        item.add("dtstamp", event.starts_at)
        item.add("categories", [event.get_kind_display()])
        if event.place:
            item.add("location", event.place)
        if event.description:
            item.add("description", event.description)
        calendar.add_component(item)
    return calendar.to_ical()

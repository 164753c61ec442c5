"""`GET /rota/<secret>.ics`: a rota's published weeks as an iCalendar feed (RFC 5545)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from http import HTTPStatus

from bot.blocks.rota import DaysCover, split_week
from bot.http.requests import Route, WebRequest, WebResponse
from bot.services import Services
from bot.store import rota as store
from bot.store import rota_cover as cover_store
from bot.store.rota import Rota, RotaWeek
from bot.store.slack_names import known_names

# RFC 5545 §3.1: lines longer than 75 octets are folded.
FOLD_AT = 75
ROUTE = r"/rota/(?P<secret>[A-Za-z0-9_-]+)\.ics"
# Feeds served at once; calendar apps poll, and must never take the threads Slack's requests need.
FEED_SLOTS = 4
# Seconds a calendar app is asked to wait when every slot is busy.
BUSY_RETRY_AFTER = 60


def escape_text(value: str) -> str:
    """A TEXT value escaped per RFC 5545 §3.3.11."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line into chunks of at most 75 octets, never splitting a character."""
    out: list[str] = []
    current, size, limit = "", 0, FOLD_AT
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            # Continuation lines start with a space, which counts toward their 75 octets.
            current, size, limit = "", 0, FOLD_AT - 1
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y%m%dT%H%M%SZ")


def _day(d: date) -> str:
    return d.strftime("%Y%m%d")


def calendar_feed(
    rota: Rota,
    weeks: list[RotaWeek],
    *,
    name: Callable[[str], str],
    now: datetime,
    covers: tuple[DaysCover, ...] = (),
) -> str:
    """One all-day event per week, Monday to Saturday (exclusive end); a week split by cover
    inside it has one event per run of days with one person on support."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Rotabot//Support rota//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Support rota",
    ]
    for week in weeks:
        for first, last, person in split_week(week, covers):
            summary = "Support: " + name(person)
            if person != week.user_id:
                summary += f" (covering for {name(week.user_id)})"
            lines += [
                "BEGIN:VEVENT",
                f"UID:rota-{rota.id}-{_day(first)}@rotabot",
                f"DTSTAMP:{_stamp(now)}",
                f"DTSTART;VALUE=DATE:{_day(first)}",
                f"DTEND;VALUE=DATE:{_day(last + timedelta(days=1))}",
                f"SUMMARY:{escape_text(summary)}",
                "TRANSP:TRANSPARENT",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def ical_feed(services: Services, slots: threading.Semaphore | None = None) -> Route:
    """The feed route; at most `slots` (default FEED_SLOTS) feeds are served at once."""
    busy = slots if slots is not None else threading.BoundedSemaphore(FEED_SLOTS)

    def route(request: WebRequest) -> WebResponse:
        if not busy.acquire(blocking=False):
            return WebResponse(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "busy serving other calendars; try again in a minute",
                {"Content-Type": "text/plain; charset=utf-8", "Retry-After": str(BUSY_RETRY_AFTER)},
            )
        try:
            return feed_response(services, request.params.get("secret", ""))
        finally:
            busy.release()

    return route


def feed_response(services: Services, secret: str) -> WebResponse:
    with services.session() as session:
        rota = store.rota_by_secret(session=session, secret=secret)
        if rota is None or rota.id is None:
            return WebResponse.text(HTTPStatus.NOT_FOUND, "not found")
        weeks = store.weeks(session=session, rota_id=rota.id)
        first = weeks[0].week_start if weeks else date.min
        covers = tuple(
            DaysCover(c.first_day, c.last_day, c.coverer)
            for c in cover_store.midweek_covers(session=session, rota_id=rota.id, first=first)
            if c.status == cover_store.ACCEPTED and c.coverer is not None
        )
        # Names as Rotabot last learned them: a feed never waits on Slack.
        people = {week.user_id for week in weeks} | {c.person for c in covers}
        names = known_names(session=session, user_ids=people)
    body = calendar_feed(
        rota,
        weeks,
        name=lambda user_id: names.get(user_id, user_id),
        now=services.now(),
        covers=covers,
    )
    return WebResponse(
        HTTPStatus.OK,
        body,
        {
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": 'inline; filename="support-rota.ics"',
            "Cache-Control": "private, max-age=300",
        },
    )

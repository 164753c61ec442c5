"""Working days, working hours and rota weeks in the team's timezone.

Every instant going in or out is timezone-aware; instants returned are UTC. Local wall time is
used only to apply the rules: working days are Monday to Friday minus public holidays, and
working hours run from ``day_start`` to ``day_end`` as half-open periods ``[start, end)``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_data

EXTRA_HOLIDAY_NAME = "Team holiday"
_SUBDIVISIONS_SHOWN = 12


def _load_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown timezone {name!r} in ROTABOT_TIMEZONE; use an IANA name such as "
            "Europe/London or America/New_York"
        ) from None


def _load_holidays(spec: str) -> holiday_data.HolidayBase:
    """Parse "CC" or "CC-SUB" (e.g. GB-ENG, US-CA) into a year-expanding holidays table."""
    country, _, subdivision = spec.strip().partition("-")
    country = country.upper()
    supported = holiday_data.list_supported_countries()
    if country not in supported:
        raise ValueError(
            f"unknown country {country!r} in ROTABOT_HOLIDAYS; use an ISO code such as "
            "GB-ENG or US-CA"
        )
    subdiv: str | None = None
    if subdivision:
        codes = supported[country]
        # Codes are mostly upper case but a few are not ("Zone A"), so match case-insensitively.
        subdiv = next((code for code in codes if code.lower() == subdivision.lower()), subdivision)
    try:
        table = holiday_data.country_holidays(country, subdiv=subdiv)
    except NotImplementedError:
        raise ValueError(
            f"unknown subdivision {subdivision!r} of {country} in ROTABOT_HOLIDAYS; "
            + _subdivision_hint(country, supported[country])
        ) from None
    language = table.default_language or ""
    # The bot writes English, so prefer English holiday names where the data has them.
    if not language.startswith("en") and "en_US" in table.supported_languages:
        table = holiday_data.country_holidays(country, subdiv=subdiv, language="en_US")
    return table


def _subdivision_hint(country: str, codes: list[str]) -> str:
    if not codes:
        return f"{country} has none, so use just {country}"
    hint = "use one of " + ", ".join(codes[:_SUBDIVISIONS_SHOWN])
    if len(codes) > _SUBDIVISIONS_SHOWN:
        hint += f" and {len(codes) - _SUBDIVISIONS_SHOWN} more"
    return hint


class WorkCalendar:
    """The team's working calendar: pure rules, no clock reads and no I/O."""

    def __init__(
        self,
        *,
        timezone: str = "Europe/London",
        holidays: str = "GB-ENG",
        day_start: time = time(9, 0),
        day_end: time = time(17, 30),
        due_time: time = time(17, 0),
        extra_holidays: Iterable[date] = (),
    ) -> None:
        if day_start >= day_end:
            raise ValueError(
                f"the working day must start before it ends, not {day_start:%H:%M}–{day_end:%H:%M}"
            )
        self._tz = _load_zone(timezone)
        self._holidays = _load_holidays(holidays)
        # The table fills in a year on first lookup; the bot looks up from several threads.
        self._holidays_lock = threading.Lock()
        self._years: dict[int, frozenset[date]] = {}
        self._extra_holidays = frozenset(extra_holidays)
        self.day_start = day_start
        self.day_end = day_end
        self._day_length = datetime.combine(date.min, day_end) - datetime.combine(
            date.min, day_start
        )
        self.due_time = due_time

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    # Instants and local dates

    def local(self, instant: datetime) -> datetime:
        """The instant as local wall time (aware, in the team's zone)."""
        return _aware(instant).astimezone(self._tz)

    def today(self, now: datetime) -> date:
        """The local date at ``now``."""
        return self.local(now).date()

    def at(self, d: date, t: time) -> datetime:
        """The local wall time ``t`` on ``d``, as UTC.

        Ambiguous times (the repeated hour in autumn) follow ``t.fold``: 0, the default, is the
        first occurrence. Times that do not exist (the skipped hour in spring) are read with the
        offset before the change, so they land after the gap: 01:30 on 2026-03-29 in London is
        01:30 UTC, i.e. 02:30 BST.
        """
        return datetime.combine(d, t, tzinfo=self._tz).astimezone(UTC)

    # Days

    def holiday_name(self, d: date) -> str | None:
        with self._holidays_lock:
            name: str | None = self._holidays.get(d)
        if name is None and d in self._extra_holidays:
            return EXTRA_HOLIDAY_NAME
        return name

    def is_holiday(self, d: date) -> bool:
        return self.holiday_name(d) is not None

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < 5 and not self.is_holiday(d)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self.working_day_on_or_after(d + timedelta(days=1))

    def working_day_on_or_after(self, d: date) -> date:
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before ``d``."""
        d -= timedelta(days=1)
        while not self.is_working_day(d):
            d -= timedelta(days=1)
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """Step ``n`` working days from ``d`` (backwards when negative); 0 returns ``d``."""
        step = self.next_working_day if n >= 0 else self.previous_working_day
        for _ in range(abs(n)):
            d = step(d)
        return d

    # Times of day (these do not check that ``d`` is a working day)

    def start_of_working_day(self, d: date) -> datetime:
        return self.at(d, self.day_start)

    def end_of_working_hours(self, d: date) -> datetime:
        return self.at(d, self.day_end)

    def due_end_of_day(self, d: date) -> datetime:
        """When something due "on d" with no hour given is due."""
        return self.at(d, self.due_time)

    # Working time

    def is_working_time(self, instant: datetime) -> bool:
        d = self.today(instant)
        if not self.is_working_day(d):
            return False
        return self.start_of_working_day(d) <= instant < self.end_of_working_hours(d)

    def next_working_time(self, instant: datetime) -> datetime:
        """``instant`` (as UTC) when it is working time, else when working time next starts."""
        instant = _aware(instant).astimezone(UTC)
        d = self.today(instant)
        if self.is_working_day(d):
            start = self.start_of_working_day(d)
            if instant < start:
                return start
            if instant < self.end_of_working_hours(d):
                return instant
        return self.start_of_working_day(self.next_working_day(d))

    def add_working_hours(self, instant: datetime, hours: float) -> datetime:
        """The instant ``hours`` of working time after ``instant``, counting from working time.

        When the hours run out exactly at the end of a working day the result is that end
        (e.g. Friday 17:30), the earliest instant at which they have all passed.
        """
        remaining = timedelta(hours=_non_negative(hours))
        current = self.next_working_time(instant)
        d = self.today(current)
        while True:
            left_today = self.end_of_working_hours(d) - current
            if remaining <= left_today:
                return current + remaining
            remaining -= left_today
            d = self.next_working_day(d)
            current = self.start_of_working_day(d)

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Hours of working time in ``[start, end)``; 0 when ``end`` is not after ``start``."""
        if _aware(end) <= _aware(start):
            return 0.0
        first, last = self.today(start), self.today(end)
        total = self._worked_on(first, start, end)
        if last != first:
            total += self._worked_on(last, start, end)
            # Days wholly inside the span count in full: clocks change at night, never during
            # working hours, so each is exactly one working day long.
            whole = self.working_days_in(first + timedelta(days=1), last)
            total += whole * self._day_length
        return total / timedelta(hours=1)

    def working_days_in(self, first: date, end: date) -> int:
        """How many working days fall in ``[first, end)``, counted without visiting each."""
        days = (end - first).days
        if days <= 0:
            return 0
        weeks, rest = divmod(days, 7)
        tail = first + timedelta(weeks=weeks)
        weekdays = weeks * 5 + sum(
            1 for offset in range(rest) if (tail + timedelta(days=offset)).weekday() < 5
        )
        return weekdays - sum(1 for d in self._holidays_between(first, end) if d.weekday() < 5)

    def _holidays_between(self, first: date, end: date) -> set[date]:
        """Public and team holidays in ``[first, end)``."""
        found = {d for d in self._extra_holidays if first <= d < end}
        for year in range(first.year, end.year + 1):
            found.update(d for d in self._holidays_of(year) if first <= d < end)
        return found

    def _holidays_of(self, year: int) -> frozenset[date]:
        with self._holidays_lock:
            known = self._years.get(year)
            if known is None:
                # Looking up a date fills in its year; then the table holds every holiday of it.
                _ = date(year, 1, 1) in self._holidays
                known = frozenset(d for d in self._holidays if d.year == year)
                self._years[year] = known
            return known

    def latest_start_for(self, end: datetime, hours: float) -> datetime:
        """The latest instant from which ``hours`` of working time have passed by ``end``.

        ``working_hours_between(s, end) >= hours`` exactly when ``s`` is at or before it, so
        a rule such as "waited 4 working hours" becomes one comparison a database can do.
        """
        remaining = timedelta(hours=_non_negative(hours))
        end = _aware(end).astimezone(UTC)
        if not remaining:
            return end
        d = self.today(end)
        closes = min(end, self.end_of_working_hours(d))
        while True:
            if self.is_working_day(d):
                worked = max(closes - self.start_of_working_day(d), timedelta())
                if remaining <= worked:
                    return closes - remaining
                remaining -= worked
            d -= timedelta(days=1)
            closes = self.end_of_working_hours(d)

    def _worked_on(self, d: date, start: datetime, end: datetime) -> timedelta:
        if not self.is_working_day(d):
            return timedelta()
        opens = max(start, self.start_of_working_day(d))
        closes = min(end, self.end_of_working_hours(d))
        return max(closes - opens, timedelta())

    # Rota weeks: Monday to Sunday, working on Monday to Friday

    def week_start(self, d: date) -> date:
        """The Monday of the rota week containing ``d``."""
        return d - timedelta(days=d.weekday())

    def week_of(self, instant: datetime) -> date:
        """The Monday of the rota week containing the local date of ``instant``."""
        return self.week_start(self.today(instant))

    def working_days_of_week(self, monday: date) -> list[date]:
        """The working days of the week containing ``monday`` (any day of it will do)."""
        first = self.week_start(monday)
        days = (first + timedelta(days=offset) for offset in range(5))
        return [d for d in days if self.is_working_day(d)]

    def first_working_day_of_week(self, monday: date) -> date | None:
        """None when every weekday of the week is a holiday."""
        days = self.working_days_of_week(monday)
        return days[0] if days else None

    def last_working_day_of_week(self, monday: date) -> date | None:
        """None when every weekday of the week is a holiday."""
        days = self.working_days_of_week(monday)
        return days[-1] if days else None


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {instant.isoformat()}")
    return instant


def _non_negative(hours: float) -> float:
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"working hours must be a finite number of at least 0, not {hours!r}")
    return hours

"""Reading promised update times: typed after `/ticket promise`, or named in our replies.

The time expressions live here, in one place, as readable tables. The calendar parts of a time
expression ("21 Dec", "fri 3pm", "in 2 hours") are read by the dateparser library; the team's
own rules sit on top: a day with no time means the end of that working day (17:00), "tomorrow"
means the next working day, "end of day" means 17:00 today.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import dateparser

from bot.worktime import WorkCalendar

EXAMPLES = "`tomorrow`, `fri 3pm`, `end of day`, `in 2 hours`, `Monday` or `21 Dec 10:00`"

WEEKDAY = r"(?:mon|tue|tues|wed|weds|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|rsday|urday)?"
MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
CLOCK = r"(?:\d{1,2}(?::\d{2})?\s*(?:am|pm)|\d{1,2}:\d{2}|noon|midday)"
PART_OF_DAY = r"(?:morning|afternoon|lunchtime|evening)"

# Every shape of time expression we accept, tried longest first at one position.
TIME_EXPRESSIONS = [
    r"(?:the )?end of (?:the )?(?:day|today|play|business)(?: today)?",
    r"(?:eod|cob|close of business|end of play)",
    r"(?:the )?end of (?:the )?week",
    rf"(?:first thing )?tomorrow(?: {PART_OF_DAY})?(?: (?:at |by )?{CLOCK})?",
    rf"(?:later )?today(?: (?:at |by )?{CLOCK})?",
    rf"this {PART_OF_DAY}",
    r"tonight",
    rf"(?:first thing )?(?:on |next |this )?{WEEKDAY}(?: {PART_OF_DAY})?(?: (?:at |by )?{CLOCK})?",
    rf"(?:the )?\d{{1,2}}(?:st|nd|rd|th)?(?: of)? {MONTH}(?: \d{{4}})?(?: (?:at |by )?{CLOCK})?",
    rf"{MONTH} \d{{1,2}}(?:st|nd|rd|th)?(?: \d{{4}})?(?: (?:at |by )?{CLOCK})?",
    rf"\d{{4}}-\d{{2}}-\d{{2}}(?:[ t]{CLOCK})?",
    r"(?:in|within) (?:the next )?(?:an?|one|two|three|four|\d+) (?:hours?|minutes?|mins?)",
    r"(?:in|within) (?:the next )?(?:a|one|two|three|\d+) (?:working |business )?days?",
    r"next week",
    CLOCK,
]
TIME_EXPRESSION = re.compile(
    r"(?<![\w-])(?:" + "|".join(f"(?:{pattern})" for pattern in TIME_EXPRESSIONS) + r")(?![\w-])",
    re.IGNORECASE,
)
HAS_CLOCK = re.compile(rf"{CLOCK}|\b(?:in|within) .*\b(?:hours?|minutes?|mins?)\b", re.IGNORECASE)
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4}
PART_OF_DAY_DUE = {"morning": time(12, 0), "lunchtime": time(13, 0), "afternoon": time(17, 0)}


class WhenError(ValueError):
    """A time a person typed that we cannot use; the message says why, with examples."""


def parse_when(expression: str, *, now: datetime, calendar: WorkCalendar) -> datetime:
    """The due instant (UTC) for a time expression, or WhenError with a sentence to show."""
    text = " ".join(expression.lower().replace(",", " ").split())
    if not text:
        raise WhenError(f"Say when the update is due, e.g. {EXAMPLES}.")
    due = resolve_time(text, now=now, calendar=calendar)
    if due is None:
        raise WhenError(f"I couldn't read “{expression.strip()}” as a time. Try {EXAMPLES}.")
    if due <= now:
        shown = due.astimezone(calendar.tz).strftime("%H:%M")
        raise WhenError(
            f"“{expression.strip()}” ({shown}) has already passed. Pick a time in the future, "
            f"e.g. {EXAMPLES}."
        )
    return due


def split_when(words: str, *, now: datetime, calendar: WorkCalendar) -> tuple[datetime, str]:
    """Split `fri 3pm check logs` into (due, "check logs"): the longest leading time wins."""
    tokens = words.split()
    if not tokens:
        raise WhenError(f"Say when the update is due, e.g. {EXAMPLES}.")
    for count in range(min(len(tokens), 6), 0, -1):
        try:
            due = parse_when(" ".join(tokens[:count]), now=now, calendar=calendar)
        except WhenError as error:
            if "already passed" in str(error):
                # The longest reading is what the person meant, even though it is past.
                raise
            continue
        return due, " ".join(tokens[count:])
    raise WhenError(f"I couldn't find a time at the start of “{words.strip()}”. Try {EXAMPLES}.")


# Promises further ahead than this are typos ("in 99999 days"), not commitments.
FURTHEST = timedelta(days=366)


def resolve_time(text: str, *, now: datetime, calendar: WorkCalendar) -> datetime | None:
    """The due instant a whole time expression names; None for none, or an impossible date
    (29 Feb next year, a year away)."""
    try:
        due = _resolve(text, now=now, calendar=calendar)
    except (ValueError, OverflowError):
        return None
    return due if due is None or due - now <= FURTHEST else None


def _resolve(text: str, *, now: datetime, calendar: WorkCalendar) -> datetime | None:
    match = TIME_EXPRESSION.fullmatch(text)
    if match is None:
        return None
    today = calendar.today(now)
    text = re.sub(r"^(?:first thing|later|by|on|at) ", "", text)
    text = re.sub(r"\b(\d+)(?:st|nd|rd|th)?(?: of)? ", r"\1 ", text)

    if re.fullmatch(r"(?:the )?end of (?:the )?(?:day|today|play|business)(?: today)?", text) or (
        text in ("eod", "cob", "close of business", "end of play", "tonight")
    ):
        return calendar.due_end_of_day(calendar.working_day_on_or_after(today))
    if re.fullmatch(r"(?:the )?end of (?:the )?week", text):
        friday = calendar.last_working_day_of_week(calendar.week_start(today))
        day = friday if friday is not None and friday >= today else None
        return calendar.due_end_of_day(day or calendar.working_day_on_or_after(today))
    if text == "next week":
        monday = calendar.week_start(today) + timedelta(days=7)
        return calendar.due_end_of_day(calendar.working_day_on_or_after(monday))
    days = re.fullmatch(r"(?:in|within) (?:the next )?(\w+) (?:working |business )?days?", text)
    if days:
        count = NUMBER_WORDS.get(days.group(1)) or int(days.group(1))
        return calendar.due_end_of_day(calendar.add_working_days(today, count))

    part = re.search(rf"\b{PART_OF_DAY}\b", text)
    if part is not None:
        text = (text[: part.start()] + text[part.end() :]).strip()
    if text.startswith("tomorrow"):
        day = calendar.next_working_day(today)
        rest = text[len("tomorrow") :].strip()
        return _on_day(day, rest, part.group(0) if part else None, calendar=calendar)
    if text.startswith("today") or text.startswith("this"):
        rest = re.sub(r"^(?:today|this)", "", text).strip()
        return _on_day(today, rest, part.group(0) if part else None, calendar=calendar)

    parsed = _dateparser(text, now=now, calendar=calendar)
    if parsed is None or isinstance(parsed, datetime):
        return parsed
    day = parsed
    if part is not None:
        return _on_day(calendar.working_day_on_or_after(day), "", part.group(0), calendar=calendar)
    return calendar.due_end_of_day(calendar.working_day_on_or_after(day))


def _on_day(day: date, clock: str, part: str | None, *, calendar: WorkCalendar) -> datetime | None:
    clock = re.sub(r"^(?:at|by) ", "", clock).strip()
    if clock:
        parsed = dateparser.parse(clock, languages=["en"])
        if parsed is None:
            return None
        return calendar.at(day, parsed.time())
    if part is not None and part in PART_OF_DAY_DUE:
        return calendar.at(day, PART_OF_DAY_DUE[part])
    return calendar.due_end_of_day(day)


def _dateparser(text: str, *, now: datetime, calendar: WorkCalendar) -> datetime | date | None:
    """An exact instant when the text names a clock time or a delay, else just the day."""
    text = re.sub(r"^(?:next|this) ", "", text)
    local_now = now.astimezone(calendar.tz).replace(tzinfo=None)
    parsed = dateparser.parse(
        text,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now,
            "DATE_ORDER": "DMY",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    if parsed is None:
        return None
    if re.match(r"(?:in|within)\b", text):
        return now + (parsed - local_now)
    names_day = re.search(rf"\b(?:{WEEKDAY}|{MONTH})\b|\d{{4}}", text) is not None
    if re.search(rf"\b{MONTH}\b", text) and not re.search(r"\d{4}", text):
        # "1 Dec" is this year's, unless that day is behind us: "5 Jan" in December is next year's.
        parsed = parsed.replace(year=local_now.year)
        if parsed.date() < local_now.date():
            parsed = parsed.replace(year=local_now.year + 1)
    if not HAS_CLOCK.search(text):
        return parsed.date()
    if names_day:
        return calendar.at(parsed.date(), parsed.time())
    # A bare "3pm" means today's if it is still ahead, else the next working day's.
    today_at = calendar.at(local_now.date(), parsed.time())
    if today_at > now:
        return today_at
    return calendar.at(calendar.next_working_day(local_now.date()), parsed.time())

"""The text of a `/rota` command: its subcommand, the people it mentions and its words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.dates import EXAMPLES, DateError, echo, parse_range
from bot.worktime import WorkCalendar

MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
# A user group as Slack escapes it: <!subteam^S0614TZR7|@support> (the label may be missing).
SUBTEAM = re.compile(r"<!subteam\^([A-Z0-9]+)(?:\|@?([^>]*))?>")
HANDLE = re.compile(r"@?([a-z0-9][a-z0-9._-]{0,79})", re.IGNORECASE)
TOKEN = re.compile(r"<[^>]*>|[^\s<]+|<")
MAX_SHOWN = 26
DEFAULT_SHOWN = 6


class UsageError(ValueError):
    """The command text was not understood; the message says what was wrong."""


@dataclass(frozen=True)
class Command:
    name: str
    users: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    count: int = DEFAULT_SHOWN


SUBCOMMANDS = (
    "show",
    "who",
    "add",
    "remove",
    "swap",
    "away",
    "lead",
    "stats",
    "ical",
    "group",
    "topic",
    "help",
)


def parse_command(text: str) -> Command:
    """The subcommand and its arguments; UsageError says what is wrong with the text."""
    tokens = TOKEN.findall(text)
    if not tokens:
        return Command("show")
    name, rest = tokens[0].lower(), tokens[1:]
    if name not in SUBCOMMANDS:
        raise UsageError(f"I don't know `{echo(tokens[0])}`.")
    users: list[str] = []
    words: list[str] = []
    if name == "group":
        return _group_command(rest)
    for token in rest:
        if match := MENTION.fullmatch(token):
            users.append(match[1])
        elif token.startswith("<") or token.startswith("@"):
            raise UsageError(
                f"I can't read `{echo(token)}` as a person: pick them from Slack's @ menu "
                "so the name turns into a mention."
            )
        else:
            words.append(token)
    command = Command(name, tuple(dict.fromkeys(users)), tuple(words))
    _check_shape(command)
    if name == "show" and words:
        return Command("show", count=int(words[0]))
    return command


def _check_shape(command: Command) -> None:
    name, users, words = command.name, command.users, command.words
    if name in ("who", "help") and (users or words):
        raise UsageError(f"`{name}` takes nothing after it.")
    if name == "stats" and (users or [w.lower() for w in words] not in ([], ["clients"])):
        raise UsageError("`stats` takes nothing, or `clients` for the figures per client.")
    if name == "show":
        if users or len(words) > 1 or (words and not _is_count(words[0])):
            raise UsageError(
                f"`show` takes a number of weeks from 1 to {MAX_SHOWN}, e.g. `show 8`."
            )
    if name == "add" and (not users or words):
        raise UsageError("`add` takes one or more people, e.g. `add @alice @bob`.")
    if name == "remove" and (len(users) != 1 or words):
        raise UsageError("`remove` takes one person, e.g. `remove @alice`.")
    if name == "swap" and len(users) != 1:
        raise UsageError("`swap` takes one person and optionally a date, e.g. `swap @bob 21 Dec`.")
    if name == "away" and (len(users) > 1 or not words):
        raise UsageError(
            "`away` takes a date, optionally an end date and one person, "
            "e.g. `away 21 Dec 2 Jan` or `away tomorrow @bob`."
        )
    if name == "lead" and len(users) != 1:
        raise UsageError(
            "`lead` takes one person and optionally a client, e.g. `lead @dana Acme Ltd`."
        )
    if name == "lead" and len(" ".join(words)) > 255:
        raise UsageError("That client name is too long: Zendesk organization names are shorter.")
    if name == "topic" and (users or [w.lower() for w in words] not in (["on"], ["off"])):
        raise UsageError("`topic` takes `on` or `off`, e.g. `topic on`.")
    if name == "ical" and (users or [w.lower() for w in words] not in ([], ["reset"])):
        raise UsageError("`ical` takes nothing, or `reset` for a new link.")


GROUP_USAGE = (
    "`group` takes a user group picked from Slack's @ menu, e.g. `group @support`, "
    "or `off` to unlink it."
)


def _group_command(rest: list[str]) -> Command:
    """`group <!subteam^S…|@handle>`, `group @handle` or `group off`: words are the group's
    id and handle ("" when Slack did not send one), or just the handle, or `off`."""
    if len(rest) != 1:
        raise UsageError(GROUP_USAGE)
    (token,) = rest
    if match := SUBTEAM.fullmatch(token):
        return Command("group", words=(match[1], (match[2] or "").strip()))
    if token.lower() == "off":
        return Command("group", words=("off",))
    if not token.startswith("<") and (match := HANDLE.fullmatch(token)):
        return Command("group", words=(match[1],))
    raise UsageError(f"I can't read `{echo(token)}` as a user group. {GROUP_USAGE}")


def _is_count(word: str) -> bool:
    return word.isascii() and word.isdigit() and 1 <= int(word) <= MAX_SHOWN


def split_range(
    words: tuple[str, ...], *, today: date, calendar: WorkCalendar
) -> tuple[date, date]:
    """FROM [TO] from the words, e.g. `21 dec to 2 jan`, `tomorrow fri`, `next monday`."""
    words = tuple(w for w in words if w.lower() not in ("to", "until", "till", "-", "–"))
    first_error: DateError | None = None
    for cut in range(1, len(words) + 1):
        first, last = " ".join(words[:cut]), " ".join(words[cut:]) or None
        try:
            return parse_range(first, last, today=today, calendar=calendar)
        except DateError as error:
            if first_error is None or "range" in str(error) or "past" in str(error):
                first_error = error
    raise first_error or DateError(f"I expected dates, such as {EXAMPLES}.")

"""Who is on support, shown outside `/rota`: a Slack user group and a line in the topic.

Level-triggered: each sync compares what Slack holds with what it should hold and changes only
the differences. The group holds the person on support since the last working day's 09:00 (so
a new week's person joins at 09:00 on its first working day, a Tuesday after a bank-holiday
Monday); Slack refuses an empty group, so with nobody on support it keeps its members.
Slack is asked with no database session open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot import timefmt
from bot.rota.planner import on_support
from bot.services import Services
from bot.slack.errors import (
    MISSING_SCOPE,
    NO_SUCH_SUBTEAM,
    NOT_ALLOWED_TOKEN_TYPE,
    PAID_TEAMS_ONLY,
    PERMISSION_DENIED,
    PLAN_UPGRADE_REQUIRED,
    SlackUnavailable,
)
from bot.slack.people import SlackPeople
from bot.slack.post import post
from bot.slack.usergroups import (
    channel_topic,
    group_members,
    set_channel_topic,
    set_group_members,
)
from bot.store import rota as store
from bot.store import rota_cover as surfaces_store
from bot.store.slack_names import known_names
from bot.worktime import WorkCalendar

TOPIC_PREFIX = "On support: "
# Slack refuses a longer topic (too_long).
TOPIC_MOST = 250

GROUP_FIXES = {
    PAID_TEAMS_ONLY: "User groups need a paid Slack plan, and this workspace is on the free "
    "one. Upgrade the workspace, or use `/rota topic on` to show who is on support instead.",
    NOT_ALLOWED_TOKEN_TYPE: "Slack does not let this kind of token manage user groups: "
    "reinstall Rotabot from its manifest so it has a bot token with usergroups:read and "
    "usergroups:write.",
    MISSING_SCOPE: "Rotabot lacks the usergroups:read and usergroups:write scopes: add them "
    "(they are in manifest.yml) under OAuth & Permissions and reinstall the app.",
    PERMISSION_DENIED: "The workspace only lets some people edit user groups: an admin can "
    "allow apps under Settings & administration → Workspace settings → Permissions → "
    "User Groups.",
    NO_SUCH_SUBTEAM: "Slack has no such user group any more: link another with "
    "`/rota group @handle`.",
}
GROUP_FIXES[PLAN_UPGRADE_REQUIRED] = GROUP_FIXES[PAID_TEAMS_ONLY]


def group_problem(code: str) -> str:
    """What Slack's refusal means for the user group, and what to do about it."""
    fix = GROUP_FIXES.get(code, "Try again in a minute; if it keeps failing, run `rotabot doctor`.")
    return f"Slack refused the user group ({code}). {fix}"


def support_day(calendar: WorkCalendar, now: datetime) -> date:
    """The working day whose start (09:00) most recently passed: its person holds them."""
    today = calendar.today(now)
    if calendar.is_working_day(today) and calendar.local(now).time() >= calendar.day_start:
        return today
    return calendar.previous_working_day(today)


def topic_line(name: str, until: date, *, today: date) -> str:
    return f"{TOPIC_PREFIX}@{name} until {timefmt.day(until, today=today)}"


def topic_with(current: str, line: str | None) -> str:
    """The topic with Rotabot's line put in (in place of the old one) or taken out, keeping
    everything else the team wrote; the team's text is shortened if Slack's limit needs it."""
    lines = current.split("\n") if current else []
    mine = next((i for i, each in enumerate(lines) if each.startswith(TOPIC_PREFIX)), len(lines))
    others = [each for each in lines if not each.startswith(TOPIC_PREFIX)]
    if line is None:
        return "\n".join(others)
    room = TOPIC_MOST - len(line) - (1 if others else 0)
    rest = "\n".join(others)
    if len(rest) > room:
        rest = rest[: max(room - 1, 0)].rstrip() + "…" if room > 1 else ""
        others = [rest] if rest else []
        mine = min(mine, len(others))
    return "\n".join([*others[:mine], line, *others[mine:]])


@dataclass
class Wanted:
    """What one rota's surfaces should show, read from the database."""

    rota_id: int
    channel_id: str
    group_id: str | None
    handle: str | None
    group_holds: str | None
    topic_on: bool
    told_managed: bool
    told_nobody: bool
    holder: str | None
    until: date | None
    name: str | None
    # Nobody is on support while someone is being asked to cover.
    asking: bool = False


@dataclass
class SurfaceReport:
    changed: int = 0
    problems: list[str] = field(default_factory=list)


def wanted(
    session: Session,
    now: datetime,
    *,
    calendar: WorkCalendar,
    rota_ids: Iterable[int] | None = None,
) -> list[Wanted]:
    """What each rota's user group and topic should show at `now` (reads only)."""
    day = support_day(calendar, now)
    found: list[Wanted] = []
    rows = surfaces_store.surfaces_in_use(session=session)
    only = None if rota_ids is None else set(rota_ids)
    for row in rows:
        if only is not None and row.rota_id not in only:
            continue
        rota = store.rota_by_id(session=session, rota_id=row.rota_id)
        if rota is None:
            continue
        holder = on_support(session=session, calendar=calendar, rota_id=row.rota_id, day=day)
        asking = False
        if holder is not None and store.is_away(session=session, user_id=holder, day=day):
            # Away, and nobody covers (yet): nobody is on support.
            asking = any(
                c.status == surfaces_store.ASKING and c.first_day <= day <= c.last_day
                for c in surfaces_store.midweek_covers(
                    session=session, rota_id=row.rota_id, first=calendar.week_start(day)
                )
            )
            holder = None
        until = None
        if holder is not None:
            # The last working day of this week before someone else takes over.
            until = day
            for later in (d for d in calendar.working_days_of_week(day) if d > day):
                on = on_support(session=session, calendar=calendar, rota_id=row.rota_id, day=later)
                if on != holder:
                    break
                until = later
        names = known_names(session=session, user_ids=[holder] if holder else [])
        found.append(
            Wanted(
                rota_id=row.rota_id,
                channel_id=rota.channel_id,
                group_id=row.usergroup_id,
                handle=row.usergroup_handle,
                group_holds=row.group_holds,
                topic_on=row.topic_on,
                told_managed=row.told_managed,
                told_nobody=row.told_nobody,
                holder=holder,
                until=until,
                name=names.get(holder) if holder else None,
                asking=asking,
            )
        )
    return found


def sync_surfaces(
    services: Services,
    client: Any,
    *,
    now: datetime,
    rota_ids: Iterable[int] | None = None,
    dry_run: bool = False,
    echo: Callable[[str], None] = print,
) -> SurfaceReport:
    """Make each rota's user group and topic line show who is on support now."""
    report = SurfaceReport()
    slack = services.slack if client is None else client
    telling = services.calendar.is_working_time(now)
    with services.session() as session:
        rows = wanted(session, now, calendar=services.calendar, rota_ids=rota_ids)
    for want in rows:
        said: list[str] = []
        updates: dict[str, object] = {}
        if want.group_id is not None:
            try:
                _sync_group(slack, want, dry_run, echo, said, updates, telling, report)
            except SlackUnavailable as error:
                report.problems.append(f"<#{want.channel_id}> {group_problem(str(error))}")
        if want.topic_on:
            try:
                _sync_topic(slack, services, want, now, dry_run, echo, report)
            except SlackUnavailable as error:
                report.problems.append(f"<#{want.channel_id}> topic: Slack answered {error}")
        if dry_run:
            continue
        for line in said:
            post(slack, channel=want.channel_id, text=line)
        if updates:
            with services.session() as session:
                row = surfaces_store.surface_of(session=session, rota_id=want.rota_id)
                for name, value in updates.items():
                    setattr(row, name, value)
                session.add(row)
                session.commit()
    return report


def _sync_group(
    slack: Any,
    want: Wanted,
    dry_run: bool,
    echo: Callable[[str], None],
    said: list[str],
    updates: dict[str, object],
    telling: bool,
    report: SurfaceReport,
) -> None:
    assert want.group_id is not None
    group = f"@{want.handle}" if want.handle else "the user group"
    if want.holder is None:
        if not want.told_nobody and telling and not want.asking:
            said.append(f"Nobody is on support now, so {group} keeps its members until someone is.")
            updates["told_nobody"] = True
        return
    if want.told_nobody:
        updates["told_nobody"] = False
    members = group_members(slack, want.group_id)
    if members == [want.holder]:
        if want.group_holds != want.holder:
            updates["group_holds"] = want.holder
        return
    edited = want.group_holds is not None and members != [want.group_holds]
    if dry_run:
        held = ", ".join(f"<@{member}>" for member in members) or "nobody"
        echo(f"would set {group} to <@{want.holder}> (it holds {held})")
        return
    set_group_members(slack, want.group_id, [want.holder])
    report.changed += 1
    updates["group_holds"] = want.holder
    if edited and not want.told_managed and telling:
        said.append(
            f"{group} always holds whoever is on support, and Rotabot keeps it so: it put "
            f"<@{want.holder}> back. Change who is on support with `/rota swap` or "
            "`/rota away`, and the group follows."
        )
        updates["told_managed"] = True


def _sync_topic(
    slack: Any,
    services: Services,
    want: Wanted,
    now: datetime,
    dry_run: bool,
    echo: Callable[[str], None],
    report: SurfaceReport,
) -> None:
    line = None
    if want.holder is not None and want.until is not None:
        name = want.name or SlackPeople(slack).name(want.holder)
        line = topic_line(name, want.until, today=services.calendar.today(now))
    current = channel_topic(slack, want.channel_id)
    topic = topic_with(current, line)
    if topic == current:
        return
    if dry_run:
        echo(f"would set the topic of <#{want.channel_id}> to {topic!r}")
        return
    set_channel_topic(slack, want.channel_id, topic)
    report.changed += 1


def remove_topic_line(client: Any, channel_id: str) -> None:
    """Take Rotabot's line out of the channel topic, keeping the rest."""
    current = channel_topic(client, channel_id)
    topic = topic_with(current, None)
    if topic != current:
        set_channel_topic(client, channel_id, topic)

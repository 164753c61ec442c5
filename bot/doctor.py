"""`rotabot doctor`: one line per check, with what to do about each failure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bot.rota.surfaces import group_problem
from bot.settings import ConfigError, Settings
from bot.slack.channels import ext_shared
from bot.slack.client import make_slack_client
from bot.slack.errors import (
    ACCOUNT_INACTIVE,
    INVALID_AUTH,
    NOT_AUTHED,
    TOKEN_REVOKED,
    SlackUnavailable,
    error_code,
)
from bot.slack.people import user_by_email
from bot.slack.usergroups import all_groups
from bot.store.db import make_engine
from bot.store.migrate import SchemaOutOfDate, check_schema
from bot.store.reports import all_rotas
from bot.store.rota_cover import surfaces_in_use
from bot.store.zendesk_people import agents
from bot.zendesk.client import ZendeskClient, ZendeskError

SLACK_ERROR_FIXES = {
    INVALID_AUTH: "the token is wrong or was revoked: copy the Bot User OAuth Token again "
    "from your Slack app's OAuth & Permissions page",
    NOT_AUTHED: "no token was sent: set SLACK_BOT_TOKEN",
    ACCOUNT_INACTIVE: "the app was uninstalled or its user deactivated: reinstall the app",
    TOKEN_REVOKED: "the token was revoked: reinstall the app and copy the new token",
}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str
    # Works, but deserves a look: shown with "!" and does not fail the doctor.
    warning: bool = False

    def line(self) -> str:
        mark = "✗" if not self.ok else "!" if self.warning else "✓"
        return f"{mark} {self.name}: {self.message}"


def check_database(engine: Engine) -> Check:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any driver error is a failed check with its first line
        first = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        return Check("database", False, f"cannot connect ({first}); check DATABASE_URL")
    try:
        check_schema(engine)
    except SchemaOutOfDate as error:
        return Check("database", False, str(error))
    return Check("database", True, f"reachable and migrated ({engine.url.get_backend_name()})")


def check_slack(client: WebClient, settings: Settings) -> Check:
    if settings.slack_bot_token is None:
        return Check("slack", False, "SLACK_BOT_TOKEN is not set; the bot cannot talk to Slack")
    try:
        answer = client.auth_test()
    except SlackApiError as error:
        code = error_code(error) or "unknown_error"
        fix = SLACK_ERROR_FIXES.get(code, "see Slack's documentation for this error")
        return Check("slack", False, f"auth.test failed with {code}: {fix}")
    except OSError as error:
        return Check(
            "slack", False, f"cannot reach {settings.slack_api_url} ({error}); check the network"
        )
    mode = "Socket Mode" if settings.socket_mode else "HTTP (request URL …/slack/events)"
    warning = (
        ""
        if settings.socket_mode or settings.slack_signing_secret
        else "; SLACK_SIGNING_SECRET is not set, so HTTP requests cannot be verified"
    )
    ok = settings.socket_mode or settings.slack_signing_secret is not None
    return Check(
        "slack",
        ok,
        f"connected as @{answer.get('user')} in {answer.get('team')}, "
        f"receiving via {mode}{warning}",
    )


def check_zendesk(client: ZendeskClient, settings: Settings) -> Check:
    try:
        me = client.me()
    except ZendeskError as error:
        return Check("zendesk", False, str(error))
    role = str(me.get("role") or "unknown role")
    connected = f"connected to {settings.zendesk_url} as {me.get('name')} ({role})"
    webhook = (
        ""
        if settings.zendesk_webhook_secret
        else "; ZENDESK_WEBHOOK_SECRET is not set, so /zendesk/webhook is refused and tickets "
        "refresh only at each sync"
    )
    first_sync = first_sync_estimate(client, settings, admin=role == "admin")
    if role != "admin":
        return Check(
            "zendesk",
            True,
            f"{connected}: the incremental export needs an admin's API token, so the sync "
            "uses the slower Search API instead, reading each ticket's comments one by one"
            f"{first_sync}; set ZENDESK_EMAIL and ZENDESK_API_TOKEN to an admin's for a "
            f"complete, faster sync{webhook}",
        )
    return Check(
        "zendesk", True, f"{connected}; the incremental export is allowed{first_sync}{webhook}"
    )


# Ticket event pages per 1,000 tickets on a first sync (about two comments and an update each).
EVENT_PAGES_PER_1000 = 3


def first_sync_estimate(client: ZendeskClient, settings: Settings, *, admin: bool) -> str:
    """ ", so a first sync (N tickets) takes about M minutes" within Rotabot's budget."""
    since = datetime.now(UTC) - timedelta(days=settings.sync_lookback_days)
    try:
        tickets = client.count_tickets(updated_after=since)
    except ZendeskError:
        return ""
    thousands = -(-tickets // 1000)
    if admin:
        pages = -(-tickets // settings.zendesk_page_size) + EVENT_PAGES_PER_1000 * thousands
        minutes = pages / settings.zendesk_exports_per_minute
    else:
        minutes = (thousands + tickets) / settings.zendesk_requests_per_minute
    whole = max(1, round(minutes))
    return (
        f", so a first sync ({tickets:,} tickets changed in {settings.sync_lookback_days} days) "
        f"takes about {whole:,} minute{'' if whole == 1 else 's'}"
    )


def check_zendesk_people(engine: Engine, slack: WebClient) -> Check:
    """Informational: agents whose email matches no Slack account get no direct nudges."""
    name = "zendesk people"
    try:
        with Session(engine) as session:
            people = agents(session=session)
    except SQLAlchemyError:
        return Check(name, True, "not checked: the database is not ready")
    if not people:
        return Check(
            name, True, "no Zendesk agents mirrored yet; `rotabot jobs run sync` fetches them"
        )
    unmatched: list[str] = []
    for agent in people:
        if not agent.email:
            unmatched.append(agent.name)
            continue
        try:
            found = user_by_email(slack, agent.email)
        except SlackUnavailable as error:
            return Check(name, True, f"not checked: users.lookupByEmail failed with {error}")
        except OSError as error:
            return Check(name, True, f"not checked: cannot reach Slack ({error})")
        if found is None:
            unmatched.append(f"{agent.name} <{agent.email}>")
    if not unmatched:
        return Check(name, True, f"all {len(people)} Zendesk agents have a Slack account")
    return Check(
        name,
        True,
        f"{len(unmatched)} of {len(people)} Zendesk agents have no Slack account with the same "
        f"email, so their nudges go to whoever is on support: {', '.join(unmatched)}",
    )


def check_rota_channels(engine: Engine, slack: WebClient) -> Check:
    """A rota channel shared with another organization gets ticket lines without content."""
    name = "rota channels"
    try:
        with Session(engine) as session:
            channels = [rota.channel_id for rota in all_rotas(session=session)]
    except SQLAlchemyError:
        return Check(name, True, "not checked: the database is not ready")
    shared = [f"<#{channel}>" for channel in channels if ext_shared(slack, channel) is not False]
    if not shared:
        return Check(name, True, f"none of the {len(channels)} is shared with another organization")
    return Check(
        name,
        True,
        f"{', '.join(shared)} may be shared with another organization (Slack Connect), or "
        "Slack would not say: Rotabot leaves ticket subjects and notes out of its lines there. "
        "Keep each rota in a channel of your own workspace only.",
        warning=True,
    )


def check_user_groups(engine: Engine, slack: WebClient) -> Check:
    """The user groups rotas keep on whoever is on support: allowed, and still there."""
    name = "user groups"
    try:
        with Session(engine) as session:
            linked = [
                (row.usergroup_id, row.usergroup_handle)
                for row in surfaces_in_use(session=session)
                if row.usergroup_id
            ]
    except SQLAlchemyError:
        return Check(name, True, "not checked: the database is not ready")
    try:
        groups = {group.id for group in all_groups(slack)}
    except SlackUnavailable as error:
        problem = group_problem(str(error))
        if not linked:
            return Check(
                name,
                True,
                f"no rota links one, and {problem[0].lower()}{problem[1:]}",
                warning=True,
            )
        return Check(name, False, problem)
    if not linked:
        return Check(name, True, "Slack allows them; no rota links one yet (`/rota group @handle`)")
    gone = [f"@{handle}" for group_id, handle in linked if group_id not in groups]
    if gone:
        return Check(
            name,
            False,
            f"{', '.join(gone)} no longer exist in Slack: link another with `/rota group @handle`",
        )
    return Check(name, True, f"{len(linked)} linked, and Slack lets Rotabot set them")


def run(settings_loader: Callable[[], Settings], *, out: TextIO) -> int:
    try:
        settings = settings_loader()
    except ConfigError as error:
        print(Check("settings", False, str(error)).line(), file=out)
        return 1
    url = make_url(settings.database_url)
    engine = make_engine(settings.database_url)
    slack = make_slack_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    checks = [
        Check(
            "settings",
            True,
            f"loaded (database {url.render_as_string(hide_password=True)}, "
            f"timezone {settings.timezone}, holidays {settings.holidays})",
        ),
        check_database(engine),
        check_slack(slack, settings),
        check_rota_channels(engine, slack),
        check_user_groups(engine, slack),
    ]
    if not settings.zendesk_enabled:
        checks.append(Check("zendesk", True, "not configured (set ZENDESK_URL to enable tickets)"))
    zendesk = ZendeskClient.from_settings(settings)
    if zendesk is not None:
        checks.append(check_zendesk(zendesk, settings))
        checks.append(check_zendesk_people(engine, slack))
    for check in checks:
        print(check.line(), file=out)
    return 0 if all(check.ok for check in checks) else 1

"""The one settings object, built once from the environment and `.env`.

Nothing else in the app reads `os.environ`. Every mistake a person can make here
becomes a `ConfigError` whose message is one line naming the variable and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from apscheduler.triggers.cron import CronTrigger
from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.worktime import WorkCalendar


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


SLACK_APP_PAGE = "your Slack app's settings page (api.slack.com/apps → your app)"


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = "sqlite:///rotabot.db"
    zendesk_url: str | None = None
    zendesk_email: str | None = None
    zendesk_api_token: str | None = None
    zendesk_webhook_secret: str | None = None
    timezone: str = "Europe/London"
    holidays: str = "GB-ENG"
    port: int = 3000
    # Where people reach Rotabot's web routes (the calendar feed links); None: unknown.
    public_url: str | None = None
    # How far back the first Zendesk sync reaches (ROTABOT_SYNC_LOOKBACK_DAYS).
    sync_lookback_days: int = 30
    # Rotabot's share of the Zendesk account's API budget, all processes together
    # (ROTABOT_ZENDESK_REQUESTS_PER_MINUTE), and of its incremental export calls
    # (ROTABOT_ZENDESK_EXPORTS_PER_MINUTE); records per export page (ROTABOT_ZENDESK_PAGE_SIZE).
    zendesk_requests_per_minute: int = 100
    zendesk_exports_per_minute: int = 10
    zendesk_page_size: int = 1000
    # Nudge thresholds (DESIGN.md §5): ROTABOT_REVIEW_AFTER_DAYS, ROTABOT_CLIENT_WAITING_HOURS,
    # ROTABOT_NO_REPLY_DAYS.
    review_after_days: int = 7
    client_waiting_hours: int = 4
    no_reply_days: int = 2
    # Who may see and act on tickets (ROTABOT_TICKET_ACCESS): "members" of the workspace, or
    # only the "rota" members and leads.
    ticket_access: str = "members"
    # The chargeable escalation (ROTABOT_CHARGEABLE_TAG, ROTABOT_CHARGEABLE_GROUP): the tag it
    # adds, and the Zendesk group it assigns to when the lead has no Zendesk user.
    chargeable_tag: str = "chargeable"
    chargeable_group: str | None = None
    # Time-boxes (ROTABOT_TIMEBOX_HOURS, ROTABOT_UPDATE_TAG): working hours before the DM, and
    # the tag of update-related tickets.
    timebox_hours: int = 2
    update_tag: str = "update"
    # The Zendesk user tag an authorised requester carries (ROTABOT_AUTHORISED_TAG); None: any
    # member of the ticket's organization is authorised.
    authorised_tag: str | None = None
    # The id of the account's time-tracking ticket field, in seconds (ROTABOT_TIME_SPENT_FIELD).
    time_spent_field: int | None = None
    # Job name → crontab, from ROTABOT_SCHEDULE_<JOB> (e.g. ROTABOT_SCHEDULE_PRIORITY_REVIEW).
    schedules: dict[str, str] = field(default_factory=dict)

    @property
    def zendesk_enabled(self) -> bool:
        return self.zendesk_url is not None

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def calendar(self) -> WorkCalendar:
        return WorkCalendar(timezone=self.timezone, holidays=self.holidays)

    def require_slack(self, *, http: bool) -> None:
        """Stop with a clear line when the Slack credentials a process needs are missing."""
        if self.slack_bot_token is None:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from "
                f"{SLACK_APP_PAGE} → OAuth & Permissions, into .env or the environment."
            )
        if http and self.slack_signing_secret is None:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from "
                f"{SLACK_APP_PAGE} → Basic Information → App Credentials, "
                "into .env or the environment."
            )


def load_settings(
    environ: Mapping[str, str] | None = None, *, env_file: Path | None = Path(".env")
) -> Settings:
    """Read settings from `.env` (if present) overlaid by the real environment."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return parse_settings(values)


def _get(values: Mapping[str, str], name: str) -> str | None:
    raw = values.get(name)
    if raw is None or not raw.strip():
        return None
    return raw.strip()


def _http_url(name: str, raw: str, example: str) -> str:
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name} must be an http(s) URL such as {example}, not {raw!r}.")
    return raw


def _database_url(raw: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            raw = "postgresql+psycopg://" + raw[len(prefix) :]
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL is not a database URL: use sqlite:///rotabot.db or "
            "postgresql+psycopg://user:password@host:5432/dbname."
        ) from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"DATABASE_URL uses {url.get_backend_name()!r}, which Rotabot does not support: "
            "use sqlite:///rotabot.db or postgresql+psycopg://…"
        )
    return raw


SCHEDULE_PREFIX = "ROTABOT_SCHEDULE_"


def _schedules(values: Mapping[str, str], timezone: str) -> dict[str, str]:
    schedules: dict[str, str] = {}
    for name, raw in values.items():
        if not name.startswith(SCHEDULE_PREFIX) or not raw.strip():
            continue
        try:
            CronTrigger.from_crontab(raw.strip(), timezone=timezone)
        except ValueError as error:
            raise ConfigError(
                f"{name} is not a crontab ({error}): use five fields, minute hour day month "
                "weekday, e.g. '30 9 * * mon-fri'."
            ) from None
        schedules[name[len(SCHEDULE_PREFIX) :].lower().replace("_", "-")] = raw.strip()
    return schedules


THRESHOLDS = {
    "ROTABOT_TIMEBOX_HOURS": "working hours on one ticket before a time-box DM",
    "ROTABOT_REVIEW_AFTER_DAYS": "days a reviewed priority stays reviewed",
    "ROTABOT_CLIENT_WAITING_HOURS": "working hours a client may wait for our reply",
    "ROTABOT_NO_REPLY_DAYS": "working days an open ticket may go without our public reply",
    "ROTABOT_ZENDESK_REQUESTS_PER_MINUTE": "Zendesk API calls a minute Rotabot may make",
    "ROTABOT_ZENDESK_EXPORTS_PER_MINUTE": "Zendesk export calls a minute Rotabot may make",
    "ROTABOT_ZENDESK_PAGE_SIZE": "records a Zendesk export page asks for (up to 1000)",
}


TICKET_ACCESS = ("members", "rota")


def _threshold(values: Mapping[str, str], name: str, default: int) -> int:
    raw = _get(values, name) or str(default)
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise ConfigError(
            f"{name} is how many {THRESHOLDS[name]}: use a whole number, 1 or more, not {raw!r}."
        )
    return int(raw)


def _tag(values: Mapping[str, str], name: str, default: str) -> str:
    raw = _get(values, name) or default
    # Zendesk splits a tag at spaces and keeps it lower case.
    if any(ch.isspace() for ch in raw) or "," in raw:
        raise ConfigError(
            f"{name} is a Zendesk tag: use one word without spaces or commas, not {raw!r}."
        )
    return raw.lower()


def parse_settings(values: Mapping[str, str]) -> Settings:
    bot_token = _get(values, "SLACK_BOT_TOKEN")
    if bot_token is not None and not bot_token.startswith("xoxb-"):
        raise ConfigError(
            "SLACK_BOT_TOKEN must be a bot token starting with xoxb-: find it in "
            f"{SLACK_APP_PAGE} → OAuth & Permissions → Bot User OAuth Token."
        )
    app_token = _get(values, "SLACK_APP_TOKEN")
    if app_token is not None and not app_token.startswith("xapp-"):
        raise ConfigError(
            "SLACK_APP_TOKEN must be an app-level token starting with xapp-: create one in "
            f"{SLACK_APP_PAGE} → Basic Information → App-Level Tokens (scope connections:write), "
            "or unset it to receive Slack requests over HTTP."
        )
    api_url = _http_url(
        "SLACK_API_URL",
        _get(values, "SLACK_API_URL") or Settings.slack_api_url,
        "https://slack.com/api/",
    )
    if not api_url.endswith("/"):
        api_url += "/"

    zendesk_url = _get(values, "ZENDESK_URL")
    zendesk_email = _get(values, "ZENDESK_EMAIL")
    zendesk_token = _get(values, "ZENDESK_API_TOKEN")
    if zendesk_url is not None:
        zendesk_url = _http_url("ZENDESK_URL", zendesk_url, "https://example.zendesk.com")
        zendesk_url = zendesk_url.rstrip("/")
        for name, value in (("ZENDESK_EMAIL", zendesk_email), ("ZENDESK_API_TOKEN", zendesk_token)):
            if value is None:
                raise ConfigError(
                    f"{name} is not set but ZENDESK_URL is: Zendesk needs the agent's email and "
                    "an API token (Zendesk Admin Center → Apps and integrations → APIs → "
                    "Zendesk API → Add API token)."
                )
        if zendesk_email is not None and "@" not in zendesk_email:
            raise ConfigError(
                "ZENDESK_EMAIL must be the email address of a Zendesk agent, "
                f"not {zendesk_email!r}."
            )

    timezone = _get(values, "ROTABOT_TIMEZONE") or Settings.timezone
    holidays = _get(values, "ROTABOT_HOLIDAYS") or Settings.holidays
    try:
        WorkCalendar(timezone=timezone, holidays=holidays)
    except ValueError as error:
        raise ConfigError(str(error)) from None

    raw_port = _get(values, "PORT") or str(Settings.port)
    if not (raw_port.isascii() and raw_port.isdigit()) or not 0 < int(raw_port) < 65536:
        raise ConfigError(f"PORT must be a TCP port number between 1 and 65535, not {raw_port!r}.")

    raw_lookback = _get(values, "ROTABOT_SYNC_LOOKBACK_DAYS") or str(Settings.sync_lookback_days)
    if not (raw_lookback.isascii() and raw_lookback.isdigit()) or int(raw_lookback) < 1:
        raise ConfigError(
            "ROTABOT_SYNC_LOOKBACK_DAYS must be a whole number of days (1 or more) for the "
            f"first Zendesk sync to reach back, not {raw_lookback!r}."
        )

    public_url = _get(values, "ROTABOT_PUBLIC_URL")
    if public_url is not None:
        public_url = _http_url(
            "ROTABOT_PUBLIC_URL", public_url, "https://rotabot.example.com"
        ).rstrip("/")

    ticket_access = (_get(values, "ROTABOT_TICKET_ACCESS") or Settings.ticket_access).lower()
    if ticket_access not in TICKET_ACCESS:
        raise ConfigError(
            "ROTABOT_TICKET_ACCESS says who may see and act on tickets: use members (full "
            "members of the workspace) or rota (rota members and leads), "
            f"not {_get(values, 'ROTABOT_TICKET_ACCESS')!r}."
        )

    authorised_tag = _get(values, "ROTABOT_AUTHORISED_TAG")
    if authorised_tag is not None and (len(authorised_tag) > 80 or " " in authorised_tag):
        raise ConfigError(
            "ROTABOT_AUTHORISED_TAG is the Zendesk user tag authorised requesters carry: "
            f"one word, as Zendesk shows it on the user (e.g. authorised), not {authorised_tag!r}."
        )
    raw_field = _get(values, "ROTABOT_TIME_SPENT_FIELD")
    if raw_field is not None and not (raw_field.isascii() and raw_field.isdigit()):
        raise ConfigError(
            "ROTABOT_TIME_SPENT_FIELD is the id of the ticket field your time-tracking app fills "
            "(Zendesk Admin Center → Objects and rules → Tickets → Fields, e.g. 360012345678), "
            f"not {raw_field!r}."
        )

    return Settings(
        ticket_access=ticket_access,
        chargeable_tag=_tag(values, "ROTABOT_CHARGEABLE_TAG", Settings.chargeable_tag),
        chargeable_group=_get(values, "ROTABOT_CHARGEABLE_GROUP"),
        timebox_hours=_threshold(values, "ROTABOT_TIMEBOX_HOURS", Settings.timebox_hours),
        update_tag=_tag(values, "ROTABOT_UPDATE_TAG", Settings.update_tag),
        authorised_tag=None if authorised_tag is None else authorised_tag.lower(),
        time_spent_field=None if raw_field is None else int(raw_field),
        review_after_days=_threshold(
            values, "ROTABOT_REVIEW_AFTER_DAYS", Settings.review_after_days
        ),
        client_waiting_hours=_threshold(
            values, "ROTABOT_CLIENT_WAITING_HOURS", Settings.client_waiting_hours
        ),
        no_reply_days=_threshold(values, "ROTABOT_NO_REPLY_DAYS", Settings.no_reply_days),
        public_url=public_url,
        schedules=_schedules(values, timezone),
        slack_bot_token=bot_token,
        slack_signing_secret=_get(values, "SLACK_SIGNING_SECRET"),
        slack_app_token=app_token,
        slack_api_url=api_url,
        database_url=_database_url(_get(values, "DATABASE_URL") or Settings.database_url),
        zendesk_url=zendesk_url,
        zendesk_email=zendesk_email,
        zendesk_api_token=zendesk_token,
        zendesk_webhook_secret=_get(values, "ZENDESK_WEBHOOK_SECRET"),
        timezone=timezone,
        holidays=holidays,
        port=int(raw_port),
        sync_lookback_days=int(raw_lookback),
        zendesk_requests_per_minute=_threshold(
            values, "ROTABOT_ZENDESK_REQUESTS_PER_MINUTE", Settings.zendesk_requests_per_minute
        ),
        zendesk_exports_per_minute=_threshold(
            values, "ROTABOT_ZENDESK_EXPORTS_PER_MINUTE", Settings.zendesk_exports_per_minute
        ),
        zendesk_page_size=_page_size(values),
    )


def _page_size(values: Mapping[str, str]) -> int:
    size = _threshold(values, "ROTABOT_ZENDESK_PAGE_SIZE", Settings.zendesk_page_size)
    if size > 1000:
        raise ConfigError(
            f"ROTABOT_ZENDESK_PAGE_SIZE can be at most 1000 (Zendesk's largest page), not {size}."
        )
    return size

"""Who Slack users are: every question the bot asks Slack about a person."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.errors import USERS_NOT_FOUND, SlackUnavailable, error_code


def display_name(user: dict[str, Any]) -> str | None:
    """The one order of Slack's name fields: the real name (the user's, then the profile's),
    then the display name, then the handle; None when all are blank."""
    profile = user.get("profile") or {}
    candidates = (
        user.get("real_name"),
        profile.get("real_name"),
        profile.get("display_name"),
        user.get("name"),
    )
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return None


class SlackPeople:
    """Who Slack users are (bot or not, display name), asked once each per instance."""

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._users: dict[str, dict[str, Any]] = {}

    def _user(self, user_id: str) -> dict[str, Any]:
        if user_id not in self._users:
            try:
                answer = self.client.users_info(user=user_id)
            except (SlackApiError, OSError):
                return {}  # not remembered: the next question asks Slack again
            user = answer.get("user")
            self._users[user_id] = user if isinstance(user, dict) else {}
        return self._users[user_id]

    def is_bot(self, user_id: str) -> bool:
        user = self._user(user_id)
        return bool(user.get("is_bot")) or user_id == "USLACKBOT"

    def name(self, user_id: str) -> str:
        """The person's name, or their id when Slack does not know it."""
        return self.known_name(user_id) or user_id

    def known_name(self, user_id: str) -> str | None:
        return display_name(self._user(user_id))

    def email(self, user_id: str) -> str | None:
        """The address on the person's Slack profile (None: none, or Slack did not say)."""
        profile = self._user(user_id).get("profile")
        email = profile.get("email") if isinstance(profile, dict) else None
        return email if isinstance(email, str) and email else None

    def learned_names(self) -> dict[str, str]:
        """The names of everyone Slack has told this instance about, by user id."""
        names = {user_id: display_name(user) for user_id, user in self._users.items()}
        return {user_id: name for user_id, name in names.items() if name is not None}


def user_by_email(client: WebClient, email: str) -> str | None:
    """The Slack user id with this email, None when nobody has it; SlackUnavailable if Slack
    refused to say."""
    try:
        answer = client.users_lookupByEmail(email=email)
    except SlackApiError as error:
        if error_code(error) == USERS_NOT_FOUND:
            return None
        raise SlackUnavailable(error_code(error) or str(error)) from error
    user = answer.get("user")
    return str(user["id"]) if isinstance(user, dict) else None


# How long what Slack said about a person's standing is trusted in this process: a person made
# a guest (or moved out of the workspace) keeps what they had for at most this long, and no
# longer, since an answer past it is asked of Slack again. Refusals are remembered as briefly.
STANDING_KEPT = timedelta(minutes=5)
# At most this many people are remembered; the least recently asked are forgotten first.
STANDING_MOST = 5_000


@dataclass(frozen=True)
class Standing:
    """What Slack says a person is: of which workspace, and a guest or an outsider or not."""

    team_id: str | None
    guest: bool  # is_restricted (multi-channel) or is_ultra_restricted (single-channel)
    stranger: bool  # is_stranger: someone from another organization, seen in a shared channel
    gone: bool  # deleted, or a bot
    bot: bool = False
    name: str | None = None  # see display_name

    @classmethod
    def of(cls, user: dict[str, Any]) -> Standing:
        team = user.get("team_id")
        return cls(
            team_id=team if isinstance(team, str) and team else None,
            guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
            stranger=bool(user.get("is_stranger")),
            gone=bool(user.get("deleted") or user.get("is_bot")),
            bot=bool(user.get("is_bot")),
            name=display_name(user),
        )


class Standings:
    """People's standing and the app's own workspace, asked of Slack and remembered a while.

    Only Slack's answers are remembered; a question Slack did not answer is asked again.
    """

    def __init__(self, *, keep: timedelta = STANDING_KEPT, most: int = STANDING_MOST) -> None:
        self._keep = keep
        self._most = most
        self._lock = threading.Lock()
        self._people: OrderedDict[str, tuple[datetime, Standing]] = OrderedDict()
        self._app_team: str | None = None
        # The names this process has seen committed to the database (slack_user_name), and
        # when, by user id: a command naming the same people again within `keep` need not read
        # them back to compare (after it, they are compared again, in case another process
        # or a command in flight here stored an older one meanwhile).
        self._names_stored: OrderedDict[str, tuple[datetime, str]] = OrderedDict()

    def app_team(self, client: WebClient) -> str | None:
        """The workspace the app is installed in (auth.test); None when Slack did not say."""
        with self._lock:
            if self._app_team is not None:
                return self._app_team
        try:
            team = client.auth_test().get("team_id")
        except (SlackApiError, OSError):
            return None
        if not isinstance(team, str) or not team:
            return None
        with self._lock:
            self._app_team = team
        return team

    def remembered_app_team(self) -> str | None:
        with self._lock:
            return self._app_team

    def names_not_stored(self, names: dict[str, str], now: datetime) -> dict[str, str]:
        """Those of the names this process has not seen stored as they are a moment ago."""
        with self._lock:
            return {
                user_id: name
                for user_id, name in names.items()
                if not self._name_stored(user_id, name, now)
            }

    def _name_stored(self, user_id: str, name: str, now: datetime) -> bool:
        found = self._names_stored.get(user_id)
        return found is not None and found[1] == name and found[0] <= now < found[0] + self._keep

    def names_stored(self, names: dict[str, str], now: datetime) -> None:
        """These names are now in the database (their transaction has committed)."""
        with self._lock:
            for user_id, name in names.items():
                self._names_stored[user_id] = (now, name)
                self._names_stored.move_to_end(user_id)
            while len(self._names_stored) > self._most:
                self._names_stored.popitem(last=False)

    def remembered(self, user_id: str, now: datetime) -> Standing | None:
        """The person's standing if Slack told it less than STANDING_KEPT ago, asking nobody."""
        with self._lock:
            found = self._people.get(user_id)
            if found is None or now - found[0] >= self._keep or now < found[0]:
                return None
            self._people.move_to_end(user_id)
            return found[1]

    def of(self, client: WebClient, user_id: str, now: datetime) -> Standing | None:
        """The person's standing (users.info), remembered for a while; None when Slack did not
        answer."""
        known = self.remembered(user_id, now)
        if known is not None:
            return known
        try:
            user = client.users_info(user=user_id).get("user")
        except (SlackApiError, OSError):
            return None
        if not isinstance(user, dict):
            return None
        standing = Standing.of(user)
        with self._lock:
            self._people[user_id] = (now, standing)
            self._people.move_to_end(user_id)
            while len(self._people) > self._most:
                self._people.popitem(last=False)
        return standing


class RememberedPeople:
    """Whether people are bots, and their names, as `Standings` remembers them: a command that
    names the same teammates again asks Slack nothing. Only what Slack answered is learned."""

    def __init__(self, standings: Standings, client: WebClient, now: datetime) -> None:
        self._standings = standings
        self._client = client
        self._now = now
        # What Slack said (now, or a moment ago) about the people this command asked about.
        self._seen: dict[str, Standing] = {}

    def is_bot(self, user_id: str) -> bool:
        standing = self._standings.of(self._client, user_id, self._now)
        if standing is not None:
            self._seen[user_id] = standing
        return user_id == "USLACKBOT" or (standing is not None and standing.bot)

    def learned_names(self) -> dict[str, str]:
        """The names Slack gave for everyone asked about, by user id (those remembered from
        the ticket access check too: the calendar feed needs every rota member's)."""
        return {user_id: s.name for user_id, s in self._seen.items() if s.name is not None}

    def names_to_store(self) -> dict[str, str]:
        """The learned names this process has not seen stored as they are in the last few
        minutes (see `Standings.names_stored`, to call once they are)."""
        return self._standings.names_not_stored(self.learned_names(), self._now)

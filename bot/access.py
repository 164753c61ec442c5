"""Who may see and act on Zendesk tickets in Slack: one check for every surface that does.

Tickets are client data. By default (ROTABOT_TICKET_ACCESS=members) they are for full members
of the workspace the app is installed in: not guests (is_restricted, is_ultra_restricted), not
people from other organizations in a shared channel (is_stranger, or another team). With
ROTABOT_TICKET_ACCESS=rota, only rota members and leads among those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.services import Services
from bot.slack.people import Standing
from bot.store.rota import on_a_rota_or_lead

MEMBERS_ONLY = (
    "Sorry, Zendesk tickets are only for full members of this Slack workspace, so Rotabot "
    "can't show or change them for guests or for people from other organizations. "
    "Please ask someone on the support team."
)
ROTA_ONLY = (
    "Sorry, Zendesk tickets are only for the members and delivery leads of a support rota. "
    "Please ask someone on the rota, or ask them to add you with `/rota add`."
)
UNCHECKED = (
    "Sorry, Rotabot couldn't check with Slack who you are, so it can't show or change tickets "
    "just now. Please try again in a minute."
)


@dataclass(frozen=True)
class Asker:
    """Who sent a request, as the request itself says."""

    user_id: str
    # The workspaces the request names (the team's, the user's): both must be the app's own.
    teams: frozenset[str]


def asker_of(body: dict[str, Any]) -> Asker | None:
    """The person behind a slash command or an interactive payload; None when it names nobody."""
    user = body.get("user")
    if isinstance(user, dict):
        user_id, user_team = user.get("id"), user.get("team_id")
    else:
        user_id, user_team = body.get("user_id"), None
    team = body.get("team")
    team_id = team.get("id") if isinstance(team, dict) else body.get("team_id")
    if not isinstance(user_id, str) or not user_id:
        return None
    return Asker(user_id, frozenset(t for t in (team_id, user_team) if isinstance(t, str) and t))


def ticket_refusal(services: Services, asker: Asker | None) -> str | None:
    """None when the person may see and act on tickets; otherwise the sentence to tell them.

    May ask Slack (users.info, auth.test), so it is called after the ack.
    """
    if asker is None:
        return MEMBERS_ONLY
    client, now = services.slack, services.now()
    app_team = services.standings.app_team(client)
    standing = services.standings.of(client, asker.user_id, now)
    if app_team is None or standing is None:
        return UNCHECKED
    return _refusal(services, asker, app_team, standing)


def remembered_allowed(services: Services, asker: Asker | None) -> bool:
    """Whether the person may see tickets, from what is remembered alone (asking nobody);
    False when that is not known, so the caller asks after the ack."""
    if asker is None:
        return False
    app_team = services.standings.remembered_app_team()
    standing = services.standings.remembered(asker.user_id, services.now())
    if app_team is None or standing is None:
        return False
    return _refusal(services, asker, app_team, standing) is None


def _refusal(services: Services, asker: Asker, app_team: str, standing: Standing) -> str | None:
    foreign = bool(asker.teams - {app_team}) or standing.team_id != app_team
    if foreign or standing.guest or standing.stranger or standing.gone:
        return MEMBERS_ONLY
    if services.settings.ticket_access == "rota":
        # Not remembered: someone taken off the rota loses tickets at once.
        with services.session() as session:
            if not on_a_rota_or_lead(session=session, user_id=asker.user_id):
                return ROTA_ONLY
    return None

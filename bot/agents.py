"""Zendesk agents as Slack people: each agent matched to the Slack user with their email."""

from __future__ import annotations

import logging

from bot.services import Services
from bot.slack.errors import SlackUnavailable
from bot.slack.people import user_by_email
from bot.store.zendesk_people import (
    agents,
    remember_slack_match,
    slack_match_is_fresh,
    zendesk_user,
)

log = logging.getLogger(__name__)


def refresh_agent_matches(services: Services) -> None:
    """Match every agent to a Slack person (cached for a day), so their tickets reach them."""
    with services.session() as session:
        agent_ids = [agent.id for agent in agents(session=session)]
    for agent_id in agent_ids:
        slack_user_for(services, agent_id)


def slack_user_for(services: Services, zendesk_user_id: int) -> str | None:
    """The Slack user with the Zendesk user's email; looked up at most once a day."""
    now = services.now()
    with services.session() as session:
        user = zendesk_user(session=session, user_id=zendesk_user_id)
        if user is None:
            return None
        if slack_match_is_fresh(user, now=now):
            return user.slack_user_id
        email, cached = user.email, user.slack_user_id
    found: str | None = None
    if email:
        try:
            found = user_by_email(services.slack, email)
        except SlackUnavailable as error:
            log.warning("could not look up %s in Slack: %s", email, error)
            return cached
    with services.session() as session:
        remember_slack_match(
            session=session, zendesk_user_id=zendesk_user_id, slack_user_id=found, now=now
        )
    return found

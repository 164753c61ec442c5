"""What happens when a listener fails: the log, an apology, and Slack's retry."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.services import services_of
from bot.store.slack_events import forget_slack_event

log = logging.getLogger(__name__)

SORRY = (
    ":warning: Sorry, something went wrong on Rotabot's side, so that may not have finished. "
    "Please check, then try again in a minute; if it keeps happening, tell whoever runs Rotabot."
)


def report_failure(
    error: Exception, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Log the error and tell the person in Slack; a failed event is left for Slack's retry."""
    log.error("error handling a Slack request: %s", error, exc_info=error)
    if body.get("type") == "event_callback" and isinstance(body.get("event_id"), str):
        # Let Slack's retry of this event run again rather than be skipped as a duplicate.
        services = services_of(context)
        with services.session() as session:
            forget_slack_event(session=session, event_id=body["event_id"])
    response_url = body.get("response_url")
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    try:
        if isinstance(response_url, str):
            WebhookClient(response_url, timeout=5).send(text=SORRY, response_type="ephemeral")
        elif isinstance(user, str) and body.get("type") != "event_callback":
            client.chat_postMessage(channel=user, text=SORRY)
    except Exception as send_error:  # the person may miss the apology, but the log has it
        log.warning("could not tell the person about the error: %s", send_error)

"""Builds the Bolt app from the services: one function, no module-level app."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot import handlers
from bot.services import Services
from bot.store.slack_events import claim_slack_event, forget_old_slack_events, forget_slack_event

log = logging.getLogger(__name__)

SERVICES_KEY = "rotabot_services"
# Slack retries an event for about an hour; a day of memory is plenty.
SLACK_EVENT_MEMORY = timedelta(days=1)
SORRY = (
    ":warning: Sorry, something went wrong on Rotabot's side, so that may not have finished. "
    "Please check, then try again in a minute; if it keeps happening, tell whoever runs Rotabot."
)


def services_of(context: BoltContext) -> Services:
    services = context[SERVICES_KEY]
    assert isinstance(services, Services)
    return services


def build_app(services: Services) -> App:
    app = App(
        client=services.slack,
        # Signatures are checked by bot.web before Bolt sees a request (Socket Mode needs none).
        request_verification_enabled=False,
        token_verification_enabled=False,
        process_before_response=False,
        listener_executor=services.executor,
        logger=logging.getLogger("bot.slack"),
    )
    app.use(inject_services(services))
    app.use(skip_slack_retries(services))
    app.error(friendly_error)
    handlers.register_all(app)
    return app


def inject_services(services: Services) -> Callable[..., None]:
    def middleware(context: BoltContext, next: Callable[[], None]) -> None:
        context[SERVICES_KEY] = services
        next()

    return middleware


def skip_slack_retries(services: Services) -> Callable[..., BoltResponse | None]:
    """Slack re-sends an event it thinks we missed; each event id is processed once."""

    def middleware(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not isinstance(event_id, str):
            next()
            return None
        now = services.now()
        with services.session() as session:
            first_time = claim_slack_event(session=session, event_id=event_id, now=now)
            if first_time:
                forget_old_slack_events(session=session, now=now, keep=SLACK_EVENT_MEMORY)
        if not first_time:
            log.info("skipping Slack's retry of event %s", event_id)
            return BoltResponse(status=200, body="")
        next()
        return None

    return middleware


def friendly_error(
    error: Exception,
    request: BoltRequest,
    response: BoltResponse | None,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> BoltResponse | None:
    """Log the error, tell the person in Slack, and never answer Slack with a 500."""
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
    # Before the ack, Bolt would answer Slack with a 500; the apology above is the answer.
    return None if response is None else BoltResponse(status=200, body="")

"""Builds the Bolt app from the services: one function, no module-level app."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient

from bot import handlers
from bot.listeners import ACK_BUDGET, ACK_BUDGET_KEY, report_failure
from bot.services import SERVICES_KEY, Services
from bot.slack.responses import KeptAliveRespond
from bot.store.slack_events import claim_slack_event, forget_old_slack_events

log = logging.getLogger(__name__)

# Slack retries an event for about an hour; a day of memory is plenty.
SLACK_EVENT_MEMORY = timedelta(days=1)


class SameTokenNotice(logging.Filter):
    """Drops Bolt's notice that the `client` given wins over SLACK_BOT_TOKEN.

    Bolt reads SLACK_BOT_TOKEN from the environment itself and, as Rotabot hands it a client
    (our base URL and retries) built from that same setting, warns at every start that the
    token it read will be unused. Nothing is wrong, so an operator should not see a warning;
    any other record passes.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def build_app(services: Services, *, ack_budget: float = ACK_BUDGET) -> App:
    """`ack_budget`: seconds an ack function may take before it is acked with "Working on it…"."""
    bolt_log = logging.getLogger("bot.slack")
    same_token = SameTokenNotice()
    bolt_log.addFilter(same_token)
    try:
        app = make_bolt(services, bolt_log)
    finally:
        bolt_log.removeFilter(same_token)
    # One middleware, not two: Bolt runs each for every request, at a cost like a listener's.
    app.use(inject_services(services, ack_budget, skip_slack_retries(services)))
    app.error(friendly_error)
    handlers.register_all(app)
    return app


def make_bolt(services: Services, bolt_log: logging.Logger) -> App:
    return App(
        client=services.slack,
        # bot.http.wsgi checks signatures before Bolt sees a request (Socket Mode needs none).
        request_verification_enabled=False,
        token_verification_enabled=False,
        # Bolt answers Slack once a listener's ack function returns; the work after the ack
        # runs in its lazy listeners, on the work pool, so Bolt need not poll for the ack.
        process_before_response=True,
        listener_executor=services.executor,
        logger=bolt_log,
    )


def inject_services(
    services: Services, ack_budget: float, then: Callable[..., BoltResponse | None]
) -> Callable[..., BoltResponse | None]:
    """Puts the services, the ack budget, `client` and `respond` in the context, then runs
    `then`."""

    def middleware(
        context: BoltContext, body: dict[str, Any], next: Callable[[], None]
    ) -> BoltResponse | None:
        context[SERVICES_KEY] = services
        context[ACK_BUDGET_KEY] = ack_budget
        # Bolt gives each request a WebClient of its own (urllib, a connection per call), so
        # that a listener may change its token; none does, and this one keeps connections.
        context["client"] = services.slack
        if context.response_url is not None:
            # Bolt's own respond opens a connection per post: this one keeps them open.
            context["respond"] = KeptAliveRespond(
                response_url=context.response_url, posts=services.responses
            )
        return then(body, next)

    return middleware


def skip_slack_retries(services: Services) -> Callable[..., BoltResponse | None]:
    """Slack re-sends an event it thinks we missed; each event id is processed once."""

    def skip(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
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

    return skip


def friendly_error(
    error: Exception,
    response: BoltResponse | None,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> BoltResponse | None:
    """Bolt's error handler: report, and never answer Slack with a 500."""
    report_failure(error, body, client, context)
    # Before the ack, Bolt would answer Slack with a 500; the apology is the answer.
    return None if response is None else BoltResponse(status=200, body="")

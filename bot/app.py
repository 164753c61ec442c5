"""Builds the Bolt app from the services: one function, no module-level app."""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from datetime import timedelta
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient

from bot import handlers
from bot.services import SERVICES_KEY, Services
from bot.slack.listeners import report_failure
from bot.store.slack_events import claim_slack_event, forget_old_slack_events

log = logging.getLogger(__name__)

# Slack retries an event for about an hour; a day of memory is plenty.
SLACK_EVENT_MEMORY = timedelta(days=1)


class RotabotApp(App):
    """Bolt, with each listener's work moved off Bolt's threads as soon as it has acked.

    Bolt runs a listener on its own thread pool and answers Slack once it calls ack(); a
    listener then waiting on a slow Zendesk would hold that thread, and enough of them would
    delay every other request's ack. Here Bolt's thread only waits for the ack; the rest of
    the listener finishes on the work pool, which reports its errors itself.
    """

    def __init__(self, *, work_executor: Executor, **kwargs: Any) -> None:
        self.work_executor = work_executor
        super().__init__(**kwargs)

    def _register_listener(
        self,
        functions: Sequence[Callable[..., BoltResponse | None]],
        primary_matcher: Any,
        matchers: Any,
        middleware: Any,
        auto_acknowledgement: bool = False,
        ack_timeout: int = 3,
    ) -> Callable[..., BoltResponse | None] | None:
        functions = list(functions)
        functions[0] = after_ack(
            functions[0],
            self.work_executor,
            acked_by_bolt=auto_acknowledgement,
            ack_timeout=ack_timeout,
        )
        return super()._register_listener(
            functions, primary_matcher, matchers, middleware, auto_acknowledgement, ack_timeout
        )


def after_ack(
    listener: Callable[..., Any],
    pool: Executor,
    *,
    acked_by_bolt: bool,
    ack_timeout: float,
) -> Callable[..., None]:
    """`listener` run on `pool`; the returned function (Bolt's) waits only for its ack."""
    names = inspect.getfullargspec(inspect.unwrap(listener)).args
    takes_ack = "ack" in names and not acked_by_bolt
    # A listener may answer some requests on Bolt's thread at once (from memory, say): its
    # `answer_inline` takes the same arguments and says whether it did. The rest go to the pool.
    inline: Callable[..., bool] | None = getattr(listener, "answer_inline", None)

    def run_on_bolts_thread(**kwargs: Any) -> None:
        own = {name: kwargs[name] for name in names}
        if inline is not None and inline(**own):
            return
        answered = threading.Event()
        acked = threading.Event()
        if takes_ack:
            bolts_ack = kwargs["ack"]

            def ack(*args: Any, **ack_kwargs: Any) -> Any:
                try:
                    return bolts_ack(*args, **ack_kwargs)
                finally:
                    acked.set()
                    answered.set()

            own["ack"] = ack
        else:
            acked.set()
            answered.set()

        before_ack: list[Exception] = []

        def work() -> None:
            try:
                listener(**own)
            except Exception as error:
                if acked.is_set():
                    report_failure(error, kwargs["body"], kwargs["client"], kwargs["context"])
                else:
                    before_ack.append(error)  # re-raised on Bolt's thread, for Bolt to handle
            finally:
                answered.set()

        pool.submit(work)
        answered.wait(ack_timeout)
        if before_ack:
            raise before_ack[0]

    signature = [*names, *(n for n in ("ack", "body", "client", "context") if n not in names)]
    run_on_bolts_thread.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in signature]
    )
    run_on_bolts_thread.__name__ = getattr(listener, "__name__", "listener")
    return run_on_bolts_thread


def build_app(services: Services) -> App:
    app = RotabotApp(
        work_executor=services.executor,
        client=services.slack,
        # bot.http.wsgi checks signatures before Bolt sees a request (Socket Mode needs none).
        request_verification_enabled=False,
        token_verification_enabled=False,
        # Bolt answers Slack as soon as a listener acks: the work after the ack runs on the
        # work pool (see RotabotApp), so Bolt need not poll for the ack on another thread.
        process_before_response=True,
        listener_executor=services.listener_executor,
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
    response: BoltResponse | None,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> BoltResponse | None:
    """Bolt's error handler: report, and never answer Slack with a 500."""
    report_failure(error, body, client, context)
    # Before the ack, Bolt would answer Slack with a 500; the apology is the answer.
    return None if response is None else BoltResponse(status=200, body="")

"""Running the HTTP server and the Slack connection."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk.errors import SlackApiError
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from bot.after_answer import AFTER_ANSWER_DRAIN_S, AFTER_ANSWER_WATCH_S, AfterAnswer
from bot.app import build_app
from bot.http.socket_mode import close_socket_mode, open_socket_mode
from bot.http.wsgi import HTTP_THREADS, WsgiApp, build_router
from bot.pools import freeze_startup_heap
from bot.services import Services
from bot.slack.errors import error_code

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The process cannot start; the message says why and what to check."""


def build_wsgi(services: Services, bolt: App | None = None) -> WsgiApp:
    router = build_router(services, bolt or build_app(services))
    return WsgiApp(router, after_answer=services.after_answer)


class SendingChannel(HTTPChannel):
    """waitress's connection, without the main loop spinning while a task thread sends.

    A task thread writes its answer and sends it itself, holding the connection's output
    lock. waitress's main loop meanwhile finds the connection writable (output not yet sent,
    by a running task), cannot take the lock to send it, and polls again at once: measured at
    fifty requests at once, 24 polls a request, and the main thread's CPU per `/rota swap`
    from 0.13 ms to 0.30 ms, taken from the very thread that must get the interpreter back to
    finish sending. Here a connection whose output a task thread holds is not writable; the
    task sends what it wrote, and wakes the main loop after letting go of the lock when any
    is left for it to send (a client that reads slowly).
    """

    def writable(self) -> bool:
        # Asked once: a task thread changes `requests` without this lock. Past the high
        # watermark a task waits for the main loop to send (waitress's own flow control), so
        # there the loop looks as waitress's does.
        if self.requests and 0 < self.total_outbufs_len <= self.adj.outbuf_high_watermark:
            if not self.outbuf_lock.acquire(False):
                return bool(self.will_close or self.close_when_flushed)
            self.outbuf_lock.release()
        return bool(super().writable())

    def write_soon(self, data: bytes) -> int:
        sent: int = super().write_soon(data)
        if self.total_outbufs_len:  # the rest is the main loop's to send, now it may
            self.server.pull_trigger()
        return sent


def create_http_server(
    wsgi: WsgiApp, *, host: str, port: int
) -> BaseWSGIServer | MultiSocketServer:
    server = create_server(
        wsgi,
        host=host,
        port=port,
        threads=HTTP_THREADS,
        ident="rotabot",
        clear_untrusted_proxy_headers=True,
    )
    listening = (
        list((server.map or {}).values()) if isinstance(server, MultiSocketServer) else [server]
    )
    for each in listening:
        if isinstance(each, BaseWSGIServer):
            each.channel_class = SendingChannel
    after_answer: AfterAnswer | None = getattr(wsgi, "after_answer", None)
    if after_answer is not None:
        # A thread more for each piece of work after an answer that is held up (Slack or the
        # database not answering), until it is done: the answers go on meanwhile.
        dispatcher = server.task_dispatcher

        def threads_for(held: int) -> None:
            # Not once the server has begun to stop: waitress has set its threads to none.
            if len(dispatcher.threads) - dispatcher.stop_count >= HTTP_THREADS:
                dispatcher.set_thread_count(HTTP_THREADS + held)

        after_answer.watch(threads_for, every=AFTER_ANSWER_WATCH_S)
    return server


def bind(wsgi: WsgiApp, port: int) -> BaseWSGIServer | MultiSocketServer:
    try:
        return create_http_server(wsgi, host="0.0.0.0", port=port)
    except OSError as error:
        raise StartupError(
            f"cannot listen on port {port} ({error.strerror}); is another Rotabot running? "
            "Stop it or set PORT to a free port."
        ) from None


def serve_http(services: Services) -> None:
    server = bind(build_wsgi(services), services.settings.port)
    freeze_startup_heap()
    log.info("Rotabot is listening on port %s (POST /slack/events)", services.settings.port)
    try:
        server.run()
    finally:
        finish_after_answers(services)


def finish_after_answers(services: Services) -> None:
    """Let work still running after an answer finish before the process ends: it runs on the
    web server's threads, which end with the process (the work pool's are waited for)."""
    services.after_answer.stop_watching()
    if not services.after_answer.wait_idle(AFTER_ANSWER_DRAIN_S):
        log.warning("stopped with work after an answer still running; it may not have finished")


def run_socket_mode(services: Services) -> None:
    """Slack over Socket Mode, plus HTTP for the webhook, the calendar feed and /healthz."""
    bolt = build_app(services)
    app_token = services.settings.slack_app_token
    assert app_token is not None, "Socket Mode runs only with SLACK_APP_TOKEN set"
    try:
        handler = open_socket_mode(bolt, app_token)
    except (SlackApiError, OSError) as error:
        reason = error_code(error) or error
        raise StartupError(
            f"could not connect to Slack over Socket Mode ({reason}); check SLACK_APP_TOKEN "
            "(an app-level token with connections:write) and that Socket Mode is on for the app."
        ) from None
    log.info("Connected to Slack over Socket Mode")
    server = bind(build_wsgi(services, bolt), services.settings.port)
    freeze_startup_heap()
    try:
        server.run()
    finally:
        services.after_answer.stop_watching()
        close_socket_mode(handler)

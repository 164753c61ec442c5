"""Running the HTTP server and the Slack connection."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk.errors import SlackApiError
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

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
    return WsgiApp(build_router(services, bolt or build_app(services)))


def create_http_server(
    wsgi: WsgiApp, *, host: str, port: int
) -> BaseWSGIServer | MultiSocketServer:
    return create_server(
        wsgi,
        host=host,
        port=port,
        threads=HTTP_THREADS,
        ident="rotabot",
        clear_untrusted_proxy_headers=True,
    )


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
    server.run()


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
        close_socket_mode(handler)

"""Slack over Socket Mode: the WebSocket Rotabot keeps open to Slack, and which adapter runs it.

Slack refreshes every Socket Mode connection every few hours (a `disconnect` with reason
`warning`, then `refresh_requested`), turns it off (`link_disabled`), closes it, or loses it with
no close frame at all. benchmarks/socket_adapters.py drives each adapter Bolt ships through those
cases against the fake Socket Mode server; Bolt's websocket-client adapter was the only one that
met every target with its own settings (acks a few ms after a refresh, answering again about
0.5 s after a close frame, a disconnect or a dropped TCP connection, under 1% of a core while
Slack cannot be reached). The built-in client read a refreshed connection only ~3 s later and
never recovered from a dropped TCP connection; aiohttp and websockets noticed some drops only
at their next ping (10 s), and run a sync Bolt app's acks one at a time on their event loop.
"""

from __future__ import annotations

import json
import logging
import threading

from slack_bolt import App
from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler
from websocket import WebSocketApp

log = logging.getLogger(__name__)

# Seconds between the client's pings: how soon a connection that went silent is noticed.
PING_INTERVAL = 10.0
# Seconds SIGTERM waits for the client's threads after the close frame has gone.
CLOSE_WAIT = 2.0
# Envelopes handled at once. An ack function may hold its thread for up to the ack budget
# (2.5 s); as many as the HTTP server's threads keep a burst of slow acks from queuing others.
SOCKET_THREADS = 16


def open_socket_mode(bolt: App, app_token: str) -> SocketModeHandler:
    """Ask Slack for a Socket Mode URL (apps.connections.open) and start the connection; it
    reconnects by itself from then on. Raises SlackApiError when Slack refuses the token."""
    logger = logging.getLogger("bot.slack.socket_mode")
    if not any(isinstance(f, RoutineClose) for f in logger.filters):
        logger.addFilter(RoutineClose())
    handler = SocketModeHandler(
        bolt,
        app_token,
        logger=logger,
        ping_interval=PING_INTERVAL,
        concurrency=SOCKET_THREADS,
    )
    # websocket-client logs each ended connection at ERROR as well, and the client's line
    # says it already (set after the handler, whose client resets that logger's level).
    logging.getLogger("websocket").setLevel(logging.CRITICAL)
    handler.client.on_message_listeners.append(close_when_told)
    handler.connect()
    return handler


def close_when_told(connection: WebSocketApp, message: str) -> None:
    """On Slack's `disconnect`, close the connection from the thread that reads it.

    The client opens the next connection on another thread and closes the old one from there;
    if that happens while the reading thread waits on the socket, the wait never wakes (a
    closed descriptor leaves its selector) and the new connection is not read for ~10 s: it
    did so on about one refresh in five. Closed here, the reading thread sees at once that
    the connection is over and moves to the new one (measured: 0 stalls in 40 refreshes).
    """
    if '"disconnect"' not in message:
        return
    try:
        kind = json.loads(message).get("type")
    except (ValueError, AttributeError):
        return
    if kind == "disconnect":
        connection.close()


def close_socket_mode(handler: SocketModeHandler) -> None:
    """Send Slack the close frame and stop the client, waiting at most CLOSE_WAIT for its
    threads: closed from here, the reading thread may not notice until its next ping, and
    the process is ending anyway (the client's threads are daemons)."""
    closing = threading.Thread(target=handler.close, name="socket-mode-close", daemon=True)
    closing.start()
    closing.join(CLOSE_WAIT)
    log.info("Disconnected from Slack")


class RoutineClose(logging.Filter):
    """A connection Slack closed or dropped is routine (the client reconnects within a
    second): the client's ERROR for it becomes INFO. Failing to reconnect stays an ERROR."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and "WebSocketConnectionClosedException" in str(
            record.msg
        ):
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True

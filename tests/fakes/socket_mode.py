"""A fake Slack Socket Mode server: a real WebSocket server (RFC 6455) on loopback.

What it does follows Slack's documentation of Socket Mode: `apps.connections.open` (on the fake
Web API) hands out a WebSocket URL that can be used once; a connection is greeted with `hello`;
Slack sends envelopes (`slash_commands`, `interactive`, `events_api`), each with an
`envelope_id` the app must acknowledge within 3 seconds by sending back
`{"envelope_id": ..., "payload": ...}`; Slack asks an app to reconnect with a `disconnect`
message (reason `warning` a little before it closes a connection, `refresh_requested` when the
app should move to a new one, `link_disabled` when Socket Mode was switched off), and a
connection can also end with a close frame or drop with no close frame at all.

Anything a real server would refuse (an unmasked frame, an ack for an envelope the connection
never carried, an ack that is not JSON, a URL used twice) lands in `protocol_errors`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
APP_ID = "A1"
# Slack waits this long for an envelope's ack: a slash command then shows "operation_timeout".
ACK_DEADLINE = 3.0

TEXT, BINARY, CLOSE, PING, PONG, CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0

Json = dict[str, Any]


@dataclass
class Ack:
    """An envelope's acknowledgement as the fake received it."""

    envelope_id: str
    payload: Json | None
    seconds: float  # from sending the envelope to receiving its ack
    connection: int  # the number of the connection the ack came over


@dataclass
class _Envelope:
    envelope_id: str
    kind: str
    sent_at: float
    connection: int
    reply_token: str | None
    acked: threading.Event = field(default_factory=threading.Event)
    ack: Ack | None = None


class Connection:
    """One accepted WebSocket connection."""

    def __init__(self, fake: FakeSocketMode, number: int, sock: socket.socket) -> None:
        self.fake = fake
        self.number = number
        self.sock = sock
        self.opened_at = time.monotonic()
        self.closed = threading.Event()
        # Sent a `disconnect`: Slack sends it no more envelopes.
        self.retiring = False
        self.close_frame_received = False
        self._send_lock = threading.Lock()

    def send_json(self, message: Json) -> None:
        self.send_frame(TEXT, json.dumps(message).encode())

    def send_frame(self, opcode: int, data: bytes) -> None:
        header = bytes([0x80 | opcode])
        if len(data) < 126:
            header += bytes([len(data)])
        elif len(data) < 1 << 16:
            header += bytes([126]) + struct.pack("!H", len(data))
        else:
            header += bytes([127]) + struct.pack("!Q", len(data))
        with self._send_lock:
            self.sock.sendall(header + data)

    def close(self, code: int = 1000, reason: str = "") -> None:
        """End the connection the polite way: a close frame, then the TCP close."""
        if self.closed.is_set():
            return
        try:
            self.send_frame(CLOSE, struct.pack("!H", code) + reason.encode())
        except OSError:
            pass
        self._end()

    def drop(self, *, reset: bool = False) -> None:
        """End the TCP connection with no close frame: a FIN, or with `reset` an RST."""
        if reset:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._end()

    def _end(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.fake._connection_ended(self)

    def serve(self) -> None:
        """Read frames until the connection ends."""
        reader = self.sock.makefile("rb")
        message = b""
        try:
            while not self.closed.is_set():
                first = reader.read(2)
                if len(first) < 2:
                    break
                fin, opcode = first[0] & 0x80, first[0] & 0x0F
                masked, length = first[1] & 0x80, first[1] & 0x7F
                if length == 126:
                    length = struct.unpack("!H", reader.read(2))[0]
                elif length == 127:
                    length = struct.unpack("!Q", reader.read(8))[0]
                if not masked:
                    self.fake._protocol_error(f"connection {self.number}: unmasked client frame")
                    self.close(1002, "client frames must be masked")
                    break
                mask = reader.read(4)
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(reader.read(length)))
                if opcode == PING:
                    self.send_frame(PONG, data)
                elif opcode == PONG:
                    continue
                elif opcode == CLOSE:
                    self.close_frame_received = True
                    self.close(1000)
                    break
                elif opcode in (TEXT, CONTINUATION, BINARY):
                    message += data
                    if fin:
                        self.fake._received(self, message)
                        message = b""
        except (OSError, ValueError, struct.error):
            pass
        finally:
            self._end()


class FakeSocketMode:
    """Slack's Socket Mode endpoint, served on a loopback port from background threads."""

    def __init__(self, *, on_reply: Callable[[str, Json], None] | None = None) -> None:
        # Where Slack shows a message an ack carries (a slash command's answer).
        self.on_reply = on_reply
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._listener: socket.socket | None = None
        self._port = 0
        self._tickets: set[str] = set()
        self._connections: list[Connection] = []
        self._envelopes: dict[str, _Envelope] = {}
        self._protocol_errors: list[str] = []
        self._messages: list[tuple[int, Json]] = []
        self._numbers = itertools.count(1)
        # Envelopes sent while no connection could take them, for the next connection.
        self._waiting: list[tuple[Json, _Envelope]] = []
        self._stopping = threading.Event()
        self._accepting = threading.Event()

    # Lifecycle

    def start(self) -> Self:
        self._listen()
        return self

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self._port))
        listener.listen(64)
        self._port = listener.getsockname()[1]
        self._listener = listener
        self._accepting.set()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()
        self.go_offline()
        for connection in self.connections:
            connection.drop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def go_offline(self) -> None:
        """Stop listening: connecting is refused, as when Slack cannot be reached."""
        self._accepting.clear()
        if self._listener is not None:
            try:
                # Wakes the thread blocked in accept(), which holds the port until it returns.
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None

    def come_back(self) -> None:
        """Listen again, on the same port."""
        if self._listener is None and not self._stopping.is_set():
            self._listen()

    # What apps.connections.open hands out

    def new_url(self) -> str:
        """A WebSocket URL for one connection; using it a second time is refused."""
        ticket = secrets.token_hex(8)
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self._port}/link/?ticket={ticket}&app_id={APP_ID}"

    # Inspection

    @property
    def connections(self) -> list[Connection]:
        with self._lock:
            return list(self._connections)

    @property
    def open_connections(self) -> list[Connection]:
        return [c for c in self.connections if not c.closed.is_set()]

    @property
    def protocol_errors(self) -> list[str]:
        with self._lock:
            return list(self._protocol_errors)

    def assert_no_protocol_errors(self) -> None:
        errors = self.protocol_errors
        if errors:
            raise AssertionError("Socket Mode protocol errors:\n  " + "\n  ".join(errors))

    def wait_for_connection(self, after: int = 0, timeout: float = 5.0) -> Connection:
        """The first open connection numbered above `after`, once it has been greeted."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for connection in self._connections:
                    if connection.number > after and not connection.closed.is_set():
                        return connection
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no new Socket Mode connection within {timeout} s")
                self._changed.wait(left)

    def wait_closed(self, connection: Connection, timeout: float = 5.0) -> None:
        if not connection.closed.wait(timeout):
            raise AssertionError(f"connection {connection.number} still open after {timeout} s")

    # Sending what Slack sends

    def send(
        self,
        kind: str,
        payload: Json,
        *,
        connection: Connection | None = None,
        reply_token: str | None = None,
        accepts_response_payload: bool = True,
    ) -> str:
        """Send an envelope (`slash_commands`, `interactive` or `events_api`); its envelope_id.

        It goes over `connection`, or else the newest open connection Slack has not asked to
        go (sent a `disconnect`); with none, it waits for the next connection, and its ack
        time counts from now, as the person's wait does. `reply_token`: where a message in
        the ack is shown (FakeSlack's response tokens).
        """
        envelope_id = f"env-{next(self._numbers)}-{secrets.token_hex(4)}"
        envelope: Json = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope.update(accepts_response_payload=False, retry_attempt=0, retry_reason="")
        record = _Envelope(envelope_id, kind, time.monotonic(), 0, reply_token)
        with self._lock:
            self._envelopes[envelope_id] = record
            target = connection or self._taker()
            if target is None:
                self._waiting.append((envelope, record))
                return envelope_id
            record.connection = target.number
        target.send_json(envelope)
        return envelope_id

    def _taker(self) -> Connection | None:
        """The connection Slack would send an envelope over now (called with the lock held)."""
        open_ones = [c for c in self._connections if not c.closed.is_set() and not c.retiring]
        return open_ones[-1] if open_ones else None

    def disconnect(self, connection: Connection, reason: str) -> None:
        """Slack's `disconnect` message: `warning`, `refresh_requested` or `link_disabled`."""
        connection.retiring = True
        connection.send_json(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake-1"}}
        )

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        with self._lock:
            record = self._envelopes[envelope_id]
        if not record.acked.wait(timeout):
            raise AssertionError(f"envelope {envelope_id} not acknowledged within {timeout} s")
        assert record.ack is not None
        return record.ack

    # Serving

    def _accept(self, listener: socket.socket) -> None:
        while self._accepting.is_set():
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._handshake, args=(sock,), daemon=True).start()

    def _handshake(self, sock: socket.socket) -> None:
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = sock.recv(4096)
                if not chunk:
                    sock.close()
                    return
                request += chunk
            lines = request.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {
                name.strip().lower(): value.strip()
                for name, value in (line.split(":", 1) for line in lines[1:] if ":" in line)
            }
        except (OSError, ValueError):
            sock.close()
            return
        ticket = (parse_qs(urlsplit(target).query).get("ticket") or [""])[0]
        with self._lock:
            known = ticket in self._tickets
            self._tickets.discard(ticket)
        key = headers.get("sec-websocket-key", "")
        if (
            method != "GET"
            or headers.get("upgrade", "").lower() != "websocket"
            or headers.get("sec-websocket-version") != "13"
            or not key
        ):
            self._protocol_error(f"not a WebSocket handshake: {lines[0]}")
            self._refuse(sock, "400 Bad Request")
            return
        if not known:
            self._protocol_error("a Socket Mode URL was used that was never issued or used before")
            self._refuse(sock, "401 Unauthorized")
            return
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        sock.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        with self._lock:
            connection = Connection(self, len(self._connections) + 1, sock)
        open_count = len(self.open_connections) + 1
        connection.send_json(
            {
                "type": "hello",
                "num_connections": open_count,
                "debug_info": {
                    "host": "applink-fake-1",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": APP_ID},
            }
        )
        with self._changed:
            self._connections.append(connection)
            waiting, self._waiting = self._waiting, []
            for _, record in waiting:
                record.connection = connection.number
            self._changed.notify_all()
        for envelope, _ in waiting:
            connection.send_json(envelope)
        connection.serve()

    @staticmethod
    def _refuse(sock: socket.socket, status: str) -> None:
        try:
            sock.sendall(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n".encode())
        finally:
            sock.close()

    def _connection_ended(self, connection: Connection) -> None:
        with self._changed:
            self._changed.notify_all()

    def _protocol_error(self, problem: str) -> None:
        with self._lock:
            self._protocol_errors.append(problem)

    def _received(self, connection: Connection, raw: bytes) -> None:
        now = time.monotonic()
        try:
            message = json.loads(raw)
        except ValueError:
            self._protocol_error(f"connection {connection.number}: a message that is not JSON")
            return
        if not isinstance(message, dict) or not isinstance(message.get("envelope_id"), str):
            self._protocol_error(f"connection {connection.number}: not an ack: {message!r}")
            return
        with self._lock:
            self._messages.append((connection.number, message))
            record = self._envelopes.get(message["envelope_id"])
        if record is None:
            self._protocol_error(f"ack for an unknown envelope {message['envelope_id']}")
            return
        if record.acked.is_set():
            self._protocol_error(f"envelope {record.envelope_id} acked twice")
            return
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            self._protocol_error(f"envelope {record.envelope_id}: payload is not an object")
            payload = None
        record.ack = Ack(record.envelope_id, payload, now - record.sent_at, connection.number)
        late = record.ack.seconds > ACK_DEADLINE
        if (
            record.reply_token is not None
            and self.on_reply is not None
            and payload
            and not late
            and ("text" in payload or "blocks" in payload)
        ):
            self.on_reply(record.reply_token, payload)
        record.acked.set()

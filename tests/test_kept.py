"""The kept connections' own HTTP/1.1: what Slack's answers may look like, read as they are."""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator

import pytest

from bot.kept import KeptConnections


class ScriptedServer:
    """A loopback server answering each request it reads with the next scripted bytes, then
    closing the connection where a script says so."""

    def __init__(self, answers: list[tuple[bytes, bool]]) -> None:
        self.answers = list(answers)
        self.requests: list[bytes] = []
        self.accepted = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/api/x"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.answers:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            with connection, connection.makefile("rb") as reader:
                while self.answers:
                    head = b""
                    while not head.endswith(b"\r\n\r\n"):
                        line = reader.readline()
                        if not line:
                            break
                        head += line
                    if not head:
                        break
                    length = next(
                        (
                            int(line.split(b":")[1])
                            for line in head.split(b"\r\n")
                            if line.lower().startswith(b"content-length:")
                        ),
                        0,
                    )
                    self.requests.append(head + reader.read(length))
                    answer, then_close = self.answers.pop(0)
                    connection.sendall(answer)
                    if then_close:
                        break

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def serving() -> Iterator[list[ScriptedServer]]:
    made: list[ScriptedServer] = []
    yield made
    for server in made:
        server.close()


def scripted(serving: list[ScriptedServer], *answers: tuple[bytes, bool]) -> ScriptedServer:
    server = ScriptedServer(list(answers))
    serving.append(server)
    return server


def test_a_chunked_answer_with_folded_headers_is_read_and_the_connection_kept(
    serving: list[ScriptedServer],
) -> None:
    server = scripted(
        serving,
        (
            b"HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Note: one\r\n two\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
            b'4\r\n{"ok\r\n8;ext=1\r\n": true}\r\n0\r\nTrailer: x\r\n\r\n',
            False,
        ),
        (b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Length: 0\r\n\r\n", False),
    )
    connections = KeptConnections(proxied=False)
    first = connections.request("POST", server.url, b'{"a": 1}', {"Content-Type": "x"})
    assert (first.status, first.body) == (200, b'{"ok": true}')
    assert first.headers["x-note"] == "one two"
    second = connections.request("POST", server.url, b"", {})
    assert (second.status, second.headers["retry-after"], second.body) == (429, "3", b"")
    assert server.accepted == connections.opened == 1
    host = server.url.split("/")[2]
    assert (
        server.requests[0]
        == (
            f"POST /api/x HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: identity\r\n"
            'Content-Type: x\r\nContent-Length: 8\r\n\r\n{"a": 1}'
        ).encode()
    )
    connections.close()


def test_an_answer_that_closes_the_connection_is_read_to_its_end(
    serving: list[ScriptedServer],
) -> None:
    server = scripted(
        serving,
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", True),
        (b"HTTP/1.0 200 OK\r\n\r\nto the end", True),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext", False),
    )
    connections = KeptConnections(proxied=False)
    assert connections.request("POST", server.url, b"", {}).body == b"ok"
    assert connections.request("POST", server.url, b"", {}).body == b"to the end"
    assert connections.request("POST", server.url, b"", {}).body == b"next"
    assert server.accepted == connections.opened == 3
    connections.close()


def test_a_request_whose_answer_had_begun_is_never_sent_again(
    serving: list[ScriptedServer],
) -> None:
    """The connection ends while the answer's body is read: the server took the request."""
    server = scripted(
        serving,
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", False),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart", True),
    )
    connections = KeptConnections(proxied=False)
    connections.request("POST", server.url, b"first", {})
    with pytest.raises(http.client.IncompleteRead):
        connections.request("POST", server.url, b"second", {})
    assert [request.rsplit(b"\r\n\r\n", 1)[1] for request in server.requests] == [
        b"first",
        b"second",
    ]
    assert server.accepted == 1


def test_a_kept_connection_closed_before_any_answer_is_replaced(
    serving: list[ScriptedServer],
) -> None:
    """The server read the request and closed without a word: it never took it, so it goes
    again on a new connection (as it would to a server that closed while idle)."""
    server = scripted(
        serving,
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", False),
        (b"", True),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain", False),
    )
    connections = KeptConnections(proxied=False)
    connections.request("POST", server.url, b"", {})
    assert connections.request("POST", server.url, b"", {}).body == b"again"
    assert server.accepted == connections.opened == 2
    connections.close()


@pytest.mark.parametrize(
    "answer",
    [b"garbage\r\n\r\n", b"HTTP/1.1 abc OK\r\n\r\n", b"SPDY/3 200 OK\r\n\r\n"],
)
def test_a_status_line_that_is_not_http_is_refused(
    serving: list[ScriptedServer], answer: bytes
) -> None:
    server = scripted(serving, (answer, True))
    with pytest.raises(http.client.BadStatusLine):
        KeptConnections(proxied=False).request("POST", server.url, b"", {})


def test_a_header_that_would_split_the_request_is_refused(
    serving: list[ScriptedServer],
) -> None:
    server = scripted(serving, (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", False))
    with pytest.raises(ValueError, match="invalid header"):
        KeptConnections(proxied=False).request("POST", server.url, b"", {"X": "a\r\nB: c"})
    assert server.requests == []

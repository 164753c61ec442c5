"""The web server's connections: waitress's, minus its main loop's busy wait while a task
thread sends an answer (bot.http.server.SendingChannel)."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel

from bot.after_answer import AfterAnswer
from bot.http import server as server_module
from bot.http.requests import Router, WebRequest, WebResponse
from bot.http.server import SendingChannel
from bot.http.wsgi import WsgiApp
from bot.services import Services
from tests.doors import AppServer, wait_for


class Server:
    """What a channel asks of its server: its connections, and a way to wake its loop. Each
    wake notes whether the channel's output lock was free by then."""

    def __init__(self) -> None:
        self.active_channels: dict[int, HTTPChannel] = {}
        self.channel: HTTPChannel | None = None
        self.woken_with_lock_free: list[bool] = []

    def pull_trigger(self) -> None:
        assert self.channel is not None
        free = self.channel.outbuf_lock.acquire(False)
        if free:
            self.channel.outbuf_lock.release()
        self.woken_with_lock_free.append(free)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, client = socket.socketpair()
    try:
        yield ours, client
    finally:
        ours.close()
        client.close()


def channel_of(kind: type[HTTPChannel], sock: socket.socket) -> tuple[HTTPChannel, Server]:
    server = Server()
    channel = kind(server, sock, ("127.0.0.1", 0), Adjustments(), map={})  # type: ignore[arg-type]
    server.channel = channel
    return channel, server


def held_elsewhere(lock: threading.Condition) -> tuple[threading.Event, threading.Thread]:
    """A task thread holding the output lock (as while it sends) until the event is set."""
    taken, done = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            taken.set()
            done.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(10)
    return done, thread


@pytest.mark.parametrize(("kind", "spins"), [(HTTPChannel, True), (SendingChannel, False)])
def test_output_a_task_thread_holds_is_not_the_main_loops_to_poll_for(
    pair: tuple[socket.socket, socket.socket], kind: type[HTTPChannel], spins: bool
) -> None:
    """waitress's own channel says it is writable while a task thread holds its output: its
    main loop's select then returns at once, and handle_write cannot take the lock, over and
    over (24 polls a request at fifty at once, measured). Ours waits for the task."""
    channel, _ = channel_of(kind, pair[0])
    channel.requests = [object()]  # a task is running
    channel.outbufs[-1].append(b"HTTP/1.1 200 OK\r\n")
    channel.total_outbufs_len = 17
    done, thread = held_elsewhere(channel.outbuf_lock)
    try:
        assert bool(channel.writable()) is spins
        channel.handle_write()  # what the main loop then does: nothing, it cannot lock
        assert channel.total_outbufs_len == 17
    finally:
        done.set()
        thread.join()
    assert channel.writable()  # the lock let go of, the loop sends what is left
    channel.handle_write()
    assert channel.total_outbufs_len == 0
    assert pair[1].recv(100) == b"HTTP/1.1 200 OK\r\n"


def test_a_task_that_leaves_output_unsent_wakes_the_loop_once_it_lets_go(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """A client reading slowly: the task sends what the socket takes, and the loop, woken
    after the task let go of the lock, finds the rest writable and sends it."""
    ours, client = pair
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    channel, server = channel_of(SendingChannel, ours)
    channel.requests = [object()]
    answer = b"x" * 1_000_000
    assert channel.write_soon(answer) == len(answer)
    assert channel.total_outbufs_len > 0  # more than the socket took
    assert server.woken_with_lock_free[-1] is True
    received = b""
    client.settimeout(10)
    while len(received) < len(answer):
        if channel.writable():
            channel.handle_write()
        received += client.recv(1 << 20)
    assert received == answer


def test_the_server_serves_with_these_connections() -> None:
    def app(_environ: object, start_response: object) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])  # type: ignore[operator]
        return [b"ok"]

    server = AppServer(app).start()  # type: ignore[arg-type]
    try:
        with httpx.Client(base_url=server.url) as client:
            assert client.get("/").text == "ok"
            assert client.get("/").text == "ok"  # a kept connection
            channels = list(server.server.active_channels.values())  # type: ignore[union-attr]
    finally:
        server.stop()
    assert channels and all(isinstance(c, SendingChannel) for c in channels)


class FinishingLock:
    """The output lock, as seen when the task finishes its request just as the main loop
    takes the lock: the task changes `requests` without holding it."""

    def __init__(self, channel: HTTPChannel) -> None:
        self.channel = channel
        self.lock = threading.Condition()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self.lock.acquire(blocking, timeout)
        self.channel.requests = []
        return got

    def release(self) -> None:
        self.lock.release()


def test_the_lock_is_let_go_of_when_the_task_finishes_while_the_loop_looks(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    channel, _ = channel_of(SendingChannel, pair[0])
    channel.requests = [object()]
    channel.outbufs[-1].append(b"HTTP/1.1 200 OK\r\n")
    channel.total_outbufs_len = 17
    finishing = FinishingLock(channel)
    channel.outbuf_lock = finishing  # type: ignore[assignment]
    assert channel.writable()
    taken: list[bool] = []
    other = threading.Thread(target=lambda: taken.append(finishing.lock.acquire(timeout=5)))
    other.start()
    other.join()
    assert taken == [True]  # the next task can write: the loop did not keep the lock


def test_a_stopping_server_waits_for_work_still_running_after_an_answer(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Work after an answer runs on waitress's threads, which end with the process: once the
    server stops (SIGTERM ends its loop), serve_http returns only when that work is done."""
    after = services.after_answer
    working, release, done = threading.Event(), threading.Event(), threading.Event()

    def work() -> None:
        working.set()
        release.wait(10)
        done.set()

    class Stopping:
        """A server whose loop ends at once, leaving one answer's work running."""

        def run(self) -> None:
            def answer() -> None:
                with after.answering() as left:
                    assert after.offer(work)
                after.run(left)

            threading.Thread(target=answer, daemon=True).start()
            assert working.wait(5)

    monkeypatch.setattr(server_module, "bind", lambda _wsgi, _port: Stopping())
    monkeypatch.setattr(server_module, "freeze_startup_heap", lambda: None)
    serving = threading.Thread(target=server_module.serve_http, args=(services,))
    serving.start()
    assert working.wait(5)
    serving.join(0.2)
    assert serving.is_alive()  # waiting for the work
    release.set()
    serving.join(5)
    assert not serving.is_alive() and done.is_set()


def test_the_watch_adds_no_threads_once_the_server_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work held up past the time it should take gets the server a thread more; once waitress
    is stopping (its threads set to none), the work finishing starts no threads again."""
    monkeypatch.setattr(server_module, "AFTER_ANSWER_WATCH_S", 0.01)
    now = [1000.0]
    after = AfterAnswer(clock=lambda: now[0])
    server = server_module.create_http_server(
        WsgiApp(Router(), after_answer=after), host="127.0.0.1", port=0
    )
    dispatcher = server.task_dispatcher
    working, release = threading.Event(), threading.Event()

    def held() -> None:
        working.set()
        release.wait(10)

    def answer() -> None:
        with after.answering() as left:
            assert after.offer(held)
        after.run(left)

    answering = threading.Thread(target=answer)
    try:
        answering.start()
        assert working.wait(5)
        now[0] += after.slow_s
        assert wait_for(lambda: len(dispatcher.threads) - dispatcher.stop_count == 9)
        dispatcher.shutdown(timeout=5)
        release.set()
        answering.join(5)
        assert wait_for(lambda: after.stuck() == 0)
        time.sleep(0.1)  # ten looks of the watch
        assert len(dispatcher.threads) - dispatcher.stop_count <= 0
    finally:
        release.set()
        after.stop_watching()
        server.close()


def test_work_left_is_done_even_when_the_answer_cannot_be_written() -> None:
    after = AfterAnswer()
    done: list[str] = []

    def route(_request: WebRequest) -> WebResponse:
        assert after.offer(lambda: done.append("work"))
        return WebResponse(200)

    router = Router()
    router.add("POST", "/slack/events", route)
    app = WsgiApp(router, after_answer=after)

    def start_response(_status: str, _headers: list[tuple[str, str]]) -> Callable[[bytes], None]:
        def write(_data: bytes) -> None:
            raise ConnectionResetError("the client went away")

        return write

    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "wsgi.input": io.BytesIO()}
    with pytest.raises(ConnectionResetError):
        app(environ, start_response)  # type: ignore[arg-type]
    assert done == ["work"] and after.taken == 0

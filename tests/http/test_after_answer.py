"""Quick work after an answer, run by the web thread that sent it (bot.after_answer.AfterAnswer),
through signed requests into the app on waitress: the answer leaves first, the work follows,
and while web threads are held by it (or it is slow) other requests are answered."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy

from bot.after_answer import AfterAnswer
from bot.http import server as server_module
from bot.http.wsgi import HTTP_THREADS
from bot.services import Services
from bot.store.tickets import ticket_by_id
from tests.doors import AppServer, SlackDoor, TrackingExecutor, ack_message, wait_for
from tests.fakes.slack_api import FakeSlack, ResponseCall
from tests.fakes.zendesk_api import FakeZendesk
from tests.handlers.ticket_helpers import shown_card

REVIEW = "INSERT INTO priority_review"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Reviews:
    """Each review's write as the app makes it: which thread, and held there until let go."""

    def __init__(self, services: Services) -> None:
        self.threads: list[str] = []
        self.reached = threading.Semaphore(0)
        self.hold: threading.Event | None = None
        self.on_write: list[Any] = []
        sqlalchemy.event.listen(services.engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        if REVIEW not in args[2]:
            return
        self.threads.append(threading.current_thread().name)
        for each in self.on_write:
            each()
        hold = self.hold
        self.reached.release()
        if hold is not None:
            hold.wait(10)


@pytest.fixture
def card(
    zendesk_services: Services, fake_zendesk: FakeZendesk, slack: SlackDoor, fake_slack: FakeSlack
) -> ResponseCall:
    shown_card(fake_zendesk, slack, fake_slack)  # fetched from Zendesk, and now mirrored
    slack.command("/ticket", "101", user="U1")  # read from the mirror: its facts remembered
    (shown,) = fake_slack.responses
    fake_slack.clear()
    return shown


@pytest.fixture
def reviews(zendesk_services: Services) -> Iterator[Reviews]:
    watched = Reviews(zendesk_services)
    yield watched
    if watched.hold is not None:
        watched.hold.set()


def slow_first_answer(
    fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> tuple[threading.Event, threading.Event]:
    """Slack takes its time over the first answer posted to a response_url: (set to let it
    answer, set once it is being posted)."""
    held, posting = threading.Event(), threading.Event()
    answer_response_url = fake_slack._answer_response_url

    def slow_first(token: str, body: bytes, **kwargs: Any) -> Any:
        if not posting.is_set():
            posting.set()
            held.wait(10)
        return answer_response_url(token, body, **kwargs)

    monkeypatch.setattr(fake_slack, "_answer_response_url", slow_first)
    return held, posting


def right(card: ResponseCall) -> dict[str, Any]:
    return FakeSlack.find_button(card, "Priority is right")


def test_a_click_is_acked_before_its_work_which_the_web_thread_then_runs(
    card: ResponseCall, slack: SlackDoor, fake_slack: FakeSlack, reviews: Reviews
) -> None:
    reviews.hold = threading.Event()
    acked = slack.click(right(card), user="U1", settle=False)
    # The ack came back while the work is held at its write: it did not wait for the work.
    assert acked.status_code == 200
    assert reviews.reached.acquire(timeout=5)
    assert fake_slack.responses == []
    reviews.hold.set()
    slack.settle()
    (shown,) = fake_slack.responses
    assert "Priority reviewed by <@U1>" in FakeSlack.texts(shown)
    assert reviews.threads[0].startswith("waitress")  # the web thread, not the work pool


def test_a_click_on_a_card_not_remembered_has_its_work_pooled(
    zendesk_services: Services, card: ResponseCall, slack: SlackDoor, reviews: Reviews
) -> None:
    # The mirror's ticket changed since the card was shown: its facts are read again, and
    # a ticket's facts may need Zendesk, which never holds a web thread.
    with zendesk_services.session() as session:
        ticket = ticket_by_id(session=session, ticket_id=101)
        assert ticket is not None
        ticket.subject = "Printer on fire, again"
        session.add(ticket)
    slack.click(right(card), user="U1")
    slack.click(right(card), user="U1")  # remembered again by the first
    assert [thread.split("-")[0] for thread in reviews.threads] == ["test", "waitress"]


@pytest.fixture
def one_slot(services: Services, executor: TrackingExecutor) -> AfterAnswer:
    """Work after one answer at a time: set before the app's server is built."""
    services.after_answer = AfterAnswer(slots=1)
    executor.watch(services.after_answer)
    return services.after_answer


def test_while_web_threads_hold_work_other_requests_are_answered_and_their_work_pooled(
    one_slot: AfterAnswer,
    zendesk_services: Services,
    card: ResponseCall,
    slack: SlackDoor,
    app_server: AppServer,
    fake_slack: FakeSlack,
    executor: TrackingExecutor,
    reviews: Reviews,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held, posting = slow_first_answer(fake_slack, monkeypatch)
    slack.click(right(card), user="U1", settle=False)
    assert posting.wait(5)  # its work, on a web thread (the one slot), waits on Slack
    # Meanwhile, from another connection (a request on the held one waits for its work),
    # another click is acked and answered, its work on the pool; and a command is answered.
    other = SlackDoor(
        app_server.url,
        response_url=fake_slack.response_url,
        executor=executor,
        show_reply=fake_slack.show_ack_reply,
    )
    other._counter = 1000
    try:
        other.click(right(card), user="U2", settle=False)
        assert wait_for(lambda: len(fake_slack.responses) == 1)
        (second,) = fake_slack.responses
        assert "Priority reviewed by <@U2>" in FakeSlack.texts(second)
        shown = other.command("/rota", "help", user="U2", settle=False)
        assert "/rota" in str(ack_message(shown))
        assert not one_slot.wait_idle(0)  # the first is still held
    finally:
        held.set()
        other.close()
    slack.settle()
    assert len(fake_slack.responses) == 3  # the first click's card, posted at last
    assert "Priority reviewed by <@U1>" in FakeSlack.texts(fake_slack.responses[-1])
    assert reviews.threads[0].startswith("waitress")
    assert reviews.threads[1].startswith("test-after-ack")


def test_after_slow_work_the_work_pool_takes_it_all_for_a_while(
    zendesk_services: Services,
    card: ResponseCall,
    slack: SlackDoor,
    reviews: Reviews,
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    after = zendesk_services.after_answer
    after.clock = clock

    def database_slow() -> None:
        clock.now += after.slow_s + 0.1

    reviews.on_write.append(database_slow)
    slack.click(right(card), user="U1")
    reviews.on_write.clear()
    with caplog.at_level(logging.WARNING):
        slack.click(right(card), user="U1")
        clock.now += after.pause_s
        slack.click(right(card), user="U1")
    assert [thread.split("-")[0] for thread in reviews.threads] == ["waitress", "test", "waitress"]
    assert "goes to the work pool" in caplog.text


@pytest.fixture
def held_up_clock(
    services: Services, executor: TrackingExecutor, monkeypatch: pytest.MonkeyPatch
) -> Clock:
    """Work after answers timed by a clock the test moves, looked at often: set before the
    server is built."""
    monkeypatch.setattr(server_module, "AFTER_ANSWER_WATCH_S", 0.01)
    clock = Clock()
    services.after_answer = AfterAnswer(clock=clock)
    executor.watch(services.after_answer)
    return clock


def test_while_work_after_an_answer_is_held_up_the_server_has_a_thread_more(
    held_up_clock: Clock,
    zendesk_services: Services,
    card: ResponseCall,
    slack: SlackDoor,
    app_server: AppServer,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held, posting = slow_first_answer(fake_slack, monkeypatch)
    dispatcher = app_server.server.task_dispatcher
    assert len(dispatcher.threads) == HTTP_THREADS
    try:
        slack.click(right(card), user="U1", settle=False)
        assert posting.wait(5)
        held_up_clock.now += zendesk_services.after_answer.slow_s  # Slack has not answered
        assert wait_for(lambda: len(dispatcher.threads) - dispatcher.stop_count == 9)
    finally:
        held.set()
    slack.settle()
    assert wait_for(lambda: len(dispatcher.threads) == HTTP_THREADS)

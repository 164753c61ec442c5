"""Quick work after an answer (bot.after_answer.AfterAnswer): taken while an answer is given,
as many at once as there are web threads, paused while Slack or the database is slow, and
counted for the server's threads while held up."""

from __future__ import annotations

import threading

import pytest

from bot.after_answer import AFTER_ANSWER_SLOTS, AfterAnswer
from bot.http.wsgi import HTTP_THREADS
from tests.doors import wait_for


class Ticking:
    """A monotonic clock a test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_work_is_taken_only_while_an_answer_is_given_and_runs_when_asked() -> None:
    after = AfterAnswer(slots=2)
    ran: list[str] = []
    assert not after.offer(lambda: ran.append("no answer being given"))
    with after.answering() as left:
        assert after.offer(lambda: ran.append("first"))
        assert after.offer(lambda: ran.append("second"))
        assert not after.offer(lambda: ran.append("third"))  # as many as slots at once
    assert not after.offer(lambda: ran.append("after the answer"))
    assert ran == [] and after.taken == 2
    after.run(left)
    assert ran == ["first", "second"] and after.taken == 0
    assert after.wait_idle(0)


class Answering(threading.Thread):
    """A web thread answering one request, its work held until let go."""

    def __init__(self, after: AfterAnswer) -> None:
        super().__init__(daemon=True)
        self.after = after
        self.offered: bool | None = None
        self.working = threading.Event()
        self.release = threading.Event()

    def run(self) -> None:
        with self.after.answering() as left:
            self.offered = self.after.offer(self.work)
        self.after.run(left)

    def work(self) -> None:
        self.working.set()
        self.release.wait(5)


def test_slots_are_shared_by_the_threads_answering() -> None:
    after = AfterAnswer(slots=1)
    held = Answering(after)
    held.start()
    assert held.working.wait(5)
    with after.answering() as left:
        assert not after.offer(lambda: None)  # the one slot is held: to the pool
    assert left == [] and not after.wait_idle(0)
    held.release.set()
    held.join(5)
    assert after.wait_idle(5)
    with after.answering():
        assert after.offer(lambda: None)


def test_slow_work_sends_the_next_to_the_pool_for_a_while(caplog: pytest.LogCaptureFixture) -> None:
    clock = Ticking()
    after = AfterAnswer(slots=4, slow_s=0.5, pause_s=60, clock=clock)

    def slow() -> None:
        clock.now += 0.7

    with after.answering() as left:
        assert after.offer(slow)
    after.run(left)
    assert "goes to the work pool" in caplog.text
    with after.answering():
        assert not after.offer(lambda: None)
        clock.now += 59
        assert not after.offer(lambda: None)
        clock.now += 1.5
        assert after.offer(lambda: None)


def test_work_still_running_slow_pauses_and_is_counted_held_up() -> None:
    clock = Ticking()
    after = AfterAnswer(slots=4, slow_s=0.5, pause_s=60, clock=clock)
    held = Answering(after)
    held.start()
    assert held.working.wait(5)
    with after.answering():
        assert after.offer(lambda: None)  # running, not yet slow
    assert after.stuck() == 0
    clock.now += 0.6
    assert after.stuck() == 1
    with after.answering():
        assert not after.offer(lambda: None)  # it has been running too long
    held.release.set()
    held.join(5)
    assert after.stuck() == 0
    with after.answering():
        assert not after.offer(lambda: None)  # paused all the same


def test_the_watch_tells_how_many_works_are_held_up_until_they_are_done() -> None:
    clock = Ticking()
    after = AfterAnswer(slots=4, slow_s=0.5, clock=clock)
    told: list[int] = []
    watcher = after.watch(told.append, every=0.01)
    try:
        held = Answering(after)
        held.start()
        assert held.working.wait(5)
        clock.now += 0.6
        assert wait_for(lambda: told == [1])
        held.release.set()
        held.join(5)
        assert wait_for(lambda: told == [1, 0])
    finally:
        after.stop_watching()
        watcher.join(5)
    assert not watcher.is_alive()


def test_failing_work_is_logged_counted_and_gives_its_slot_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    after = AfterAnswer(slots=1)
    failures: list[BaseException] = []
    after.on_failure = failures.append
    ran: list[str] = []

    def fail() -> None:
        raise ValueError("nope")

    with after.answering() as left:
        assert after.offer(fail)
    after.run(left)
    assert [str(f) for f in failures] == ["nope"]
    assert "work after an answer failed" in caplog.text
    with after.answering() as left:
        assert after.offer(lambda: ran.append("next"))
    after.run(left)
    assert ran == ["next"]


def test_every_web_thread_may_take_work_after_its_answer() -> None:
    assert AFTER_ANSWER_SLOTS == HTTP_THREADS

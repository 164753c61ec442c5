"""Work nobody waits on runs in the background, after the answers: a `/rota swap` is answered
while the DM it causes is still held, and the DM goes out when the background runs."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

import pytest

from bot.pools import BACKGROUND_THREADS, ElasticThreadPool
from bot.services import build_services
from bot.settings import Settings
from tests.doors import MutableClock, SlackDoor, TrackingExecutor, ack_message
from tests.fakes.slack_api import FakeSlack
from tests.handlers.rota_helpers import at_london, dms_to, rota


class HeldBackground(Executor):
    """Background work kept until the test lets it run (on the tracked executor)."""

    def __init__(self, executor: TrackingExecutor) -> None:
        self.executor = executor
        self.held: list[Callable[[], Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.held.append(lambda: fn(*args, **kwargs))
        return Future()  # nobody waits on background work

    def release(self, slack: SlackDoor) -> None:
        held, self.held = self.held, []
        for call in held:
            self.executor.submit(call)
        slack.settle()


@pytest.fixture
def background(executor: TrackingExecutor) -> HeldBackground:
    """The app's background work, held (conftest's services fixture gives it to the app)."""
    return HeldBackground(executor)


def test_a_swap_answered_in_the_ack_sends_its_dm_in_the_background(
    slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock, background: HeldBackground
) -> None:
    at_london(clock, 2026, 12, 2, 10, 0)
    rota(slack, fake_slack, "add <@U1> <@U2> <@U3>")
    background.release(slack)  # the channel line `add` causes
    answer = ack_message(slack.command("/rota", "swap <@U3>", user="U2"))
    assert answer is not None and answer["text"].startswith("I've asked <@U3> to take your week")
    assert dms_to(fake_slack, "U3") == []
    assert len(background.held) == 1
    background.release(slack)
    (dm,) = dms_to(fake_slack, "U3")
    FakeSlack.find_button(dm, "Accept")


def test_a_swap_answered_after_the_ack_sends_its_dm_in_the_background(
    slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock, background: HeldBackground
) -> None:
    """Slack is asked about U1 first (described too long ago): the answer goes to the
    response URL, and the DM still waits for the background."""
    at_london(clock, 2026, 12, 2, 10, 0)
    rota(slack, fake_slack, "add <@U1> <@U2> <@U3>")
    background.release(slack)
    clock.advance(minutes=6)
    reply = rota(slack, fake_slack, "swap <@U1>", user="U3")
    assert reply.startswith("I've asked <@U1> to take your week")
    assert dms_to(fake_slack, "U1") == []
    background.release(slack)
    (dm,) = dms_to(fake_slack, "U1")
    FakeSlack.find_button(dm, "Accept")


def test_the_background_runs_a_few_threads_at_most(settings: Settings) -> None:
    built = build_services(settings)
    try:
        assert isinstance(built.background, ElasticThreadPool)
        assert built.background.max_workers == BACKGROUND_THREADS
        assert built.background is not built.executor
    finally:
        built.engine.dispose()

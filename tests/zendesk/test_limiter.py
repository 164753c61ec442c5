"""The limiter: Rotabot's share of Zendesk's per-minute budgets, on a clock the tests move."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine

from bot.store.zendesk_sync import DatabaseBudget
from bot.zendesk.client import ZendeskClient
from bot.zendesk.limiter import Limiter, OutOfTime
from tests.doors import MutableClock
from tests.fakes.zendesk_api import FakeZendesk


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def limiter(clock: Clock, **budgets: int) -> Limiter:
    return Limiter(
        requests_per_minute=budgets.get("requests", 100),
        exports_per_minute=budgets.get("exports", 10),
        clock=clock,
        sleep=clock.sleep,
    )


def most_in_a_minute(moments: list[float]) -> int:
    return max(sum(1 for m in moments if start <= m < start + 60) for start in moments)


def test_never_more_than_the_budget_in_any_minute_and_no_slower() -> None:
    clock = Clock()
    paced = limiter(clock, requests=100)
    moments = []
    for _ in range(250):
        paced.acquire()
        moments.append(clock())

    assert most_in_a_minute(moments) == 100
    assert clock() - moments[0] == 120.0  # 250 calls need two full minutes, and no more


def test_exports_have_their_own_smaller_budget() -> None:
    clock = Clock()
    paced = limiter(clock, requests=100, exports=10)
    exports = []
    for _ in range(25):
        paced.acquire(export=True)
        exports.append(clock())
        paced.acquire()

    assert most_in_a_minute(exports) == 10
    assert clock() - exports[0] == 120.0


def test_a_429_pauses_every_caller_for_its_retry_after() -> None:
    clock = Clock()
    shared = limiter(clock)
    shared.acquire()
    shared.pause(120)

    shared.acquire(export=True)

    assert clock.slept == [120.0]
    assert shared.rate_limited == 1


def test_an_account_nearly_spent_holds_everyone_off_until_the_minute_resets() -> None:
    clock = Clock()
    polite = limiter(clock)
    polite.observe({"X-Rate-Limit": "200", "X-Rate-Limit-Remaining": "150"})
    polite.acquire()
    assert clock.slept == []

    polite.observe({"X-Rate-Limit": "200", "X-Rate-Limit-Remaining": "12", "ratelimit-reset": "17"})
    polite.acquire()
    assert clock.slept == [17.0]


def test_a_wait_past_the_deadline_is_refused_not_slept() -> None:
    clock = Clock()
    hurried = limiter(clock)
    hurried.pause(600)

    with pytest.raises(OutOfTime) as late:
        hurried.acquire(deadline=clock() + 300)

    assert late.value.wait == 600
    assert clock.slept == []


def test_processes_on_postgresql_share_one_budget(pg_url: str) -> None:
    """Two processes' limiters, each allowed 5 a minute, together make 5 in any minute."""
    engine = create_engine(pg_url)
    clock = Clock()
    first, second = (
        Limiter(
            requests_per_minute=5,
            exports_per_minute=2,
            clock=clock,
            sleep=clock.sleep,
            shared=DatabaseBudget(engine),
        )
        for _ in range(2)
    )
    moments = []
    for n in range(12):
        (first if n % 2 else second).acquire()
        moments.append(clock())

    assert most_in_a_minute(moments) == 5
    assert clock() - moments[0] == 120.0
    engine.dispose()


def test_two_processes_against_a_team_account_are_never_refused(
    pg_url: str,
    fake_zendesk: FakeZendesk,
    zendesk_sleep: Callable[[float], None],
    clock: MutableClock,
) -> None:
    """Rotabot's share is 150 a minute across processes; Zendesk's Team limit is 200."""
    engine = create_engine(pg_url)
    fake_zendesk.add_user(1, name="Carol Client", email="carol@acme.test", role="end-user")
    clients = [
        ZendeskClient(
            base_url=fake_zendesk.url,
            email=fake_zendesk.email,
            token=fake_zendesk.token,
            limiter=Limiter(
                requests_per_minute=150,
                exports_per_minute=10,
                clock=lambda: clock().timestamp(),
                sleep=zendesk_sleep,
                shared=DatabaseBudget(engine),
            ),
        )
        for _ in range(2)
    ]
    for n in range(400):
        clients[n % 2].users([1])

    assert fake_zendesk.limits.refused == 0
    assert len(fake_zendesk.requests) == 400
    for client in clients:
        client.close()
    engine.dispose()


def test_a_sleep_that_only_records_its_wait_never_makes_a_caller_spin() -> None:
    recorded: list[float] = []
    standing = Limiter(
        requests_per_minute=2, exports_per_minute=1, clock=lambda: 5.0, sleep=recorded.append
    )
    for _ in range(5):
        standing.acquire()
    standing.pause(7)
    standing.acquire()

    assert recorded == [60.0, 60.0, 7.0]


def test_callers_do_not_queue_behind_another_callers_shared_claim() -> None:
    """A claim on the shared budget is round trips to the database: the process's other
    callers make theirs meanwhile, and the budget still decides each."""
    clock = Clock()
    inside = threading.Semaphore(0)
    release = threading.Event()

    class SlowBudget:
        """Claims that wait until both callers are inside one at once."""

        def __init__(self) -> None:
            self.claims = 0

        def claim(self, kind: str, *, limit: int, now: float) -> float:
            self.claims += 1
            inside.release()
            assert release.wait(5), "the other caller never reached its claim"
            return 0.0

    budget = SlowBudget()
    paced = Limiter(
        requests_per_minute=5, exports_per_minute=2, clock=clock, sleep=clock.sleep, shared=budget
    )
    with ThreadPoolExecutor(max_workers=2) as pool:
        calls = [pool.submit(paced.acquire) for _ in range(2)]
        assert inside.acquire(timeout=5) and inside.acquire(timeout=5)  # both claiming at once
        release.set()
        for call in calls:
            call.result(timeout=5)
    assert budget.claims == 2
    assert clock.slept == []


def test_no_more_than_two_claims_at_once_hold_a_connection() -> None:
    clock = Clock()
    lock = threading.Lock()
    inside = [0, 0]  # now, most
    release = threading.Event()
    two_in = threading.Semaphore(0)

    class HeldBudget:
        def claim(self, kind: str, *, limit: int, now: float) -> float:
            with lock:
                inside[0] += 1
                inside[1] = max(inside[1], inside[0])
            two_in.release()
            assert release.wait(5)
            with lock:
                inside[0] -= 1
            return 0.0

    paced = Limiter(
        requests_per_minute=50,
        exports_per_minute=2,
        clock=clock,
        sleep=clock.sleep,
        shared=HeldBudget(),
    )
    with ThreadPoolExecutor(max_workers=6) as pool:
        calls = [pool.submit(paced.acquire) for _ in range(6)]
        assert two_in.acquire(timeout=5) and two_in.acquire(timeout=5)
        release.set()
        for call in calls:
            call.result(timeout=5)
    assert inside[1] == 2

"""The limiter: Rotabot's share of Zendesk's per-minute budgets, on a clock the tests move."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from bot.store.migrate import alembic_config
from bot.store.zendesk_sync import DatabaseBudget
from bot.zendesk.client import ZendeskClient
from bot.zendesk.limiter import Limiter, OutOfTime
from tests.doors import MutableClock
from tests.fakes.zendesk_api import FakeZendesk
from tests.store.statements_seen import statements_seen


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
            shared=DatabaseBudget(engine, database_clock=False),
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
                shared=DatabaseBudget(engine, database_clock=False),
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

        def claim(self, kind: str, *, limit: int, now: float, calls: int = 1) -> float:
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
        def claim(self, kind: str, *, limit: int, now: float, calls: int = 1) -> float:
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


def test_a_claim_on_postgresql_is_one_statement_and_no_transaction_around_it(
    pg_url: str,
) -> None:
    """The advisory lock is held only while the database runs the claim: never across a
    round trip, so never while the claiming process waits for its turn to run."""
    engine = create_engine(pg_url)
    budget = DatabaseBudget(engine)
    budget.claim("requests", limit=5, now=1_000.0)  # the pool's first connection, made
    seen = statements_seen(engine)
    assert budget.claim("requests", limit=5, now=1_000.0) == 0.0
    # psycopg in autocommit sends no BEGIN: the statement is its own transaction.
    assert [(s.split("(")[0], autocommit) for s, autocommit in seen.statements] == [
        ("SELECT claim_zendesk_call", True)
    ]
    assert seen.commits == 0
    engine.dispose()


def test_claims_made_at_once_on_postgresql_never_pass_the_limit(pg_url: str) -> None:
    """Twenty claims at the same moment from four connections: five win, the rest are told to
    wait until the first of the five to claim leaves the window: no sooner than the earliest
    of them, and no later than the latest."""
    engine = create_engine(pg_url, pool_size=4)
    budgets = [DatabaseBudget(engine, database_clock=False) for _ in range(4)]
    start = threading.Barrier(20)

    def claim(n: int) -> float:
        start.wait()
        return budgets[n % 4].claim("requests", limit=5, now=5_000.0 + n / 1000)

    with ThreadPoolExecutor(max_workers=20) as pool:
        waits = list(pool.map(claim, range(20)))

    assert waits.count(0.0) == 5
    winners = [5_000.0 + n / 1000 for n, wait in enumerate(waits) if wait == 0.0]
    for n, wait in enumerate(waits):
        if wait:
            now = 5_000.0 + n / 1000
            assert min(winners) + 60 - now - 1e-6 <= wait <= max(winners) + 60 - now + 1e-6
    # A minute after the last winner, the budget is whole again.
    assert budgets[0].claim("requests", limit=5, now=max(winners) + 60.0) == 0.0
    engine.dispose()


def test_processes_with_different_budgets_share_one_ring(pg_url: str) -> None:
    """The ring keeps the last calls whatever the budget: a claim for a budget of 3 looks 3
    calls back, one for 5 looks 5 back, so during a restart that changes the budget neither
    process forgets the other's calls."""
    engine = create_engine(pg_url)
    budget = DatabaseBudget(engine, database_clock=False)
    for n in range(5):
        assert budget.claim("requests", limit=5, now=7_000.0 + n) == 0.0
    # Three a minute: the three latest (7,002 to 7,004) fill it.
    assert budget.claim("requests", limit=3, now=7_010.0) == pytest.approx(52.0)
    assert budget.claim("requests", limit=3, now=7_062.0) == 0.0
    # Five again: 7,003, 7,004 and 7,062 are in the window, so two more may go, and a third
    # when 7,003 leaves it.
    assert budget.claim("requests", limit=5, now=7_062.5) == 0.0
    assert budget.claim("requests", limit=5, now=7_062.5) == 0.0
    assert budget.claim("requests", limit=5, now=7_062.5) == pytest.approx(0.5)
    # Taking turns, a budget of 4 and one of 2, a second apart: the larger counts every call.
    turns = [(4, 0.0), (2, 0.0), (4, 0.0), (2, 58.0), (4, 0.0), (4, 55.0)]
    for second, (limit, expected) in enumerate(turns):
        waited = budget.claim("turns", limit=limit, now=8_000.0 + second)
        assert waited == pytest.approx(expected)
    engine.dispose()


def test_on_the_databases_clock_a_claim_ignores_the_processes_clocks(pg_url: str) -> None:
    """`rotabot` notes calls on the database's clock, one for every process: a process whose
    clock is far ahead (or behind) neither holds the others back nor lets them through."""
    engine = create_engine(pg_url)
    budget = DatabaseBudget(engine)
    assert budget.claim("requests", limit=1, now=10_000_000_000.0) == 0.0  # far ahead
    waited = budget.claim("requests", limit=1, now=0.0)  # far behind
    assert 59.0 < waited <= 60.0
    with engine.connect() as connection:
        (noted, database_now) = connection.execute(
            text(
                "SELECT at, extract(epoch FROM clock_timestamp()) FROM zendesk_budget_slot"
                " WHERE kind = 'requests'"
            )
        ).one()
    assert 0 <= float(database_now) - noted < 60
    engine.dispose()


def test_calls_counted_before_the_ring_still_count_after_the_upgrade(pg_url: str) -> None:
    """The migration to the ring carries the last minute's calls over (and back, downgraded)."""
    engine = create_engine(pg_url)
    config = alembic_config(engine)
    command.downgrade(config, "c4e8b2d61f09")
    with engine.begin() as connection:
        for at in (9_001.0, 9_002.0, 9_003.0):
            connection.execute(
                text("INSERT INTO zendesk_call (kind, at) VALUES ('account', :at)"), {"at": at}
            )
    command.upgrade(config, "head")
    budget = DatabaseBudget(engine, database_clock=False)
    assert budget.claim("account", limit=3, now=9_010.0) == pytest.approx(51.0)
    assert budget.claim("account", limit=3, now=9_061.0) == 0.0
    command.downgrade(config, "c4e8b2d61f09")
    with engine.connect() as connection:
        (calls,) = connection.execute(text("SELECT count(*) FROM zendesk_call")).one()
    assert calls == 4  # the ring keeps the last 2,500, 9,001 (out of the window) among them
    command.upgrade(config, "head")
    engine.dispose()


def test_a_ring_of_the_budget_s_size_is_carried_over_oldest_first(pg_url: str) -> None:
    """The ring before this one had as many slots as the budget and wrapped round: its calls
    are carried into the fixed ring in the order they were made (and back, downgraded)."""
    engine = create_engine(pg_url)
    config = alembic_config(engine)
    command.downgrade(config, "b6f1d3a8c527")
    budget = DatabaseBudget(engine, database_clock=False)
    for at in (9_001.0, 9_002.0, 9_003.0, 9_061.5):  # 9,061.5 takes 9,001's slot
        assert budget.claim("account", limit=3, now=at) == 0.0
    command.upgrade(config, "head")
    # One, two and three calls back: 9,061.5, 9,003 and 9,002.
    for limit, expected in ((1, 59.7), (2, 1.2), (3, 0.2)):
        assert budget.claim("account", limit=limit, now=9_061.8) == pytest.approx(expected)
    command.downgrade(config, "b6f1d3a8c527")
    assert budget.claim("account", limit=3, now=9_061.8) == pytest.approx(0.2)
    command.upgrade(config, "head")
    engine.dispose()


def test_several_calls_fit_together_or_wait_for_room_for_all() -> None:
    """Calls claimed together go when the last of them fits: seven made, a budget of ten,
    four more must wait until the first of the seven has left the minute; three need not."""
    clock = Clock()
    paced = limiter(clock, requests=10)
    for _ in range(7):
        paced.acquire()
        clock.now += 1
    paced.acquire(calls=3)
    assert clock.slept == []
    paced.acquire(calls=2)  # ten made by now: the first two must leave first
    assert clock.slept == [pytest.approx(60 - 7 + 1)]
    assert most_in_a_minute(list(paced._calls)) == 10


def test_more_calls_at_once_than_the_budget_never_fit_together() -> None:
    paced = limiter(Clock(), requests=3)
    with pytest.raises(ValueError, match="4 calls at once"):
        paced.acquire(calls=4)
    paced.acquire(calls=3)  # as many as the budget: they fit an empty minute


def test_several_calls_on_postgresql_are_one_statement_and_keep_the_limit(pg_url: str) -> None:
    """Three calls claimed in one round trip: three slots of the ring, one statement. More
    than the budget has room for are told to wait, none of them noted; more than the whole
    budget are told to wait a whole window."""
    engine = create_engine(pg_url)
    budget = DatabaseBudget(engine, database_clock=False)
    budget.claim("requests", limit=5, now=9_000.0)  # the pool's first connection, made
    seen = statements_seen(engine)
    assert budget.claim("requests", limit=5, now=9_001.0, calls=3) == 0.0
    assert [(s.split("(")[0], autocommit) for s, autocommit in seen.statements] == [
        ("SELECT claim_zendesk_calls", True)
    ]
    # Four made (9,000 and three at 9,001): two more must wait for 9,000 to leave.
    assert budget.claim("requests", limit=5, now=9_002.0, calls=2) == pytest.approx(58.0)
    assert budget.claim("requests", limit=5, now=9_002.0, calls=6) == 60.0
    assert budget.claim("requests", limit=5, now=9_002.0) == 0.0  # one still fits
    assert budget.claim("requests", limit=5, now=9_060.5, calls=2) == pytest.approx(0.5)
    assert budget.claim("requests", limit=5, now=9_061.0, calls=3) == 0.0
    with engine.connect() as connection:
        noted = connection.execute(
            text("SELECT at FROM zendesk_budget_slot WHERE kind = 'requests' ORDER BY slot")
        ).scalars()
        assert list(noted) == [
            9_000.0,
            9_001.0,
            9_001.0,
            9_001.0,
            9_002.0,
            9_061.0,
            9_061.0,
            9_061.0,
        ]
    engine.dispose()


def test_single_and_several_claims_at_once_on_postgresql_never_pass_the_limit(
    pg_url: str,
) -> None:
    """Claims of one and of three calls, twelve at the same moment from four connections, on
    a budget of ten: never more than ten calls noted, and no room for three left unused."""
    engine = create_engine(pg_url, pool_size=4)
    budgets = [DatabaseBudget(engine, database_clock=False) for _ in range(4)]
    start = threading.Barrier(12)

    def claim(n: int) -> int:
        calls = 3 if n % 2 else 1
        start.wait()
        waited = budgets[n % 4].claim("requests", limit=10, now=6_000.0, calls=calls)
        return calls if waited == 0.0 else 0

    with ThreadPoolExecutor(max_workers=12) as pool:
        claimed = sum(pool.map(claim, range(12)))

    assert 8 <= claimed <= 10
    with engine.connect() as connection:
        noted = connection.execute(
            text("SELECT count(*) FROM zendesk_budget_slot WHERE kind = 'requests'")
        ).scalar_one()
    assert noted == claimed
    engine.dispose()

"""Fixtures: fake Slack and Zendesk over real HTTP, a migrated database, the app on a port."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import replace
from pathlib import Path

import pytest
from slack_bolt import App
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from bot.app import build_app
from bot.http.server import build_wsgi
from bot.services import Services, build_services
from bot.settings import Settings
from bot.slack.client import make_slack_client
from bot.store.db import make_engine
from bot.store.migrate import upgrade
from bot.zendesk.client import ZendeskClient
from tests.doors import SIGNING_SECRET, AppServer, MutableClock, SlackDoor, TrackingExecutor
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk

PG_SKIP_REASON = (
    "TEST_DATABASE_URL is not set: PostgreSQL tests need a server "
    "(e.g. TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test)"
)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    fake.start()
    try:
        yield fake
        fake.assert_no_protocol_errors()
    finally:
        fake.stop()


@pytest.fixture
def fake_zendesk(clock: MutableClock) -> Iterator[FakeZendesk]:
    """A fake Zendesk whose clock is the app's clock."""
    fake = FakeZendesk(now=clock)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once per run; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "rotabot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "rotabot.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    """A migrated template database; each test creates its own database from it."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield None
        return
    name = f"rotabot_tpl_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(base).set(database=name).render_as_string(hide_password=False))
    upgrade(engine)
    engine.dispose()
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fresh_pg_database(template: str) -> tuple[str, str]:
    base = os.environ["TEST_DATABASE_URL"]
    name = f"rotabot_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return name, make_url(base).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(name: str) -> None:
    admin = create_engine(os.environ["TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_url(pg_template: str | None) -> Iterator[str]:
    if pg_template is None:
        pytest.skip(PG_SKIP_REASON)
    name, url = fresh_pg_database(pg_template)
    try:
        yield url
    finally:
        drop_pg_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated database of each kind: the store's tests run on both."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock()


@pytest.fixture
def settings(fake_slack: FakeSlack, sqlite_url: str) -> Settings:
    return Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        database_url=sqlite_url,
    )


@pytest.fixture
def slept() -> list[float]:
    """Every wait the Slack client's retries asked for, instead of sleeping."""
    return []


@pytest.fixture
def executor() -> Iterator[TrackingExecutor]:
    pool = TrackingExecutor()
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture
def background() -> Executor | None:
    """Where the app runs its background work: None, on the executor; a test may hold it."""
    return None


@pytest.fixture
def services(
    settings: Settings,
    clock: MutableClock,
    slept: list[float],
    executor: TrackingExecutor,
    background: Executor | None,
) -> Iterator[Services]:
    client = make_slack_client(
        token=settings.slack_bot_token, base_url=settings.slack_api_url, sleep=slept.append
    )
    built = build_services(
        settings,
        slack=client,
        clock=clock,
        executor=executor,
        background=background,
    )
    executor.watch(built.after_answer)
    yield built
    built.responses.close()
    built.engine.dispose()


@pytest.fixture
def bolt(services: Services) -> App:
    return build_app(services)


@pytest.fixture
def app_server(services: Services, bolt: App) -> Iterator[AppServer]:
    server = AppServer(build_wsgi(services, bolt)).start()
    yield server
    server.stop()


@pytest.fixture
def slack(
    app_server: AppServer,
    fake_slack: FakeSlack,
    executor: TrackingExecutor,
) -> Iterator[SlackDoor]:
    door = SlackDoor(
        app_server.url,
        response_url=fake_slack.response_url,
        executor=executor,
        show_reply=fake_slack.show_ack_reply,
    )
    yield door
    door.close()


ZENDESK_WEBHOOK_SECRET = "test-zendesk-webhook-secret"


@pytest.fixture
def zendesk_waits() -> list[float]:
    """Every wait the Zendesk client's retries asked for, instead of sleeping."""
    return []


@pytest.fixture
def zendesk_services(
    services: Services,
    fake_zendesk: FakeZendesk,
    zendesk_sleep: Callable[[float], None],
    clock: MutableClock,
) -> Services:
    """The services with Zendesk configured against the fake, its waits recorded not slept."""
    services.settings = replace(
        services.settings,
        zendesk_url=fake_zendesk.url,
        zendesk_email=fake_zendesk.email,
        zendesk_api_token=fake_zendesk.token,
        zendesk_webhook_secret=ZENDESK_WEBHOOK_SECRET,
    )
    services.zendesk = ZendeskClient.from_settings(
        services.settings, sleep=zendesk_sleep, clock=lambda: clock().timestamp()
    )
    return services


@pytest.fixture
def zendesk_sleep(zendesk_waits: list[float], clock: MutableClock) -> Callable[[float], None]:
    """The Zendesk client's sleep: recorded, and the clock (the fake's too) moved on instead."""

    def sleep(seconds: float) -> None:
        zendesk_waits.append(seconds)
        clock.advance(seconds=seconds)

    return sleep

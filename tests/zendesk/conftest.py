"""A Zendesk client against the fake Zendesk, which has Carol Client and her ticket 101."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.zendesk.client import ZendeskClient
from bot.zendesk.limiter import Limiter
from tests.doors import MutableClock
from tests.fakes.zendesk_api import FakeZendesk


@pytest.fixture
def client(
    fake_zendesk: FakeZendesk, zendesk_sleep: Callable[[float], None], clock: MutableClock
) -> Iterator[ZendeskClient]:
    fake_zendesk.add_user(1, name="Carol Client", email="carol@acme.test", role="end-user")
    fake_zendesk.add_ticket(101, subject="Printer on fire", requester_id=1)
    client = ZendeskClient(
        base_url=fake_zendesk.url,
        email=fake_zendesk.email,
        token=fake_zendesk.token,
        limiter=Limiter(
            requests_per_minute=100,
            exports_per_minute=10,
            clock=lambda: clock().timestamp(),
            sleep=zendesk_sleep,
        ),
    )
    yield client
    client.close()

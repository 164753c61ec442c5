"""Without Zendesk settings, asking for the client says what to set."""

from __future__ import annotations

import pytest

from bot.services import Services, zendesk_of
from bot.zendesk.client import ZendeskNotConfigured


def test_without_zendesk_the_error_names_the_settings(services: Services) -> None:
    services.zendesk = None
    with pytest.raises(ZendeskNotConfigured, match="ZENDESK_URL, ZENDESK_EMAIL and ZENDESK_API"):
        zendesk_of(services)


def test_with_zendesk_it_is_the_client(zendesk_services: Services) -> None:
    assert zendesk_of(zendesk_services) is zendesk_services.zendesk

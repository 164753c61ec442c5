"""The Zendesk client, when Rotabot is connected to Zendesk; else an error saying what to set."""

from __future__ import annotations

from bot.services import Services
from bot.zendesk.client import ZendeskClient, ZendeskError


class ZendeskNotConfigured(ZendeskError):
    """ZENDESK_URL (and its credentials) are not set."""

    def __init__(self) -> None:
        super().__init__(
            "Zendesk is not connected to Rotabot yet: whoever runs Rotabot needs to set "
            "ZENDESK_URL, ZENDESK_EMAIL and ZENDESK_API_TOKEN"
        )


def zendesk_of(services: Services) -> ZendeskClient:
    if services.zendesk is None:
        raise ZendeskNotConfigured()
    return services.zendesk

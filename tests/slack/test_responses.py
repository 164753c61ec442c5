"""Answers posted to response URLs over kept-alive connections, through the request door."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot import kept
from bot.kept import IDLE_S
from bot.services import Services
from bot.slack.responses import KeptAliveRespond, ResponseUrls, message_of
from tests.doors import SlackDoor
from tests.fakes.slack_api import RESPONSE_URL_LIFE_S, FakeSlack, ResponseCall
from tests.fakes.zendesk_api import FakeZendesk
from tests.handlers.ticket_helpers import ALICE, CLIENT, seed_ticket


@pytest.fixture
def zendesk(
    zendesk_services: Services, fake_zendesk: FakeZendesk, fake_slack: FakeSlack
) -> FakeZendesk:
    seed_ticket(fake_zendesk)
    for ticket_id in (102, 103):
        fake_zendesk.add_ticket(
            ticket_id, subject=f"Ticket {ticket_id}", requester_id=CLIENT, assignee_id=ALICE
        )
    fake_slack.add_user("UALICE", name="alice", email="alice@team.test")
    return fake_zendesk


def cards(fake_slack: FakeSlack) -> list[ResponseCall]:
    return [r for r in fake_slack.responses if str(r.body.get("text", "")).startswith("Ticket #")]


def test_answers_after_the_ack_share_one_connection(
    zendesk: FakeZendesk, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    """Each card Zendesk must give is posted to its response_url: one connection for all."""
    for ticket_id in ("101", "102", "103"):
        assert slack.command("/ticket", ticket_id).status_code == 200
    posted = cards(fake_slack)
    assert [r.body["text"].split(":")[0] for r in posted] == [
        "Ticket #101",
        "Ticket #102",
        "Ticket #103",
    ]
    assert len({r.port for r in posted}) == 1


def test_a_connection_the_server_closed_while_idle_is_replaced_and_the_answer_sent_once(
    zendesk: FakeZendesk, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    slack.command("/ticket", "101")
    fake_slack.close_idle_connections()
    slack.command("/ticket", "102")
    posted = cards(fake_slack)
    assert [r.body["text"].split(":")[0] for r in posted] == ["Ticket #101", "Ticket #102"]
    assert posted[0].port != posted[1].port


def test_a_connection_idle_too_long_is_not_used(fake_slack: FakeSlack) -> None:
    now = [100.0]
    posts = ResponseUrls(clock=lambda: now[0], proxied=False)
    url = fake_slack.response_url("r1")
    posts.post(url, message_of(text="one"))
    now[0] += IDLE_S - 1
    posts.post(url, message_of(text="two"))
    now[0] += IDLE_S
    answer = posts.post(url, message_of(text="three"))
    assert answer.status_code == 200
    assert [r.body["text"] for r in fake_slack.responses] == ["one", "two", "three"]
    ports = [r.port for r in fake_slack.responses]
    assert ports[0] == ports[1] != ports[2]
    assert posts.opened == 2
    posts.close()


def test_a_post_slack_refuses_is_its_answer_not_an_error(fake_slack: FakeSlack) -> None:
    posts = ResponseUrls(proxied=False)
    answer = posts.post(fake_slack.url.replace("/api/", "/elsewhere/"), {"text": "lost"})
    assert answer.status_code == 404
    assert fake_slack.responses == []
    # And the connection is still good for the next post.
    assert posts.post(fake_slack.response_url("r2"), {"text": "found"}).status_code == 200
    assert posts.opened == 1
    posts.close()


def test_a_response_url_takes_five_posts_within_half_an_hour_as_slacks(
    fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack's documented limits, enforced by the fake: a sixth post, or one after 30 minutes,
    is refused. Rotabot says so in its log and carries on: the status is the caller's."""
    posts = ResponseUrls(proxied=False)
    url = fake_slack.response_url("r6")
    for n in range(5):
        assert posts.post(url, {"text": f"update {n}"}).status_code == 200
    with caplog.at_level(logging.WARNING, logger="bot.slack.responses"):
        assert posts.post(url, {"text": "one too many"}).status_code == 404
    assert "refused a post to a response URL (HTTP 404): used_url" in caplog.text
    later = fake_slack.response_url("r7")
    moved = fake_slack.clock() + RESPONSE_URL_LIFE_S + 1
    fake_slack.clock = lambda: moved
    assert posts.post(later, {"text": "too late"}).status_code == 404
    assert fake_slack.refused_responses == [("r6", "used_url"), ("r7", "expired_url")]
    assert [r.body["text"] for r in fake_slack.responses] == [f"update {n}" for n in range(5)]
    posts.close()


def test_respond_builds_the_message_as_bolt_does(fake_slack: FakeSlack) -> None:
    posts = ResponseUrls(proxied=False)
    respond = KeptAliveRespond(response_url=fake_slack.response_url("r3"), posts=posts)
    respond(text="Done", blocks=[], response_type="ephemeral", replace_original=False)
    respond({"text": "Whole", "delete_original": True})
    respond(blocks=[{"type": "divider"}])
    assert [r.body for r in fake_slack.responses] == [
        {"text": "Done", "response_type": "ephemeral", "replace_original": False},
        {"text": "Whole", "delete_original": True},
        {"text": "", "blocks": [{"type": "divider"}]},
    ]
    with pytest.raises(ValueError, match="no response_url"):
        KeptAliveRespond(response_url=None, posts=posts)(text="nowhere")
    posts.close()


def test_behind_a_proxy_posts_go_through_slacks_webhook_client(
    monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    assert ResponseUrls().connections.proxied
    monkeypatch.delenv("HTTPS_PROXY")
    assert not ResponseUrls().connections.proxied
    # WebhookClient itself (proxy or none), with the same answer.
    posts = ResponseUrls(proxied=True)
    answer = posts.post(fake_slack.response_url("r4"), {"text": "via the webhook client"})
    assert answer.status_code == 200
    assert fake_slack.responses[-1].body == {"text": "via the webhook client"}
    assert posts.opened == 0


def test_a_request_whose_answer_had_begun_is_never_sent_again(
    fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection fails while the answer's body is read: the server took the request."""
    posts = ResponseUrls(proxied=False)
    url = fake_slack.response_url("r5")
    posts.post(url, {"text": "first"})
    reading = kept.Connection.body

    def reset(self: kept.Connection, *args: Any) -> tuple[bytes, bool]:
        monkeypatch.setattr(kept.Connection, "body", reading)
        raise ConnectionResetError("reset while reading the answer")

    monkeypatch.setattr(kept.Connection, "body", reset)
    with pytest.raises(ConnectionResetError):
        posts.post(url, {"text": "second"})
    assert [r.body["text"] for r in fake_slack.responses] == ["first", "second"]
    posts.close()

"""The promise modals answer whatever comes back from Slack with a sentence in the modal."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from bot import ids
from bot.blocks.promises import DATE_ACTION, DATE_BLOCK, TIME_ACTION, TIME_BLOCK
from bot.handlers.promise_actions import FORM_OUT_OF_DATE, record_id
from bot.services import Services
from bot.store.promises import Promise
from tests.doors import SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk
from tests.jobs.digest_helpers import U_ALICE
from tests.test_access import world  # noqa: F401  (the fixture: a team, a mirrored ticket)

FOR_TICKET_101 = {
    "type": "modal",
    "callback_id": ids.PROMISE_MODAL,
    "private_metadata": '{"ticket": 101}',
}


def picked(day: str, at: str) -> dict[str, dict[str, Any]]:
    return {
        DATE_BLOCK: {DATE_ACTION: {"type": "datepicker", "selected_date": day}},
        TIME_BLOCK: {TIME_ACTION: {"type": "timepicker", "selected_time": at}},
    }


def promises(services: Services) -> list[Promise]:
    with services.session() as session:
        return list(session.exec(select(Promise)).all())


@pytest.mark.parametrize(
    ("callback_id", "metadata"),
    [
        (ids.PROMISE_MODAL, "not json"),
        (ids.PROMISE_MODAL, "[101]"),
        (ids.PROMISE_MODAL, '{"ticket": "101"}'),
        (ids.PROMISE_MODAL, '{"ticket": 99999999999999999999}'),
        (ids.PROMISE_RESCHEDULE_MODAL, '{"promise": null}'),
        (ids.PROMISE_RESCHEDULE_MODAL, "{}"),
    ],
)
def test_a_modal_whose_metadata_rotabot_never_wrote_is_out_of_date(
    world: Services,  # noqa: F811
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
    callback_id: str,
    metadata: str,
) -> None:
    modal = {"type": "modal", "callback_id": callback_id, "private_metadata": metadata}
    response = slack.submit_view(modal, picked("2026-12-03", "15:00"), user=U_ALICE)
    assert response.status_code == 200
    assert response.json() == {
        "response_action": "errors",
        "errors": {TIME_BLOCK: FORM_OUT_OF_DATE},
    }
    assert promises(world) == [] and fake_zendesk.writes == []


def test_a_day_that_is_not_one_asks_for_a_day_and_a_time(
    world: Services,  # noqa: F811
    slack: SlackDoor,
) -> None:
    for day, at in (("2026-13-45", "15:00"), ("tomorrow", "soon")):
        response = slack.submit_view(FOR_TICKET_101, picked(day, at), user=U_ALICE)
        assert response.json() == {
            "response_action": "errors",
            "errors": {TIME_BLOCK: "Pick a day and a time."},
        }
    assert promises(world) == []


def test_a_time_that_is_not_one_means_the_end_of_that_working_day(
    world: Services,  # noqa: F811
    slack: SlackDoor,
) -> None:
    response = slack.submit_view(FOR_TICKET_101, picked("2026-12-03", "25:99"), user=U_ALICE)
    assert response.status_code == 200 and response.content == b""
    (promise,) = promises(world)
    assert world.calendar.local(promise.due_at).strftime("%Y-%m-%d %H:%M") == "2026-12-03 17:00"


def test_a_record_id_is_a_positive_64_bit_integer() -> None:
    assert record_id(101) == 101
    assert record_id(2**63 - 1) == 2**63 - 1
    for bad in (0, -1, 2**63, True, "101", 1.0, None):
        assert record_id(bad) is None

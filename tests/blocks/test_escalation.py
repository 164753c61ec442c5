"""Escalation's modal, the lead's DM, the channel line and the notes, as exact text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import ids
from bot.blocks.escalation import (
    NO_LEAD,
    acknowledged_text,
    channel_blocks,
    channel_text,
    escalate_button,
    escalation_modal,
    escalations_section,
    lead_dm_blocks,
    lead_dm_text,
    not_yours_text,
    notice_modal,
    raised_text,
    state_text,
    ticket_label,
    ticket_link,
    zendesk_note,
)
from bot.blocks.text import blocks_as_text
from bot.handlers.escalation import parse_escalate_value
from bot.store.escalations import ACKNOWLEDGED, CONTACTING
from bot.worktime import WorkCalendar
from tests.blocks.helpers import buttons, escalation

CALENDAR = WorkCalendar()
# Monday 7 December 2026, 09:30 GMT: the escalation was raised on Friday afternoon.
MONDAY = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
LINK = "<https://acme.zendesk.test/agent/tickets/101|#101 Export fails (Acme)>"
ACKNOWLEDGE = ("Acknowledge", ids.ESCALATION_ACKNOWLEDGE, "3")
CONTACT = ("I'll contact the client", ids.ESCALATION_CONTACT, "3")


def test_ticket_labels_and_links() -> None:
    assert ticket_label(101, "Export <fails> & more", "Acme & Co") == (
        "#101 Export &lt;fails&gt; &amp; more (Acme &amp; Co)"
    )
    assert ticket_label(101, "", None) == "#101 (no subject)"
    assert ticket_link(
        101, "Export fails", "Acme", "https://acme.zendesk.test/agent/tickets/101"
    ) == (LINK)
    assert ticket_link(101, "Export fails", None, None) == "#101 Export fails"


def test_the_modal_asks_for_a_reason_and_a_note() -> None:
    view = escalation_modal(101, "Export <fails>", "Acme", "ULEAD")
    assert view["callback_id"] == ids.ESCALATION_MODAL
    assert view["private_metadata"] == "101"
    assert (view["title"]["text"], view["submit"]["text"], view["close"]["text"]) == (
        "Escalate to a lead",
        "Escalate",
        "Cancel",
    )
    intro, reason, note = view["blocks"]
    assert intro["text"]["text"] == (
        "*#101 Export &lt;fails&gt; (Acme)* goes to <@ULEAD>, the delivery lead. They get a DM, "
        "the rota channel a line, and Zendesk an internal note. *Out of scope — chargeable "
        "work* also hands them the ticket in Zendesk: say why in the note."
    )
    assert (reason["block_id"], reason["element"]["action_id"]) == ("reason", "escalation.reason")
    assert [(o["value"], o["text"]["text"]) for o in reason["element"]["options"]] == [
        ("unhappy", "Client is unhappy"),
        ("out-of-scope", "Out of scope — chargeable work"),
        ("post-update", "Problem after an update has taken over 2 hours"),
        ("other", "Other"),
    ]
    assert "optional" not in reason
    assert (note["block_id"], note["element"]["action_id"], note["optional"]) == (
        "note",
        "escalation.note",
        True,
    )
    assert note["element"]["max_length"] == 2000
    assert "initial_option" not in reason["element"]


def test_an_escalate_button_may_choose_the_reason() -> None:
    plain = escalate_button(101)
    unhappy = escalate_button(101, reason="unhappy")
    assert (plain["action_id"], unhappy["action_id"]) == ("escalation.open", "escalation.open")
    assert (plain["value"], unhappy["value"]) == ("101", "101:unhappy")
    assert parse_escalate_value(plain["value"]) == (101, None)
    assert parse_escalate_value(unhappy["value"]) == (101, "unhappy")
    assert parse_escalate_value("101:no-such-reason") is None
    view = escalation_modal(101, "Export", None, "ULEAD", reason="post-update")
    chosen = view["blocks"][1]["element"]["initial_option"]
    assert chosen == {
        "text": {"type": "plain_text", "text": "Problem after an update has taken over 2 hours"},
        "value": "post-update",
    }
    modal = escalation_modal(101, "Export", None, "ULEAD", reason="nonsense")
    assert "initial_option" not in modal["blocks"][1]["element"]


def test_a_notice_modal_only_explains() -> None:
    view = notice_modal(NO_LEAD)
    assert view["callback_id"] == ids.ESCALATION_MODAL
    assert view["close"]["text"] == "Close"
    assert "submit" not in view
    assert blocks_as_text(view["blocks"]) == (
        "No delivery lead is set: anyone on the rota can set one with `/rota lead @name` "
        "(or `/rota lead @name CLIENT` for one client)."
    )


@pytest.mark.parametrize(
    ("answered", "tail", "offered"),
    [
        (
            {"state": ACKNOWLEDGED, "acknowledged_at": datetime(2026, 12, 4, 15, 20, tzinfo=UTC)},
            "[I'll contact the client]\n"
            ":white_check_mark: Acknowledged by <@ULEAD> (Fri 4 Dec, 15:20 GMT)",
            [CONTACT],
        ),
        (
            {"state": CONTACTING, "contacting_at": datetime(2026, 12, 7, 9, 0, tzinfo=UTC)},
            ":telephone_receiver: <@ULEAD> is contacting the client (Mon 7 Dec, 09:00 GMT)",
            [],
        ),
    ],
)
def test_the_leads_dm_once_answered_offers_only_what_is_left(
    answered: dict[str, object], tail: str, offered: list[tuple[str, str, str]]
) -> None:
    blocks = lead_dm_blocks(escalation(note="", **answered), LINK, CALENDAR, now=MONDAY)
    assert blocks_as_text(blocks) == (
        f":rotating_light: *Escalated to you:* {LINK}\n"
        f"*Reason:* Client is unhappy\n*Raised by:* <@U1>\n{tail}"
    )
    assert buttons(blocks) == offered


def test_the_leads_dm_while_raised_offers_both() -> None:
    assert buttons(lead_dm_blocks(escalation(), LINK, CALENDAR, now=MONDAY)) == [
        ACKNOWLEDGE,
        CONTACT,
    ]
    assert state_text(escalation(), CALENDAR, now=MONDAY) is None


def test_a_state_without_its_instant_says_nothing() -> None:
    assert state_text(escalation(state=ACKNOWLEDGED), CALENDAR, now=MONDAY) is None
    assert state_text(escalation(state=CONTACTING), CALENDAR, now=MONDAY) is None


def test_a_state_in_summer_and_in_another_year() -> None:
    summer = escalation(state=ACKNOWLEDGED, acknowledged_at=datetime(2026, 6, 1, 8, 5, tzinfo=UTC))
    assert state_text(summer, CALENDAR, now=datetime(2027, 1, 4, 9, 0, tzinfo=UTC)) == (
        ":white_check_mark: Acknowledged by <@ULEAD> (Mon 1 Jun 2026, 09:05 BST)"
    )


def test_the_dm_and_channel_fallback_texts() -> None:
    post_update = escalation(reason="post-update")
    assert lead_dm_text(post_update, "#101 Export fails") == (
        "#101 Export fails was escalated to you: Problem after an update has taken over 2 hours"
    )
    assert channel_text(post_update, "#101 Export fails") == (
        "#101 Export fails was escalated to the delivery lead: "
        "Problem after an update has taken over 2 hours"
    )


def test_a_reason_no_longer_offered_is_shown_as_stored() -> None:
    retired = escalation(reason="legacy-reason")
    assert lead_dm_text(retired, "#101") == "#101 was escalated to you: legacy-reason"


def test_the_channel_line() -> None:
    blocks = channel_blocks(escalation(note="They <shouted> & left"), LINK)
    assert blocks_as_text(blocks) == (
        f":rotating_light: <@U1> escalated {LINK} to <@ULEAD>.\n"
        "*Reason:* Client is unhappy\n*Note:* They &lt;shouted&gt; &amp; left\n*Raised by:* <@U1>"
    )
    assert buttons(blocks) == []


def test_the_zendesk_note_keeps_the_note_as_typed_and_skips_an_empty_one() -> None:
    assert zendesk_note(escalation(note="a <b> & c"), raised_by="Ann", lead="Lee") == (
        "Escalated to the delivery lead (Lee) by Ann through Rotabot.\n"
        "Reason: Client is unhappy\nNote: a <b> & c"
    )
    assert zendesk_note(escalation(note=""), raised_by="Ann", lead="Lee") == (
        "Escalated to the delivery lead (Lee) by Ann through Rotabot.\nReason: Client is unhappy"
    )


def test_raised_text_when_all_went_well() -> None:
    assert raised_text(escalation(), "#101", lead_told=True, note_problem=None) == (
        "I escalated #101 to <@ULEAD> and told the rota channel. Zendesk has an internal note. "
        "You'll hear when <@ULEAD> acknowledges it."
    )


def test_raised_text_when_the_dm_and_the_note_failed() -> None:
    assert raised_text(
        escalation(), "#101", lead_told=False, note_problem="Zendesk is unavailable"
    ) == (
        "I recorded the escalation of #101 and told the rota channel, but :warning: I couldn't "
        "send <@ULEAD> a DM: please tell them yourself. :warning: I couldn't add the internal "
        "note to Zendesk (Zendesk is unavailable); I'll retry it at the next check. "
        "You'll hear when <@ULEAD> acknowledges it."
    )


def test_the_raiser_hears_how_the_lead_answered() -> None:
    assert acknowledged_text(escalation(state=ACKNOWLEDGED), "#101") == (
        "<@ULEAD> acknowledged the escalation of #101."
    )
    assert acknowledged_text(escalation(state=CONTACTING), "#101") == (
        "<@ULEAD> will contact the client about #101."
    )


def test_someone_else_pressing_the_leads_buttons() -> None:
    assert not_yours_text("ULEAD") == (
        "Sorry, this escalation was sent to <@ULEAD>; only they can answer it here."
    )


def test_the_section_lists_states_and_counts_the_rest() -> None:
    rows = [
        (escalation(id=1, state=ACKNOWLEDGED), "#101"),
        (escalation(id=2, state=CONTACTING, reason="other"), "#102"),
        *[(escalation(id=n), f"#{100 + n}") for n in range(3, 8)],
    ]
    assert blocks_as_text(escalations_section(rows, CALENDAR, now=MONDAY)) == (
        "*Escalations* (7)\n"
        "• #101: Client is unhappy, Fri 4 Dec, to <@ULEAD> (acknowledged)\n"
        "• #102: Other, Fri 4 Dec, to <@ULEAD> (contacting the client)\n"
        "• #103: Client is unhappy, Fri 4 Dec, to <@ULEAD> (waiting for the lead)\n"
        "• #104: Client is unhappy, Fri 4 Dec, to <@ULEAD> (waiting for the lead)\n"
        "• #105: Client is unhappy, Fri 4 Dec, to <@ULEAD> (waiting for the lead)\n"
        "and 2 more"
    )


def test_an_empty_section_says_none() -> None:
    assert blocks_as_text(escalations_section([], CALENDAR, now=MONDAY)) == "*Escalations*\nNone."


def test_the_day_raised_is_the_teams_local_day() -> None:
    # 23:30 UTC on Friday 4 December is already Saturday in Auckland.
    auckland = WorkCalendar(timezone="Pacific/Auckland", holidays="NZ")
    late = escalation(raised_at=datetime(2026, 12, 4, 23, 30, tzinfo=UTC))
    assert blocks_as_text(escalations_section([(late, "#101")], auckland, now=MONDAY)) == (
        "*Escalations* (1)\n"
        "• #101: Client is unhappy, Sat 5 Dec, to <@ULEAD> (waiting for the lead)"
    )

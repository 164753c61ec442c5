"""`/rota` end to end: signed slash commands in, replies and messages out of the fake Slack."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services import Services
from bot.store import rota as store
from bot.store.audit import audit_events
from bot.store.slack_names import known_names
from tests.doors import MutableClock, SlackDoor, TrackingExecutor, record_app_sql
from tests.fakes.slack_api import FakeSlack
from tests.handlers.rota_helpers import at_london, dms_to, rota

# The clock fixture starts on Wed 2 Dec 2026, 10:00 GMT: the week of Mon 30 Nov.


def test_show_in_a_channel_without_a_rota_explains_how_to_start(
    slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    reply = rota(slack, fake_slack, "")
    assert "no support rota yet" in reply
    assert "/rota add @alice @bob @carol" in reply


def test_first_add_creates_the_rota_starting_this_week(
    slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    reply = rota(slack, fake_slack, "add <@U1> <@U2|bob> <@U3>", user="U9")
    assert "Started the support rota for this channel with <@U1>, <@U2>, <@U3>." in reply
    assert ":arrow_forward: *Mon 30 Nov – Fri 4 Dec*  <@U1>  ← this week" in reply
    assert "Mon 7 Dec – Fri 11 Dec  <@U2>" in reply
    assert "Mon 14 Dec – Fri 18 Dec  <@U3>" in reply
    assert "Mon 21 Dec – Fri 25 Dec  <@U1> _(holiday: Fri 25 Dec Christmas Day)_" in reply
    assert "Mon 4 Jan 2027 – Fri 8 Jan 2027  <@U3>" in reply


def test_show_n_lists_that_many_weeks(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2>")
    reply = rota(slack, fake_slack, "show 3")
    assert reply.count("  <@U") == 3
    assert "Mon 14 Dec – Fri 18 Dec  <@U1>" in reply


def test_a_new_member_does_not_shift_published_weeks(
    slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2>")  # shows, so publishes, six weeks
    reply = rota(slack, fake_slack, "add <@U3>")
    assert "Added <@U3> at the end of the order" in reply
    shown = rota(slack, fake_slack, "show 8")
    assert "Mon 28 Dec – Fri 1 Jan 2027  <@U1>" in shown
    assert "Mon 4 Jan 2027 – Fri 8 Jan 2027  <@U2>" in shown
    # After the published weeks, the round-robin continues with the newcomer.
    assert "Mon 11 Jan 2027 – Fri 15 Jan 2027  <@U3>" in shown
    assert "Mon 18 Jan 2027 – Fri 22 Jan 2027  <@U1>" in shown


def test_a_bot_is_not_a_teammate(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("UBOT2", name="deploybot", is_bot=True)
    reply = rota(slack, fake_slack, "add <@U1> <@UBOT2>")
    assert "<@UBOT2> is a bot, not a teammate." in reply
    assert "*Usage:*" in reply
    assert "no support rota yet" in rota(slack, fake_slack, "show")


def test_outsiders_may_not_change_the_rota(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2>")
    reply = rota(slack, fake_slack, "add <@U7>", user="U7")
    assert "Only the members of this rota and its delivery leads can change it." in reply
    rota(slack, fake_slack, "lead <@U8>")
    assert "Added <@U7>" in rota(slack, fake_slack, "add <@U7>", user="U8")


def test_who_posts_in_the_channel(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2>")
    assert rota(slack, fake_slack, "who") == "Posted in the channel."
    (post,) = fake_slack.messages_to("C1")
    assert post.args["text"] == (
        ":technologist: On support now: <@U1>, until Fri 4 Dec.\n"
        "Next: <@U2>, Mon 7 Dec – Fri 11 Dec."
    )


def test_who_when_the_bot_is_not_in_the_channel(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    rota(slack, fake_slack, "add <@U1>")
    fake_slack.fail("chat.postMessage", status=200, error="not_in_channel")
    assert rota(slack, fake_slack, "who") == (
        "Invite @Rotabot to this channel first: /invite @Rotabot"
    )


@pytest.mark.parametrize(
    ("when", "current", "until"),
    [
        ((2026, 12, 4, 17, 0), "<@U1>", "Fri 4 Dec"),
        ((2026, 12, 7, 8, 59), "<@U2>", "Fri 11 Dec"),
    ],
)
def test_who_at_friday_evening_and_monday_morning(
    slack: SlackDoor,
    fake_slack: FakeSlack,
    clock: MutableClock,
    when: tuple[int, ...],
    current: str,
    until: str,
) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2>")
    at_london(clock, *when)
    rota(slack, fake_slack, "who")
    assert (
        fake_slack.messages_to("C1")[-1]
        .args["text"]
        .startswith(f":technologist: On support now: {current}, until {until}.")
    )


def test_bank_holiday_monday_week_still_belongs_to_its_person(
    slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    at_london(clock, 2027, 5, 20, 12, 0)
    rota(slack, fake_slack, "add <@U1> <@U2>")
    reply = rota(slack, fake_slack, "show 3")
    assert "Mon 31 May – Fri 4 Jun  <@U1> _(holiday: Mon 31 May Spring Bank Holiday)_" in reply
    at_london(clock, 2027, 5, 31, 10, 0)
    rota(slack, fake_slack, "who")
    assert "<@U1>, until Fri 4 Jun." in fake_slack.messages_to("C1")[-1].args["text"]


def test_weeks_around_the_clock_changes(
    slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    at_london(clock, 2027, 3, 26, 23, 30)
    rota(slack, fake_slack, "add <@U1> <@U2>")
    at_london(clock, 2027, 3, 29, 0, 30)  # the first hour of BST's first Monday
    rota(slack, fake_slack, "who")
    assert "now: <@U2>, until Fri 2 Apr" in fake_slack.messages_to("C1")[-1].args["text"]
    at_london(clock, 2027, 11, 1, 0, 30)  # just after the autumn change, back to GMT
    reply = rota(slack, fake_slack, "show 1")
    assert ":arrow_forward: *Mon 1 Nov – Fri 5 Nov*" in reply


def test_remove_replans_only_their_future_weeks_and_tells_people(
    slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2> <@U3>")
    reply = rota(slack, fake_slack, "remove <@U2>")
    assert "Removed <@U2>. Their weeks now go to:\n• Mon 7 Dec – Fri 11 Dec: <@U3>" in reply
    (dm,) = dms_to(fake_slack, "U3")
    assert dm.args["text"] == (
        "You're now on support in <#C1> in the week Mon 7 Dec – Fri 11 Dec, "
        "because <@U2> left the rota."
    )
    assert "took you off the support rota" in dms_to(fake_slack, "U2")[0].args["text"]
    shown = rota(slack, fake_slack, "show 6")
    assert "<@U2>" not in shown
    assert "Mon 14 Dec – Fri 18 Dec  <@U3>" in shown
    assert "Mon 21 Dec – Fri 25 Dec  <@U1>" in shown


def test_remove_someone_not_on_the_rota_is_explained(
    slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2>")
    reply = rota(slack, fake_slack, "remove <@U5>")
    assert "<@U5> is not on this rota (its members: <@U1>, <@U2>)." in reply


def test_removing_the_last_member(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    rota(slack, fake_slack, "add <@U1>")
    reply = rota(slack, fake_slack, "remove <@U1>")
    assert "Removed <@U1>. Nobody is left on this rota" in reply
    shown = rota(slack, fake_slack, "show")
    # The current week has started and stays; nothing is planned after it.
    assert ":arrow_forward: *Mon 30 Nov – Fri 4 Dec*  <@U1>" in shown
    assert "Mon 7 Dec" not in shown


def test_lead_default_and_per_client(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    rota(slack, fake_slack, "add <@U1>")
    assert rota(slack, fake_slack, "lead <@U8>") == "<@U8> is now this rota's delivery lead."
    assert rota(slack, fake_slack, "lead <@U9> Acme  Ltd", user="U8") == (
        "<@U9> is now the delivery lead for Acme Ltd in this rota."
    )


def test_ical_link_without_public_url(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    rota(slack, fake_slack, "add <@U1>")
    reply = rota(slack, fake_slack, "ical")
    assert "Your private calendar feed" in reply
    assert "`/rota/" in reply and ".ics`" in reply
    assert "ROTABOT_PUBLIC_URL" in reply


def test_ical_link_is_only_for_the_rotas_members_and_leads(
    slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("UGUEST", name="gus", kind="guest")
    rota(slack, fake_slack, "add <@U1>")
    rota(slack, fake_slack, "lead <@U8>")
    refusal = (
        "Sorry, the calendar feed link is only for this rota's members and its delivery leads. "
        "Ask one of them to add you with `/rota add`, or to share the rota with you."
    )
    for outsider in ("U2", "UGUEST"):
        for text in ("ical", "ical reset"):
            assert rota(slack, fake_slack, text, user=outsider) == refusal
    assert "/rota/" in rota(slack, fake_slack, "ical", user="U1")
    assert "/rota/" in rota(slack, fake_slack, "ical", user="U8")


def test_help_and_nonsense(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    helped = rota(slack, fake_slack, "help")
    assert helped.startswith("*Usage:*")
    assert "*Out of scope — chargeable work*: the ticket is reassigned in Zendesk" in helped
    assert "*Ask for help…*: book a teammate for a working-time slot" in helped
    assert "*I'm on it* (card and digests): a time-box" in helped
    reply = rota(slack, fake_slack, "dance")
    assert reply.startswith("I don't know `dance`.")
    assert "*Usage:*" in reply


def test_stats_counts_served_weeks_and_covers(
    slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2> <@U3>")
    rota(slack, fake_slack, "away 7 Dec", user="U2")
    at_london(clock, 2026, 12, 16, 12, 0)
    assert rota(slack, fake_slack, "stats") == (
        "*Last 6 months* (weeks served · cover days given · cover days taken)\n"
        "<@U1>: 1 · 0 · 0\n<@U2>: 1 · 0 · 5\n<@U3>: 1 · 5 · 0"
    )


def test_every_change_is_audited(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services
) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2>", user="U1")
    rota(slack, fake_slack, "lead <@U9> Acme", user="U2")
    rota(slack, fake_slack, "away 8 Dec", user="U2")
    rota(slack, fake_slack, "remove <@U2>", user="U1")
    with services.session() as session:
        events = audit_events(session=session, scope="C1")
    assert [(e.actor, e.action) for e in reversed(events)] == [
        ("U1", "rota.create"),
        ("U1", "rota.add"),
        ("U2", "rota.lead"),
        ("U2", "rota.away"),
        ("U1", "rota.remove"),
    ]
    assert events[0].detail == {"user": "U2", "replanned": 3}


SLACK_TEXT_LIMIT = 4000
SECTION_LIMIT = 3000


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.lists(
            st.sampled_from(
                [
                    "show",
                    "who",
                    "add",
                    "remove",
                    "swap",
                    "away",
                    "lead",
                    "stats",
                    "ical",
                    "help",
                    "reset",
                    "<@U1>",
                    "<@U2|b>",
                    "<@",
                    ">",
                    "21",
                    "Dec",
                    "tomorrow",
                    "next",
                    "monday",
                    "2026-02-30",
                    "99",
                    "to",
                    "@x",
                    "<#C1>",
                ]
            ),
            max_size=6,
        ).map(" ".join),
        st.tuples(
            st.sampled_from(["away", "swap <@U2>", "lead <@U2>", "show", "add"]),
            st.text(min_size=500, max_size=3000),
        ).map(" ".join),
    )
)
def test_any_text_gets_a_short_non_empty_ephemeral_reply(
    slack: SlackDoor, fake_slack: FakeSlack, text: str
) -> None:
    before = len(fake_slack.responses)
    response = slack.command("/rota", text, user="U1", channel="C1")
    assert response.status_code == 200
    (reply,) = fake_slack.responses[before:]
    body = reply.body
    assert body["response_type"] == "ephemeral"
    assert body["text"].strip() and len(body["text"]) <= SLACK_TEXT_LIMIT
    for block in body.get("blocks") or []:
        if block["type"] == "section":
            assert 0 < len(block["text"]["text"]) <= SECTION_LIMIT
    assert len(body.get("blocks") or []) <= 50


def test_rota_in_a_direct_message_points_to_a_channel(
    slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    slack.command("/rota", "add <@U1>", user="U1", channel="DU1")
    assert fake_slack.responses[-1].body["text"] == (
        "A rota belongs to a channel: use `/rota` in your team's channel, not in a direct message."
    )


def test_the_shown_rota_is_remembered_until_it_changes(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services, clock: MutableClock
) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2>")
    first = rota(slack, fake_slack, "show")
    statements: list[str] = []
    record_app_sql(services.engine, statements)
    assert rota(slack, fake_slack, "show") == first
    # From memory: on SQLite the count of changes to its tables is read from the board
    # beside the database file (bot/store/count_board.py), checked against the database's
    # own count at most once a second; nothing else is read.
    assert [s for s in statements if "change_count" not in s] == []
    # Any change to the rota's tables, however written, is seen by the next answer.
    today = clock().date()
    with services.session() as session:
        store.add_absence(
            session=session,
            user_id="U1",
            first_day=today,
            last_day=today + timedelta(days=2),
            created_by="U1",
            now=clock(),
        )
    covered = rota(slack, fake_slack, "show")
    assert covered != first and "away" in covered
    assert statements  # read again after the change
    # A bulk statement counts too (removing a member deletes rows without loading them).
    assert rota(slack, fake_slack, "show") == covered
    statements.clear()
    with services.session() as session:
        found = store.rota_for_channel(session=session, channel_id="C1")
        assert found is not None and found.id is not None
        store.remove_member(session=session, rota_id=found.id, user_id="U2")
    statements.clear()
    rota(slack, fake_slack, "show")
    assert statements
    # So is a new day: next week's Monday makes it "this week".
    statements.clear()
    clock.advance(days=5)
    assert rota(slack, fake_slack, "show") != first
    assert statements


def test_names_are_stored_once_and_again_when_slack_gives_a_new_one(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services, clock: MutableClock
) -> None:
    fake_slack.add_user("U2", name="bob", real_name="Bob Smith")
    rota(slack, fake_slack, "add <@U1> <@U2>")
    with services.session() as session:
        assert known_names(session=session, user_ids=["U2"]) == {"U2": "Bob Smith"}
    statements: list[str] = []
    record_app_sql(services.engine, statements)
    rota(slack, fake_slack, "swap <@U2>")
    # Stored by this process a moment ago, as Slack still describes them: not read back.
    assert not [s for s in statements if "slack_user_name" in s]
    # Five minutes on Slack is asked again, and a new name is stored.
    fake_slack.add_user("U2", name="bob", real_name="Robert Smith")
    clock.advance(minutes=6)
    rota(slack, fake_slack, "lead <@U2>")
    with services.session() as session:
        assert known_names(session=session, user_ids=["U2"]) == {"U2": "Robert Smith"}


def test_an_answer_from_memory_starts_no_work_and_a_change_after_the_ack_is_finished_once(
    slack: SlackDoor, fake_slack: FakeSlack, executor: TrackingExecutor
) -> None:
    """/rota has one listener that chooses how to answer: from memory nothing follows the
    ack (no work submitted at all); a change acked at once is finished after it, once."""
    rota(slack, fake_slack, "add <@U1> <@U2>")
    first = rota(slack, fake_slack, "show")
    submitted: list[object] = []
    submit = executor.submit

    def counted(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        submitted.append(fn)
        return submit(fn, *args, **kwargs)

    executor.submit = counted  # type: ignore[method-assign]
    assert rota(slack, fake_slack, "show") == first
    assert submitted == []
    fake_slack.add_user("U9", name="zed", real_name="Zed")
    # A person Slack has not described yet: acked at once, asked about and added after, and
    # answered once (rota() checks there is one reply).
    assert "<@U9>" in rota(slack, fake_slack, "add <@U9>")
    finishes = [fn for fn in submitted if getattr(fn, "__name__", "") == "finish_rota_command"]
    assert len(finishes) == 1  # the finish went to the work pool, once

"""A team, a rota and Zendesk tickets for the nudge tests, mirrored by the real sync job."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import col, select

from bot.jobs import sync
from bot.jobs.runner import run_job
from bot.services import Services
from bot.store.nudge_ledger import Nudge
from bot.store.priority_reviews import record_priority_review
from bot.store.rota import (
    RotaWeek,
    add_absence,
    add_member,
    create_rota,
    set_client_lead,
    set_default_lead,
)
from tests.fakes.slack_api import FakeSlack, SlackCall
from tests.fakes.zendesk_api import FakeZendesk

CLIENT, ALICE, BOB = 1, 7, 8
# Slack people: Alice (matched by email), Sam on support this week, Lee the delivery lead.
U_ALICE, U_SAM, U_LEE, U_KIM = "UALICE", "USAM", "ULEE", "UKIM"
CHANNEL = "C1"
WEEK = date(2026, 11, 30)


def team(services: Services, fake_slack: FakeSlack, fake_zendesk: FakeZendesk) -> None:
    """Zendesk people and the Acme organization; Slack people; the rota in C1."""
    fake_zendesk.add_organization(50, name="Acme Ltd")
    fake_zendesk.add_organization(60, name="Globex")
    fake_zendesk.add_user(
        CLIENT, name="Carol Client", email="carol@acme.test", role="end-user", organization_id=50
    )
    fake_zendesk.add_user(ALICE, name="Alice Agent", email="alice@team.test", role="agent")
    fake_zendesk.add_user(BOB, name="Bob Nobody", email="bob@elsewhere.test", role="agent")
    fake_slack.add_user(U_ALICE, name="alice", email="alice@team.test", real_name="Alice Agent")
    fake_slack.add_user(U_SAM, name="sam", email="sam@team.test", real_name="Sam Support")
    fake_slack.add_user(U_LEE, name="lee", email="lee@team.test", real_name="Lee Lead")
    fake_slack.add_user(U_KIM, name="kim", email="kim@team.test", real_name="Kim Globex")
    now = services.now()
    with services.session() as session:
        rota = create_rota(session=session, channel_id=CHANNEL, created_by=U_SAM, now=now)
        assert rota.id is not None
        for user in (U_SAM, U_ALICE):
            add_member(session=session, rota_id=rota.id, user_id=user)
        for position, (week, user) in enumerate(
            [(WEEK, U_SAM), (date(2026, 12, 7), U_ALICE)], start=1
        ):
            session.add(
                RotaWeek(
                    rota_id=rota.id,
                    week_start=week,
                    planned_user=user,
                    planned_position=position,
                    user_id=user,
                )
            )
        set_default_lead(session=session, rota=rota, user_id=U_LEE)
        set_client_lead(session=session, rota_id=rota.id, client="Globex", user_id=U_KIM)


def mirror(services: Services) -> None:
    report = run_job(services, sync.JOB, now=services.now())
    assert not report.problems, report.problems


def reviewed(services: Services, ticket_id: int, when: datetime) -> None:
    with services.session() as session:
        record_priority_review(
            session=session, ticket_id=ticket_id, reviewed_by=U_SAM, reviewed_at=when, source="card"
        )


def away(services: Services, user: str, first: date, last: date) -> None:
    with services.session() as session:
        add_absence(
            session=session,
            user_id=user,
            first_day=first,
            last_day=last,
            created_by=user,
            now=datetime(2026, 11, 1, tzinfo=UTC),
        )


def digest_lines(call: SlackCall, kind: str = "line") -> list[str]:
    """The ticket line of each digest entry, e.g. '#101 Server down': priority-review lines
    (`kind` "line") or client-waiting ones ("waiting")."""
    lines = []
    for block in call.args.get("blocks", []):
        if str(block.get("block_id", "")).startswith(f"digest.{kind}."):
            title = block["text"]["text"].split("\n")[0]
            lines.append(title.split("|", 1)[-1].rstrip(">*").lstrip("*<"))
    return lines


def as_clicked(services: Services, call: SlackCall) -> tuple[str, dict[str, Any]]:
    """The DM channel and the posted message as Slack sends it back with a click."""
    recipient = call.args["channel"]
    with services.session() as session:
        sent = session.exec(
            select(Nudge).where(Nudge.recipient == recipient, col(Nudge.sent_at).is_not(None))
        ).all()
    (nudge,) = sent  # one digest per recipient in these tests
    assert nudge.channel is not None and nudge.ts is not None
    return nudge.channel, {"ts": nudge.ts, "text": call.args["text"], "blocks": call.args["blocks"]}

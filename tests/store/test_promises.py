"""The promise table and its queries, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.store.db import session_scope
from bot.store.promises import (
    CANCELLED,
    FROM_COMMAND,
    FROM_REPLY,
    KEPT,
    OPEN,
    Promise,
    add_promise,
    close_promise,
    comments_with_promises,
    count_open_promises,
    open_promises,
    open_promises_of,
    open_promises_on_tickets,
    open_promises_page,
    open_promises_with_tickets,
    origin_of,
    promise_by_id,
    promise_owners,
)
from tests.store.test_tickets import BIG, NOW, ticket


def promise(
    session: Session,
    ticket_id: int,
    due: datetime,
    *,
    owner: str = "UA",
    comment_id: int | None = None,
    replaces: Promise | None = None,
) -> Promise:
    return add_promise(
        session=session,
        ticket_id=ticket_id,
        owner=owner,
        due_at=due,
        made_at=NOW,
        note="",
        source=FROM_COMMAND if comment_id is None else FROM_REPLY,
        created_by=owner,
        created_at=NOW,
        comment_id=comment_id,
        replaces=replaces,
    )


def ids(promises: list[Promise]) -> list[int | None]:
    return [p.id for p in promises]


def test_a_chain_of_successors_keeps_its_first_promise_as_origin(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = promise(session, BIG, NOW)
        second = promise(session, BIG, NOW, replaces=first)
        third = promise(session, BIG, NOW, owner="UB", replaces=second)
        assert first.id is not None
        assert (first.replaces, first.origin, origin_of(first)) == (None, None, first.id)
        assert (second.replaces, origin_of(second)) == (first.id, first.id)
        assert (third.replaces, third.origin, origin_of(third)) == (second.id, first.id, first.id)
    with Session(engine) as session:
        found = promise_by_id(session=session, promise_id=third.id or 0)
        assert found is not None
        assert (found.ticket_id, found.owner, found.due_at, found.state) == (BIG, "UB", NOW, OPEN)
        assert promise_by_id(session=session, promise_id=12345) is None


def test_a_comment_gives_at_most_one_promise(engine: Engine) -> None:
    with session_scope(engine) as session:
        promise(session, 1, NOW, comment_id=BIG)
        promise(session, 1, NOW, comment_id=BIG + 1)
    with Session(engine) as session:
        asked = [BIG, BIG + 1, BIG + 2]
        assert comments_with_promises(session=session, comment_ids=asked) == {BIG, BIG + 1}
        assert comments_with_promises(session=session, comment_ids=[]) == set()
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        promise(session, 2, NOW, comment_id=BIG)


def test_open_promises_are_soonest_first_and_closed_ones_are_left_out(engine: Engine) -> None:
    with session_scope(engine) as session:
        late = promise(session, 1, NOW + timedelta(days=2))
        tie_a = promise(session, 2, NOW + timedelta(hours=1))
        tie_b = promise(session, 3, NOW + timedelta(hours=1), owner="UB")
        kept = promise(session, 4, NOW)
        close_promise(session=session, promise=kept, state=KEPT, by="zendesk", at=NOW)
    with Session(engine) as session:
        assert ids(open_promises(session=session)) == [tie_a.id, tie_b.id, late.id]
        assert ids(open_promises(session=session, limit=1)) == [tie_a.id]
        cutoff = NOW + timedelta(hours=1)
        assert ids(open_promises(session=session, due_before=cutoff)) == [tie_a.id, tie_b.id]
        assert count_open_promises(session=session) == 3
        assert ids(open_promises_of(session=session, owner="UA")) == [tie_a.id, late.id]
        assert open_promises_of(session=session, owner="UZ") == []
        on_tickets = open_promises_on_tickets(session=session, ticket_ids=[1, 3, 4])
        assert ids(on_tickets) == [tie_b.id, late.id]
        stored = promise_by_id(session=session, promise_id=kept.id or 0)
        assert stored is not None
        assert (stored.state, stored.state_by, stored.state_at) == (KEPT, "zendesk", NOW)


def test_owners_include_those_whose_promises_are_all_closed(engine: Engine) -> None:
    with session_scope(engine) as session:
        for owner in ("UB", "UA", "UB", "UC"):
            promise(session, 1, NOW, owner=owner)
        done = promise(session, 1, NOW, owner="UD")
        close_promise(session=session, promise=done, state=CANCELLED, by="UD", at=NOW)
    with Session(engine) as session:
        assert sorted(promise_owners(session=session)) == ["UA", "UB", "UC", "UD"]


def test_promise_owners_of_an_empty_table(engine: Engine) -> None:
    with Session(engine) as session:
        assert promise_owners(session=session) == []
        assert count_open_promises(session=session) == 0


def test_pages_walk_a_persons_due_promises_past_ties_without_repeats(engine: Engine) -> None:
    due = [NOW, NOW + timedelta(hours=1), NOW + timedelta(hours=1), NOW + timedelta(hours=1)]
    with session_scope(engine) as session:
        mine = [promise(session, n, at) for n, at in enumerate(due)]
        promise(session, 9, NOW, owner="UB")
        promise(session, 9, NOW + timedelta(days=1))  # due after the cutoff
        closed = promise(session, 9, NOW)
        close_promise(session=session, promise=closed, state=KEPT, by="UA", at=NOW)
    cutoff = NOW + timedelta(hours=1)
    pages: list[list[int | None]] = []
    after: tuple[datetime, int] | None = None
    with Session(engine) as session:
        while page := open_promises_page(
            session=session, owner="UA", due_before=cutoff, after=after, limit=2
        ):
            pages.append(ids(page))
            last = page[-1]
            assert last.id is not None
            after = (last.due_at, last.id)
    assert pages == [ids(mine[:2]), ids(mine[2:])]


def test_open_promises_come_with_their_mirrored_tickets(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(ticket(BIG, "open", NOW))
        session.add(ticket(BIG + 1, "solved", NOW))
        on_open = promise(session, BIG, NOW)
        on_solved = promise(session, BIG + 1, NOW)
        promise(session, BIG + 2, NOW)  # not mirrored
        closed = promise(session, BIG, NOW)
        close_promise(session=session, promise=closed, state=KEPT, by="UA", at=NOW)
    with Session(engine) as session:
        pairs = open_promises_with_tickets(session=session)
        found = sorted((p.id or 0, t.id, t.status) for p, t in pairs)
    assert found == [(on_open.id, BIG, "open"), (on_solved.id, BIG + 1, "solved")]

"""People, their platform identities, and stored intake dialogs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from bot.clock import FrozenClock
from bot.domain import Conversation, Identity, Person, Status, Ticket
from storage.db import make_engine
from storage.repositories import IdentityTaken
from storage.repositories.base import Transaction
from storage.tables import IdentityRow
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ALICE = Identity("slack", "U024BE7LH")


async def test_add_get_and_find_by_identity(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        person = await uow.people.add(Person("Alice", "Europe/Berlin"), ALICE)
        await uow.commit()
    assert person.id is not None

    async with uow_factory() as uow:
        assert await uow.people.get(person.id) == person
        assert await uow.people.by_identity(ALICE) == person
        assert await uow.people.by_identity(Identity("telegram", ALICE.external_id)) is None
        assert await uow.people.get(person.id + 1) is None
        assert await uow.people.identities(person.id) == [ALICE]


async def test_identities_lists_every_account(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        person = await uow.people.add(Person("Alice"), ALICE)
        assert person.id is not None
        # No port links a second account yet; write the row directly.
        session = _session(uow)
        await session.execute(
            insert(IdentityRow).values(platform="console", external_id="alice", person_id=person.id)
        )
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.people.identities(person.id) == [Identity("console", "alice"), ALICE]
        assert await uow.people.by_identity(Identity("console", "alice")) == person


async def test_an_identity_belongs_to_one_person(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        first = await uow.people.add(Person("Alice"), ALICE)
        with pytest.raises(IdentityTaken):
            await uow.people.add(Person("Mallory"), ALICE)
        # The failed add is undone and the transaction is still usable.
        other = await uow.people.add(Person("Bob"), Identity("slack", "U0BOB"))
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.people.by_identity(ALICE) == first
        assert other.id is not None and await uow.people.get(other.id) == other
        assert [p.display_name for p in await _everyone(uow, 10)] == ["Alice", "Bob"]

    async with uow_factory() as uow:
        with pytest.raises(IdentityTaken):
            await uow.people.add(Person("Mallory"), ALICE)


async def test_save_updates_name_and_zone(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        person = await uow.people.add(Person("alice"), ALICE)
        person.display_name = "Alice Liddell"
        person.timezone = "America/New_York"
        await uow.people.save(person)
        await uow.commit()
    assert person.id is not None
    async with uow_factory() as uow:
        assert await uow.people.get(person.id) == person
        with pytest.raises(ValueError):
            await uow.people.save(Person("nobody"))
        with pytest.raises(LookupError):
            await uow.people.save(Person("ghost", id=person.id + 100))


# -- conversations -----------------------------------------------------------------------


def _dialog(person_id: int, user: str = "alice", **changes: object) -> Conversation:
    conversation = Conversation(
        platform="telegram",
        chat_id=f"chat-{user}",
        user_id=user,
        person_id=person_id,
        state="describe",
        data={"summary": "VPN", "suggested": ["vpn-reset", "wifi"], "nested": {"n": 1.5}},
        updated_at=T0,
    )
    for name, value in changes.items():
        setattr(conversation, name, value)
    return conversation


async def test_conversation_save_get_replace_delete(
    uow_factory: SqlUnitOfWorkFactory, people: dict[str, int]
) -> None:
    dialog = _dialog(people["alice"])
    async with uow_factory() as uow:
        assert await uow.conversations.get("telegram", "chat-alice", "alice") is None
        await uow.conversations.save(dialog)
        await uow.commit()

    async with uow_factory() as uow:
        stored = await uow.conversations.get("telegram", "chat-alice", "alice")
        assert stored == dialog
        assert stored is not None and stored.updated_at is not None
        assert stored.updated_at.tzinfo is UTC
        assert await uow.conversations.get("telegram", "chat-alice", "bob") is None
        assert await uow.conversations.get("slack", "chat-alice", "alice") is None

        stored.state = "impact"
        stored.data = {"summary": "VPN", "impact": "one"}
        stored.updated_at = T0 + timedelta(minutes=1)
        await uow.conversations.save(stored)
        # The same session reads its own write.
        assert await uow.conversations.get("telegram", "chat-alice", "alice") == stored
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.conversations.get("telegram", "chat-alice", "alice") == stored
        await uow.conversations.delete(stored)
        assert await uow.conversations.get("telegram", "chat-alice", "alice") is None
        await uow.conversations.delete(stored)  # deleting twice is harmless
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.conversations.get("telegram", "chat-alice", "alice") is None


async def test_save_stamps_a_missing_updated_at_from_the_clock(
    database_url: str, people: dict[str, int]
) -> None:
    engine = make_engine(database_url)
    factory = SqlUnitOfWorkFactory(engine, FrozenClock(T0))
    try:
        dialog = _dialog(people["alice"], updated_at=None)
        async with factory() as uow:
            await uow.conversations.save(dialog)
            await uow.commit()
        assert dialog.updated_at == T0
        async with factory() as uow:
            stored = await uow.conversations.get("telegram", "chat-alice", "alice")
            assert stored is not None and stored.updated_at == T0
    finally:
        await engine.dispose()


async def test_idle_since_returns_stale_dialogs_oldest_first(
    uow_factory: SqlUnitOfWorkFactory, people: dict[str, int]
) -> None:
    async with uow_factory() as uow:
        for user, age in (("bob", 30), ("alice", 90), ("carol", 5), ("dave", 60)):
            await uow.conversations.save(
                _dialog(people["alice"], user, updated_at=T0 - timedelta(minutes=age))
            )
        await uow.commit()

    async with uow_factory() as uow:
        stale = await uow.conversations.idle_since(T0 - timedelta(minutes=30))
        assert [c.user_id for c in stale] == ["alice", "dave"]  # strictly before the cutoff
        assert [c.user_id for c in await uow.conversations.idle_since(T0)] == [
            "alice",
            "dave",
            "bob",
            "carol",
        ]
        assert await uow.conversations.idle_since(T0 - timedelta(days=1)) == []


# -- helpers -----------------------------------------------------------------------------


def _session(uow: SqlUnitOfWork) -> Transaction:
    db = uow._db  # the tests may reach below the port
    assert db is not None
    return db


async def _everyone(uow: SqlUnitOfWork, upto: int) -> list[Person]:
    found = [await uow.people.get(i) for i in range(1, upto)]
    return [p for p in found if p is not None]


async def test_names_of_several_people_in_one_call(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        alice = await uow.people.add(Person("Alice"), Identity("console", "alice"))
        bob = await uow.people.add(Person("Bob"), Identity("slack", "UBOB"))
        await uow.commit()
    assert alice.id is not None and bob.id is not None
    async with uow_factory() as uow:
        names = await uow.people.names([alice.id, None, bob.id, alice.id, 999_999])
        assert names == {alice.id: "Alice", bob.id: "Bob", 999_999: "?"}
        assert await uow.people.names([None]) == {}


async def test_arrival_read_tells_whether_the_requester_has_an_open_ticket(
    uow_factory: SqlUnitOfWorkFactory,
    people: dict[str, int],
    make_ticket: Callable[..., Ticket],
) -> None:
    """The first read of every message says whether to look at the writer's tickets: a
    known requester with none open costs no extra statement, one with an open ticket is
    offered it."""
    alice = Identity("console", "alice")
    async with uow_factory() as uow:
        arrival = await uow.conversations.with_person(alice, "alice")
    assert arrival.person is not None and arrival.person.id == people["alice"]
    assert arrival.conversation is None and not arrival.has_open_tickets

    async with uow_factory() as uow:
        ticket = await uow.tickets.add(make_ticket())
        await uow.commit()
    async with uow_factory() as uow:
        assert (await uow.conversations.with_person(alice, "alice")).has_open_tickets
        bob = await uow.conversations.with_person(Identity("console", "bob"), "bob")
        assert not bob.has_open_tickets  # someone else's ticket is not theirs

    async with uow_factory() as uow:
        assert ticket.number is not None
        stored = await uow.tickets.get(ticket.number)
        assert stored is not None
        stored.status = Status.RESOLVED
        await uow.tickets.save(stored)
        await uow.commit()
    async with uow_factory() as uow:
        assert not (await uow.conversations.with_person(alice, "alice")).has_open_tickets
        stranger = await uow.conversations.with_person(Identity("slack", "UNKNOWN"), "D1")
    assert stranger.person is None and not stranger.has_open_tickets

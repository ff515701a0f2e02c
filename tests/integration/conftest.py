"""Builders for the storage tests: people to hang tickets on, and complete tickets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.domain import ChatAddress, Identity, Person, Ticket
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import T0, new_ticket

__all__ = ["T0"]


@pytest.fixture
async def people(uow_factory: SqlUnitOfWorkFactory) -> dict[str, int]:
    """Ids of a committed requester (``alice``) and two agents (``bob``, ``carol``)."""
    ids: dict[str, int] = {}
    async with uow_factory() as uow:
        for name in ("alice", "bob", "carol"):
            person = await uow.people.add(Person(name.title()), Identity("console", name))
            assert person.id is not None
            ids[name] = person.id
        await uow.commit()
    return ids


@pytest.fixture
def make_ticket(people: dict[str, int]) -> Callable[..., Ticket]:
    """A new (unnumbered) ticket from alice; keyword arguments override fields."""

    def make(**changes: Any) -> Ticket:
        mine = {"requester_id": people["alice"], "requester_chat": ChatAddress("console", "alice")}
        return new_ticket(**(mine | changes))

    return make

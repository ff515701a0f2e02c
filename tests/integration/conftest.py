"""Builders for the storage tests: people to hang tickets on, and complete tickets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain import ChatAddress, Identity, Person, Ticket
from storage.uow import SqlUnitOfWorkFactory

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


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
        fields: dict[str, Any] = {
            "requester_id": people["alice"],
            "requester_chat": ChatAddress("console", "alice"),
            "summary": "VPN drops every hour",
            "impact": "one",
            "can_work": "limited",
            "urgency": "soon",
            "priority": "S4",
            "tier": "L1",
            "chain": ("L1", "L2", "L3"),
            "created_at": T0,
        }
        fields.update(changes)
        return Ticket(**fields)

    return make

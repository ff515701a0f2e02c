"""Inbound event dedupe: each (platform, event id) is handled once, even under a race."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.uow import SqlUnitOfWorkFactory

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_second_sighting_is_a_retry(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.inbound.first_time("slack", "Ev01", T0) is True
        assert await uow.inbound.first_time("slack", "Ev01", T0) is False
        assert await uow.inbound.first_time("telegram", "Ev01", T0) is True  # other platform
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.inbound.first_time("slack", "Ev01", T0) is False
        assert await uow.inbound.first_time("slack", "Ev02", T0) is True


async def test_a_rolled_back_sighting_is_forgotten(uow_factory: SqlUnitOfWorkFactory) -> None:
    """If handling fails, the platform's redelivery must be handled, not dropped."""
    async with uow_factory() as uow:
        assert await uow.inbound.first_time("slack", "Ev01", T0) is True
    async with uow_factory() as uow:
        assert await uow.inbound.first_time("slack", "Ev01", T0) is True
        await uow.rollback()
        assert await uow.inbound.first_time("slack", "Ev01", T0) is True
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.inbound.first_time("slack", "Ev01", T0) is False


async def test_two_transactions_racing_get_one_true(uow_factory: SqlUnitOfWorkFactory) -> None:
    async def record() -> bool:
        async with uow_factory() as uow:
            first = await uow.inbound.first_time("slack", "Ev01", T0)
            await uow.commit()
            return first

    async with uow_factory() as uow:
        assert await uow.inbound.first_time("slack", "Ev01", T0) is True
        rival = asyncio.create_task(record())
        await asyncio.sleep(0.1)
        assert not rival.done()  # waits for our transaction to decide
        await uow.commit()
    assert await rival is False


async def test_many_concurrent_deliveries_get_one_true(uow_factory: SqlUnitOfWorkFactory) -> None:
    async def record() -> bool:
        async with uow_factory() as uow:
            first = await uow.inbound.first_time("telegram", "update-7", T0)
            await asyncio.sleep(0.01)  # hold the transaction open a little
            await uow.commit()
            return first

    results = await asyncio.gather(*(record() for _ in range(6)))
    assert sorted(results) == [False] * 5 + [True]


async def test_prune_forgets_old_event_ids(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.inbound.first_time("slack", "Ev-old", T0 - timedelta(days=31))
        assert await uow.inbound.first_time("slack", "Ev-new", T0)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.inbound.prune(T0 - timedelta(days=30)) == 1
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.inbound.first_time("slack", "Ev-new", T0) is False  # still a retry
        assert await uow.inbound.first_time("slack", "Ev-old", T0) is True  # forgotten

"""People and the platform accounts that identify them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.domain import (
    Identity,
    Person,
)
from storage.repositories.base import IdentityTaken, SqlRepository
from storage.tables import (
    IdentityRow,
    PersonRow,
)


class SqlPersonRepository(SqlRepository):
    """People and the platform accounts that identify them."""

    async def get(self, person_id: int) -> Person | None:
        row = await self._session.get(PersonRow, person_id)
        return None if row is None else _person_from_row(row)

    async def names(self, person_ids: Iterable[int | None]) -> dict[int, str]:
        wanted = {i for i in person_ids if i is not None}
        if not wanted:
            return {}
        stmt = select(PersonRow.id, PersonRow.display_name).where(PersonRow.id.in_(wanted))
        found = dict((await self._session.execute(stmt)).tuples().all())
        return {i: found.get(i, "?") for i in wanted}

    async def by_identity(self, identity: Identity) -> Person | None:
        stmt = (
            select(PersonRow)
            .join(IdentityRow, IdentityRow.person_id == PersonRow.id)
            .where(
                IdentityRow.platform == identity.platform,
                IdentityRow.external_id == identity.external_id,
            )
        )
        row = await self._session.scalar(stmt)
        return None if row is None else _person_from_row(row)

    async def add(self, person: Person, identity: Identity) -> Person:
        """Store ``person`` with ``identity``; :class:`IdentityTaken` if it is someone's."""
        if person.id is not None:
            raise ValueError(f"person {person.id} is already stored")
        row = PersonRow(display_name=person.display_name, timezone=person.timezone)
        try:
            # A savepoint, so a lost race leaves the caller's transaction usable.
            async with self._session.begin_nested():
                self._session.add(row)
                await self._session.flush()
                self._session.add(
                    IdentityRow(
                        platform=identity.platform,
                        external_id=identity.external_id,
                        person_id=row.id,
                    )
                )
                await self._session.flush()
        except IntegrityError as exc:
            raise IdentityTaken(f"{identity} already belongs to a person") from exc
        person.id = row.id
        return person

    async def save(self, person: Person) -> None:
        if person.id is None:
            raise ValueError("person has no id; add them first")
        row = await self._session.get(PersonRow, person.id)
        if row is None:
            raise LookupError(f"person {person.id} does not exist")
        row.display_name = person.display_name
        row.timezone = person.timezone
        await self._session.flush()

    async def identities(self, person_id: int) -> list[Identity]:
        stmt = (
            select(IdentityRow.platform, IdentityRow.external_id)
            .where(IdentityRow.person_id == person_id)
            .order_by(IdentityRow.platform, IdentityRow.external_id)
        )
        return [Identity(p, e) for p, e in await self._session.execute(stmt)]


def _person_from_row(row: PersonRow) -> Person:
    return Person(display_name=row.display_name, timezone=row.timezone, id=row.id)

"""People and the platform accounts that identify them, in Core statements."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Table, bindparam, delete, insert, select, update

from bot.domain import Identity, Person
from storage.repositories.base import IdentityTaken, SqlRepository, upsert
from storage.tables import IdentityRow, PersonRow

PEOPLE: Table = PersonRow.__table__  # type: ignore[assignment]
IDENTITIES: Table = IdentityRow.__table__  # type: ignore[assignment]
_CLAIM_IDENTITY = upsert(IDENTITIES, ("platform", "external_id"), returning="person_id")
_NAMES = select(PEOPLE.c.id, PEOPLE.c.display_name).where(
    PEOPLE.c.id.in_(bindparam("ids", expanding=True))
)


class SqlPersonRepository(SqlRepository):
    """People and the platform accounts that identify them."""

    async def get(self, person_id: int) -> Person | None:
        row = (await self._db.execute(select(PEOPLE).where(PEOPLE.c.id == person_id))).first()
        return None if row is None else Person(row.display_name, row.timezone, row.id)

    async def names(self, person_ids: Iterable[int | None]) -> dict[int, str]:
        wanted = {i for i in person_ids if i is not None}
        if not wanted:
            return {}
        found = dict((await self._db.execute(_NAMES, {"ids": list(wanted)})).tuples().all())
        return {i: found.get(i, "?") for i in wanted}

    async def by_identity(self, identity: Identity) -> Person | None:
        stmt = (
            select(PEOPLE)
            .join(IDENTITIES, IDENTITIES.c.person_id == PEOPLE.c.id)
            .where(
                IDENTITIES.c.platform == identity.platform,
                IDENTITIES.c.external_id == identity.external_id,
            )
        )
        row = (await self._db.execute(stmt)).first()
        return None if row is None else Person(row.display_name, row.timezone, row.id)

    async def add(self, person: Person, identity: Identity) -> Person:
        """Store ``person`` with ``identity``; :class:`IdentityTaken` if the account is
        someone's already (another transaction added them a moment ago). Two statements,
        no savepoint: the account is claimed with ``ON CONFLICT DO NOTHING``, and a person
        row that lost the claim is deleted again, leaving the transaction usable."""
        if person.id is not None:
            raise ValueError(f"person {person.id} is already stored")
        stmt = insert(PEOPLE).values(display_name=person.display_name, timezone=person.timezone)
        person_id = (await self._db.execute(stmt.returning(PEOPLE.c.id))).scalar_one()
        claim = {"platform": identity.platform, "external_id": identity.external_id}
        claimed = await self._db.execute(_CLAIM_IDENTITY, {**claim, "person_id": person_id})
        if claimed.first() is None:
            await self._db.execute(delete(PEOPLE).where(PEOPLE.c.id == person_id))
            raise IdentityTaken(f"{identity} already belongs to a person")
        person.id = person_id
        return person

    async def save(self, person: Person) -> None:
        if person.id is None:
            raise ValueError("person has no id; add them first")
        stmt = (
            update(PEOPLE)
            .where(PEOPLE.c.id == person.id)
            .values(display_name=person.display_name, timezone=person.timezone)
            .returning(PEOPLE.c.id)
        )
        if (await self._db.execute(stmt)).first() is None:
            raise LookupError(f"person {person.id} does not exist")

    async def identities(self, person_id: int) -> list[Identity]:
        stmt = (
            select(IDENTITIES.c.platform, IDENTITIES.c.external_id)
            .where(IDENTITIES.c.person_id == person_id)
            .order_by(IDENTITIES.c.platform, IDENTITIES.c.external_id)
        )
        return [Identity(p, e) for p, e in await self._db.execute(stmt)]

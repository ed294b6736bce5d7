"""Use cases of the national person index (R24, R5): each opens one unit of
work, applies the domain rules and returns domain objects. Which roles
reach a method at all is declared in usecases/access.py."""

from __future__ import annotations

from services.index.domain.errors import identity_not_found, person_already_indexed, person_not_indexed
from services.index.domain.identities import (
    Identity,
    PersonLocation,
    validate_id_hash,
    validate_move_request_id,
    validate_person_id,
    validate_person_ids,
    validate_province,
)
from services.index.usecases.ports import IndexUnitsOfWork
from services.kernel.clock import Clock
from services.kernel.errors import Conflict
from services.kernel.idempotency import content_hash, reused_request_id


class IdentityUseCases:
    def __init__(self, uow: IndexUnitsOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def claim(self, id_hash: str, person_id: str, province: str) -> tuple[Identity, bool]:
        """The identity of ``id_hash`` and whether this call recorded it. Of
        concurrent claims of one hash the database's primary key lets one in;
        the others find it and answer it."""
        asked = Identity.claim(id_hash, person_id, province, self._clock.now())
        async with self._uow() as tx:
            if await tx.index.claim(asked):
                await tx.commit()
                return asked, True
            recorded = await tx.index.identity(asked.id_hash)
        if recorded is None:  # the hash is free: the person is what was taken
            raise person_already_indexed(asked.person_id)
        return recorded, False

    async def find(self, id_hash: str) -> Identity:
        validate_id_hash(id_hash)
        async with self._uow(read_only=True) as tx:
            found = await tx.index.identity(id_hash)
        if found is None:
            raise identity_not_found()
        return found

    async def locate(self, person_ids: list[str]) -> list[PersonLocation]:
        """The province of each known person, in the order asked (one read)."""
        asked = validate_person_ids(person_ids)
        if not asked:
            return []
        async with self._uow(read_only=True) as tx:
            found = await tx.index.provinces_of(asked)
        return [PersonLocation(p, found[p]) for p in asked if p in found]

    async def move(self, person_id: str, province: str, request_id: str) -> Identity:
        validate_person_id(person_id)
        validate_province(province)
        key = validate_move_request_id(request_id)
        fingerprint = content_hash({"person_id": person_id, "province": province})
        try:
            return await self._move(person_id, province, key, fingerprint)
        except Conflict:
            # A concurrent copy of this request id recorded its move first:
            # now it is found, and answered.
            return await self._move(person_id, province, key, fingerprint)

    async def _move(self, person_id: str, province: str, request_id: str, fingerprint: str) -> Identity:
        async with self._uow() as tx:
            if earlier := await tx.index.move_by_request_id(request_id):
                move, stored_fingerprint = earlier
                if stored_fingerprint != fingerprint:
                    raise reused_request_id(request_id)
                identity = await tx.index.identity_of_person(move.person_id)
                assert identity is not None, "a move of a person the index does not hold"
                return identity.as_after(move)
            identity = await tx.index.identity_of_person(person_id, for_update=True)
            if identity is None:
                raise person_not_indexed(person_id)
            moved, move = identity.move(province, self._clock.now())
            await tx.index.move(moved, move, request_id, fingerprint)
            await tx.commit()
        return moved

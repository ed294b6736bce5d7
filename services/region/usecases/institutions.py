"""Use cases of designated institutions (R4)."""

from __future__ import annotations

from collections.abc import Callable

from services.kernel.clock import Clock
from services.kernel.errors import Conflict
from services.kernel.pagination import Page, page_request
from services.region.domain.codes import validate_code
from services.region.domain.errors import institution_exists, institution_not_found
from services.region.domain.institutions import Institution, Kind, validate_institution_code
from services.region.usecases.regions import known_path


class InstitutionUseCases:
    def __init__(self, uow: Callable, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def create(
        self, code: str, name: str, kind: Kind | None, region_code: str, accepts_wallet: bool
    ) -> Institution:
        validate_code(region_code, "institution.region_code")
        institution = Institution.register(code, name, kind, region_code, accepts_wallet, self._clock.now())
        try:
            async with self._uow() as tx:
                path = await known_path(tx.regions, region_code)
                if await tx.regions.get_institution(code) is not None:
                    raise institution_exists(code)
                await tx.regions.add_institution(institution, path)
                await tx.commit()
        except Conflict:
            raise institution_exists(code) from None
        return institution

    async def get(self, code: str) -> Institution:
        validate_institution_code(code)
        async with self._uow(read_only=True) as tx:
            institution = await tx.regions.get_institution(code)
        if institution is None:
            raise institution_not_found(code)
        return institution

    async def update(self, code: str, name: str | None, accepts_wallet: bool | None) -> Institution:
        validate_institution_code(code, "institution.code")
        async with self._uow() as tx:
            current = await tx.regions.get_institution(code, for_update=True)
            if current is None:
                raise institution_not_found(code)
            updated = current.update(self._clock.now(), name=name, accepts_wallet=accepts_wallet)
            if updated is not current:
                await tx.regions.save_institution(updated)
                await tx.commit()
        return updated

    async def list(
        self, region_code: str, kind: Kind | None, accepts_wallet_only: bool, size: int, token: str
    ) -> Page[Institution]:
        validate_code(region_code, "region_code")
        query = {"region": region_code, "kind": kind and kind.value, "wallet": accepts_wallet_only}
        request = page_request(size, token, query)
        async with self._uow(read_only=True) as tx:
            await known_path(tx.regions, region_code)
            after = request.after[0] if request.after else None
            found = await tx.regions.list_institutions(
                region_code, kind, accepts_wallet_only, after, request.limit
            )
        return request.page(found, key=lambda i: [i.code])

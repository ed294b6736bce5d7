"""Use cases of the region service: each opens one transaction, applies the
domain rules and returns domain objects. Callers are checked here where the
rule depends on data (R20); which roles reach a method at all is declared in
the gRPC entrypoint's policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.kernel.auth import Principal
from services.kernel.clock import Clock
from services.kernel.db import is_unique_violation
from services.kernel.errors import already_exists, invalid_argument, not_found
from services.kernel.idempotency import content_hash, reused_request_id, validate_request_id
from services.kernel.pagination import decode_token, encode_token, page_size
from services.region.adapters.repository import RegionRepository
from services.region.domain.codes import Region, RegionPath, validate_code
from services.region.domain.enablement import (
    Action,
    Change,
    Enablement,
    resolve,
    validate_effective_from,
    validate_reason,
)
from services.region.domain.institutions import Institution, Kind, validate_institution_code

MAX_CHECK_CODES = 100


@dataclass(frozen=True)
class RegionView:
    region: Region
    enablement: Enablement


@dataclass(frozen=True)
class CheckResult:
    code: str
    known: bool
    name: str = ""
    enablement: Enablement | None = None


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str = ""


def _region_not_found(code: str):
    return not_found("REGION_NOT_FOUND", f"no region {code}", code=code)


class RegionUseCases:
    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    async def _views(self, repo: RegionRepository, paths: Sequence[RegionPath], at: datetime) -> list[RegionView]:
        changes = await repo.changes_for(code for path in paths for code in path.codes)
        return [RegionView(p.region, resolve(p.codes, changes, at)) for p in paths]

    async def get_region(self, code: str) -> RegionView:
        validate_code(code)
        async with self._engine.connect() as conn:
            repo = RegionRepository(conn)
            path = (await repo.paths([code])).get(code)
            if path is None:
                raise _region_not_found(code)
            return (await self._views(repo, [path], self._clock.now()))[0]

    async def check_regions(self, codes: Sequence[str]) -> list[CheckResult]:
        if not codes:
            raise invalid_argument("CODES_REQUIRED", "codes", "give at least one region code")
        if len(codes) > MAX_CHECK_CODES:
            raise invalid_argument("TOO_MANY_CODES", "codes", f"at most {MAX_CHECK_CODES} codes per call")
        for i, code in enumerate(codes):
            validate_code(code, f"codes[{i}]")
        async with self._engine.connect() as conn:
            repo = RegionRepository(conn)
            paths = await repo.paths(codes)
            views = {v.region.code: v for v in await self._views(repo, list(paths.values()), self._clock.now())}
        return [
            CheckResult(code, True, views[code].region.name, views[code].enablement) if code in views else CheckResult(code, False)
            for code in codes
        ]

    async def list_regions(self, parent_code: str, enabled_only: bool, size: int, token: str) -> Page[RegionView]:
        if parent_code:
            validate_code(parent_code, "parent_code")
        size = page_size(size)
        query = {"parent": parent_code, "enabled_only": enabled_only}
        after = decode_token(token, query)
        async with self._engine.connect() as conn:
            repo = RegionRepository(conn)
            if parent_code and not await repo.paths([parent_code]):
                raise _region_not_found(parent_code)
            children = await repo.children(parent_code or None)
            # A parent has at most a few hundred children: resolve them all at once.
            paths = list((await repo.paths(r.code for r in children)).values())
            views = sorted(await self._views(repo, paths, self._clock.now()), key=lambda v: v.region.code)
        if enabled_only:
            views = [v for v in views if v.enablement.enabled]
        if after:
            views = [v for v in views if v.region.code > after[0]]
        page, rest = views[:size], views[size:]
        return Page(page, encode_token([page[-1].region.code], query) if rest else "")

    async def set_enablement(
        self,
        caller: Principal,
        code: str,
        action: Action | None,
        effective_from: datetime | None,
        reason: str,
        request_id: str,
    ) -> tuple[Change, RegionView]:
        validate_code(code)
        if action is None:
            raise invalid_argument("ACTION_REQUIRED", "action", "say whether to enable, disable or inherit")
        reason = validate_reason(reason)
        request_id = validate_request_id(request_id)
        fingerprint = content_hash(
            {"code": code, "action": action.value, "from": effective_from and effective_from.isoformat(), "reason": reason}
        )
        try:
            return await self._record_change(caller, code, action, effective_from, reason, request_id, fingerprint)
        except IntegrityError as error:
            # A concurrent call with the same request_id won the insert.
            if request_id is None or not is_unique_violation(error):
                raise
            return await self._record_change(caller, code, action, effective_from, reason, request_id, fingerprint)

    async def _record_change(self, caller, code, action, effective_from, reason, request_id, fingerprint):
        now = self._clock.now()
        async with self._engine.begin() as conn:
            repo = RegionRepository(conn)
            if request_id is not None and (earlier := await repo.change_by_request_id(request_id)):
                change, stored_fingerprint = earlier
                if stored_fingerprint != fingerprint:
                    raise reused_request_id(request_id)
            else:
                if not await repo.paths([code]):
                    raise _region_not_found(code)
                draft = Change(0, code, action, validate_effective_from(effective_from, now), caller.subject, reason, now)
                change = await repo.add_change(draft, request_id, fingerprint)
            path = (await repo.paths([code]))[code]
            view = (await self._views(repo, [path], now))[0]
        return change, view

    async def cancel_change(self, caller: Principal, change_id: int, reason: str) -> Change:
        reason = validate_reason(reason)
        async with self._engine.begin() as conn:
            repo = RegionRepository(conn)
            change = await repo.get_change(change_id, for_update=True)
            if change is None:
                raise not_found("CHANGE_NOT_FOUND", f"no enablement change {change_id}", change_id=str(change_id))
            cancelled = change.cancel(caller.subject, reason, self._clock.now())
            await repo.save_cancellation(cancelled)
        return cancelled

    async def history(self, code: str, include_ancestors: bool, size: int, token: str) -> Page[Change]:
        validate_code(code)
        size = page_size(size)
        query = {"code": code, "ancestors": include_ancestors}
        after = decode_token(token, query)
        async with self._engine.connect() as conn:
            repo = RegionRepository(conn)
            path = (await repo.paths([code])).get(code)
            if path is None:
                raise _region_not_found(code)
            codes = list(path.codes) if include_ancestors else [code]
            changes = await repo.history(codes, after[0] if after else None, size + 1)
        page, rest = changes[:size], changes[size:]
        return Page(page, encode_token([page[-1].id], query) if rest else "")

    # --- institutions
    async def create_institution(
        self, code: str, name: str, kind: Kind | None, region_code: str, accepts_wallet: bool
    ) -> Institution:
        validate_code(region_code, "institution.region_code")
        institution = Institution.register(code, name, kind, region_code, accepts_wallet, self._clock.now())
        try:
            async with self._engine.begin() as conn:
                repo = RegionRepository(conn)
                path = (await repo.paths([region_code])).get(region_code)
                if path is None:
                    raise _region_not_found(region_code)
                if await repo.get_institution(code) is not None:
                    raise already_exists("INSTITUTION_ALREADY_EXISTS", f"institution {code} exists", code=code)
                await repo.add_institution(institution, path)
        except IntegrityError as error:
            if is_unique_violation(error):
                raise already_exists("INSTITUTION_ALREADY_EXISTS", f"institution {code} exists", code=code) from None
            raise
        return institution

    async def get_institution(self, code: str) -> Institution:
        validate_institution_code(code)
        async with self._engine.connect() as conn:
            institution = await RegionRepository(conn).get_institution(code)
        if institution is None:
            raise not_found("INSTITUTION_NOT_FOUND", f"no institution {code}", code=code)
        return institution

    async def update_institution(self, code: str, name: str | None, accepts_wallet: bool | None) -> Institution:
        validate_institution_code(code, "institution.code")
        async with self._engine.begin() as conn:
            repo = RegionRepository(conn)
            current = await repo.get_institution(code, for_update=True)
            if current is None:
                raise not_found("INSTITUTION_NOT_FOUND", f"no institution {code}", code=code)
            updated = current.update(self._clock.now(), name=name, accepts_wallet=accepts_wallet)
            if updated is not current:
                await repo.save_institution(updated)
        return updated

    async def list_institutions(
        self, region_code: str, kind: Kind | None, accepts_wallet_only: bool, size: int, token: str
    ) -> Page[Institution]:
        validate_code(region_code, "region_code")
        size = page_size(size)
        query = {"region": region_code, "kind": kind and kind.value, "wallet": accepts_wallet_only}
        after = decode_token(token, query)
        async with self._engine.connect() as conn:
            repo = RegionRepository(conn)
            if not await repo.paths([region_code]):
                raise _region_not_found(region_code)
            found = await repo.list_institutions(region_code, kind, accepts_wallet_only, after[0] if after else None, size + 1)
        page, rest = found[:size], found[size:]
        return Page(page, encode_token([page[-1].code], query) if rest else "")

"""Use cases of regions and their wallet enablement (R1–R3): each opens one
unit of work, applies the domain rules and returns domain objects. Which
roles reach a method at all is declared in the gRPC entrypoint's policy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.kernel.auth import Principal
from services.kernel.clock import Clock
from services.kernel.errors import Conflict
from services.kernel.idempotency import content_hash, reused_request_id, validate_request_id
from services.kernel.pagination import Page, page_request
from services.region.domain.codes import Region, RegionPath, validate_code
from services.region.domain.enablement import (
    Action,
    Change,
    Enablement,
    resolve,
    validate_effective_from,
    validate_reason,
)
from services.region.domain.errors import (
    action_required,
    change_not_found,
    codes_required,
    region_not_found,
    too_many_codes,
)
from services.region.usecases.access import require_admin

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


async def known_path(repo, code: str) -> RegionPath:
    """The region and its ancestors, or REGION_NOT_FOUND."""
    path = (await repo.paths([code])).get(code)
    if path is None:
        raise region_not_found(code)
    return path


async def views(repo, paths: Sequence[RegionPath], at: datetime) -> list[RegionView]:
    changes = await repo.changes_for(code for path in paths for code in path.codes)
    return [RegionView(p.region, resolve(p.codes, changes, at)) for p in paths]


class RegionUseCases:
    def __init__(self, uow: Callable, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def get_region(self, code: str) -> RegionView:
        validate_code(code)
        async with self._uow(read_only=True) as tx:
            return (await views(tx.regions, [await known_path(tx.regions, code)], self._clock.now()))[0]

    async def check_regions(self, codes: Sequence[str]) -> list[CheckResult]:
        if not codes:
            raise codes_required()
        if len(codes) > MAX_CHECK_CODES:
            raise too_many_codes(MAX_CHECK_CODES)
        for i, code in enumerate(codes):
            validate_code(code, f"codes[{i}]")
        async with self._uow(read_only=True) as tx:
            paths = await tx.regions.paths(codes)
            found = {
                v.region.code: v for v in await views(tx.regions, list(paths.values()), self._clock.now())
            }
        return [
            CheckResult(code, True, found[code].region.name, found[code].enablement)
            if code in found
            else CheckResult(code, False)
            for code in codes
        ]

    async def list_regions(
        self, parent_code: str, enabled_only: bool, size: int, token: str
    ) -> Page[RegionView]:
        if parent_code:
            validate_code(parent_code, "parent_code")
        request = page_request(size, token, {"parent": parent_code, "enabled_only": enabled_only})
        async with self._uow(read_only=True) as tx:
            if parent_code:
                await known_path(tx.regions, parent_code)
            children = await tx.regions.children(parent_code or None)
            # A parent has at most a few hundred children: resolve them all at once.
            paths = list((await tx.regions.paths(r.code for r in children)).values())
            found = sorted(await views(tx.regions, paths, self._clock.now()), key=lambda v: v.region.code)
        if enabled_only:
            found = [v for v in found if v.enablement.enabled]
        if request.after:
            found = [v for v in found if v.region.code > request.after[0]]
        return request.page(found, key=lambda v: [v.region.code])

    async def set_enablement(
        self,
        caller: Principal,
        code: str,
        action: Action | None,
        effective_from: datetime | None,
        reason: str,
        request_id: str,
    ) -> tuple[Change, RegionView]:
        require_admin(caller)
        validate_code(code)
        if action is None:
            raise action_required()
        reason = validate_reason(reason)
        key = validate_request_id(request_id)
        fingerprint = content_hash(
            {
                "code": code,
                "action": action.value,
                "from": effective_from and effective_from.isoformat(),
                "reason": reason,
            }
        )
        try:
            return await self._record_change(caller, code, action, effective_from, reason, key, fingerprint)
        except Conflict:
            # A concurrent call with the same request_id won the insert.
            if key is None:
                raise
            return await self._record_change(caller, code, action, effective_from, reason, key, fingerprint)

    async def _record_change(self, caller, code, action, effective_from, reason, request_id, fingerprint):
        now = self._clock.now()
        async with self._uow() as tx:
            path = await known_path(tx.regions, code)
            if request_id is not None and (earlier := await tx.regions.change_by_request_id(request_id)):
                change, stored_fingerprint = earlier
                if stored_fingerprint != fingerprint:
                    raise reused_request_id(request_id)
            else:
                effective = validate_effective_from(effective_from, now)
                draft = Change(0, code, action, effective, caller.subject, reason, now)
                change = await tx.regions.add_change(draft, request_id, fingerprint)
            view = (await views(tx.regions, [path], now))[0]
            await tx.commit()
        return change, view

    async def cancel_change(self, caller: Principal, change_id: int, reason: str) -> Change:
        require_admin(caller)
        reason = validate_reason(reason)
        async with self._uow() as tx:
            change = await tx.regions.get_change(change_id, for_update=True)
            if change is None:
                raise change_not_found(change_id)
            cancelled = change.cancel(caller.subject, reason, self._clock.now())
            await tx.regions.save_cancellation(cancelled)
            await tx.commit()
        return cancelled

    async def history(self, code: str, include_ancestors: bool, size: int, token: str) -> Page[Change]:
        validate_code(code)
        request = page_request(size, token, {"code": code, "ancestors": include_ancestors})
        async with self._uow(read_only=True) as tx:
            path = await known_path(tx.regions, code)
            codes = list(path.codes) if include_ancestors else [code]
            changes = await tx.regions.history(
                codes, request.after[0] if request.after else None, request.limit
            )
        return request.page(changes, key=lambda c: [c.id])

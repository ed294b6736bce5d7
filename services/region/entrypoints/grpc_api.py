"""The RegionService servicer: translates proto <-> use cases, nothing more."""

from __future__ import annotations

from functools import partial

from yibao.region.v1 import region_pb2 as pb
from yibao.region.v1 import region_pb2_grpc

from services.kernel.auth import current_principal
from services.kernel.proto_enums import WireEnum
from services.kernel.proto_messages import message, page_response
from services.kernel.proto_time import timestamp_argument, to_timestamp
from services.kernel.server import ServiceDefinition
from services.region.domain.codes import Level
from services.region.domain.enablement import Action, Change, Enablement
from services.region.domain.errors import update_mask_invalid
from services.region.domain.institutions import Institution, Kind
from services.region.domain.platforms import KeyState, PlatformKey
from services.region.domain.shards import AccountShard
from services.region.usecases import access
from services.region.usecases.institutions import InstitutionUseCases
from services.region.usecases.platforms import PlatformUseCases
from services.region.usecases.regions import RegionUseCases, RegionView
from services.region.usecases.shards import ShardUseCases

SERVICE = pb.DESCRIPTOR.services_by_name["RegionService"].full_name
ERROR_DOMAIN = "region.yibao"

# R20: who may call each method (usecases/access.py).
POLICY = {f"/{SERVICE}/{method}": roles for method, roles in access.METHODS.items()}

_LEVELS = WireEnum(Level, pb.RegionLevel)
_ACTIONS = WireEnum(Action, pb.EnablementAction)
_KINDS = WireEnum(Kind, pb.InstitutionKind)
_KEY_STATES = WireEnum(KeyState, pb.PlatformKeyState)


def change_pb(change: Change) -> pb.EnablementChange:
    return message(
        pb.EnablementChange,
        change,
        action=_ACTIONS.wire(change.action),
        effective_from=to_timestamp(change.effective_from),
        record_time=to_timestamp(change.recorded_at),
        cancel_time=to_timestamp(change.cancelled_at),
    )


def enablement_pb(enablement: Enablement) -> pb.Enablement:
    decided = enablement.decided_by
    return pb.Enablement(
        enabled=enablement.enabled,
        decided_by=decided.region_code if decided else "",
        effective_since=to_timestamp(decided.effective_from) if decided else None,
        next_change=change_pb(enablement.next_change) if enablement.next_change else None,
    )


def region_pb(view: RegionView) -> pb.Region:
    r = view.region
    level, enablement = _LEVELS.wire(r.level), enablement_pb(view.enablement)
    return message(pb.Region, r, level=level, parent_code=r.parent_code or "", enablement=enablement)


def institution_pb(i: Institution) -> pb.Institution:
    created, updated = to_timestamp(i.created_at), to_timestamp(i.updated_at)
    return message(pb.Institution, i, kind=_KINDS.wire(i.kind), create_time=created, update_time=updated)


def platform_key_pb(k: PlatformKey) -> pb.PlatformKey:
    return message(
        pb.PlatformKey,
        k,
        state=_KEY_STATES.wire(k.state),
        create_time=to_timestamp(k.created_at),
        revoke_time=to_timestamp(k.revoked_at),
    )


def account_shard_pb(s: AccountShard) -> pb.AccountShard:
    return message(pb.AccountShard, s, provinces=list(s.provinces), update_time=to_timestamp(s.updated_at))


class RegionServicer(region_pb2_grpc.RegionServiceServicer):
    def __init__(
        self,
        regions: RegionUseCases,
        institutions: InstitutionUseCases,
        platforms: PlatformUseCases | None = None,
        shards: ShardUseCases | None = None,
    ) -> None:
        self._regions = regions
        self._institutions = institutions
        self._platforms_or_none = platforms
        self._shards_or_none = shards

    @property
    def _platforms(self) -> PlatformUseCases:
        assert self._platforms_or_none is not None, "a servicer without platform use cases"
        return self._platforms_or_none

    @property
    def _shards(self) -> ShardUseCases:
        assert self._shards_or_none is not None, "a servicer without shard use cases"
        return self._shards_or_none

    async def GetRegion(self, request, context):
        return pb.GetRegionResponse(region=region_pb(await self._regions.get_region(request.code)))

    async def ListRegions(self, request, context):
        page = await self._regions.list_regions(
            request.parent_code, request.enabled_only, request.page_size, request.page_token
        )
        return page_response(pb.ListRegionsResponse, "regions", page, region_pb)

    async def CheckRegions(self, request, context):
        results = []
        for r in await self._regions.check_regions(list(request.codes)):
            if not r.known or r.enablement is None:  # a known region always has an enablement
                results.append(pb.RegionCheck(code=r.code, status=pb.REGION_STATUS_UNKNOWN))
                continue
            decided, upcoming = r.enablement.decided_by, r.enablement.next_change
            check = pb.RegionCheck(
                code=r.code,
                name=r.name,
                status=pb.REGION_STATUS_ENABLED if r.enablement.enabled else pb.REGION_STATUS_DISABLED,
                decided_by=decided.region_code if decided else "",
                next_change_time=to_timestamp(upcoming.effective_from) if upcoming else None,
            )
            results.append(check)
        return pb.CheckRegionsResponse(results=results)

    async def SetRegionEnablement(self, request, context):
        change, view = await self._regions.set_enablement(
            current_principal(),
            request.code,
            _ACTIONS.parse(request.action, "action"),
            timestamp_argument(request.effective_from, "effective_from")
            if request.HasField("effective_from")
            else None,
            request.reason,
            request.request_id,
        )
        return pb.SetRegionEnablementResponse(change=change_pb(change), region=region_pb(view))

    async def CancelEnablementChange(self, request, context):
        change = await self._regions.cancel_change(current_principal(), request.change_id, request.reason)
        return pb.CancelEnablementChangeResponse(change=change_pb(change))

    async def ListEnablementChanges(self, request, context):
        page = await self._regions.history(
            request.code, request.include_ancestors, request.page_size, request.page_token
        )
        return page_response(pb.ListEnablementChangesResponse, "changes", page, change_pb)

    async def CreateInstitution(self, request, context):
        i = request.institution
        created = await self._institutions.create(
            i.code, i.name, _KINDS.parse(i.kind, "institution.kind"), i.region_code, i.accepts_wallet
        )
        return pb.CreateInstitutionResponse(institution=institution_pb(created))

    async def GetInstitution(self, request, context):
        return pb.GetInstitutionResponse(
            institution=institution_pb(await self._institutions.get(request.code))
        )

    async def ListInstitutions(self, request, context):
        page = await self._institutions.list(
            request.region_code,
            _KINDS.parse(request.kind, "kind"),
            request.accepts_wallet_only,
            request.page_size,
            request.page_token,
        )
        return page_response(pb.ListInstitutionsResponse, "institutions", page, institution_pb)

    async def UpdateInstitution(self, request, context):
        paths = (
            set(request.update_mask.paths) if request.HasField("update_mask") else {"name", "accepts_wallet"}
        )
        unknown = paths - {"name", "accepts_wallet"}
        if unknown:
            raise update_mask_invalid(sorted(unknown))
        i = request.institution
        updated = await self._institutions.update(
            i.code,
            i.name if "name" in paths else None,
            i.accepts_wallet if "accepts_wallet" in paths else None,
        )
        return pb.UpdateInstitutionResponse(institution=institution_pb(updated))

    async def CreatePlatformKey(self, request, context):
        k = request.platform_key
        created = await self._platforms.create(k.app_id, k.province, k.public_key)
        return pb.CreatePlatformKeyResponse(platform_key=platform_key_pb(created))

    async def RevokePlatformKey(self, request, context):
        revoked = await self._platforms.revoke(request.app_id, request.key_id)
        return pb.RevokePlatformKeyResponse(platform_key=platform_key_pb(revoked))

    async def ListPlatformKeys(self, request, context):
        page = await self._platforms.list(
            request.app_id, request.active_only, request.page_size, request.page_token
        )
        return page_response(pb.ListPlatformKeysResponse, "platform_keys", page, platform_key_pb)

    async def ClaimNonce(self, request, context):
        stamped_at = timestamp_argument(request.timestamp, "timestamp")
        await self._platforms.claim_nonce(request.app_id, request.nonce, stamped_at)
        return pb.ClaimNonceResponse()

    async def PutAccountShard(self, request, context):
        s = request.account_shard
        put = await self._shards.put(s.name, s.target, list(s.provinces))
        return pb.PutAccountShardResponse(account_shard=account_shard_pb(put))

    async def ListAccountShards(self, request, context):
        shards = await self._shards.all()
        return pb.ListAccountShardsResponse(account_shards=[account_shard_pb(s) for s in shards])


def region_service(servicer: RegionServicer, on_stop=()) -> ServiceDefinition:
    add = partial(region_pb2_grpc.add_RegionServiceServicer_to_server, servicer)
    return ServiceDefinition("region", SERVICE, ERROR_DOMAIN, POLICY, add, list(on_stop))

"""The transfer service's cache of region answers (R14): a change made now
reaches submissions within the staleness bound, a scheduled one on time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
from yibao.region.v1 import region_pb2 as pb

from services.kernel.clock import FrozenClock
from services.kernel.proto_time import to_timestamp
from services.kernel.region_codes import RegionStatus
from services.transfer.adapters.region_client import RegionClient

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


class RegionService:
    """What the region service answers; counts the calls."""

    def __init__(self) -> None:
        self.status, self.next_change, self.calls = pb.REGION_STATUS_ENABLED, None, 0

    async def CheckRegions(self, request, timeout, metadata):
        self.calls += 1
        checks = [
            pb.RegionCheck(code=code, status=self.status, next_change_time=to_timestamp(self.next_change))
            for code in request.codes
        ]
        return pb.CheckRegionsResponse(results=checks)


class Identity:
    def metadata(self):
        return ()


def client(region: RegionService, clock: FrozenClock, staleness: timedelta) -> RegionClient:
    regions = RegionClient(grpc.aio.insecure_channel("127.0.0.1:1"), Identity(), clock, staleness)
    regions._stub = region  # the region service, answering in process
    return regions


async def test_r14_a_region_withdrawn_now_is_seen_within_the_staleness_bound():
    region, clock = RegionService(), FrozenClock(NOW)
    regions = client(region, clock, timedelta(seconds=1))
    assert await regions.statuses(["110101"]) == {"110101": RegionStatus.ENABLED}
    region.status = pb.REGION_STATUS_DISABLED  # an administrator withdraws it
    clock.advance(seconds=0.5)
    assert await regions.statuses(["110101"]) == {"110101": RegionStatus.ENABLED}  # within the bound
    clock.advance(seconds=0.5)
    assert await regions.statuses(["110101"]) == {"110101": RegionStatus.DISABLED}
    assert region.calls == 2


async def test_r14_a_scheduled_change_is_seen_on_time_whatever_the_bound():
    region, clock = RegionService(), FrozenClock(NOW)
    region.next_change = NOW + timedelta(minutes=10)
    regions = client(region, clock, timedelta(hours=1))
    assert await regions.statuses(["110101", "450102"]) == dict.fromkeys(
        ["110101", "450102"], RegionStatus.ENABLED
    )
    clock.set(region.next_change - timedelta(microseconds=1))
    await regions.statuses(["110101", "450102"])
    assert region.calls == 1  # cached until the scheduled change
    region.status, region.next_change = pb.REGION_STATUS_DISABLED, None
    clock.set(NOW + timedelta(minutes=10))
    assert await regions.statuses(["110101"]) == {"110101": RegionStatus.DISABLED}
    assert region.calls == 2

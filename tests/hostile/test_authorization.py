"""R20 as a matrix: every RPC of the three services × fourteen callers,
against the expected answers written as data in authorization.py."""

from __future__ import annotations

import grpc

from services.kernel.grpc_errors import error_details
from tests.hostile.authorization import expected
from tests.hostile.conftest import FORGED, SERVICES, call
from tests.hostile.requests import valid_request
from tests.tls import aio_channel

_SHORT = {full.split(".")[1]: full for full in SERVICES}  # "account" -> "yibao.account.v1.AccountService"
_REFUSALS = {grpc.StatusCode.UNAUTHENTICATED: "U", grpc.StatusCode.PERMISSION_DENIED: "D"}


def test_r20_the_matrix_names_every_rpc_of_every_service():
    served = {f"{full.split('.')[1]}.{m.name}" for full, d in SERVICES.items() for m in d.methods}
    assert set(expected()) == served


async def test_r20_authorisation_matrix(world):
    rows, mismatches, cells = expected(), [], 0
    channels = {s: aio_channel(a) for s, a in world.targets.items()}
    try:
        for rpc, (subject, cells_expected) in rows.items():
            service, method = rpc.split(".")
            callers = world.callers_of(getattr(world, subject))
            wanted = cells_expected | dict.fromkeys(FORGED, "U")
            for caller, want in wanted.items():
                request = valid_request(rpc, world)
                code, _, error = await call(
                    channels[_SHORT[service]], _SHORT[service], method, request, callers[caller]
                )
                got = _REFUSALS.get(code, "A")
                cells += 1
                assert code not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), (rpc, caller, error)
                if got != want:
                    mismatches.append(f"{rpc} {caller}: expected {want}, got {code.name} {_reason(error)}")
                if got == "D":  # refused without saying whether the target exists
                    assert _reason(error) == "PERMISSION_DENIED", (rpc, caller)
    finally:
        for channel in channels.values():
            await channel.close()
    assert not mismatches, "\n".join(mismatches)
    assert cells == len(rows) * 14


def _reason(error) -> str:
    details = error_details(error) if error is not None else None
    return details.reason if details else ""

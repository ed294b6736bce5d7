"""R20a: every RPC of the three services, a few hundred hostile requests
each (and bytes that do not decode), on SQLite and PostgreSQL. Nothing is
INTERNAL or UNKNOWN, nothing hangs, every refusal carries a reason and no
internals, and a batch that was refused throughout changed nothing."""

from __future__ import annotations

import asyncio
import collections
import json
import os

import grpc

from services.kernel.grpc_errors import error_details
from tests.hostile.authorization import expected
from tests.hostile.conftest import SERVICES, TRANSFER, call, state_digest
from tests.hostile.fuzz import Hostile
from tests.tls import aio_channel

PER_RPC = int(os.environ.get("YIBAO_FUZZ_PER_RPC", "200"))  # requests per RPC and backend
_NEVER = {
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.DEADLINE_EXCEEDED,  # a hang
    grpc.StatusCode.UNAVAILABLE,  # a crash
}
_LEAKS = ("Traceback", "<class", "Error(", "psycopg", "sqlalchemy", "sqlite", 'File "')


async def _settled(databases: list[str]) -> dict[str, str]:
    """The state once background work (event sequencing) has caught up."""
    before = await state_digest(databases)
    while True:
        await asyncio.sleep(0.3)
        after = await state_digest(databases)
        if after == before:
            return after
        before = after


async def test_r20a_contract_fuzz_changes_nothing_and_never_fails_inside(world, request):
    backend = request.node.callspec.params["new_database"]
    rows = expected()
    channels = {s: aio_channel(a) for s, a in world.targets.items()}
    histogram: dict[str, collections.Counter] = {}
    problems: list[str] = []
    try:
        state = await _settled(world.databases)
        for number, (full, descriptor) in enumerate(
            (full, m) for full, service in SERVICES.items() for m in service.methods
        ):
            rpc = f"{full.split('.')[1]}.{descriptor.name}"
            subject, cells = rows[rpc]
            callers = world.callers_of(getattr(world, subject))
            allowed = [c for c, cell in cells.items() if cell == "A"]
            # The account service trusts the transfer service with the
            # world's transfer (a receipt there would be the transfer
            # service's to reconcile later): fuzz it only where it is public.
            hostile = Hostile(number, world, with_transfer=full == TRANSFER)
            codes = histogram[rpc] = collections.Counter()
            for i in range(PER_RPC):
                message = hostile.request(descriptor.input_type)
                sent = hostile.undecodable(message.SerializeToString()) if i % 10 == 0 else message
                caller = hostile.caller(allowed, list(callers))
                code, _, error = await call(channels[full], full, descriptor.name, sent, callers[caller])
                codes[code.name] += 1
                if code in _NEVER:
                    problems.append(f"{rpc} {code.name} {error.details() if error else ''} for {sent!r:.300}")
                elif code is grpc.StatusCode.RESOURCE_EXHAUSTED and "larger than max" in error.details():
                    pass  # over gRPC's 4 MiB message limit: refused by the transport, before us
                elif error is not None:
                    try:
                        details = error_details(error)
                    except ValueError as mismatch:  # the status and its details disagree
                        problems.append(f"{rpc} {code.name}: {mismatch}")
                        continue
                    if details is None or not details.reason:
                        problems.append(f"{rpc} {code.name} without a reason: {error.details()}")
                    if any(leak in (error.details() or "") for leak in _LEAKS):
                        problems.append(f"{rpc} leaks internals: {error.details()}")
            after = await _settled(world.databases)
            if after != state and not codes["OK"]:
                changed = sorted(k for k in after if after[k] != state.get(k))
                problems.append(f"{rpc}: refused every request, yet changed {changed}")
            state = after
    finally:
        for channel in channels.values():
            await channel.close()
    if path := os.environ.get("YIBAO_FUZZ_REPORT"):
        with open(path, "a") as report:
            report.write(json.dumps({"backend": backend, "per_rpc": PER_RPC, "histogram": histogram}) + "\n")
    assert not problems, "\n".join(problems[:40])
    assert sum(map(sum, map(dict.values, histogram.values()))) == PER_RPC * len(rows)

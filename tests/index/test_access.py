"""R20 for the national person index: services only. Every RPC × every kind
of caller, on an identity that exists and on one that does not: the
refusal is the same either way, and stores nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import grpc
from yibao.index.v1 import index_pb2 as pb

from services.kernel.auth import Principal, Role, TokenAuthority
from tests.cluster import id_number
from tests.index.support import claim, hash_of, stored_rows
from tests.rpc import failure

ALLOWED, DENIED, UNAUTHENTICATED = "A", "D", "U"
CODES = {grpc.StatusCode.PERMISSION_DENIED: DENIED, grpc.StatusCode.UNAUTHENTICATED: UNAUTHENTICATED}


def requests(id_hash: str, person_id: str) -> dict:
    """A well-formed request of each RPC about (id_hash, person_id)."""
    return {
        "ClaimIdentity": pb.ClaimIdentityRequest(id_hash=id_hash, person_id=person_id, province="450000"),
        "FindIdentity": pb.FindIdentityRequest(id_hash=id_hash),
        "LocatePersons": pb.LocatePersonsRequest(person_ids=[person_id]),
        "MoveIdentity": pb.MoveIdentityRequest(
            person_id=person_id, province="110000", request_id=str(uuid.uuid4())
        ),
    }


def callers(bearer, tokens, clock, person_id: str) -> dict[str, tuple[list, str]]:
    """Each caller's metadata and what it must get."""

    def token(authority: TokenAuthority, principal: Principal, at) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {authority.mint(principal, at)}")]

    other_key = "another-key-0123456789abcdef0123456789"
    forger = TokenAuthority("HS256", other_key, other_key, clock=clock)
    return {
        "anonymous": ([], UNAUTHENTICATED),
        "citizen (the person)": (bearer(Role.CITIZEN, person_id, person_id=person_id), DENIED),
        "province": (bearer(Role.PROVINCE, "gx", province="450000"), DENIED),
        "institution": (bearer(Role.INSTITUTION, "H45010300001", institution="H45010300001"), DENIED),
        "admin": (bearer(Role.ADMIN, "nhsa"), DENIED),
        "service, expired": (
            token(tokens, Principal("account", Role.SERVICE), clock.now() - timedelta(hours=2)),
            UNAUTHENTICATED,
        ),
        "service, forged": (token(forger, Principal("account", Role.SERVICE), clock.now()), UNAUTHENTICATED),
        "service": (bearer(Role.SERVICE, "account"), ALLOWED),
    }


async def test_r20_only_services_use_the_index(index_stub, index_db, service, bearer, tokens, clock):
    known_hash, known_person = hash_of(id_number()), str(uuid.uuid4())
    await claim(index_stub, service, known_hash, known_person, "450000")
    targets = {"known": (known_hash, known_person), "unknown": (hash_of(id_number()), str(uuid.uuid4()))}
    before, mismatches, cells = await stored_rows(index_db), [], 0
    for caller, (metadata, want) in callers(bearer, tokens, clock, known_person).items():
        if want == ALLOWED:
            continue  # below, once the refusals are shown to have stored nothing
        for target, (id_hash, person_id) in targets.items():
            for method, request in requests(id_hash, person_id).items():
                cells += 1
                try:
                    await getattr(index_stub, method)(request, metadata=metadata)
                    got, reason = ALLOWED, ""
                except grpc.aio.AioRpcError as error:
                    refused = failure(error)
                    got, reason = CODES.get(refused.code, ALLOWED), refused.reason
                if got != want:
                    mismatches.append(f"{method} by {caller} on the {target} one: {got} {reason}")
                if got == DENIED and reason != "PERMISSION_DENIED":  # nothing said of the target
                    mismatches.append(f"{method} by {caller} on the {target} one: reason {reason}")
    assert not mismatches, "\n".join(mismatches)
    assert cells == 7 * 2 * 4
    assert await stored_rows(index_db) == before

    for method, request in requests(known_hash, known_person).items():
        await getattr(index_stub, method)(request, metadata=service)

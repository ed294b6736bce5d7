"""A small world on the three real services, for attacking them: a payer in
南宁 with money, his mother in 北京, a stranger, a pending transfer, and one
caller of each kind (R20), valid or forged."""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

import grpc
import jwt
import pytest
from sqlalchemy import inspect as schema
from sqlalchemy import text
from yibao.account.v1 import account_pb2 as apb
from yibao.region.v1 import region_pb2
from yibao.transfer.v1 import transfer_pb2
from yibao.type.v1 import relation_pb2, verification_pb2

from services.account.entrypoints.grpc_api import SERVICE as ACCOUNT
from services.kernel.auth import Principal, Role
from services.kernel.db import create_engine
from services.region.entrypoints.grpc_api import SERVICE as REGION
from services.transfer.entrypoints.grpc_api import SERVICE as TRANSFER
from tests.cluster import id_number
from tests.conftest import TEST_KEY
from tests.tls import aio_channel

PASSWORD = "258036"
HOSPITAL, OTHER_HOSPITAL = "H45010300001", "H11010100001"  # both accept the wallet
SERVICES = {
    ACCOUNT: apb.DESCRIPTOR.services_by_name["AccountService"],
    REGION: region_pb2.DESCRIPTOR.services_by_name["RegionService"],
    TRANSFER: transfer_pb2.DESCRIPTOR.services_by_name["TransferService"],
}
# Tables that count attempts: a refused request may rightly change them
# (a wrong password or a payee that does not match counts, R9 and R14).
COUNTERS = {"passwords", "payee_misses", "used_face_tickets"}
# Written by background followers from what was accepted before, on their own time.
DERIVED = {"notifications", "cursors"}


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    id_number: str
    region: str

    @property
    def province(self) -> str:
        return self.region[:2] + "0000"


@dataclass
class World:
    payer: Person  # 张伟, employee in 南宁, ¥1,000 in his personal account
    payee: Person  # his mother 李秀英, resident in 北京
    stranger: Person  # 王五 in 南宁, no relation to either
    transfer_id: str  # payer -> payee, pending
    targets: dict[str, str]  # service full name -> address
    databases: list[str]
    callers_of: object  # (subject Person) -> {caller name: metadata}


OTHER_PROVINCE = "440000"  # 广东: neither the payer's nor the payee's
FORGED = ("expired", "wrong_key", "alg_none", "wrong_audience", "too_long_lifetime")


def _forged(claims: dict, key: str = TEST_KEY, algorithm: str = "HS256") -> list[tuple[str, str]]:
    token = jwt.encode(claims, None if algorithm == "none" else key, algorithm=algorithm)
    return [("authorization", f"Bearer {token}")]


def caller_factory(tokens, clock, stranger: Person):
    """(subject) -> the fourteen callers of the authorisation matrix: "self"
    and "own" are the subject's, "other" a stranger, another province (广东)
    and another hospital. The forged ones claim the service role, the most
    powerful, and would pass everything if accepted."""

    def valid(principal: Principal) -> list[tuple[str, str]]:
        token = tokens.mint(principal, clock.now(), timedelta(hours=12))
        return [("authorization", f"Bearer {token}")]

    now = int(clock.now().timestamp())
    service = {"sub": "transfer", "role": "service", "iss": "yibao", "aud": "yibao-wallet"}
    shared = {
        "anonymous": [],
        "citizen_other": valid(Principal(stranger.id, Role.CITIZEN, person_id=stranger.id)),
        "province_other": valid(Principal("gd", Role.PROVINCE, province=OTHER_PROVINCE)),
        "institution_own": valid(Principal(HOSPITAL, Role.INSTITUTION, institution=HOSPITAL)),
        "institution_other": valid(Principal(OTHER_HOSPITAL, Role.INSTITUTION, institution=OTHER_HOSPITAL)),
        "admin": valid(Principal("nhsa", Role.ADMIN)),
        "service": valid(Principal("transfer", Role.SERVICE)),
        "expired": _forged({**service, "iat": now - 7200, "exp": now - 3600}),
        "wrong_key": _forged(
            {**service, "iat": now, "exp": now + 600}, key="another-key-0123456789abcdef0123456"
        ),
        "alg_none": _forged({**service, "iat": now, "exp": now + 600}, algorithm="none"),
        "wrong_audience": _forged({**service, "aud": "someone-else", "iat": now, "exp": now + 600}),
        "too_long_lifetime": _forged({**service, "iat": now, "exp": now + 100 * 365 * 86400}),
    }

    def of(subject: Person) -> dict[str, list[tuple[str, str]]]:
        return shared | {
            "citizen_self": valid(Principal(subject.id, Role.CITIZEN, person_id=subject.id)),
            "province_own": valid(Principal("own", Role.PROVINCE, province=subject.province)),
        }

    return of


def method_path(service: str, method: str) -> str:
    return f"/{service}/{method}"


async def call(channel, service: str, method: str, request, metadata, timeout: float = 10.0):
    """Calls any method by name; ``request`` a message or raw bytes. Returns
    (status code, response or None, the error or None); a server stream
    gives its first response, or OK if it is still open after a second."""
    descriptor = SERVICES[service].methods_by_name[method]
    serialize = None if isinstance(request, bytes) else type(request).SerializeToString
    path = method_path(service, method)
    if descriptor.server_streaming:
        stream = channel.unary_stream(path, request_serializer=serialize, response_deserializer=None)
        responses = stream(request, metadata=metadata, timeout=timeout)
        try:
            first = await asyncio.wait_for(responses.read(), 1.0)
            return grpc.StatusCode.OK, first, None
        except TimeoutError:
            return grpc.StatusCode.OK, None, None  # following: nothing new yet
        except grpc.aio.AioRpcError as error:
            return error.code(), None, error
        finally:
            responses.cancel()
    unary = channel.unary_unary(path, request_serializer=serialize, response_deserializer=None)
    try:
        return grpc.StatusCode.OK, await unary(request, metadata=metadata, timeout=timeout), None
    except grpc.aio.AioRpcError as error:
        return error.code(), None, error


async def state_digest(database_urls: list[str]) -> dict[str, str]:
    """A hash of every row of every table but the attempt counters and what
    followers derive, per database."""
    digests = {}
    for url in database_urls:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                names = await conn.run_sync(lambda c: schema(c).get_table_names())
                for name in sorted(set(names) - COUNTERS - DERIVED - {"alembic_version"}):
                    rows = (await conn.execute(text(f'SELECT * FROM "{name}"'))).all()
                    dump = json.dumps(sorted(map(repr, rows)), ensure_ascii=False)
                    digests[f"{url.rsplit('/', 1)[-1]}:{name}"] = hashlib.sha256(dump.encode()).hexdigest()
        finally:
            await engine.dispose()
    return digests


@pytest.fixture
async def world(region_server, account_server, transfer_server, tokens, clock, bearer) -> World:
    async with aio_channel(account_server.address) as channel:
        from yibao.account.v1 import account_pb2_grpc

        account = account_pb2_grpc.AccountServiceStub(channel)

        async def person(name, region, kind=apb.INSURANCE_TYPE_EMPLOYEE, funding=0):
            number = id_number(region)
            province = bearer(Role.PROVINCE, "platform", province=region[:2] + "0000")
            registered = await account.RegisterPerson(
                apb.RegisterPersonRequest(
                    id_number=number, name=name, insurance_type=kind, insured_region=region
                ),
                metadata=province,
            )
            p = Person(registered.person.id, name, number, region)
            me = bearer(Role.CITIZEN, p.id, person_id=p.id)
            await account.OpenWallet(
                apb.OpenWalletRequest(person_id=p.id, place_of_use=region, mobile="13912345678"), metadata=me
            )
            await account.SetPassword(
                apb.SetPasswordRequest(person_id=p.id, new_password=PASSWORD), metadata=me
            )
            if funding:
                await account.FundPersonalAccount(
                    apb.FundPersonalAccountRequest(
                        person_id=p.id, amount_fen=funding, reference=f"f-{p.id}", period="2026-03"
                    ),
                    metadata=province,
                )
            return p

        payer = await person("张伟", "450102", funding=100_000)
        payee = await person("李秀英", "110101", kind=apb.INSURANCE_TYPE_RESIDENT)
        stranger = await person("王五", "450102", funding=1_000)
        await account.AttestRelation(
            apb.AttestRelationRequest(
                person_id=payer.id, relative_id=payee.id, kind=relation_pb2.RELATION_KIND_PARENT
            ),
            metadata=bearer(Role.PROVINCE, "platform", province=payer.province),
        )
    async with aio_channel(transfer_server.address) as channel:
        from yibao.transfer.v1 import transfer_pb2_grpc

        submitted = await transfer_pb2_grpc.TransferServiceStub(channel).SubmitTransfer(
            transfer_pb2.SubmitTransferRequest(
                payer_id=payer.id,
                source=transfer_pb2.TRANSFER_SOURCE_PERSONAL_ACCOUNT,
                payee_name=payee.name,
                payee_id_number=payee.id_number,
                relation=relation_pb2.RELATION_KIND_PARENT,
                amount_fen=10_000,
                verification=verification_pb2.Verification(password=PASSWORD),
                request_id="world-1",
            ),
            metadata=bearer(Role.CITIZEN, payer.id, person_id=payer.id),
        )
    return World(
        payer,
        payee,
        stranger,
        submitted.transfer.id,
        {ACCOUNT: account_server.address, REGION: region_server.address, TRANSFER: transfer_server.address},
        [region_server.database_url, account_server.database_url, transfer_server.database_url],
        caller_factory(tokens, clock, stranger),
    )

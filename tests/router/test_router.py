"""The account router (R24, docs/sharding.md): two account shards (广西's
and 北京's, each on a database of its own), the national person index, the
shard map in the region service, and the router in front of them, on
SQLite and PostgreSQL. Every call goes through the router only; the shards'
own stubs are used only to check where things landed. Also: the bytes,
metadata and trailers a shard gives are passed on unchanged (a stand-in
shard), an empty map sends everything to the one account service, and
`yibao serve router` / `yibao health router`."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import urllib.request
import uuid
from dataclasses import dataclass, field

import grpc
import pytest
from google.protobuf.message_factory import GetMessageClass
from yibao.account.v1 import account_pb2 as pb
from yibao.account.v1 import account_pb2_grpc
from yibao.index.v1 import index_pb2, index_pb2_grpc
from yibao.region.v1 import region_pb2 as rpb
from yibao.region.v1 import region_pb2_grpc
from yibao.type.v1 import relation_pb2

from services.kernel.auth import Role
from services.kernel.errors import DomainError, ErrorKind
from services.kernel.grpc_errors import to_status
from services.kernel.tls import server_credentials
from services.kernel.upstream import UpstreamUnavailable
from services.router.bootstrap import bootstrap as start_router
from services.router.forward import Answer, pick
from services.router.grpc_api import SERVICE
from services.router.routes import ROUTES, ByPerson, ByRegion, ShardsOnly
from services.router.settings import RouterSettings
from tests import tls
from tests.cluster import id_number, serve_account, serve_index
from tests.index.test_cli import _yibao
from tests.kernel.test_server import _free_ports
from tests.rpc import fails
from tests.tls import aio_channel, sync_channel

C = grpc.StatusCode
GX, BJ = "450000", "110000"


# --- the table and the choice among shards' answers (no servers)


def test_every_method_of_the_account_service_has_a_route_on_a_field_it_has():
    for method in SERVICE.methods:
        assert method.name in ROUTES, f"{method.name}: no route (say how the router finds its shard)"
        route = ROUTES[method.name]
        if isinstance(route, ByPerson | ByRegion):
            key = method.input_type.fields_by_name.get(route.field)
            assert key is not None and key.type == key.TYPE_STRING, f"{method.name}.{route.field}"


def test_a_call_asked_of_every_shard_is_answered_by_the_one_that_knows():
    ok, found = Answer(C.OK, b"x"), Answer(C.NOT_FOUND, details="no such person")
    refused, busy = Answer(C.FAILED_PRECONDITION, details="name"), Answer(C.UNAVAILABLE, details="db")
    down = UpstreamUnavailable.of("account:bj")
    assert pick([found, down, refused, ok]) is ok
    assert pick([found, down, refused]) is refused  # the shard that keeps the person refused
    assert pick([found, busy, down]) is busy  # the silent one may keep them
    assert pick([found, down]) is down
    assert pick([found, Answer(C.NOT_FOUND, details="other")]) is found  # nobody: the first NOT_FOUND


# --- two shards, the index and the router


@dataclass
class Shard:
    name: str
    province: str
    url: str
    server: object = None
    stub: account_pb2_grpc.AccountServiceStub | None = None


@dataclass
class Front:
    """The pieces, started and stopped by the test; ``router`` is the only stub callers use."""

    region_target: str
    index: object
    tokens: object
    clock: object
    bearer: object
    stack: contextlib.AsyncExitStack
    shards: dict[str, Shard] = field(default_factory=dict)
    router: account_pb2_grpc.AccountServiceStub | None = None

    async def start_shard(self, shard: Shard) -> None:
        shard.server = await self.stack.enter_async_context(
            serve_account(
                shard.url, self.region_target, self.tokens, self.clock, index_target=self.index.address
            )
        )
        shard.stub = account_pb2_grpc.AccountServiceStub(
            await self.stack.enter_async_context(aio_channel(shard.server.address))
        )
        await put_shard(self.region_target, self.bearer, shard.name, shard.server.address, shard.province)
        self.shards[shard.name] = shard

    def platform(self, province: str):
        return self.bearer(Role.PROVINCE, f"platform-{province}", province=province)

    def citizen(self, person_id: str):
        return self.bearer(Role.CITIZEN, person_id, person_id=person_id)

    def service(self):
        return self.bearer(Role.SERVICE, "transfer")

    async def register(self, region: str, name: str = "张伟", number: str | None = None) -> pb.Person:
        request = pb.RegisterPersonRequest(
            id_number=number or id_number(region),
            name=name,
            insurance_type=pb.INSURANCE_TYPE_EMPLOYEE,
            insured_region=region,
        )
        answer = await self.router.RegisterPerson(request, metadata=self.platform(f"{region[:2]}0000"))
        assert answer.created
        return answer.person


async def put_shard(region_target: str, bearer, name: str, target: str, province: str) -> None:
    async with aio_channel(region_target) as channel:
        put = rpb.PutAccountShardRequest(
            account_shard=rpb.AccountShard(name=name, target=target, provinces=[province])
        )
        await region_pb2_grpc.RegionServiceStub(channel).PutAccountShard(
            put, metadata=bearer(Role.ADMIN, "ops")
        )


@contextlib.asynccontextmanager
async def serve_router(region_target: str, index_target: str, account_target: str, tokens, clock):
    settings = RouterSettings(
        region_target, index_target, account_target, tls=tls.SERVICE, shard_map_seconds=0.0
    )
    server = await start_router(settings, tokens, clock)
    try:
        async with aio_channel(server.address) as channel:
            yield account_pb2_grpc.AccountServiceStub(channel), channel
    finally:
        await server.stop(0)


@pytest.fixture
async def front(new_database, region_target, tokens, clock, bearer):
    async with contextlib.AsyncExitStack() as stack:
        index = await stack.enter_async_context(serve_index(new_database(), tokens, clock))
        world = Front(region_target, index, tokens, clock, bearer, stack)
        for shard in (Shard("gx", GX, new_database()), Shard("bj", BJ, new_database())):
            await world.start_shard(shard)
        # No single account service: with shards in the map, nothing goes to the fallback.
        world.router, _ = await stack.enter_async_context(
            serve_router(region_target, index.address, "127.0.0.1:9", tokens, clock)
        )
        yield world


async def test_r24_each_person_lands_in_their_provinces_shard_and_is_served_there(front):
    gx_person = await front.register("450102")
    bj_person = await front.register("110101", name="王芳")
    for person, own, other in ((gx_person, "gx", "bj"), (bj_person, "bj", "gx")):
        request = pb.GetPersonRequest(person_id=person.id)
        kept = await front.shards[own].stub.GetPerson(request, metadata=front.service())
        assert kept.person.name == person.name
        missing = await fails(front.shards[other].stub.GetPerson(request, metadata=front.service()))
        assert missing.code is C.NOT_FOUND, missing

    for person, province, amount in ((gx_person, GX, 12_300), (bj_person, BJ, 45_600)):
        me = front.citizen(person.id)
        wallet = await front.router.OpenWallet(
            pb.OpenWalletRequest(
                person_id=person.id, place_of_use=person.insured_region, mobile="13800138000"
            ),
            metadata=me,
        )
        assert wallet.wallet.person_id == person.id
        fund = pb.FundPersonalAccountRequest(
            person_id=person.id, amount_fen=amount, reference=f"f-{person.id}", period="2026-03"
        )
        await front.router.FundPersonalAccount(fund, metadata=front.platform(province))
        balances = await front.router.GetBalances(pb.GetBalancesRequest(person_id=person.id), metadata=me)
        assert (balances.personal_account_fen, balances.wallet_fen) == (amount, 0)

    mother = await front.register("110105", name="李秀英")
    await front.router.AttestRelation(
        pb.AttestRelationRequest(
            person_id=bj_person.id, relative_id=mother.id, kind=relation_pb2.RELATION_KIND_PARENT
        ),
        metadata=front.platform(BJ),
    )
    relations = await front.router.ListRelations(
        pb.ListRelationsRequest(person_id=bj_person.id), metadata=front.citizen(bj_person.id)
    )
    assert [r.relative_id for r in relations.relations] == [mother.id]
    none = await front.router.ListRelations(
        pb.ListRelationsRequest(person_id=gx_person.id), metadata=front.citizen(gx_person.id)
    )
    assert list(none.relations) == []


async def test_r24_lookup_by_id_number_asks_every_shard_and_a_platform_sees_only_its_own(front):
    gx_number, bj_number = id_number("450102"), id_number("110101")
    gx_person = await front.register("450102", number=gx_number)
    bj_person = await front.register("110101", name="王芳", number=bj_number)
    for province, own, number, other in (
        (GX, gx_person, gx_number, bj_number),
        (BJ, bj_person, bj_number, gx_number),
    ):
        found = await front.router.LookupPerson(
            pb.LookupPersonRequest(id_number=number), metadata=front.platform(province)
        )
        assert found.person.id == own.id
        hidden = await fails(
            front.router.LookupPerson(
                pb.LookupPersonRequest(id_number=other), metadata=front.platform(province)
            )
        )
        assert (hidden.code, hidden.reason, hidden.domain) == (
            C.NOT_FOUND,
            "PERSON_NOT_FOUND",
            "account.yibao",
        )
    for person, number in ((gx_person, gx_number), (bj_person, bj_number)):
        found = await front.router.LookupPerson(
            pb.LookupPersonRequest(id_number=number, name=person.name), metadata=front.service()
        )
        assert found.person.id == person.id
    # The shard that keeps the person refuses a wrong name; the other's NOT_FOUND does not win.
    wrong = await fails(
        front.router.LookupPerson(
            pb.LookupPersonRequest(id_number=bj_number, name="张三"), metadata=front.service()
        )
    )
    assert (wrong.code, wrong.reason) == (C.FAILED_PRECONDITION, "NAME_MISMATCH"), wrong
    nobody = await fails(
        front.router.LookupPerson(
            pb.LookupPersonRequest(id_number=id_number("450102"), name="张三"), metadata=front.service()
        )
    )
    assert (nobody.code, nobody.reason) == (C.NOT_FOUND, "PERSON_NOT_FOUND"), nobody


async def test_r24_a_shards_refusal_comes_back_as_the_shard_gave_it(front):
    good = id_number("450102")
    bad = pb.RegisterPersonRequest(
        id_number=good[:17] + ("0" if good[17] != "0" else "1"),  # a wrong check digit
        name="张伟",
        insurance_type=pb.INSURANCE_TYPE_EMPLOYEE,
        insured_region="450102",
    )
    through = await fails(front.router.RegisterPerson(bad, metadata=front.platform(GX)))
    direct = await fails(front.shards["gx"].stub.RegisterPerson(bad, metadata=front.platform(GX)))
    assert through.code is C.INVALID_ARGUMENT and through.reason.startswith("ID_NUMBER"), through
    assert through == direct  # code, message, reason, domain (account.yibao), metadata, fields

    # The caller's own token reaches the shard: a citizen may not read another's balances.
    person = await front.register("110101")
    other = front.citizen(str(uuid.uuid4()))
    denied = await fails(front.router.GetBalances(pb.GetBalancesRequest(person_id=person.id), metadata=other))
    assert (denied.code, denied.domain) == (C.PERMISSION_DENIED, "account.yibao"), denied
    # A person the index does not know: one shard answers, as the one service would.
    unknown = await fails(
        front.router.GetPerson(pb.GetPersonRequest(person_id=str(uuid.uuid4())), metadata=front.service())
    )
    assert (unknown.code, unknown.reason, unknown.domain) == (
        C.NOT_FOUND,
        "PERSON_NOT_FOUND",
        "account.yibao",
    )
    malformed = pb.GetPersonRequest(person_id="not-a-person-id")  # the index refuses it: unknown
    through = await fails(front.router.GetPerson(malformed, metadata=front.service()))
    direct = await fails(front.shards["bj"].stub.GetPerson(malformed, metadata=front.service()))
    assert through == direct and through.domain == "account.yibao", through


async def test_r24_one_shard_down_stops_only_the_calls_for_its_persons(front):
    gx_number = id_number("450102")
    gx_person = await front.register("450102", number=gx_number)
    bj_person = await front.register("110101", name="王芳")
    await front.shards["bj"].server.stop(0)

    down = await fails(
        front.router.GetBalances(pb.GetBalancesRequest(person_id=bj_person.id), metadata=front.service())
    )
    assert (down.code, down.reason, down.domain) == (C.UNAVAILABLE, "UPSTREAM_UNAVAILABLE", "router.yibao")
    assert down.metadata.get("service") == "account:bj", down
    registering = await fails(
        front.router.RegisterPerson(
            pb.RegisterPersonRequest(
                id_number=id_number("110101"),
                name="赵强",
                insurance_type=pb.INSURANCE_TYPE_EMPLOYEE,
                insured_region="110101",
            ),
            metadata=front.platform(BJ),
        )
    )
    assert registering.code is C.UNAVAILABLE and registering.metadata.get("service") == "account:bj"

    balances = await front.router.GetBalances(
        pb.GetBalancesRequest(person_id=gx_person.id), metadata=front.service()
    )
    assert balances.personal_account_fen == 0
    found = await front.router.LookupPerson(
        pb.LookupPersonRequest(id_number=gx_number), metadata=front.platform(GX)
    )
    assert found.person.id == gx_person.id  # 广西's shard knows them: 北京's silence does not matter
    unsure = await fails(
        front.router.LookupPerson(
            pb.LookupPersonRequest(id_number=id_number("110101")), metadata=front.platform(GX)
        )
    )
    assert unsure.code is C.UNAVAILABLE and unsure.metadata.get("service") == "account:bj", unsure


async def test_r24_the_shards_own_business_is_refused_by_the_router(front):
    person = await front.register("450102")
    hold = pb.HoldTransferRequest(
        transfer_id=str(uuid.uuid4()),
        payer_id=person.id,
        payee_id=person.id,
        source=pb.ACCOUNT_KIND_PERSONAL,
        amount_fen=100,
    )
    refused = await fails(front.router.HoldTransfer(hold, metadata=front.service()))
    assert (refused.code, refused.reason, refused.domain) == (
        C.FAILED_PRECONDITION,
        "METHOD_NOT_ROUTED",
        "router.yibao",
    ), refused
    assert refused.metadata == {"method": "HoldTransfer"} and "directly" in refused.message
    held = await front.shards["gx"].stub.BatchGetHolds(
        pb.BatchGetHoldsRequest(transfer_ids=[hold.transfer_id]), metadata=front.service()
    )
    assert list(held.holds) == []  # nothing reached a shard
    lapses = await fails(
        front.router.ListRelationLapses(pb.ListRelationLapsesRequest(), metadata=front.service())
    )
    assert (lapses.code, lapses.reason) == (C.FAILED_PRECONDITION, "METHOD_NOT_ROUTED")
    # Every one of them, each answered cleanly in the router's domain, naming itself.
    for method in SERVICE.methods:
        if isinstance(ROUTES.get(method.name), ShardsOnly):
            request = GetMessageClass(method.input_type)()
            refused = await fails(getattr(front.router, method.name)(request, metadata=front.service()))
            assert (refused.code, refused.reason, refused.domain, refused.metadata) == (
                C.FAILED_PRECONDITION,
                "METHOD_NOT_ROUTED",
                "router.yibao",
                {"method": method.name},
            ), refused
    # Refused by role first, as the account service refuses it (the router applies its policy).
    citizen = await fails(front.router.HoldTransfer(hold, metadata=front.citizen(person.id)))
    assert citizen.code is C.PERMISSION_DENIED
    anonymous = await fails(front.router.GetPerson(pb.GetPersonRequest(person_id=person.id)))
    assert anonymous.code is C.UNAUTHENTICATED


# --- a stand-in shard: what passes through the router, byte for byte


@dataclass
class Seen:
    requests: list[bytes] = field(default_factory=list)
    metadata: list[dict] = field(default_factory=list)


@contextlib.asynccontextmanager
async def stand_in_shard(answers: dict):
    """An AccountService that records what reaches it and answers
    ``answers[method](context)`` with raw bytes (or aborts in it)."""
    seen = Seen()

    def handler(method):
        async def answer(request: bytes, context):
            seen.requests.append(request)
            seen.metadata.append(dict(context.invocation_metadata()))
            return await answers[method](context)

        return grpc.unary_unary_rpc_method_handler(
            answer, request_deserializer=lambda b: b, response_serializer=lambda b: b
        )

    server = grpc.aio.server()
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(SERVICE.full_name, {m: handler(m) for m in answers}),)
    )
    port = server.add_secure_port("127.0.0.1:0", server_credentials(tls.SERVICE))
    await server.start()
    try:
        yield f"127.0.0.1:{port}", seen
    finally:
        await server.stop(0)


async def test_r24_bytes_metadata_status_and_trailers_pass_through_unchanged(
    new_database, region_target, tokens, clock, bearer
):
    person_id = str(uuid.uuid4())
    response = pb.GetBalancesResponse(wallet_fen=42).SerializeToString() + b"\xf8\x3f\x07"  # + field 1023
    refusal = to_status(
        DomainError(
            ErrorKind.FAILED_PRECONDITION, "WALLET_NOT_OPENED", "no wallet", {"person_id": person_id}
        ),
        "account.yibao",
    )

    async def balances(context):
        context.set_trailing_metadata((("x-shard", "stand-in"),))
        return response

    async def wallet(context):
        await context.abort(
            refusal.code, refusal.details, (*refusal.trailing_metadata, ("x-shard", "stand-in"))
        )

    async def person(context):
        await context.abort(C.INTERNAL, "a bug")  # no ErrorInfo: not an answer of the shard's own

    answers = {"GetBalances": balances, "GetWallet": wallet, "GetPerson": person}
    async with contextlib.AsyncExitStack() as stack:
        target, seen = await stack.enter_async_context(stand_in_shard(answers))
        index = await stack.enter_async_context(serve_index(new_database(), tokens, clock))
        await put_shard(region_target, bearer, "si", target, GX)
        async with aio_channel(index.address) as channel:
            claim = index_pb2.ClaimIdentityRequest(id_hash="ab" * 32, person_id=person_id, province=GX)
            await index_pb2_grpc.PersonIndexServiceStub(channel).ClaimIdentity(
                claim, metadata=bearer(Role.SERVICE, "account")
            )
        router, channel = await stack.enter_async_context(
            serve_router(region_target, index.address, "127.0.0.1:9", tokens, clock)
        )
        raw = pb.GetBalancesRequest(person_id=person_id).SerializeToString() + b"\xf8\x3f\x01"
        sent = (
            *bearer(Role.SERVICE, "transfer"),
            ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
            ("x-request-tag", "r-1"),
        )
        call = channel.unary_unary(f"/{SERVICE.full_name}/GetBalances")(raw, metadata=sent)
        assert await call == response
        assert ("x-shard", "stand-in") in tuple(await call.trailing_metadata())
        assert seen.requests == [raw]
        assert {k: v for k, v in seen.metadata[0].items() if k in dict(sent)} == dict(sent)

        request = pb.GetWalletRequest(person_id=person_id)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await router.GetWallet(request, metadata=bearer(Role.SERVICE, "transfer"))
        error = raised.value
        assert (error.code(), error.details()) == (C.FAILED_PRECONDITION, "no wallet")
        trailing = dict(error.trailing_metadata())
        assert trailing["x-shard"] == "stand-in"
        assert (
            trailing["grpc-status-details-bin"] == dict(refusal.trailing_metadata)["grpc-status-details-bin"]
        )

        broken = await fails(
            router.GetPerson(pb.GetPersonRequest(person_id=person_id), metadata=bearer(Role.SERVICE, "t"))
        )
        assert (broken.code, broken.reason, broken.metadata.get("service")) == (
            C.UNAVAILABLE,
            "UPSTREAM_BROKEN",
            "account:si",
        ), broken


# --- an empty map: the one account service


async def test_r24_with_an_empty_map_every_call_goes_to_the_one_account_service(
    account_server, region_target, tokens, clock, bearer
):
    async with serve_router(region_target, "127.0.0.1:9", account_server.address, tokens, clock) as (
        router,
        _,
    ):
        request = pb.RegisterPersonRequest(
            id_number=id_number("440103"),  # 广东: no shard would own it
            name="陈静",
            insurance_type=pb.INSURANCE_TYPE_EMPLOYEE,
            insured_region="440103",
        )
        platform = bearer(Role.PROVINCE, "p", province="440000")
        person = (await router.RegisterPerson(request, metadata=platform)).person
        async with aio_channel(account_server.address) as channel:
            direct = account_pb2_grpc.AccountServiceStub(channel)
            kept = await direct.GetPerson(
                pb.GetPersonRequest(person_id=person.id), metadata=bearer(Role.SERVICE, "t")
            )
        assert kept.person.id == person.id
        # The one service does everything, the transfer service's part too.
        lapses = await router.ListRelationLapses(
            pb.ListRelationLapsesRequest(), metadata=bearer(Role.SERVICE, "t")
        )
        assert list(lapses.lapses) == []


# --- as deployed


def test_serve_and_health_of_the_router(tmp_path):
    port, metrics_port = _free_ports(2)
    env = {
        **os.environ,
        "YIBAO_ROUTER_LISTEN": f"127.0.0.1:{port}",
        "YIBAO_ROUTER_METRICS_PORT": str(metrics_port),
    }
    refused = _yibao("migrate", "router", env=env)
    assert refused.returncode != 0  # no database
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "serve", "router"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with sync_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            stub = account_pb2_grpc.AccountServiceStub(channel)
            with pytest.raises(grpc.RpcError) as anonymous:
                stub.GetPerson(pb.GetPersonRequest(person_id=str(uuid.uuid4())), timeout=5)
            assert anonymous.value.code() is grpc.StatusCode.UNAUTHENTICATED
        healthy = _yibao("health", "router", env=env)
        assert (healthy.returncode, healthy.stdout.strip()) == (0, "router: SERVING"), healthy.stderr
        body = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
        assert 'method="GetPerson",service="router"' in body
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    down = _yibao("health", "router", env=env)
    assert down.returncode == 1 and "UNAVAILABLE" in down.stdout


def test_the_router_has_its_own_settings():
    from services.kernel.config import Settings

    settings = Settings(router_listen="10.0.0.5:50055", account_target="account:50052")
    assert (settings.router_listen, settings.router_metrics_port) == ("10.0.0.5:50055", 9105)
    assert Settings().router_listen == "127.0.0.1:50055"
    routed = RouterSettings.from_env(settings)
    assert (routed.listen, routed.account_target, routed.index_target) == (
        "10.0.0.5:50055",
        "account:50052",
        settings.index_target,
    )
    assert settings.service("router").database_url == ""

"""Demo persons for `yibao run --demo`, loaded through the account API as
their provincial platforms and themselves would: idempotent, so a re-run
changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import grpc
from yibao.account.v1 import account_pb2 as pb
from yibao.account.v1 import account_pb2_grpc
from yibao.type.v1 import relation_pb2

from services.account.domain.identity import check_digit
from services.kernel.auth import Principal, Role, TokenAuthority
from services.kernel.clock import Clock, beijing_month
from services.kernel.grpc_errors import error_details
from services.kernel.tls import TlsFiles, aio_channel, write_dev_pki


@dataclass(frozen=True)
class DemoPerson:
    first17: str
    name: str
    kind: pb.InsuranceType
    region: str
    mobile: str
    password: str
    funding_fen: int = 0

    @property
    def id_number(self) -> str:
        return self.first17 + check_digit(self.first17)


PAYER = DemoPerson(
    "45010219850307123", "张伟", pb.INSURANCE_TYPE_EMPLOYEE, "450102", "13800138000", "258036", 500_000
)
PAYEE = DemoPerson(
    "11010119580912002", "李秀英", pb.INSURANCE_TYPE_RESIDENT, "110101", "13900139000", "147258"
)


async def load_demo_persons(
    account_target: str, tokens: TokenAuthority, clock: Clock, tls: TlsFiles | None
) -> dict[str, str]:
    """Registers 张伟 (employee, 南宁, funded ¥5,000) and his mother 李秀英
    (resident, 北京), both with wallets and passwords; returns name -> person id."""

    def as_(role: Role, **scope: str):
        principal = Principal(scope.get("person_id") or scope.get("province") or "demo", role, **scope)
        return (("authorization", f"Bearer {tokens.mint(principal, clock.now(), timedelta(minutes=5))}"),)

    ids = {}
    async with aio_channel(account_target, tls) as channel:
        stub = account_pb2_grpc.AccountServiceStub(channel)
        for demo in (PAYER, PAYEE):
            province = as_(Role.PROVINCE, province=demo.region[:2] + "0000")
            person = (
                await stub.RegisterPerson(
                    pb.RegisterPersonRequest(
                        id_number=demo.id_number,
                        name=demo.name,
                        insurance_type=demo.kind,
                        insured_region=demo.region,
                    ),
                    metadata=province,
                )
            ).person
            ids[demo.name] = person.id
            me = as_(Role.CITIZEN, person_id=person.id)
            # Each step below may have been done on an earlier run (perhaps
            # in another month, or changed since through the CLI): then it is
            # left as it is.
            await _unless_done(
                stub.OpenWallet(
                    pb.OpenWalletRequest(person_id=person.id, place_of_use=demo.region, mobile=demo.mobile),
                    metadata=me,
                ),
                "WALLET_ALREADY_OPENED",
            )
            await _unless_done(
                stub.SetPassword(
                    pb.SetPasswordRequest(person_id=person.id, new_password=demo.password), metadata=me
                ),
                "CURRENT_PASSWORD_REQUIRED",
            )
            if demo.funding_fen:
                # The reference is the demo's own: "used with other content"
                # means funded on an earlier run, for the month of that run.
                await _unless_done(
                    stub.FundPersonalAccount(
                        pb.FundPersonalAccountRequest(
                            person_id=person.id,
                            amount_fen=demo.funding_fen,
                            reference=f"demo-{person.id}",
                            period=beijing_month(clock.now()),
                        ),
                        metadata=province,
                    ),
                    "REQUEST_ID_REUSED",
                )
        await stub.AttestRelation(
            pb.AttestRelationRequest(
                person_id=ids[PAYER.name], relative_id=ids[PAYEE.name], kind=relation_pb2.RELATION_KIND_PARENT
            ),
            metadata=as_(Role.PROVINCE, province="450000"),
        )
    return ids


async def _unless_done(call, done_reason: str) -> None:
    """Awaits a loading call; a refusal for ``done_reason`` means it was done before."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        details = error_details(error)
        if details is None or details.reason != done_reason:
            raise


async def walk(console, account_shards: int = 1) -> None:
    """The scripted demo (make demo): the three services in this process on
    throwaway SQLite databases, with a clock the script moves, walking a
    cross-province transfer from 南宁 to 北京: held, received; declined and
    refunded; unreceived and refunded at 06:00 the next morning. With
    ``account_shards`` above 1, on the federated topology (R24): 南宁's and
    北京's persons in two shards, behind the account router."""
    import asyncio
    import tempfile
    import uuid
    from datetime import datetime, time

    from rich.table import Table
    from yibao.transfer.v1 import transfer_pb2 as tpb
    from yibao.transfer.v1 import transfer_pb2_grpc
    from yibao.type.v1 import verification_pb2

    from services.cli.client import yuan
    from services.cli.transfer_commands import notifications_table, transfers_table
    from services.cluster import start_cluster
    from services.federation import migrate_federation
    from services.kernel.clock import BEIJING, FrozenClock, beijing
    from services.kernel.config import load_settings
    from services.kernel.migrations import upgrade
    from services.kernel.proto_time import from_timestamp
    from services.region.adapters.seed import seed_region

    clock = FrozenClock(datetime.combine(datetime.now(BEIJING).date(), time(10, 0), tzinfo=BEIJING))
    key = uuid.uuid4().hex
    tokens = TokenAuthority("HS256", key, key, clock=clock)
    with tempfile.TemporaryDirectory(prefix="yibao-demo-") as data:
        urls = {name: f"sqlite:///{data}/{name}.db" for name in ("region", "account", "transfer", "index")}
        for name, url in urls.items():
            upgrade(name, url)
        await seed_region(urls["region"], clock, demo=True)
        per_service = {
            f"{name}_{option}": value
            for name, url in urls.items()
            for option, value in (("database_url", url), ("listen", "127.0.0.1:0"), ("metrics_port", 0))
        }
        tls = write_dev_pki(Path(data) / "tls")["service"]
        env = load_settings(
            **per_service,
            tls_ca_file=tls.ca,
            tls_cert_file=tls.cert,
            tls_key_file=tls.key,
            account_id_hash_key=key,
            face_ticket_key=key,
            password_hash_time_cost=1,
            password_hash_memory_kib=8192,
            transfer_worker_interval_seconds=0.1,
        )
        if account_shards > 1:
            migrate_federation(env, account_shards)
        servers = await start_cluster(env, clock, tokens=tokens, account_shards=account_shards)
        named = {s.definition.name: s for s in reversed(servers)}
        account, transfer = named.get("router") or named["account"], named["transfer"]
        try:
            ids = await load_demo_persons(account.address, tokens, clock, tls)
            payer, payee = ids[PAYER.name], ids[PAYEE.name]

            class Citizens:
                """Each call's token minted at the demo clock's now (it moves days ahead)."""

                def __getitem__(self, pid: str):
                    token = tokens.mint(Principal(pid, Role.CITIZEN, person_id=pid), clock.now())
                    return (("authorization", f"Bearer {token}"),)

            citizen = Citizens()
            async with (
                aio_channel(account.address, tls) as a_channel,
                aio_channel(transfer.address, tls) as t_channel,
            ):
                accounts = account_pb2_grpc.AccountServiceStub(a_channel)
                transfers = transfer_pb2_grpc.TransferServiceStub(t_channel)

                async def show_balances(title: str) -> None:
                    table = Table(title=f"{title}  ({beijing(clock.now()):%Y-%m-%d %H:%M} Beijing)")
                    for column in ("person", "insured in", "个人账户 personal", "医保钱包 wallet"):
                        table.add_column(column)
                    for demo, pid in ((PAYER, payer), (PAYEE, payee)):
                        b = await accounts.GetBalances(
                            pb.GetBalancesRequest(person_id=pid), metadata=citizen[pid]
                        )
                        table.add_row(
                            demo.name,
                            demo.region,
                            yuan(b.personal_account_fen) if b.has_personal_account else "—",
                            yuan(b.wallet_fen),
                        )
                    console.print(table)

                async def send(amount_fen: int):
                    request = tpb.SubmitTransferRequest(
                        payer_id=payer,
                        source=tpb.TRANSFER_SOURCE_PERSONAL_ACCOUNT,
                        payee_name=PAYEE.name,
                        payee_id_number=PAYEE.id_number,
                        relation=relation_pb2.RELATION_KIND_PARENT,
                        amount_fen=amount_fen,
                        verification=verification_pb2.Verification(password=PAYER.password),
                        request_id=str(uuid.uuid4()),
                    )
                    return (await transfers.SubmitTransfer(request, metadata=citizen[payer])).transfer

                async def payee_answers(method: str, t):
                    request = getattr(tpb, f"{method}Request")(id=t.id)
                    return (await getattr(transfers, method)(request, metadata=citizen[payee])).transfer

                async def show(t, title: str) -> None:
                    console.print(transfers_table([t]))
                    await show_balances(title)

                await show_balances("Start: 张伟 (南宁, employee) and his mother 李秀英 (北京, resident)")
                console.rule("1. 张伟 sends ¥500.00 from his personal account: the money is held")
                t1 = await send(50_000)
                await show(t1, "Held: it left 张伟's personal account, waiting for his mother")
                console.rule("2. 李秀英 receives it")
                await show(
                    await payee_answers("ReceiveTransfer", t1), "Received: credited to 李秀英's wallet"
                )
                console.rule("3. 张伟 sends ¥300.00; 李秀英 declines: refunded at once")
                t2 = await payee_answers("DeclineTransfer", await send(30_000))
                await show(t2, "Declined: back in 张伟's personal account")
                console.rule("4. 张伟 sends ¥200.00; nobody receives it before 06:00")
                t3 = await send(20_000)
                await show_balances("Held overnight")
                clock.set(from_timestamp(t3.expire_time))
                for _ in range(100):
                    t3 = (
                        await transfers.GetTransfer(tpb.GetTransferRequest(id=t3.id), metadata=citizen[payer])
                    ).transfer
                    if t3.status == tpb.TRANSFER_STATUS_REFUNDED:
                        break
                    await asyncio.sleep(0.1)
                console.print(transfers_table([t3]))
                await show_balances("06:00 the next morning: refunded to the source")
                for _ in range(100):  # the notifier follows the events on its own time
                    told = await transfers.ListNotifications(
                        tpb.ListNotificationsRequest(person_id=payer), metadata=citizen[payer]
                    )
                    if len(told.notifications) == 3:
                        break
                    await asyncio.sleep(0.1)
                for pid, who in ((payee, "李秀英"), (payer, "张伟")):
                    told = await transfers.ListNotifications(
                        tpb.ListNotificationsRequest(person_id=pid), metadata=citizen[pid]
                    )
                    console.rule(f"Notifications to {who} (SMS / app push)")
                    console.print(notifications_table(reversed(told.notifications)))
                quota = await transfers.GetQuota(
                    tpb.GetQuotaRequest(person_id=payer), metadata=citizen[payer]
                )
                console.print(
                    f"张伟's quota today: {quota.transfers_left_today} of {quota.transfers_per_day} transfers left"
                )
                month = f"{beijing(from_timestamp(t1.create_time)):%Y-%m}"  # when ¥500.00 crossed
                admin = (
                    ("authorization", f"Bearer {tokens.mint(Principal('demo', Role.ADMIN), clock.now())}"),
                )
                statement = await transfers.GetSettlementStatement(
                    tpb.GetSettlementStatementRequest(month=month), metadata=admin
                )
                console.rule(f"Settlement {month}")
                for flow in statement.flows:
                    console.print(
                        f"{flow.from_province} -> {flow.to_province}: {flow.count} transfer(s), {yuan(flow.amount_fen)}"
                    )
                for position in statement.positions:
                    console.print(f"{position.province} net {yuan(position.net_fen)}")
            targets = {f"{name}_target": s.address for name, s in named.items()} | {
                "account_target": account.address
            }
            await _through_the_gateway(console, env.model_copy(update=targets), tokens, clock, Path(data))
        finally:
            for server in reversed(servers):
                await server.stop(0)


async def _through_the_gateway(console, env, tokens: TokenAuthority, clock: Clock, data: Path) -> None:
    """5. 广西's platform, over HTTPS with SM2-signed, SM4-encrypted envelopes
    (no gRPC stubs), registers a person, funds and looks her up."""
    from services.gateway.bootstrap import read_key, start_gateway
    from services.gateway.client import ProvinceClient
    from services.gateway.gm import SM2PrivateKey, SM2PublicKey
    from services.kernel.config import tls_from

    gateway = await start_gateway(
        env.model_copy(update={"gateway_listen": "127.0.0.1:0"}), tokens, clock, SM2PrivateKey.generate()
    )
    try:
        app_id, key_file = await register_demo_platform(
            env.region_target, tokens, clock, tls_from(env), data / "gateway"
        )
        console.rule(f"5. 广西's platform ({app_id}) over HTTPS + 国密: {gateway.url}/api/v1/…")
        platform = ProvinceClient(
            gateway.url,
            app_id,
            read_key(key_file),
            SM2PublicKey.from_hex(gateway.public_key),
            ca_file=env.tls_ca_file,
        )
        wanted = {
            "idNumber": DEMO_GATEWAY_PERSON,
            "name": "韦海",
            "insuranceType": "INSURANCE_TYPE_EMPLOYEE",
            "insuredRegion": "450103",
        }
        sealed = platform.envelope(wanted, clock.now())
        console.print(
            f"POST /api/v1/RegisterPerson  appId={sealed['appId']} timestamp={sealed['timestamp']} "
            f"nonce={sealed['nonce']} encData={sealed['encData'][:24]}… signData={sealed['signData'][:24]}…"
        )
        person = (await platform.acall("RegisterPerson", wanted, clock.now()))["person"]
        console.print(f"  registered {person['name']} ({person['insuredRegion']}): {person['id']}")
        month = beijing_month(clock.now())
        funding = {
            "personId": person["id"],
            "amountFen": "80000",
            "reference": "gx-demo-0001",
            "period": month,
        }
        await platform.acall("FundPersonalAccount", funding, clock.now())
        console.print(f"POST /api/v1/FundPersonalAccount  ¥800.00 for {month}, reference gx-demo-0001")
        found = await platform.acall(
            "LookupPerson", {"idNumber": wanted["idNumber"], "name": "韦海"}, clock.now()
        )
        console.print(
            f"POST /api/v1/LookupPerson  -> {found['person']['id']} (answer signed by the gateway, verified)"
        )
    finally:
        await gateway.stop(0)


DEMO_GATEWAY_PERSON = "450103199204151230"  # 韦海, registered through the gateway by the demo


DEMO_PLATFORM = ("gx-demo", "450000")  # 广西's platform on the gateway, in the demo


async def register_demo_platform(
    region_target: str, tokens: TokenAuthority, clock: Clock, tls: TlsFiles | None, directory: Path
) -> tuple[str, Path]:
    """Registers the demo platform's SM2 key (made once under ``directory``)
    with the region service, as the administrator would; returns its app id
    and key file. Idempotent."""
    from yibao.region.v1 import region_pb2, region_pb2_grpc

    from services.gateway.bootstrap import dev_key_file, read_key

    app_id, province = DEMO_PLATFORM
    key_file = dev_key_file(directory, f"{app_id}-key")
    admin = Principal("demo-admin", Role.ADMIN)
    metadata = (("authorization", f"Bearer {tokens.mint(admin, clock.now(), timedelta(minutes=5))}"),)
    request = region_pb2.CreatePlatformKeyRequest(
        platform_key=region_pb2.PlatformKey(
            app_id=app_id, province=province, public_key=read_key(key_file).public_key().to_hex()
        )
    )
    async with aio_channel(region_target, tls) as channel:
        await region_pb2_grpc.RegionServiceStub(channel).CreatePlatformKey(
            request, metadata=metadata, timeout=10
        )
    return app_id, key_file

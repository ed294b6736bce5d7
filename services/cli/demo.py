"""Demo persons for `yibao run --demo`, loaded through the account API as
their provincial platforms and themselves would: idempotent, so a re-run
changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import grpc
from yibao.account.v1 import account_pb2 as pb
from yibao.account.v1 import account_pb2_grpc

from services.account.domain.identity import check_digit
from services.kernel.auth import Principal, Role, TokenAuthority
from services.kernel.clock import Clock


@dataclass(frozen=True)
class DemoPerson:
    first17: str
    name: str
    kind: int
    region: str
    mobile: str
    password: str
    funding_fen: int = 0

    @property
    def id_number(self) -> str:
        return self.first17 + check_digit(self.first17)


PAYER = DemoPerson("45010219850307123", "张伟", pb.INSURANCE_TYPE_EMPLOYEE, "450102", "13800138000", "258036", 500_000)
PAYEE = DemoPerson("11010119580912002", "李秀英", pb.INSURANCE_TYPE_RESIDENT, "110101", "13900139000", "147258")


async def load_demo_persons(account_target: str, tokens: TokenAuthority, clock: Clock) -> dict[str, str]:
    """Registers 张伟 (employee, 南宁, funded ¥5,000) and his mother 李秀英
    (resident, 北京), both with wallets and passwords; returns name -> person id."""

    def as_(role: Role, **scope: str):
        principal = Principal(scope.get("person_id") or scope.get("province") or "demo", role, **scope)
        return (("authorization", f"Bearer {tokens.mint(principal, clock.now(), timedelta(minutes=5))}"),)

    ids = {}
    async with grpc.aio.insecure_channel(account_target) as channel:
        stub = account_pb2_grpc.AccountServiceStub(channel)
        for demo in (PAYER, PAYEE):
            province = as_(Role.PROVINCE, province=demo.region[:2] + "0000")
            person = (await stub.RegisterPerson(
                pb.RegisterPersonRequest(id_number=demo.id_number, name=demo.name, insurance_type=demo.kind, insured_region=demo.region), metadata=province
            )).person
            ids[demo.name] = person.id
            me = as_(Role.CITIZEN, person_id=person.id)
            await stub.OpenWallet(pb.OpenWalletRequest(person_id=person.id, place_of_use=demo.region, mobile=demo.mobile), metadata=me)
            try:
                await stub.SetPassword(pb.SetPasswordRequest(person_id=person.id, new_password=demo.password), metadata=me)
            except grpc.aio.AioRpcError as error:  # set on an earlier run
                if error.code() is not grpc.StatusCode.INVALID_ARGUMENT:
                    raise
            if demo.funding_fen:
                await stub.FundPersonalAccount(
                    pb.FundPersonalAccountRequest(person_id=person.id, amount_fen=demo.funding_fen, reference=f"demo-{person.id}", period="demo"),
                    metadata=province,
                )
        await stub.AttestRelation(
            pb.AttestRelationRequest(person_id=ids[PAYER.name], relative_id=ids[PAYEE.name], kind=pb.RELATION_KIND_PARENT),
            metadata=as_(Role.PROVINCE, province="450000"),
        )
    return ids

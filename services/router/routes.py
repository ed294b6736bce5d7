"""The account router's table (R24): for each AccountService method, how the
shard that answers a call is found. It knows nothing of persons or money:
a route names a field of the request and what kind of key that field holds.

- ``ByPerson(field)``: a person id. The national index gives the person's
  province, and the map gives the province's shard. A person the index does
  not know goes to the first shard, which answers as the one account
  service would (NOT_FOUND, PERMISSION_DENIED).
- ``ByRegion(field)``: a region code. The call goes to the shard of its
  province. A code that is not six digits goes to the first shard, which
  refuses it.
- ``Everywhere()``: the request names nothing the router can place (an ID
  number, an institution's order), so every shard is asked, and the one
  that knows answers (``forward.pick``).
- ``ShardsOnly(why)``: the shards' own business with the transfer service
  or with each other. A caller of these knows the shards and calls them
  directly, so the router refuses them (FAILED_PRECONDITION
  METHOD_NOT_ROUTED).

A method missing from the table is refused the same way: a new method is
routed only once someone has said how (tests/router checks that every
method of the service is in the table). With an empty shard map the table
is not read: every call goes to the one account service."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ByPerson:
    field: str


@dataclass(frozen=True)
class ByRegion:
    field: str


@dataclass(frozen=True)
class Everywhere:
    pass


@dataclass(frozen=True)
class ShardsOnly:
    why: str


Route = ByPerson | ByRegion | Everywhere | ShardsOnly

_MONEY = ShardsOnly(
    "the transfer service calls the shard of the transfer's payer (or payee) directly, by the shard map"
)
_PEERS = ShardsOnly("a shard calls the other shards directly, by the shard map")
_PERSON = ByPerson("person_id")

ROUTES: dict[str, Route] = {
    # persons
    "RegisterPerson": ByRegion("insured_region"),
    "UpdateInsurance": _PERSON,
    "GetPerson": _PERSON,
    "LookupPerson": Everywhere(),  # by ID number: the router has no key to place it
    "FundPersonalAccount": _PERSON,
    # wallets, relatives, credentials
    "OpenWallet": _PERSON,
    "GetWallet": _PERSON,
    "ChangePlaceOfUse": _PERSON,
    "ChangeMobile": _PERSON,
    "AttestRelation": _PERSON,
    "ListRelations": _PERSON,
    "SetPassword": _PERSON,
    "VerifyCredential": _PERSON,
    # payments, bills, statements
    "ChargeWallet": _PERSON,
    "GetPayment": Everywhere(),  # by the institution's order: one shard knows it
    "RefundPayment": Everywhere(),
    "PayContribution": ByPerson("payer_id"),  # the wallet it is paid from
    "IssueContributionBill": _PERSON,
    "ListContributionBills": _PERSON,
    "ListBillEvents": ByRegion("province"),
    "GetBalances": _PERSON,
    "ListStatementEntries": _PERSON,
    # the money of transfers and what the transfer service reads (R10, R22, R24)
    "GetTransferParties": _MONEY,
    "BatchGetTransferParties": _MONEY,
    "HoldTransfer": _MONEY,
    "HoldTransfers": _MONEY,
    "ReceiveTransfer": _MONEY,
    "ReceiveTransfers": _MONEY,
    "CreditTransfers": _MONEY,
    "RefundTransfer": _MONEY,
    "RefundTransfers": _MONEY,
    "ListHolds": _MONEY,
    "BatchGetHolds": _MONEY,
    "ListRelationLapses": ShardsOnly("the transfer service follows each shard's lapses from the shard"),
    "GetClearingStatement": ShardsOnly("each shard has its own clearing accounts: ask the shard"),
    # between shards (R24): the person named is kept by another shard than the one asked
    "LinkRelation": _PEERS,
    "LapseRelations": _PEERS,
    "AdmitPerson": _PEERS,
    "CollectContribution": _PEERS,
}

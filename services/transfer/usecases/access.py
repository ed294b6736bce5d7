"""Who may do what with transfers (R20), in one place.

Two layers: ``METHODS`` names the roles each RPC admits (the interceptor
refuses any other role before a use case runs), and the functions below
narrow an admitted caller to what is theirs. The matrix:

- submit: a citizen, as the payer only;
- read one transfer: its payer or payee, the platform of either's
  province, a service; list transfers, quota, notifications: the person
  themselves or a service;
- receive, decline: the payee, or the platform of the payee's province;
- the event stream: a platform, for its own province only;
- the settlement statement: a platform (its own province's rows), the
  administrator and services (all of it).

The administrator sees no person's transfers. A refusal never tells whether
the transfer exists (PERMISSION_DENIED either way)."""

from __future__ import annotations

from services.kernel.auth import Access, Principal, Role
from services.kernel.errors import permission_denied
from services.transfer.domain.errors import transfer_not_found
from services.transfer.domain.settlement import Flow
from services.transfer.domain.transfer import Transfer
from services.transfer.usecases.common import TransferDeps

_PARTIES = Access.only(Role.CITIZEN, Role.PROVINCE, Role.SERVICE)
_OWNER_OR_SERVICE = Access.only(Role.CITIZEN, Role.SERVICE)
_PAYEE_SIDE = Access.only(Role.CITIZEN, Role.PROVINCE)
METHODS = {
    "SubmitTransfer": Access.only(Role.CITIZEN),
    "GetTransfer": _PARTIES,
    "ListTransfers": _OWNER_OR_SERVICE,
    "ReceiveTransfer": _PAYEE_SIDE,
    "DeclineTransfer": _PAYEE_SIDE,
    "GetQuota": _OWNER_OR_SERVICE,
    "StreamTransferEvents": Access.only(Role.PROVINCE),
    "GetSettlementStatement": Access.only(Role.PROVINCE, Role.ADMIN, Role.SERVICE),
    "ListNotifications": _PARTIES,
}


def may_see_transfer(caller: Principal, t: Transfer | None) -> bool:
    """Payer and payee, their provinces' platforms, and services."""
    if caller.role is Role.SERVICE:
        return True
    if t is None:
        return False
    if caller.role is Role.CITIZEN:
        return caller.person_id in (t.payer_id, t.payee_id)
    if caller.role is Role.PROVINCE:
        return caller.province in (t.payer_province, t.payee_province)
    return False


def require_visible(caller: Principal, t: Transfer | None, transfer_id: str) -> Transfer:
    """``t`` if the caller may see it; refused the same whether it exists or not."""
    if not may_see_transfer(caller, t):
        raise permission_denied()
    if t is None:
        raise transfer_not_found(transfer_id)
    return t


async def visible_transfer(deps: TransferDeps, caller: Principal, transfer_id: str) -> Transfer:
    """The transfer, read and checked with ``require_visible``."""
    async with deps.uow(read_only=True) as tx:
        return require_visible(caller, await tx.transfers.get(transfer_id), transfer_id)


def require_payee_side(caller: Principal, t: Transfer) -> None:
    """Only the payee, or the platform of the payee's province, receives or declines."""
    allowed = (caller.role is Role.CITIZEN and caller.person_id == t.payee_id) or (
        caller.role is Role.PROVINCE and caller.province == t.payee_province
    )
    if not allowed:
        raise permission_denied("only the payee, or the platform of the payee's province", scope="payee_side")


def require_payer(caller: Principal, payer_id: str) -> None:
    """A citizen submits transfers from their own wallet only."""
    if caller.person_id != payer_id:
        raise permission_denied("a citizen transfers from their own account only", scope="own_person")


def require_own(caller: Principal, person_id: str) -> None:
    """A citizen asks about themselves only (their transfers, quota,
    notifications); a service about anyone."""
    if caller.role is Role.CITIZEN and caller.person_id != person_id:
        raise permission_denied("a citizen asks about themselves only", scope="own_person")


async def require_reader_of_person(deps: TransferDeps, caller: Principal, person_id: str) -> None:
    """A citizen about themselves; a platform about persons insured in its
    province (asked of the account service); a service about anyone."""
    if caller.role is Role.PROVINCE:
        if await deps.accounts.insured_province(person_id) != caller.province:
            raise permission_denied("only the platform of the person's province", scope="own_province")
        return
    require_own(caller, person_id)


def require_platform_of(caller: Principal, province: str) -> None:
    """The platform of ``province``, and no one else."""
    if not (caller.role is Role.PROVINCE and caller.province == province):
        raise permission_denied("only the platform of this province", scope="own_province")


def settlement_seen_by(
    caller: Principal, flows: list[Flow], positions: dict[str, int]
) -> tuple[list[Flow], dict[str, int]]:
    """What of a month's settlement the caller sees: a platform the flows
    that involve its province and its own position; others all of it."""
    if caller.role is not Role.PROVINCE:
        return flows, positions
    mine = [f for f in flows if caller.province in (f.from_province, f.to_province)]
    return mine, {p: net for p, net in positions.items() if p == caller.province}

"""Submitting a transfer (R13, R14, R16): every gate before any money moves."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.kernel.auth import Principal
from services.kernel.errors import Conflict, permission_denied
from services.kernel.idempotency import content_hash, reused_request_id, validate_request_id
from services.kernel.region_codes import RegionStatus, province_of
from services.kernel.relations import RelationKind
from services.transfer.domain.errors import (
    daily_limit,
    payee_has_pending_transfer,
    payee_wallet_not_opened,
    payer_wallet_not_opened,
    region_not_enabled,
    relation_required,
    source_required,
    source_requires_employee_insurance,
    verification_required,
)
from services.transfer.domain.transfer import (
    Source,
    Status,
    Transfer,
    check_amount,
    check_not_self,
    check_relation,
    check_window,
)
from services.transfer.usecases.common import TransferDeps
from services.transfer.usecases.saga import Saga


@dataclass(frozen=True)
class SubmitTransfer:
    payer_id: str
    source: Source | None
    payee_name: str
    payee_id_number: str
    relation: RelationKind | None  # what the payee is to the payer
    amount: int
    password: str | None
    face_ticket: str | None
    request_id: str

    def fingerprint(self) -> str:
        """What makes two submissions the same request (the verification is
        left out: a retry may carry a fresh face ticket)."""
        return content_hash(
            {
                "payer": self.payer_id,
                "source": self.source and self.source.value,
                "name": self.payee_name.strip(),
                "id": self.payee_id_number.strip().upper(),
                "relation": self.relation and self.relation.value,
                "amount": self.amount,
            }
        )


class SubmitTransferUseCase:
    def __init__(self, deps: TransferDeps, saga: Saga) -> None:
        self._d = deps
        self._saga = saga

    async def __call__(self, caller: Principal, cmd: SubmitTransfer) -> Transfer:
        if caller.person_id != cmd.payer_id:
            raise permission_denied()
        request_id = validate_request_id(cmd.request_id, required=True)
        if cmd.source is None:
            raise source_required()
        if cmd.relation is None:
            raise relation_required()
        if not (cmd.password or cmd.face_ticket):
            raise verification_required()
        if earlier := await self._earlier(cmd):
            return earlier

        # R14, cheapest first; all before any money moves. The account service
        # verifies the credential before it looks at the payee.
        policy, now = self._d.policy, self._d.clock.now()
        check_amount(policy, cmd.amount)
        check_window(policy, now)
        parties = await self._d.accounts.parties(
            cmd.payer_id, cmd.payee_id_number, cmd.payee_name, cmd.password, cmd.face_ticket
        )
        payer, payee = parties.payer, parties.payee
        check_not_self(payer.person_id, payee.person_id)
        check_relation(cmd.relation, parties.relation)
        if payer.place_of_use is None:
            raise payer_wallet_not_opened()
        if payee.place_of_use is None:
            raise payee_wallet_not_opened()
        if cmd.source is Source.PERSONAL and not payer.employee:
            raise source_requires_employee_insurance()
        await self._check_regions(payer.insured_region, payer.place_of_use, payee.place_of_use)

        transfer = Transfer(
            id=str(uuid.uuid4()),
            request_id=request_id,
            request_hash=cmd.fingerprint(),
            payer_id=payer.person_id,
            payee_id=payee.person_id,
            payee_name=payee.name,
            payee_masked_id_number=payee.masked_id_number,
            relation=cmd.relation,
            source=cmd.source,
            amount=cmd.amount,
            status=Status.ACCEPTED,
            payer_province=province_of(payer.insured_region),
            payee_province=province_of(payee.insured_region),
            created_at=now,
            expires_at=policy.expires_at(now),
        )
        try:
            await self._accept(transfer)
        except Conflict:
            # A concurrent identical submission got in first, or the payee
            # got another open transfer from this payer in the meantime.
            if earlier := await self._earlier(cmd):
                return earlier
            raise payee_has_pending_transfer() from None
        return await self._saga.hold(transfer)

    async def _earlier(self, cmd: SubmitTransfer) -> Transfer | None:
        """The transfer this request id made before, if the content is the same."""
        async with self._d.uow(read_only=True) as tx:
            earlier = await tx.transfers.by_request(cmd.payer_id, cmd.request_id)
        if earlier is not None and earlier.request_hash != cmd.fingerprint():
            raise reused_request_id(cmd.request_id)
        return earlier

    async def _check_regions(self, insured: str, payer_place: str, payee_place: str) -> None:
        statuses = await self._d.regions.statuses(sorted({insured, payer_place, payee_place}))
        for code, role in (
            (insured, "payer_insured_region"),
            (payer_place, "payer_place_of_use"),
            (payee_place, "payee_place_of_use"),
        ):
            if statuses.get(code) is not RegionStatus.ENABLED:
                raise region_not_enabled(code, role)

    async def _accept(self, t: Transfer) -> None:
        """Records the transfer, counting it against today's limit; both
        limits are enforced by the database (a unique key, a conditional
        upsert), so concurrent submissions cannot slip past them."""
        policy = self._d.policy
        async with self._d.uow() as tx:
            await tx.transfers.add(t)  # Conflict: the payee has an open transfer, or a copy raced us
            if not await tx.transfers.take_daily_slot(
                t.payer_id, policy.day_of(t.created_at), policy.per_day
            ):
                raise daily_limit(policy.per_day)
            await tx.commit()

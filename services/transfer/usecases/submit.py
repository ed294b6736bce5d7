"""Submitting a transfer (R13, R14, R16): every gate before any money moves."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from services.kernel.auth import Principal
from services.kernel.db import is_unique_violation
from services.kernel.errors import invalid_argument, permission_denied
from services.kernel.idempotency import content_hash, reused_request_id, validate_request_id
from services.kernel.region_codes import province_of
from services.transfer.adapters.repository import TransferRepository
from services.transfer.domain.transfer import (
    Relation,
    Source,
    Status,
    Transfer,
    check_amount,
    check_not_self,
    check_relation,
    check_window,
    gate,
)
from services.transfer.usecases.common import Saga, TransferDeps


@dataclass(frozen=True)
class SubmitTransfer:
    payer_id: str
    source: Source | None
    payee_name: str
    payee_id_number: str
    relation: Relation | None
    amount: int
    password: str | None
    face_ticket: str | None
    request_id: str

    def fingerprint(self) -> str:
        """What makes two submissions the same request (the verification is
        left out: a retry may carry a fresh face ticket)."""
        return content_hash(
            {
                "payer": self.payer_id, "source": self.source and self.source.value, "name": self.payee_name.strip(),
                "id": self.payee_id_number.strip().upper(), "relation": self.relation and self.relation.value, "amount": self.amount,
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
            raise invalid_argument("SOURCE_REQUIRED", "source", "personal account or wallet")
        if cmd.relation is None:
            raise invalid_argument("RELATION_REQUIRED", "relation", "how the payee is related to the payer")
        if not (cmd.password or cmd.face_ticket):
            raise invalid_argument("VERIFICATION_REQUIRED", "verification", "a password or a face ticket")
        if earlier := await self._earlier(cmd):
            return earlier

        # R14, cheapest first; all before any money moves.
        policy, now = self._d.policy, self._d.clock.now()
        check_amount(policy, cmd.amount)
        check_window(policy, now)
        parties = await self._d.accounts.parties(cmd.payer_id, cmd.payee_id_number, cmd.payee_name)
        payer, payee = parties.payer, parties.payee
        check_not_self(payer.person_id, payee.person_id)
        check_relation(cmd.relation, parties.relation)
        if payer.place_of_use is None:
            raise gate("PAYER_WALLET_NOT_OPENED", "open your own wallet before transferring")
        if payee.place_of_use is None:
            raise gate("PAYEE_WALLET_NOT_OPENED", "the payee has not opened a wallet (未开立)")
        if cmd.source is Source.PERSONAL and not payer.employee:
            raise gate("SOURCE_REQUIRES_EMPLOYEE_INSURANCE", "only employee-insured persons transfer from a personal account")
        await self._check_regions(payer.insured_region, payer.place_of_use, payee.place_of_use)
        await self._d.accounts.verify(payer.person_id, cmd.password, cmd.face_ticket)

        transfer = Transfer(
            id=str(uuid.uuid4()), request_id=request_id, request_hash=cmd.fingerprint(), payer_id=payer.person_id,
            payee_id=payee.person_id, payee_name=payee.name, payee_masked_id_number=payee.masked_id_number,
            relation=cmd.relation, source=cmd.source, amount=cmd.amount, status=Status.ACCEPTED,
            payer_province=province_of(payer.insured_region), payee_province=province_of(payee.insured_region),
            created_at=now, expires_at=policy.expires_at(now),
        )
        try:
            await self._accept(transfer)
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise
            # A concurrent identical submission got in first, or the payee
            # got another open transfer from this payer in the meantime.
            if earlier := await self._earlier(cmd):
                return earlier
            raise gate("PAYEE_HAS_PENDING_TRANSFER", "a transfer to this payee is still waiting to be received") from None
        return await self._saga.hold(transfer)

    async def _earlier(self, cmd: SubmitTransfer) -> Transfer | None:
        """The transfer this request id made before, if the content is the same."""
        async with self._d.engine.connect() as conn:
            earlier = await TransferRepository(conn).by_request(cmd.payer_id, cmd.request_id)
        if earlier is not None and earlier.request_hash != cmd.fingerprint():
            raise reused_request_id(cmd.request_id)
        return earlier

    async def _check_regions(self, insured: str, payer_place: str, payee_place: str) -> None:
        statuses = await self._d.regions.statuses(sorted({insured, payer_place, payee_place}))
        for code, role in ((insured, "payer_insured_region"), (payer_place, "payer_place_of_use"), (payee_place, "payee_place_of_use")):
            if statuses.get(code) != "enabled":
                raise gate("REGION_NOT_ENABLED", f"the wallet is not enabled in {code}", region=code, role=role)

    async def _accept(self, t: Transfer) -> None:
        """Records the transfer, counting it against today's limit; both
        limits are enforced by the database, so concurrent submissions cannot
        slip past them."""
        async with self._d.engine.begin() as conn:
            repo = TransferRepository(conn)
            if await repo.has_open_to(t.payer_id, t.payee_id):
                raise gate("PAYEE_HAS_PENDING_TRANSFER", "a transfer to this payee is still waiting to be received")
            if not await repo.take_daily_slot(t.payer_id, self._d.policy.day_of(t.created_at), self._d.policy.per_day):
                raise gate(
                    "DAILY_TRANSFER_LIMIT", f"at most {self._d.policy.per_day} transfers a day", limit=str(self._d.policy.per_day)
                )
            await repo.add(t)

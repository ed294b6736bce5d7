"""The 医保码 password and face tickets (R9)."""

from __future__ import annotations

import asyncio

from services.account.domain import errors
from services.account.domain.credentials import (
    FaceTicket,
    PasswordState,
    Purpose,
    read_face_ticket,
    validate_new_password,
)
from services.account.usecases import access
from services.account.usecases.access import person_for
from services.account.usecases.common import AccountDeps
from services.kernel.auth import Principal
from services.kernel.errors import DomainError


class CredentialUseCases:
    def __init__(self, deps: AccountDeps) -> None:
        self._d = deps

    async def set_password(self, caller: Principal, person_id: str, current: str, new: str) -> None:
        validate_new_password(new)
        async with self._d.uow(read_only=True) as tx:
            await person_for(caller, tx.accounts, person_id, access.OWNER)
            existing = await tx.accounts.password(person_id)
        if existing is not None:
            if not current:
                raise errors.current_password_required()
            await self.verify_password(person_id, current)
        new_hash, now = await self._d.hash_password(new), self._d.clock.now()
        async with self._d.uow() as tx:
            if existing is None:
                written = await tx.accounts.add_password(person_id, PasswordState(new_hash), now)
            else:
                replacing = existing.password_hash
                written = await tx.accounts.save_password(person_id, PasswordState(new_hash), now, replacing)
            if written:
                await tx.commit()
        if not written:
            # A concurrent call set or changed the password first: this one is
            # answered as it would be after it (current password required, or checked).
            await self.set_password(caller, person_id, current, new)

    async def verify_password(self, person_id: str, password: str) -> int:
        """Attempts left after a right password; a wrong one is counted (and
        committed) before VERIFICATION_FAILED is raised."""
        now = self._d.clock.now()
        async with self._d.uow(read_only=True) as tx:
            state = await tx.accounts.password(person_id)
        if state is None:
            raise errors.password_not_set(person_id)
        state.require_unlocked(now)
        correct = await self._d.password_matches(state.password_hash, password)
        async with self._d.uow() as tx:
            # Re-read under lock: concurrent wrong attempts must all count.
            current = await tx.accounts.password(person_id, for_update=True)
            if current is None:  # read above, and a password is never removed
                raise errors.password_not_set(person_id)
            changed = current.password_hash != state.password_hash
            if not changed:
                current.require_unlocked(now)
                after = current.after_attempt(correct, now)
                await tx.accounts.save_password(person_id, after, now)
                await tx.commit()
        if changed:  # set anew meanwhile: checked against the new one, as if it came after
            return await self.verify_password(person_id, password)
        if not correct:
            after.require_unlocked(now)
            raise errors.verification_failed(
                errors.Cause.WRONG_PASSWORD, "the password is wrong", attempts_left=str(after.attempts_left)
            )
        return after.attempts_left

    async def verify(
        self,
        person_id: str,
        purpose: Purpose | None,
        password: str | None,
        face_ticket: str | None,
    ) -> int:
        """Verifies one credential for a purpose; returns password attempts left."""
        if purpose is None:
            raise errors.purpose_required()
        async with self._d.uow(read_only=True) as tx:
            if await tx.accounts.person(person_id) is None:
                raise errors.person_not_found(person_id)
        (outcome,) = await self.verify_known([(person_id, purpose, password, face_ticket)])
        if isinstance(outcome, DomainError):
            raise outcome
        return outcome

    async def verify_known(self, asks: list[tuple[str, Purpose, str | None, str | None]]) -> list:
        """Verifies the credentials of persons known to exist, many at once:
        each (person id, purpose, password, face ticket) answered in order
        with the password attempts left (-1 for a ticket) or the DomainError.
        The face tickets are marked used in one statement; passwords are
        checked concurrently, each attempt counted."""
        results: list = [None] * len(asks)
        tickets: dict[int, FaceTicket] = {}
        passwords: dict[int, str] = {}
        now = self._d.clock.now()
        for i, (person_id, purpose, password, face_ticket) in enumerate(asks):
            try:
                if password:
                    passwords[i] = password
                    continue
                if not face_ticket:
                    raise errors.verification_required()
                ticket = read_face_ticket(face_ticket, self._d.face_ticket_key, person_id, purpose, now)
                if any(t.ticket_id == ticket.ticket_id for t in tickets.values()):
                    raise _replayed()  # two copies of one ticket in one batch
                tickets[i] = ticket
            except DomainError as error:
                results[i] = error
        if tickets:
            used = [(t.ticket_id, asks[i][0], t.expires_at) for i, t in tickets.items()]
            async with self._d.uow(single_statement=True) as tx:
                fresh = await tx.accounts.use_face_tickets(used)
                await tx.commit()
            for i, ticket in tickets.items():
                results[i] = -1 if ticket.ticket_id in fresh else _replayed()

        async def check(i: int, password: str) -> None:
            try:
                results[i] = await self.verify_password(asks[i][0], password)
            except DomainError as error:
                results[i] = error

        await asyncio.gather(*(check(i, password) for i, password in passwords.items()))
        return results


def _replayed() -> DomainError:
    return errors.verification_failed(errors.Cause.TICKET_REPLAYED, "the face ticket was used before")

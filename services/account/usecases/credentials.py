"""The 医保码 password and face tickets (R9)."""

from __future__ import annotations

from services.account.adapters.repository import AccountRepository
from services.account.domain.credentials import (
    PasswordState,
    Purpose,
    password_not_set,
    read_face_ticket,
    validate_new_password,
    verification_failed,
)
from services.account.usecases.common import AccountDeps, person_for, person_not_found
from services.kernel.auth import Principal, Role
from services.kernel.errors import invalid_argument


class CredentialUseCases:
    def __init__(self, deps: AccountDeps) -> None:
        self._d = deps

    async def set_password(self, caller: Principal, person_id: str, current: str, new: str) -> None:
        validate_new_password(new)
        async with self._d.engine.connect() as conn:
            repo = AccountRepository(conn)
            await person_for(caller, repo, person_id, Role.CITIZEN)
            existing = await repo.password(person_id)
        if existing is not None:
            if not current:
                raise invalid_argument("CURRENT_PASSWORD_REQUIRED", "current_password", "give the current password to change it")
            await self.verify_password(person_id, current)
        new_hash = await self._d.hash_password(new)
        async with self._d.engine.begin() as conn:
            await AccountRepository(conn).save_password(person_id, PasswordState(new_hash), self._d.clock.now())

    async def verify_password(self, person_id: str, password: str) -> int:
        """Attempts left after a right password; a wrong one is counted (and
        committed) before VERIFICATION_FAILED is raised."""
        now = self._d.clock.now()
        async with self._d.engine.connect() as conn:
            state = await AccountRepository(conn).password(person_id)
        if state is None:
            raise password_not_set(person_id)
        state.require_unlocked(now)
        correct = await self._d.password_matches(state.password_hash, password)
        async with self._d.engine.begin() as conn:
            repo = AccountRepository(conn)
            # Re-read under lock: concurrent wrong attempts must all count.
            current = await repo.password(person_id, for_update=True)
            current.require_unlocked(now)
            after = current.after_attempt(correct and current.password_hash == state.password_hash, now)
            await repo.save_password(person_id, after, now)
        if not correct:
            after.require_unlocked(now)
            raise verification_failed("WRONG_PASSWORD", "the password is wrong", attempts_left=str(after.attempts_left))
        return after.attempts_left

    async def verify(self, person_id: str, purpose: Purpose | None, password: str | None, face_ticket: str | None) -> int:
        """Verifies one credential for a purpose; returns password attempts left."""
        if purpose is None:
            raise invalid_argument("PURPOSE_REQUIRED", "purpose", "transfer or payment")
        async with self._d.engine.connect() as conn:
            if await AccountRepository(conn).person(person_id) is None:
                raise person_not_found(person_id)
        if password:
            return await self.verify_password(person_id, password)
        if face_ticket:
            ticket = read_face_ticket(face_ticket, self._d.face_ticket_key, person_id, purpose, self._d.clock.now())
            async with self._d.engine.begin() as conn:
                if not await AccountRepository(conn).use_face_ticket(ticket.ticket_id, person_id, ticket.expires_at):
                    raise verification_failed("TICKET_REPLAYED", "the face ticket was used before")
            return -1
        raise invalid_argument("VERIFICATION_REQUIRED", "verification", "give a password or a face ticket")

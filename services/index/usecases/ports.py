"""What the index's use cases depend on, as typed ports: the unit of work
with its repository (``tx.index``). services/index/adapters/repository.py
implements them; mypy checks that it does (``make typecheck``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, Self

from services.index.domain.identities import Identity, Move
from services.kernel.uow import UnitsOfWork


class IndexRepository(Protocol):
    async def claim(self, identity: Identity) -> bool: ...
    async def identity(self, id_hash: str) -> Identity | None: ...
    async def identity_of_person(self, person_id: str, for_update: bool = False) -> Identity | None: ...
    async def provinces_of(self, person_ids: Sequence[str]) -> dict[str, str]: ...
    async def move(self, identity: Identity, move: Move, request_id: str, request_hash: str) -> None: ...
    async def move_by_request_id(self, request_id: str) -> tuple[Move, str] | None: ...


class IndexUnitOfWork(Protocol):
    """One transaction: ``async with uow() as tx: …; await tx.commit()``."""

    @property
    def index(self) -> IndexRepository: ...

    async def commit(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None: ...


IndexUnitsOfWork = UnitsOfWork[IndexUnitOfWork]

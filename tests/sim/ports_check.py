"""The fakes are held to the ports: each assignment below is a type check
(``make typecheck``), so a fake that drifts from the port it stands for (a
method missing, renamed, or with another signature) fails mypy. The same
holds for the real adapters (services/*/adapters/). Imported by a test too,
so the fakes are at least built the way the ports say."""

from __future__ import annotations

from services.account.adapters.ledger import Ledger
from services.account.adapters.repository import AccountRepository as SqlAccountRepository
from services.account.adapters.repository import AccountSqlUnitOfWork
from services.account.usecases.ports import AccountRepository as AccountRepositoryPort
from services.account.usecases.ports import AccountUnitOfWork, HoldsRepository, LedgerPort
from services.kernel.uow import UnitsOfWork
from services.transfer.adapters.repository import TransferRepository as SqlTransferRepository
from services.transfer.adapters.repository import TransferSqlUnitOfWork
from services.transfer.usecases import ports as transfer
from tests.sim.clients import SimAccounts, SimRegions
from tests.unit.fakes import (
    AccountTables,
    FakeAccounts,
    FakeHoldsRepository,
    FakeLedger,
    FakeRegions,
    FakeTransferRepository,
    TransferTables,
    transfer_unit_of_work,
)


def fakes_satisfy_ports() -> None:
    tables, account_tables = TransferTables(), AccountTables()
    _transfers: transfer.TransferRepository = FakeTransferRepository(tables)
    _uow: UnitsOfWork[object] = transfer_unit_of_work(tables)
    _accounts: transfer.AccountPort = FakeAccounts()
    _regions: transfer.RegionPort = FakeRegions()
    _sim_accounts: type[transfer.AccountPort] = SimAccounts
    _sim_regions: type[transfer.RegionPort] = SimRegions
    _holds: HoldsRepository = FakeHoldsRepository(account_tables)
    _ledger: LedgerPort = FakeLedger(account_tables)


def adapters_satisfy_ports(
    transfer_sql: type[TransferSqlUnitOfWork], account_sql: type[AccountSqlUnitOfWork]
) -> None:
    """Never called: the annotations are the check."""
    _t: type[transfer.TransferStore] = SqlTransferRepository
    _tx: type[transfer.TransferUnitOfWork] = transfer_sql
    _a: type[AccountRepositoryPort] = SqlAccountRepository
    _l: type[LedgerPort] = Ledger
    _atx: type[AccountUnitOfWork] = account_sql

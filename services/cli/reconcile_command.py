"""`yibao reconcile`: one reconciliation pass (R22) from an operator's
terminal, in this process, with the deployment's configuration: the
transfer database (YIBAO_TRANSFER_DATABASE_URL), the account service
(YIBAO_ACCOUNT_TARGET, or its shards by the map with YIBAO_ACCOUNT_SHARDED: R24) called with the service identity signed by
YIBAO_JWT_SIGNING_KEY — like `yibao migrate` and `yibao ledger-check`, and
working while the transfer service is down. Every step it takes is the
idempotent hold step the running service's own reconciler takes, so the two
may run at once."""

from __future__ import annotations

from datetime import timedelta

from rich.console import Console
from rich.table import Table

from services.cli.client import emit
from services.kernel.auth import TokenAuthority
from services.kernel.calls import ServiceIdentity, channel
from services.kernel.config import Settings, clock_from
from services.kernel.db import create_engine
from services.transfer.adapters.region_client import RegionClient
from services.transfer.adapters.repository import transfer_unit_of_work
from services.transfer.bootstrap import account_ports
from services.transfer.settings import TransferSettings
from services.transfer.usecases.common import TransferDeps
from services.transfer.usecases.reconcile import PassReport, Reconciler


async def reconcile_once(settings: Settings, lookback: timedelta) -> PassReport:
    transfer = TransferSettings.from_env(settings)
    clock = clock_from(settings)
    identity = ServiceIdentity("transfer", TokenAuthority.from_settings(settings, clock), clock)
    engine = create_engine(transfer.database_url)
    region_channel = channel(transfer.region_target, transfer.tls)
    regions = RegionClient(region_channel, identity, clock, timedelta(seconds=1))  # the shard map, if any
    accounts, holds, close_accounts = account_ports(transfer, identity, regions)
    try:
        deps = TransferDeps(
            uow=transfer_unit_of_work(engine),
            clock=clock,
            policy=transfer.policy,
            accounts=accounts,
            regions=regions,
        )
        return await Reconciler(deps, holds).run_once(clock.now() - lookback)
    finally:
        await close_accounts()
        await region_channel.close()
        await engine.dispose()


def print_report(out: Console, report: PassReport) -> None:
    emit(
        {
            "since": report.since.isoformat(),
            "holds_read": report.holds_read,
            "transfers_read": report.transfers_read,
            "findings": [
                {
                    "transfer_id": f.disagreement.transfer_id,
                    "case": f.disagreement.case.value,
                    "action": f.disagreement.action.value,
                    "healed": f.healed,
                }
                for f in report.findings
            ],
        }
    )
    out.print(
        f"read {report.holds_read} holds and {report.transfers_read} transfers "
        f"(ended ones changed since {report.since:%Y-%m-%d %H:%M} UTC)"
    )
    if not report.findings:
        out.print("[green]no disagreements[/green]")
        return
    table = Table("transfer", "case", "transfer status", "hold", "action", "done")
    for f in report.findings:
        d = f.disagreement
        table.add_row(
            d.transfer_id,
            d.case.value,
            d.transfer_status.value if d.transfer_status else "none",
            d.hold_status.value if d.hold_status else "none",
            d.action.value,
            "healed" if f.healed else "[red]reported[/red]",
        )
    out.print(table)

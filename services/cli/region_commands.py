"""`yibao region …`, `yibao institution …`, `yibao platform …` and `yibao
shard …`: the region service from a terminal."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Column, Table
from yibao.region.v1 import region_pb2 as pb
from yibao.region.v1 import region_pb2_grpc

from services.cli.client import Token, caller, every_page, out, target_option
from services.kernel.clock import BEIJING, beijing
from services.kernel.proto_time import from_timestamp, to_timestamp

region_app = typer.Typer(help="Regions and wallet enablement (region service).", no_args_is_help=True)
institution_app = typer.Typer(help="Designated institutions (region service).", no_args_is_help=True)
platform_app = typer.Typer(
    help="Provincial platforms' SM2 keys for the HTTPS gateway (region service).", no_args_is_help=True
)
shard_app = typer.Typer(
    help="Account shards: which account service keeps which provinces (region service).",
    no_args_is_help=True,
)

Target = Annotated[str | None, target_option("region")]


_call = caller(region_pb2_grpc.RegionServiceStub, "region")


def _when(stamp) -> str:
    return f"{beijing(from_timestamp(stamp)):%Y-%m-%d %H:%M} 北京" if stamp.seconds or stamp.nanos else ""


def _state(enablement: pb.Enablement) -> str:
    text = "[green]已开通[/green]" if enablement.enabled else "[yellow]未开通[/yellow]"
    if enablement.decided_by:
        text += f" (by {enablement.decided_by})"
    if enablement.HasField("next_change"):
        nxt = enablement.next_change
        text += f", {pb.EnablementAction.Name(nxt.action).removeprefix('ENABLEMENT_ACTION_').lower()} from {_when(nxt.effective_from)}"
    return text


def _regions_table(regions) -> Table:
    table = Table("code", "name", "level", "parent", "wallet")
    for r in regions:
        table.add_row(
            r.code,
            r.name,
            pb.RegionLevel.Name(r.level).removeprefix("REGION_LEVEL_").lower(),
            r.parent_code,
            _state(r.enablement),
        )
    return table


@region_app.command()
def show(code: str, target: Target = None) -> None:
    """One region and its wallet enablement."""
    out.print(_regions_table([_call(target, "GetRegion", pb.GetRegionRequest(code=code)).region]))


@region_app.command("list")
def list_regions(
    parent: Annotated[str, typer.Option(help="parent code; provinces when empty")] = "",
    enabled_only: Annotated[bool, typer.Option("--enabled-only")] = False,
    target: Target = None,
) -> None:
    """Child regions of a parent (all pages)."""
    request = pb.ListRegionsRequest(parent_code=parent, enabled_only=enabled_only, page_size=500)
    out.print(_regions_table(every_page(_call, target, "ListRegions", request, "regions")))


@region_app.command()
def check(codes: list[str], target: Target = None) -> None:
    """Whether the wallet is enabled in each region (查询是否开通)."""
    table = Table("code", "name", "status", "decided by")
    for r in _call(target, "CheckRegions", pb.CheckRegionsRequest(codes=codes)).results:
        table.add_row(
            r.code,
            r.name,
            pb.RegionStatus.Name(r.status).removeprefix("REGION_STATUS_").lower(),
            r.decided_by,
        )
    out.print(table)


Reason = Annotated[str, typer.Option("--reason", help="why (kept in the audit history)")]
From = Annotated[
    datetime | None, typer.Option("--from", help="effective from (Beijing time unless an offset is given)")
]
RequestId = Annotated[str, typer.Option("--request-id", help="idempotency key")]


def _setting(action: pb.EnablementAction, doc: str):
    """The command that records one kind of enablement setting (admin)."""

    def command(
        code: str,
        reason: Reason,
        effective_from: From = None,
        request_id: RequestId = "",
        target: Target = None,
        token: Token = None,
    ) -> None:
        request = pb.SetRegionEnablementRequest(
            code=code, action=action, reason=reason, request_id=request_id
        )
        if effective_from is not None:
            moment = effective_from if effective_from.tzinfo else effective_from.replace(tzinfo=BEIJING)
            request.effective_from.CopyFrom(to_timestamp(moment))
        response = _call(target, "SetRegionEnablement", request, token)
        region = response.region
        out.print(
            f"change {response.change.id} recorded; {region.code} {region.name}: {_state(region.enablement)}"
        )

    command.__doc__ = doc
    return command


for _name, _action, _doc in (
    ("enable", pb.ENABLEMENT_ACTION_ENABLE, "Enable the wallet in a region and below it (admin)."),
    ("disable", pb.ENABLEMENT_ACTION_DISABLE, "Withdraw the wallet in a region and below it (admin)."),
    (
        "inherit",
        pb.ENABLEMENT_ACTION_INHERIT,
        "Remove a region's own setting: it follows its parent again (admin).",
    ),
):
    region_app.command(_name)(_setting(_action, _doc))


@region_app.command()
def cancel(change_id: int, reason: Reason, target: Target = None, token: Token = None) -> None:
    """Cancel a scheduled setting before it takes effect (admin)."""
    request = pb.CancelEnablementChangeRequest(change_id=change_id, reason=reason)
    change = _call(target, "CancelEnablementChange", request, token).change
    out.print(f"change {change.id} cancelled")


@region_app.command()
def history(
    code: str,
    ancestors: Annotated[bool, typer.Option("--ancestors")] = False,
    target: Target = None,
    token: Token = None,
) -> None:
    """Audit history of a region's settings, newest first (admin)."""
    table = Table("id", "region", "action", "effective from", "by", "reason", "recorded", "cancelled")
    request = pb.ListEnablementChangesRequest(code=code, include_ancestors=ancestors, page_size=200)
    for c in every_page(_call, target, "ListEnablementChanges", request, "changes", token):
        action = pb.EnablementAction.Name(c.action).removeprefix("ENABLEMENT_ACTION_").lower()
        cancelled = f"{_when(c.cancel_time)} by {c.cancelled_by}" if c.cancelled_by else ""
        table.add_row(
            str(c.id),
            c.region_code,
            action,
            _when(c.effective_from),
            c.actor,
            c.reason,
            _when(c.record_time),
            cancelled,
        )
    out.print(table)


_KIND = {"hospital": pb.INSTITUTION_KIND_HOSPITAL, "pharmacy": pb.INSTITUTION_KIND_RETAIL_PHARMACY}


def _institutions_table(items) -> Table:
    table = Table("code", "name", "kind", "region", "wallet")
    for i in items:
        kind = pb.InstitutionKind.Name(i.kind).removeprefix("INSTITUTION_KIND_").lower()
        table.add_row(i.code, i.name, kind, i.region_code, "accepts" if i.accepts_wallet else "no")
    return table


@region_app.command()
def institutions(
    region: str,
    kind: Annotated[str | None, typer.Option(help="hospital or pharmacy")] = None,
    wallet_only: Annotated[
        bool, typer.Option("--wallet-only", help="only those accepting wallet payment")
    ] = False,
    target: Target = None,
) -> None:
    """Designated institutions in a region and below it."""
    if kind is not None and kind not in _KIND:
        raise typer.BadParameter("hospital or pharmacy", param_hint="--kind")
    request = pb.ListInstitutionsRequest(
        region_code=region,
        kind=_KIND.get(kind or "", pb.INSTITUTION_KIND_UNSPECIFIED),
        accepts_wallet_only=wallet_only,
        page_size=500,
    )
    out.print(_institutions_table(every_page(_call, target, "ListInstitutions", request, "institutions")))


@institution_app.command("add")
def add_institution(
    code: str,
    name: str,
    region: str,
    accepts_wallet: Annotated[bool, typer.Option("--accepts-wallet/--no-wallet")] = False,
    target: Target = None,
    token: Token = None,
) -> None:
    """Register a designated institution (admin). The code's letter gives the kind."""
    created = _call(
        target,
        "CreateInstitution",
        pb.CreateInstitutionRequest(
            institution=pb.Institution(
                code=code, name=name, region_code=region, accepts_wallet=accepts_wallet
            )
        ),
        token,
    )
    out.print(_institutions_table([created.institution]))


@institution_app.command("show")
def show_institution(code: str, target: Target = None) -> None:
    """One designated institution."""
    out.print(
        _institutions_table(
            [_call(target, "GetInstitution", pb.GetInstitutionRequest(code=code)).institution]
        )
    )


@institution_app.command("wallet")
def set_wallet(
    code: str,
    accepts: Annotated[bool, typer.Option("--accepts/--refuses")],
    target: Target = None,
    token: Token = None,
) -> None:
    """Set whether an institution accepts wallet payment (admin)."""
    request = pb.UpdateInstitutionRequest(institution=pb.Institution(code=code, accepts_wallet=accepts))
    request.update_mask.paths.append("accepts_wallet")
    out.print(_institutions_table([_call(target, "UpdateInstitution", request, token).institution]))


AppId = Annotated[str, typer.Option("--app-id", help="the platform's appId")]


def _platform_keys_table(keys) -> Table:
    # The ids are what an operator copies: never cut, however narrow the terminal.
    table = Table(
        Column("app id", no_wrap=True, min_width=8),
        Column("key id", no_wrap=True, min_width=16),
        "province",
        "state",
        "created",
        "revoked",
        "public key",
    )
    for k in keys:
        state = pb.PlatformKeyState.Name(k.state).removeprefix("PLATFORM_KEY_STATE_").lower()
        shown = f"[green]{state}[/green]" if k.state == pb.PLATFORM_KEY_STATE_ACTIVE else state
        public = f"{k.public_key[:10]}…{k.public_key[-6:]}"
        table.add_row(
            k.app_id, k.key_id, k.province, shown, _when(k.create_time), _when(k.revoke_time), public
        )
    return table


@platform_app.command("add")
def add_platform_key(
    app_id: AppId,
    province: Annotated[str, typer.Option(help="the platform's province code, e.g. 450000")],
    public_key: Annotated[
        str | None, typer.Option("--public-key", help="SM2 public key: 04 + x + y, 130 hex digits")
    ] = None,
    public_key_file: Annotated[
        Path | None, typer.Option("--public-key-file", help="a file holding the public key (hex)")
    ] = None,
    target: Target = None,
    token: Token = None,
) -> None:
    """Register a platform's SM2 public key (admin); at most two active per platform."""
    if (public_key is None) == (public_key_file is None):
        raise typer.BadParameter("give --public-key or --public-key-file")
    if public_key_file is not None:
        public_key = public_key_file.read_text(encoding="utf-8").strip()
    key = pb.PlatformKey(app_id=app_id, province=province, public_key=public_key)
    created = _call(target, "CreatePlatformKey", pb.CreatePlatformKeyRequest(platform_key=key), token)
    out.print(_platform_keys_table([created.platform_key]))


@platform_app.command("keys")
def platform_keys(
    app_id: Annotated[str, typer.Option("--app-id", help="only this platform's keys")] = "",
    active_only: Annotated[bool, typer.Option("--active-only")] = False,
    target: Target = None,
    token: Token = None,
) -> None:
    """Platforms' keys, by platform then age (admin or service)."""
    request = pb.ListPlatformKeysRequest(app_id=app_id, active_only=active_only, page_size=500)
    out.print(
        _platform_keys_table(every_page(_call, target, "ListPlatformKeys", request, "platform_keys", token))
    )


@platform_app.command("revoke")
def revoke_platform_key(
    app_id: AppId,
    key_id: Annotated[str, typer.Option("--key-id", help="the key's id (yibao platform keys)")],
    target: Target = None,
    token: Token = None,
) -> None:
    """Revoke a platform's key (admin): the gateway stops accepting it within seconds."""
    request = pb.RevokePlatformKeyRequest(app_id=app_id, key_id=key_id)
    out.print(_platform_keys_table([_call(target, "RevokePlatformKey", request, token).platform_key]))


def _shards_table(shards) -> Table:
    table = Table(Column("shard", no_wrap=True), Column("target", no_wrap=True), "provinces", "updated")
    for s in shards:
        table.add_row(s.name, s.target, " ".join(s.provinces), _when(s.update_time))
    return table


@shard_app.command("put")
def put_shard(
    name: Annotated[str, typer.Argument(help="the shard's name, e.g. gx")],
    target: Annotated[str, typer.Option(help="host:port of the shard's account service")],
    province: Annotated[
        list[str] | None, typer.Option("--province", help="a province it owns (repeat for several)")
    ] = None,
    region_target: Annotated[
        str | None,
        typer.Option("--region-target", envvar="YIBAO_REGION_TARGET", help="host:port of the region service"),
    ] = None,
    token: Token = None,
) -> None:
    """Bind an account shard to provinces, or change its target (admin). A
    province stays with the shard that owns it."""
    shard = pb.AccountShard(name=name, target=target, provinces=province or [])
    request = pb.PutAccountShardRequest(account_shard=shard)
    out.print(_shards_table([_call(region_target, "PutAccountShard", request, token).account_shard]))


@shard_app.command("list")
def list_shards(target: Target = None, token: Token = None) -> None:
    """The account shards and their provinces (admin or service); none: one
    account service keeps every province."""
    shards = _call(target, "ListAccountShards", pb.ListAccountShardsRequest(), token).account_shards
    out.print(_shards_table(shards))

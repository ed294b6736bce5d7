"""The `yibao` command: run and operate the services, and call them."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer
import uvloop  # a faster event loop for the servers (measured in docs/performance.md)
from rich.table import Table

from services.cli.account_commands import bill_app, pay_app, person_app, relation_app, wallet_app
from services.cli.client import emit, err, out, output_json
from services.cli.events_commands import events_app
from services.cli.province_commands import province_app
from services.cli.region_commands import institution_app, platform_app, region_app, shard_app
from services.cli.transfer_commands import transfer_app
from services.kernel import tracing
from services.kernel.auth import Principal, Role, TokenAuthority
from services.kernel.clock import BEIJING, beijing, write_running_clock
from services.kernel.config import (
    ALL_SERVICES,
    DEV_JWT_KEY,
    SERVED,
    SERVICES,
    Settings,
    clock_from,
    load_settings,
    tls_from,
)
from services.kernel.logs import configure_logging
from services.kernel.tls import TlsFiles, secure_env, sync_channel, write_dev_pki
from services.kernel.token_keys import write_dev_keys

app = typer.Typer(help="医保钱包 (medical-insurance wallet) back end.", no_args_is_help=True)
app.add_typer(region_app, name="region")
app.add_typer(institution_app, name="institution")
app.add_typer(platform_app, name="platform")
app.add_typer(shard_app, name="shard")
app.add_typer(person_app, name="person")
app.add_typer(relation_app, name="relation")
app.add_typer(wallet_app, name="wallet")
app.add_typer(pay_app, name="pay")
app.add_typer(bill_app, name="bill")
app.add_typer(transfer_app, name="transfer")
app.add_typer(province_app, name="province")
app.add_typer(events_app, name="events")
token_app = typer.Typer(help="Bearer tokens for local use.", no_args_is_help=True)
app.add_typer(token_app, name="token")


@app.callback()
def options(
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", envvar="YIBAO_OUTPUT", help="text (tables) or json (one line per response)"
        ),
    ] = "text",
) -> None:
    """Options of every command."""
    if output not in ("text", "json"):
        raise typer.BadParameter("text or json", param_hint="--output")
    if output == "json":
        output_json()


def _check_service(name: str, served: bool = False) -> str:
    """One with a database (to migrate), or with ``served`` one to serve or
    check: those, the account router and the gateway."""
    names = (*SERVED, "gateway") if served else ALL_SERVICES
    if name not in names:
        raise typer.BadParameter(f"one of {', '.join(names)}")
    return name


@app.command()
def migrate(
    services: Annotated[
        list[str] | None,
        typer.Argument(help="services to migrate (default: region, account, transfer; the index is named)"),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="override the configured URL (one service)")
    ] = None,
) -> None:
    """Apply the database migrations of each service (YIBAO_<SERVICE>_DATABASE_URL)."""
    from services.kernel.migrations import upgrade

    settings = load_settings()
    for name in services or SERVICES:
        url = database_url or settings.service(_check_service(name)).database_url
        upgrade(name, url)
        out.print(f"{name}: migrated")
        emit({"service": name, "migrated": True})


async def _seed(settings: Settings, demo: bool) -> None:
    from services.region.adapters.seed import seed_region

    added, renamed = await seed_region(settings.region_database_url, clock_from(settings), demo)
    emit({"regions_added": added, "regions_renamed": renamed, "demo": demo})
    out.print(
        f"region: {added} regions added, {renamed} renamed"
        + ("; demo enablement and institutions loaded" if demo else "")
    )


@app.command()
def seed(
    demo: Annotated[bool, typer.Option("--demo", help="also load demo settings")] = False,
    persons: Annotated[
        bool, typer.Option("--persons", help="also register the demo persons through the account service")
    ] = False,
) -> None:
    """Load the national division list into the region database (idempotent)."""
    settings = load_settings()
    asyncio.run(_seed(settings, demo))
    if persons:
        from services.cli.demo import load_demo_persons

        clock = clock_from(settings)
        ids = asyncio.run(
            load_demo_persons(
                settings.account_target,
                TokenAuthority.from_settings(settings, clock),
                clock,
                tls_from(settings),
            )
        )
        out.print("demo persons: " + ", ".join(f"{name} {pid}" for name, pid in ids.items()))


async def _serve(
    settings: Settings,
    names: tuple[str, ...],
    announce: bool,
    demo: bool = False,
    env_file: Path | None = None,
    cli_tls: TlsFiles | None = None,
    dev_keys: Path | None = None,
    gateway: bool = False,
    account_shards: int = 1,
) -> None:
    from services.cluster import start_cluster
    from services.kernel.server import run_until_signalled

    clock = clock_from(settings)
    servers: list = await start_cluster(settings, clock, names, account_shards=account_shards)
    if gateway:
        from services.gateway.bootstrap import start_gateway

        tokens = TokenAuthority.from_settings(_gateway_issuer(settings, dev_keys), clock)
        started = {f"{s.definition.name}_target": s.address for s in servers}
        servers.append(await start_gateway(settings.model_copy(update=started), tokens, clock))
    ids: dict[str, str] = {}
    platform = None
    if demo:
        from services.cli.demo import load_demo_persons, register_demo_platform

        named = {s.definition.name: s for s in reversed(servers) if getattr(s, "definition", None)}
        account = named.get("router") or named["account"]  # the router: the shards as one
        issuers = settings.model_copy(update={"jwt_keys_dir": str(dev_keys)}) if dev_keys else settings
        tokens = TokenAuthority.from_settings(issuers, clock)
        ids = await load_demo_persons(account.address, tokens, clock, tls_from(settings))
        if gateway and env_file is not None:
            region = next(
                s for s in servers if getattr(s, "definition", None) and s.definition.name == "region"
            )
            platform = await register_demo_platform(
                region.address, tokens, clock, tls_from(settings), env_file.parent / "gateway"
            )
    if env_file is not None:
        _write_env(env_file, settings, ids, cli_tls, dev_keys)
        if gateway:
            _write_gateway_env(env_file, servers[-1], platform)
    if demo:  # after the env file: what waits for this line may read it at once
        out.print("demo persons: " + ", ".join(f"{name} {pid}" for name, pid in ids.items()))
        emit({"demo_persons": ids})
    if announce:
        table = Table("service", "address", "metrics")
        for s in servers:
            if not hasattr(s, "definition"):  # the gateway
                table.add_row("gateway", f"{s.url}/api/v1/… (HTTPS + 国密)", "")
                continue
            port = settings.service(s.definition.name).metrics_port if s.metrics_server else 0
            table.add_row(s.definition.name, s.address, f"http://127.0.0.1:{port}/metrics" if port else "off")
        out.print(table)
        if settings.clock_file:
            now = beijing(clock_from(settings).now()).strftime("%Y-%m-%d %H:%M")
            out.print(
                f"Developer clock: {now} Beijing. In other terminals: "
                f"export YIBAO_CLOCK_FILE={settings.clock_file}"
            )
        if env_file is not None:
            out.print(f"In another terminal: . {env_file} (the demo persons' ids, and the clock)")
        out.print("Ready. Ctrl-C stops. Try: .venv/bin/yibao region check 450100 320100 999999")
    await run_until_signalled(servers, settings.grace_seconds)


def _write_env(
    path: Path, settings: Settings, ids: dict[str, str], cli_tls: TlsFiles | None, dev_keys: Path | None
) -> None:
    """What a shell in another terminal needs to follow this run: the demo
    persons' ids (ZHANGWEI, LIXIUYING), the CLI's TLS certificate, the
    development token keys and the developer clock, if any."""
    from services.cli.demo import PAYEE, PAYER

    lines = []
    if ids:
        lines.append(f"export ZHANGWEI={ids[PAYER.name]}  # 张伟, payer, password {PAYER.password}")
        lines.append(f"export LIXIUYING={ids[PAYEE.name]}  # 李秀英, his mother, password {PAYEE.password}")
    if cli_tls is not None:
        lines += [f"export {name}={value}" for name, value in secure_env(cli_tls).items()]
    if dev_keys is not None:
        lines += [f"export {name}={value}" for name, value in dev_keys_env(dev_keys).items()]
    lines.append(
        f"export YIBAO_CLOCK_FILE={settings.clock_file}" if settings.clock_file else "unset YIBAO_CLOCK_FILE"
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_gateway_env(path: Path, gateway, platform: tuple[str, Path] | None) -> None:
    """What `yibao province call` needs in another terminal: the gateway,
    its public key and, with --demo, the demo platform's app id and key."""
    lines = [
        f"export YIBAO_GATEWAY_URL={gateway.url}",
        f"export YIBAO_GATEWAY_PUBLIC_KEY={gateway.public_key}",
    ]
    if platform is not None:
        lines += [
            f"export YIBAO_PROVINCE_APP_ID={platform[0]}",
            f"export YIBAO_PROVINCE_KEY_FILE={platform[1]}",
        ]
    with path.open("a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


ServiceArg = Annotated[
    str, typer.Argument(envvar="YIBAO_SERVICE", help="region, account, transfer, index, router or gateway")
]


def _gateway_issuer(settings: Settings, dev_keys: Path | None) -> Settings:
    """The gateway signs province tokens for the platforms it verified (and
    a service token for the region service): its key must be published for
    the roles province and service. In development, the gateway key of the
    development set."""
    if dev_keys is None:
        return settings
    return settings.model_copy(update={"jwt_signing_key_file": str(dev_keys / "gateway-1.pem")})


@app.command()
def serve(service: ServiceArg) -> None:
    """Run one service (production: one process per service, migrations applied beforehand)."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_json)
    tracing.configure(f"yibao-{_check_service(service, served=True)}")  # OTEL_* only; off by default
    if service == "gateway":
        uvloop.run(_serve(settings, (), announce=False, gateway=True))
        return
    if service == "index":
        uvloop.run(_serve_index(settings))
        return
    if service == "router":
        uvloop.run(_serve_router(settings))
        return
    uvloop.run(_serve(settings, (service,), announce=False))


async def _serve_index(settings: Settings) -> None:
    """The national person index (R24), on its own: it calls no other service."""
    from services.index.bootstrap import bootstrap
    from services.index.settings import IndexSettings
    from services.kernel.server import run_until_signalled

    clock = clock_from(settings)
    tokens = TokenAuthority.from_settings(settings, clock)
    server = await bootstrap(IndexSettings.from_env(settings), tokens, clock)
    await run_until_signalled([server], settings.grace_seconds)


async def _serve_router(settings: Settings) -> None:
    """The account router (R24), on its own: the account service's API in front of the shards."""
    from services.kernel.server import run_until_signalled
    from services.router.bootstrap import bootstrap
    from services.router.settings import RouterSettings

    clock = clock_from(settings)
    tokens = TokenAuthority.from_settings(settings, clock)
    server = await bootstrap(RouterSettings.from_env(settings), tokens, clock)
    await run_until_signalled([server], settings.grace_seconds)


@app.command()
def health(service: ServiceArg, timeout: Annotated[float, typer.Option(help="seconds")] = 3.0) -> None:
    """Exit 0 when the service on this host answers grpc.health.v1 SERVING (container health checks)."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    settings = load_settings()
    if _check_service(service, served=True) == "gateway":
        _gateway_health(settings, timeout)
        return
    port = settings.service(service).listen.rsplit(":", 1)[1]
    try:
        with sync_channel(f"127.0.0.1:{port}", tls_from(settings)) as channel:
            status = (
                health_pb2_grpc.HealthStub(channel)
                .Check(health_pb2.HealthCheckRequest(), timeout=timeout)
                .status
            )
    except grpc.RpcError as error:
        out.print(f"{service}: {error.code().name}")
        emit({"service": service, "status": error.code().name})
        raise typer.Exit(1) from None
    out.print(f"{service}: {health_pb2.HealthCheckResponse.ServingStatus.Name(status)}")
    emit({"service": service, "status": health_pb2.HealthCheckResponse.ServingStatus.Name(status)})
    if status != health_pb2.HealthCheckResponse.SERVING:
        raise typer.Exit(1)


def _gateway_health(settings: Settings, timeout: float) -> None:
    import httpx

    from services.gateway.bootstrap import health_url

    try:
        url, verify = health_url(settings)
        status = httpx.get(url, verify=verify, timeout=timeout).json().get("status", "")
    except (httpx.HTTPError, ValueError) as error:
        status = type(error).__name__
    out.print(f"gateway: {status}")
    emit({"service": "gateway", "status": status})
    if status != "SERVING":
        raise typer.Exit(1)


def _developer_time(text: str) -> datetime:
    try:
        if len(text) == 5:  # HH:MM, today in Beijing
            return datetime.combine(datetime.now(BEIJING).date(), time.fromisoformat(text), tzinfo=BEIJING)
        at = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("HH:MM or an ISO 8601 time with its offset", param_hint="--at") from None
    if at.tzinfo is None:
        raise typer.BadParameter("give the offset, e.g. +08:00 for Beijing", param_hint="--at")
    return at


@app.command("dev-clock")
def dev_clock(
    at: Annotated[
        str | None, typer.Argument(help="HH:MM (today, Beijing) or an ISO time with its offset")
    ] = None,
    file: Annotated[Path, typer.Option(help="the clock file the services read (YIBAO_CLOCK_FILE)")] = Path(
        ".up/clock"
    ),
) -> None:
    """Start a developer clock running from AT in FILE (make up AT=…), or without AT remove it."""
    if at is None:
        file.unlink(missing_ok=True)
        out.print(f"{file}: removed; the services follow the system clock")
        emit({"clock_file": str(file), "at": None})
        return
    file.parent.mkdir(parents=True, exist_ok=True)
    write_running_clock(str(file), _developer_time(at))
    emit({"clock_file": str(file), "at": _developer_time(at).isoformat()})
    out.print(f"{file}: running from {beijing(_developer_time(at)):%Y-%m-%d %H:%M} Beijing")


def dev_keys_env(directory: Path) -> dict[str, str]:
    """What lets the CLI mint the tokens of every development issuer, and check them."""
    return {"YIBAO_JWT_JWKS_FILE": str(directory / "jwks.json"), "YIBAO_JWT_KEYS_DIR": str(directory)}


@app.command("dev-keys")
def dev_keys_command(
    directory: Annotated[Path, typer.Argument(help="where to write them (make up: .up/keys)")] = Path(
        ".up/keys"
    ),
) -> None:
    """Write development token keys, one ES256 key per issuer, and their JWKS (kept when there),
    and DIRECTORY/cli.env, which lets a shell mint any role's token with them."""
    from services.gateway.bootstrap import dev_key_file

    write_dev_keys(directory.resolve())
    dev_key_file(directory.resolve(), "gateway-sm2")  # the gateway's SM2 key (compose)
    env_file = directory / "cli.env"
    env = dev_keys_env(directory.resolve())
    env_file.write_text("".join(f"export {k}={v}\n" for k, v in env.items()), encoding="utf-8")
    emit(env)
    out.print(f"{directory}: development token keys; in a shell: . {env_file}")


@app.command("dev-pki")
def dev_pki(
    directory: Annotated[Path, typer.Argument(help="where to write it (make up: .up/tls)")] = Path(".up/tls"),
) -> None:
    """Write a throwaway development CA with a service and a CLI certificate (kept while valid),
    and DIRECTORY/cli.env, which gives a shell the CLI's certificate."""
    pki = write_dev_pki(directory.resolve())
    env_file = directory / "cli.env"
    env_file.write_text(
        "".join(f"export {k}={v}\n" for k, v in secure_env(pki["cli"]).items()), encoding="utf-8"
    )
    emit({name: {"ca": f.ca, "cert": f.cert, "key": f.key} for name, f in pki.items()})
    out.print(f"{directory}: development CA and certificates; in a shell: . {env_file}")


@app.command()
def run(
    data_dir: Annotated[Path, typer.Option(help="where the embedded SQLite databases live")] = Path(".run"),
    demo: Annotated[bool, typer.Option("--demo", help="load demo settings")] = False,
    at: Annotated[
        str | None,
        typer.Option(
            help="developer clock: run from this time — HH:MM (today, Beijing) or an ISO time with "
            "its offset (2026-12-03T10:00+08:00) — to try transfers at any hour; other terminals "
            "follow it with YIBAO_CLOCK_FILE=<data-dir>/clock",
        ),
    ] = None,
    account_shards: Annotated[
        int,
        typer.Option(
            min=1,
            max=8,
            help="run the account service as this many shards (R24): the provinces dealt out to them, "
            "the national person index, and the account router on the account port",
        ),
    ] = 1,
) -> None:
    """Run every service on the embedded default (SQLite), migrated and seeded."""
    from services.kernel.migrations import upgrade

    data_dir.mkdir(parents=True, exist_ok=True)
    overrides: dict[str, object] = {
        f"{name}_database_url": f"sqlite:///{(data_dir / f'{name}.db').resolve()}" for name in ALL_SERVICES
    }
    clock_file = (data_dir / "clock").resolve()
    clock_file.unlink(missing_ok=True)  # a clock left by an earlier --at does not linger
    if at is not None:
        write_running_clock(str(clock_file), _developer_time(at))
        overrides["clock_file"] = str(clock_file)
    settings = load_settings(**overrides)
    dev_keys = None
    if not (
        settings.jwt_jwks_file
        or settings.jwt_verify_key
        or settings.jwt_signing_key.get_secret_value() != DEV_JWT_KEY
    ):
        # The development token keys, one per issuer: the services get the
        # published keys and their own; this process and the CLI stand in
        # for the other issuers.
        dev_keys = (data_dir / "keys").resolve()
        jwks = write_dev_keys(dev_keys)
        settings = settings.model_copy(
            update={"jwt_jwks_file": str(jwks), "jwt_signing_key_file": str(dev_keys / "service-1.pem")}
        )
    if not settings.gateway_sm2_key_file:
        from services.gateway.bootstrap import dev_key_file

        gateway_key = dev_key_file((data_dir / "gateway").resolve())
        settings = settings.model_copy(update={"gateway_sm2_key_file": str(gateway_key)})
    cli_tls = None
    if not settings.tls_plaintext and not settings.tls_cert_file:  # the development set, made once
        pki = write_dev_pki((data_dir / "tls").resolve())
        service, cli_tls = pki["service"], pki["cli"]
        settings = settings.model_copy(
            update={"tls_ca_file": service.ca, "tls_cert_file": service.cert, "tls_key_file": service.key}
        )
    configure_logging(settings.log_level, json_lines=False)
    tracing.configure("yibao")  # OTEL_* only; off by default
    for name in SERVICES:
        upgrade(name, settings.service(name).database_url)
    if account_shards > 1:
        from services.federation import migrate_federation

        migrate_federation(settings, account_shards)
    asyncio.run(_seed(settings, demo))
    env_file = (data_dir / "demo.env").resolve()
    uvloop.run(
        _serve(
            settings,
            SERVICES,
            announce=True,
            demo=demo,
            env_file=env_file,
            cli_tls=cli_tls,
            dev_keys=dev_keys,
            gateway=True,
            account_shards=account_shards,
        )
    )


async def _ledger_totals(url: str) -> tuple[int, int, int]:
    from services.account.adapters.ledger import ledger_totals
    from services.kernel.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await ledger_totals(conn)
    finally:
        await engine.dispose()


@app.command("ledger-check")
def ledger_check(
    database_url: Annotated[
        str | None, typer.Option(help="account database (default YIBAO_ACCOUNT_DATABASE_URL)")
    ] = None,
) -> None:
    """Prove the ledger balances: debits = credits, balances sum to zero (R10). Exits 1 if not."""
    debits, credits, balances = asyncio.run(
        _ledger_totals(database_url or load_settings().account_database_url)
    )
    out.print(f"debits {debits} fen, credits {credits} fen, sum of balances {balances} fen")
    balanced = debits == credits and balances == 0
    emit({"debits_fen": debits, "credits_fen": credits, "balances_fen": balances, "balanced": balanced})
    if not balanced:
        out.print("[red]the ledger does not balance[/red]")
        raise typer.Exit(1)
    out.print("[green]balanced[/green]")


@app.command()
def reconcile(
    lookback_hours: Annotated[
        float, typer.Option(help="read ended holds and transfers changed this far back")
    ] = 48.0,
) -> None:
    """One reconciliation pass (R22): transfers against the account service's holds;
    heals what the idempotent hold steps heal, prints the rest. Exits 1 if anything is reported."""
    from services.cli.reconcile_command import print_report, reconcile_once

    settings = load_settings()
    configure_logging("CRITICAL", json_lines=False)  # the table says it all
    report = asyncio.run(reconcile_once(settings, timedelta(hours=lookback_hours)))
    print_report(out, report)
    if any(not f.healed for f in report.findings):
        raise typer.Exit(1)


@app.command()
def demo(
    account_shards: Annotated[
        int, typer.Option(min=1, max=8, help="the account service as this many shards (R24)")
    ] = 1,
) -> None:
    """Walk a cross-province transfer (held, received; declined; refunded at 06:00) on a throwaway cluster."""
    from services.cli.demo import walk

    configure_logging("WARNING", json_lines=False)
    asyncio.run(walk(out, account_shards))


@token_app.command("mint")
def mint(
    role: Annotated[Role, typer.Option(help="citizen, province, institution, admin or service")],
    subject: Annotated[str, typer.Option("--sub", help="who the caller is")] = "local",
    person_id: Annotated[str, typer.Option(help="citizen: the person id")] = "",
    province: Annotated[str, typer.Option(help="province platform: its 6-digit province code")] = "",
    institution: Annotated[str, typer.Option(help="institution: its code")] = "",
    ttl_minutes: Annotated[int, typer.Option(help="lifetime")] = 60,
) -> None:
    """Mint a bearer token with a key held here — the role's issuer key among YIBAO_JWT_KEYS_DIR
    or YIBAO_JWT_SIGNING_KEY_FILE when a JWKS is configured, else YIBAO_JWT_SIGNING_KEY —
    issued at the services' time (YIBAO_CLOCK_FILE, when it is moved)."""
    settings = load_settings()
    clock = clock_from(settings)
    tokens = TokenAuthority.from_settings(settings, clock)
    principal = Principal(subject, role, person_id=person_id, province=province, institution=institution)
    try:
        token = tokens.mint(principal, clock.now(), timedelta(minutes=ttl_minutes))
    except (
        RuntimeError
    ) as error:  # no key for this role here (YIBAO_JWT_KEYS_DIR, YIBAO_JWT_SIGNING_KEY_FILE)
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    emit({"token": token})
    if not out.quiet:
        print(token)


if __name__ == "__main__":
    app()

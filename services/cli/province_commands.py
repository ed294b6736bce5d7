"""`yibao province …`: a provincial platform's calls through the HTTPS gateway,
signed and encrypted with 国密 (services/gateway/client.py does the work)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from services.cli.client import emit, err, out
from services.kernel.config import clock_from, load_settings

province_app = typer.Typer(
    help="A provincial platform's calls through the HTTPS gateway (SM2/SM3/SM4 envelope).",
    no_args_is_help=True,
)


@province_app.command("call")
def call(
    method: Annotated[str, typer.Argument(help="the RPC, e.g. RegisterPerson (docs/gateway.md lists them)")],
    payload: Annotated[str, typer.Argument(help="its request as JSON (protobuf's JSON mapping)")] = "{}",
    app_id: Annotated[str, typer.Option(envvar="YIBAO_PROVINCE_APP_ID", help="the platform's appId")] = "",
    key_file: Annotated[
        Path | None,
        typer.Option(envvar="YIBAO_PROVINCE_KEY_FILE", help="the platform's SM2 private key (hex)"),
    ] = None,
    gateway: Annotated[
        str, typer.Option(envvar="YIBAO_GATEWAY_URL", help="the gateway")
    ] = "https://127.0.0.1:8443",
    gateway_key: Annotated[
        str, typer.Option(envvar="YIBAO_GATEWAY_PUBLIC_KEY", help="the gateway's SM2 public key (04…, hex)")
    ] = "",
    ca_file: Annotated[
        str, typer.Option(envvar="YIBAO_TLS_CA_FILE", help="the CA the gateway's certificate chains to")
    ] = "",
) -> None:
    """Seal PAYLOAD for METHOD, send it, check the answer's signature and print the result."""
    from services.gateway.bootstrap import read_key
    from services.gateway.client import EnvelopeError, GatewayCallError, ProvinceClient
    from services.gateway.gm import SM2PublicKey

    if not (app_id and key_file and gateway_key):
        raise typer.BadParameter(
            "--app-id, --key-file and --gateway-key are needed (or their YIBAO_… variables)"
        )
    try:
        request = json.loads(payload)
    except ValueError:
        raise typer.BadParameter("not JSON", param_hint="PAYLOAD") from None
    client = ProvinceClient(
        gateway, app_id, read_key(key_file), SM2PublicKey.from_hex(gateway_key), ca_file=ca_file or None
    )
    try:
        result = client.call(method, request, clock_from(load_settings()).now())
    except GatewayCallError as refusal:
        err.print(f"[red]{refusal}[/red]")
        emit({"error": refusal.error, "http_status": refusal.http_status})
        raise typer.Exit(1) from None
    except EnvelopeError as error:
        err.print(f"[red]the answer does not verify: {error.reason} {error.message}[/red]")
        raise typer.Exit(1) from None
    emit({"result": result})
    if not out.quiet:
        print(json.dumps(result, ensure_ascii=False, indent=2))

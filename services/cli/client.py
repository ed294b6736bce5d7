"""What the CLI needs to call a service: a channel, a token, readable errors."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, TypeVar

import grpc
import typer
from rich.console import Console

from services.kernel.config import load_settings
from services.kernel.grpc_errors import error_details

err = Console(stderr=True)

DEFAULT_TIMEOUT = 10.0

W = TypeVar("W", bound=int)  # a proto enum, as its stub declares it

Token = Annotated[
    str | None, typer.Option("--token", envvar="YIBAO_TOKEN", help="bearer token (yibao token mint)")
]


def target_option(service: str):
    """The --target option of a service's commands (default: YIBAO_<SERVICE>_TARGET),
    for ``Annotated[str | None, target_option(service)]``."""
    return typer.Option(
        "--target", envvar=f"YIBAO_{service.upper()}_TARGET", help=f"host:port of the {service} service"
    )


def caller(stub_class, service: str):
    """call(target, method, request, token) on one service."""

    def call(target: str | None, method: str, request, token: str | None = None):
        address = target or getattr(load_settings(), f"{service}_target")
        return invoke(stub_class, address, method, request, token)

    return call


def invoke(stub_class, target: str, method: str, request, token: str | None = None):
    """One call; a failure is printed readably and exits 1."""
    with grpc.insecure_channel(target) as channel:
        try:
            return getattr(stub_class(channel), method)(
                request, metadata=metadata(token), timeout=DEFAULT_TIMEOUT
            )
        except grpc.RpcError as error:
            err.print(f"[red]{explain(error)}[/red]")
            raise typer.Exit(1) from None


def every_page(call, target: str | None, method: str, request, field: str, token: str | None = None) -> list:
    """The items of every page of a List… call (AIP-158), in order."""
    items = []
    while True:
        page = call(target, method, request, token)
        items.extend(getattr(page, field))
        if not page.next_page_token:
            return items
        request.page_token = page.next_page_token


def to_fen(yuan: str) -> int:
    """ "12.34" yuan -> 1234 fen, exactly (never through a float)."""
    try:
        amount = Decimal(yuan)
    except InvalidOperation:
        raise typer.BadParameter(f"{yuan!r} is not an amount in yuan") from None
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise typer.BadParameter("at most two decimals (fen)")
    return int(fen)


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def metadata(token: str | None) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")] if token else []


def explain(error: grpc.RpcError) -> str:
    """One line: code, message, and the machine-readable reason and fields."""
    text = f"{error.code().name}: {error.details()}"
    details = error_details(error)
    if details is not None:
        extra = "".join(f" {k}={v}" for k, v in sorted(details.metadata.items()))
        text += f" [{details.reason}{extra}]" + "".join(
            f" ({v.field}: {v.description})" for v in details.violations
        )
    return text


def choice(value: str, choices: Mapping[str, W], hint: str) -> W:
    """The wire value of a named choice, or a usage error listing the names."""
    if value not in choices:
        raise typer.BadParameter(f"one of {', '.join(choices)}", param_hint=hint)
    return choices[value]

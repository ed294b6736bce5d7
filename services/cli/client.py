"""What the CLI needs to call a service: a channel, a token, readable errors."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, NoReturn, TypeVar

import grpc
import typer
from google.protobuf.json_format import MessageToDict
from rich.console import Console
from yibao.type.v1 import verification_pb2

from services.kernel.config import load_settings, tls_from
from services.kernel.errors import yuan as yuan  # the commands' too
from services.kernel.grpc_errors import error_details
from services.kernel.tls import sync_channel

out = Console()  # what every command prints; quiet when the output is JSON
err = Console(stderr=True)

DEFAULT_TIMEOUT = 10.0

W = TypeVar("W", bound=int)  # a proto enum, as its stub declares it

Token = Annotated[
    str | None, typer.Option("--token", envvar="YIBAO_TOKEN", help="bearer token (yibao token mint)")
]


def _six_digits(value: str | None) -> str | None:
    if value and not re.fullmatch(r"[0-9]{6}", value):  # refused here: the service would count an attempt
        raise typer.BadParameter("the 医保码 password is 6 digits")
    return value


Password = Annotated[
    str | None, typer.Option("--password", help="the 6-digit 医保码 password", callback=_six_digits)
]
FaceTicket = Annotated[
    str | None, typer.Option("--face-ticket", help="a face-verification ticket (yibao wallet face-ticket)")
]


def verification(password: str | None, face_ticket: str | None) -> verification_pb2.Verification:
    """The payer's proof: the password or a face ticket, exactly one."""
    if bool(password) == bool(face_ticket):
        raise typer.BadParameter("give --password or --face-ticket")
    if password:
        return verification_pb2.Verification(password=password)
    return verification_pb2.Verification(face_ticket=face_ticket)


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


def output_json() -> None:
    """--output json: each response a command receives is printed as one
    line of JSON (protobuf's JSON mapping: full ids, amounts in fen, RFC 3339
    times), a failure as one line of JSON on stderr; tables are not printed."""
    out.quiet = True


def emit(document: dict) -> None:
    """One line of JSON on stdout, in either output mode's terms: what a
    command that calls nothing (a minted token) prints in JSON mode."""
    if out.quiet:
        print(json.dumps(document, ensure_ascii=False), flush=True)


def invoke(stub_class, target: str, method: str, request, token: str | None = None):
    """One call; a failure is printed readably (or as JSON) and exits 1."""
    with sync_channel(target, tls_from(load_settings())) as channel:
        try:
            response = getattr(stub_class(channel), method)(
                request, metadata=metadata(token), timeout=DEFAULT_TIMEOUT
            )
        except grpc.RpcError as error:
            fail(error)
    emit_message(response)
    return response


def emit_message(message) -> None:
    """A response as one line of JSON, in JSON mode."""
    emit(MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True))


def fail(error: grpc.RpcError) -> NoReturn:
    """Prints a failed call (a line of text, or of JSON on stderr) and exits 1."""
    if out.quiet:
        print(json.dumps(error_document(error), ensure_ascii=False), file=sys.stderr, flush=True)
    else:
        err.print(f"[red]{explain(error)}[/red]")
    raise typer.Exit(1) from None


def error_document(error: grpc.RpcError) -> dict:
    """A failure as JSON: the status code, message and, when given, the reason and its metadata."""
    document: dict = {"code": error.code().name, "message": error.details()}
    if (details := error_details(error)) is not None:
        document |= {"reason": details.reason, "metadata": dict(details.metadata)}
        if details.violations:
            document["violations"] = [
                {"field": v.field, "description": v.description} for v in details.violations
            ]
    return document


def every_page(call, target: str | None, method: str, request, field: str, token: str | None = None) -> list:
    """The items of every page of a List… call (AIP-158), in order."""
    items = []
    while True:
        page = call(target, method, request, token)
        items.extend(getattr(page, field))
        if not page.next_page_token:
            return items
        request.page_token = page.next_page_token


def to_fen(text: str) -> int:
    """ "12.34" yuan -> 1234 fen, exactly (never through a float)."""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise typer.BadParameter(f"{text!r} is not an amount in yuan") from None
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise typer.BadParameter("at most two decimals (fen)")
    return int(fen)


def metadata(token: str | None) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")] if token else []


_TOKEN_HINT = (
    "a token must be signed with a key the services publish (YIBAO_JWT_JWKS_FILE; this shell signs with "
    "YIBAO_JWT_KEYS_DIR, e.g. . .run/demo.env) — or, without a JWKS, with their YIBAO_JWT_SIGNING_KEY — "
    "at their time (YIBAO_CLOCK_FILE on a developer clock): export YIBAO_TOKEN=$(yibao token mint --role …)"
)
HINTS = {
    "TOKEN_MISSING": "this needs a bearer token: export YIBAO_TOKEN=$(yibao token mint --role …)",
    "TOKEN_INVALID": _TOKEN_HINT,
    "TOKEN_EXPIRED": _TOKEN_HINT,
}


def explain(error: grpc.RpcError) -> str:
    """One line: code, message, and the machine-readable reason and fields;
    then a hint where one helps (which token, which role)."""
    text = f"{error.code().name}: {error.details()}"
    details = error_details(error)
    if details is not None:
        extra = "".join(f" {k}={v}" for k, v in sorted(details.metadata.items()))
        text += f" [{details.reason}{extra}]" + "".join(
            f" ({v.field}: {v.description})" for v in details.violations
        )
        hint = HINTS.get(details.reason)
        if roles := details.metadata.get("roles"):
            hint = f"mint a token for one of: {roles} (yibao token mint --role {roles.split(',')[0]} …)"
        if hint:
            text += f"\nhint: {hint}"
    return text


def choice(value: str, choices: Mapping[str, W], hint: str) -> W:
    """The wire value of a named choice, or a usage error listing the names."""
    if value not in choices:
        raise typer.BadParameter(f"one of {', '.join(choices)}", param_hint=hint)
    return choices[value]

"""The gateway as an ASGI application: one handler for every route of the
table (routes.py). A request is taken in this order, each step refusing
with its own reason before anything is called (docs/gateway.md):

    body size -> JSON -> envelope fields -> timestamp window -> platform
    (appId) -> signature -> decryption -> nonce, once -> payload as the
    RPC's request -> the RPC, with the platform's province token

Refusals up to the signature are answered in plain JSON (there is no
verified platform to encrypt to); from then on every answer, result or
error, is an envelope sealed for the platform and signed by the gateway."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import grpc
from google.protobuf import json_format
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route as HttpRoute

from services.gateway.envelope import (
    Envelope,
    EnvelopeError,
    beijing_timestamp,
    open_envelope,
    parse_timestamp,
    seal,
)
from services.gateway.errors import DOMAIN, INFO_TYPE, GatewayError, Reason, error_body, from_rpc_error
from services.gateway.gm import SM2PrivateKey, SM2PublicKey
from services.gateway.platforms import Platform, Platforms
from services.gateway.routes import PREFIX, ROUTES, Route
from services.kernel import tracing
from services.kernel.auth import Principal, Role, TokenAuthority
from services.kernel.calls import DEFAULT_TIMEOUT, ServiceIdentity
from services.kernel.clock import Clock

log = logging.getLogger("yibao.gateway")

EVENTS_PAGE = 100  # events one call of the stream route answers at most
EVENTS_IDLE_SECONDS = 0.5  # the stream route answers once no event came for this long


@dataclass
class Gateway:
    """What the handler needs: the key it signs with, the platforms, a way
    to call each service, and the time."""

    key: SM2PrivateKey
    platforms: Platforms
    channels: dict[str, grpc.aio.Channel]  # "account", "transfer"
    tokens: TokenAuthority
    clock: Clock
    max_body_bytes: int
    timestamp_window: timedelta


class _PlatformTokens:
    """A province token per platform, minted by the gateway and reused while young."""

    def __init__(self, tokens: TokenAuthority, clock: Clock) -> None:
        self._tokens, self._clock = tokens, clock
        self._held: dict[Platform, ServiceIdentity] = {}

    def metadata(self, platform: Platform) -> tuple[tuple[str, str], ...]:
        held = self._held.get(platform)
        if held is None:
            principal = Principal(f"platform:{platform.app_id}", Role.PROVINCE, province=platform.province)
            held = self._held[platform] = ServiceIdentity(
                "gateway", self._tokens, self._clock, principal=principal
            )
            if len(self._held) > 10_000:  # bounded: a platform's keys change, so does its entry
                self._held.pop(next(iter(self._held)))
        return held.metadata()


def build_app(gateway: Gateway, openapi: Callable[[], dict] | None = None) -> Starlette:
    tokens = _PlatformTokens(gateway.tokens, gateway.clock)

    async def handle(request: Request) -> Response:
        with tracing.span(f"POST {request.url.path}", SpanKind.SERVER, **{"http.route": PREFIX + "{method}"}):
            return await _handle(request)

    async def _handle(request: Request) -> Response:
        route = ROUTES.get(request.path_params["method"])
        try:
            if route is None:
                raise GatewayError("NOT_FOUND", Reason.METHOD_UNKNOWN, "no such method on this gateway")
            envelope = _envelope(await _body(request, gateway.max_body_bytes))
            _check_time(gateway, envelope)
            platform = await gateway.platforms.get(envelope.app_id)
            payload, signer = _opened(gateway.key, platform, envelope)
        except GatewayError as refusal:
            return JSONResponse(refusal.body(), refusal.http_status)
        try:
            await gateway.platforms.claim_nonce(
                platform.app_id, envelope.nonce, parse_timestamp(envelope.timestamp)
            )
            message = _request_message(route, payload)
            status, answer = await _call(gateway, route, message, tokens.metadata(platform))
        except GatewayError as refusal:
            status, answer = refusal.http_status, refusal.body()
        return _sealed(gateway, platform.app_id, signer, status, answer)

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "SERVING", "publicKey": gateway.key.public_key().to_hex()})

    async def openapi_document(_: Request) -> Response:
        return JSONResponse(openapi() if openapi else {})

    return Starlette(
        routes=[
            HttpRoute(PREFIX + "{method}", handle, methods=["POST"]),
            HttpRoute("/healthz", health, methods=["GET"]),
            HttpRoute("/openapi.json", openapi_document, methods=["GET"]),
        ],
        exception_handlers={HTTPException: _http_refusal, Exception: _internal},
    )


async def _http_refusal(_: Request, error: Exception) -> Response:
    """Starlette's own refusals (no such path, GET where POST is due) in the same JSON form."""
    assert isinstance(error, HTTPException)
    status = {404: "NOT_FOUND", 405: "UNIMPLEMENTED"}.get(error.status_code, "INVALID_ARGUMENT")
    refusal = GatewayError(status, Reason.METHOD_UNKNOWN, f"{error.detail}: POST {PREFIX}<Method>")
    return JSONResponse(refusal.body(), error.status_code)


async def _internal(_: Request, error: Exception) -> Response:
    """A defect: logged with its trace, answered as a clear INTERNAL error, never a trace."""
    log.exception("gateway request failed", exc_info=error)
    body = error_body(
        "INTERNAL", "internal error", [{"@type": INFO_TYPE, "reason": "INTERNAL", "domain": DOMAIN}]
    )
    return JSONResponse(body, 500)


async def _body(request: Request, limit: int) -> bytes:
    """The body, refused past ``limit`` bytes without reading the rest."""
    too_large = GatewayError(
        "INVALID_ARGUMENT", Reason.BODY_TOO_LARGE, f"the body is over {limit} bytes", {"limit": str(limit)}
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def _envelope(body: bytes) -> Envelope:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise GatewayError("INVALID_ARGUMENT", Reason.ENVELOPE_MALFORMED, "the body is not JSON") from None
    try:
        return Envelope.from_json(document)
    except EnvelopeError as error:
        raise _refusal(error) from None


def _refusal(error: EnvelopeError) -> GatewayError:
    """An envelope the gateway cannot take, as its answer: a bad signature
    is an unauthenticated caller; anything else, a request to fix."""
    if error.reason == Reason.SIGNATURE_INVALID:
        return GatewayError("UNAUTHENTICATED", Reason.SIGNATURE_INVALID, error.message)
    if error.reason == Reason.ALGORITHM_UNSUPPORTED:
        return GatewayError("INVALID_ARGUMENT", Reason.ALGORITHM_UNSUPPORTED, error.message)
    if error.reason == Reason.PAYLOAD_UNDECRYPTABLE:
        return GatewayError("INVALID_ARGUMENT", Reason.PAYLOAD_UNDECRYPTABLE, error.message)
    return GatewayError("INVALID_ARGUMENT", Reason.ENVELOPE_MALFORMED, error.message)


def _check_time(gateway: Gateway, envelope: Envelope) -> None:
    try:
        at = parse_timestamp(envelope.timestamp)
    except EnvelopeError as error:
        raise _refusal(error) from None
    if abs(at - gateway.clock.now()) > gateway.timestamp_window:
        raise GatewayError(
            "UNAUTHENTICATED",
            Reason.TIMESTAMP_OUT_OF_WINDOW,
            f"timestamp is more than {int(gateway.timestamp_window.total_seconds())} s from the gateway's "
            f"time, {beijing_timestamp(gateway.clock.now())}",
            {"gateway_time": beijing_timestamp(gateway.clock.now())},
        )


def _opened(key: SM2PrivateKey, platform: Platform, envelope: Envelope) -> tuple[bytes, SM2PublicKey]:
    """The payload, and which of the platform's active keys signed it (the
    answer is sealed for that one)."""
    error: EnvelopeError | None = None
    for public in platform.keys:
        try:
            return open_envelope(envelope, own=key, peer=public), public
        except EnvelopeError as refused:
            error = refused
            if refused.reason != "SIGNATURE_INVALID":
                break
    assert error is not None  # a platform has at least one key
    raise _refusal(error)


def _request_message(route: Route, payload: bytes):
    message = route.request_class()()
    try:
        json_format.Parse(payload, message)
    except (json_format.ParseError, ValueError, UnicodeDecodeError) as error:
        raise GatewayError(
            "INVALID_ARGUMENT",
            Reason.PAYLOAD_INVALID,
            f"the payload is not a {route.method.input_type.name}: {error}"[:500],
        ) from None
    return message


async def _call(gateway: Gateway, route: Route, message, metadata) -> tuple[int, dict]:
    channel = gateway.channels[route.service]
    serialize = type(message).SerializeToString
    deserialize = route.response_class().FromString
    try:
        if route.streaming:
            stream = channel.unary_stream(route.grpc_path, serialize, deserialize)
            return 200, {"result": await _page_of(stream(message, metadata=metadata))}
        call = channel.unary_unary(route.grpc_path, serialize, deserialize)
        answer = await call(message, timeout=DEFAULT_TIMEOUT, metadata=metadata)
        return 200, {"result": json_format.MessageToDict(answer)}
    except grpc.aio.AioRpcError as error:
        return from_rpc_error(error)


async def _page_of(stream) -> dict:
    """What a server stream sends until it is idle for a moment (or a page
    is full): ``{"items": [...]}`` — a platform resumes after the last one."""
    items: list[dict] = []
    try:
        while len(items) < EVENTS_PAGE:
            answer = await asyncio.wait_for(stream.read(), EVENTS_IDLE_SECONDS)
            if answer is grpc.aio.EOF:
                break
            items.append(json_format.MessageToDict(answer))
    except TimeoutError:
        pass
    finally:
        stream.cancel()
    return {"items": items}


def _sealed(gateway: Gateway, app_id: str, peer: SM2PublicKey, status: int, answer: dict) -> Response:
    envelope = seal(
        json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode(),
        app_id=app_id,
        own=gateway.key,
        peer=peer,
        timestamp=beijing_timestamp(gateway.clock.now()),
    )
    return JSONResponse(envelope.to_json(), status)

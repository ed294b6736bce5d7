"""A provincial platform's side of the gateway, in Python: builds the
request envelope (encrypts, signs), sends it, checks the answer's signature
and decrypts it. ``yibao province call`` and the demo use it; it is also a
reference for a province's own client (docs/gateway.md)."""

from __future__ import annotations

import json
import ssl
from datetime import datetime

import httpx

from services.gateway.envelope import Envelope, EnvelopeError, beijing_timestamp, open_envelope, seal
from services.gateway.errors import INFO_TYPE
from services.gateway.gm import SM2PrivateKey, SM2PublicKey
from services.gateway.routes import PREFIX


class GatewayCallError(Exception):
    """A refusal, with the HTTP status and the AIP-193 error as the gateway gave them."""

    def __init__(self, http_status: int, error: dict, sealed: bool) -> None:
        self.http_status, self.error, self.sealed = http_status, error, sealed
        self.status = str(error.get("status", ""))
        self.message = str(error.get("message", ""))
        infos = [d for d in error.get("details", []) if d.get("@type") == INFO_TYPE]
        self.reason = str(infos[0].get("reason", "")) if infos else ""
        super().__init__(f"{http_status} {self.status} {self.reason}: {self.message}")


def verify_with(ca_file: str | None) -> ssl.SSLContext | bool:
    """How httpx checks the gateway's certificate: against ``ca_file``, or the system's CAs."""
    return ssl.create_default_context(cafile=ca_file) if ca_file else True


class ProvinceClient:
    def __init__(
        self,
        url: str,
        app_id: str,
        key: SM2PrivateKey,
        gateway_key: SM2PublicKey,
        *,
        ca_file: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url, self.app_id, self.key, self.gateway_key = url.rstrip("/"), app_id, key, gateway_key
        self._verify = verify_with(ca_file)
        self._timeout = timeout

    def envelope(self, payload: dict, at: datetime, nonce: str | None = None) -> dict:
        """The request envelope for ``payload`` (the RPC's request in protobuf's JSON mapping)."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        return seal(
            body,
            app_id=self.app_id,
            own=self.key,
            peer=self.gateway_key,
            timestamp=beijing_timestamp(at),
            nonce=nonce,
        ).to_json()

    def answer(self, http_status: int, body: bytes) -> dict:
        """The result of an answer; a refusal raised as GatewayCallError. A
        sealed answer whose signature is not the gateway's is an EnvelopeError."""
        document = json.loads(body)
        if isinstance(document, dict) and set(document) == {
            "error"
        }:  # refused before the envelope was opened
            raise GatewayCallError(http_status, document["error"], sealed=False)
        inner = json.loads(open_envelope(Envelope.from_json(document), own=self.key, peer=self.gateway_key))
        if "error" in inner:
            raise GatewayCallError(http_status, inner["error"], sealed=True)
        return inner["result"]

    def call(self, method: str, payload: dict, at: datetime) -> dict:
        with httpx.Client(verify=self._verify, timeout=self._timeout) as http:
            response = http.post(self.url + PREFIX + method, json=self.envelope(payload, at))
        return self.answer(response.status_code, response.content)

    async def acall(
        self, method: str, payload: dict, at: datetime, http: httpx.AsyncClient | None = None
    ) -> dict:
        if http is None:
            async with httpx.AsyncClient(verify=self._verify, timeout=self._timeout) as own:
                return await self.acall(method, payload, at, own)
        response = await http.post(self.url + PREFIX + method, json=self.envelope(payload, at))
        return self.answer(response.status_code, response.content)


__all__ = ["EnvelopeError", "GatewayCallError", "ProvinceClient"]

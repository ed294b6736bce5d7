"""R25, property-based (schemathesis on the gateway's own OpenAPI): for
every route, generated payloads are sealed and signed like a platform's
and sent to the real gateway; generated envelopes are sent unsigned as an
attacker's. Nothing may answer 5xx; every refusal is a clear AIP-193
error (a status, a reason, a message)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from services.gateway.client import GatewayCallError, verify_with
from services.gateway.openapi import openapi
from tests import tls
from tests.gateway.conftest import GX

EXAMPLES = 25  # per route and kind, in every run
# The gateway's answers do not depend on the services' backend: one is enough here
# (tests/gateway/test_gateway.py runs on both).
pytestmark = pytest.mark.parametrize("new_database", ["sqlite"], indirect=True)


def _each_operation(document: dict):
    for result in schemathesis.openapi.from_dict(document).get_all_operations():
        yield result.ok()


def _run(check_one, document: dict) -> list[str]:
    """Runs ``check_one(http, operation, case)`` on generated cases of every
    route; returns what failed (hypothesis shrinks each to a minimal case)."""
    failures = []
    with httpx.Client(verify=verify_with(tls.SERVICE.ca), timeout=30) as http:
        for operation in _each_operation(document):
            try:
                _property(check_one, http, operation)()
            except AssertionError as failure:
                failures.append(f"{operation.path}: {failure}")
    return failures


def _property(check_one, http, operation):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case):
        check_one(http, operation, case)

    return check


def _clear(refusal: GatewayCallError) -> bool:
    return bool(refusal.status and refusal.reason and refusal.message) and refusal.http_status < 500


async def test_r25_signed_generated_payloads_never_get_a_5xx_and_each_refusal_is_clear(
    gateway, platform, clock
):
    gx = await platform(GX, "450000")

    def check_one(http, operation, case):
        body = case.body if isinstance(case.body, dict) else {}
        response = http.post(gateway.url + operation.path, json=gx.envelope(body, clock.now()))
        assert response.status_code < 500, f"{response.status_code} for {body!r}: {response.text[:300]}"
        try:
            gx.answer(response.status_code, response.content)
        except GatewayCallError as refusal:
            assert _clear(refusal), f"unclear refusal {refusal.error!r} for {body!r}"

    failures = await asyncio.to_thread(_run, check_one, openapi(plaintext=True))
    assert failures == []


async def test_r25_generated_envelopes_from_anyone_are_refused_in_plain_json(gateway, platform):
    await platform(GX, "450000")  # a platform exists: the envelopes may even name it

    def check_one(http, operation, case):
        body = case.body if isinstance(case.body, dict) else {}
        if isinstance(body.get("appId"), str) and len(body["appId"]) % 2:
            body["appId"] = GX
        response = http.post(gateway.url + operation.path, json=body)
        assert 400 <= response.status_code < 500, (
            f"{response.status_code} for {body!r}: {response.text[:300]}"
        )
        error = response.json()["error"]
        assert error["status"] and error["message"] and error["details"][0]["reason"], error

    failures = await asyncio.to_thread(_run, check_one, openapi())
    assert failures == []

"""`yibao platform add | keys | revoke` against a real region server (R25)."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

from services.cli.client import out
from services.cli.main import app
from services.gateway.gm import SM2PrivateKey, sm3
from services.kernel.auth import Principal, Role


async def test_r25_platform_commands(region_server, tokens, clock, tmp_path, monkeypatch):
    # Tables as wide as they need: the console's width is fixed when it is made (xdist, CI).
    monkeypatch.setattr(out, "width", 250)
    admin = tokens.mint(Principal("ops-1", Role.ADMIN), clock.now())
    gateway = tokens.mint(Principal("gateway", Role.SERVICE), clock.now())
    runner = CliRunner()

    async def yibao(*args: str, token: str = admin):
        arguments = [*args, "--target", region_server.address, "--token", token]
        # The CLI calls synchronously: off the loop the server answers on.
        return await asyncio.to_thread(runner.invoke, app, arguments, env={"COLUMNS": "250"})

    first = SM2PrivateKey.generate().public_key().to_hex()
    first_id = sm3(bytes.fromhex(first)).hex()[:16]
    added = await yibao(
        "platform", "add", "--app-id", "gx-cli", "--province", "450000", "--public-key", first
    )
    assert added.exit_code == 0, added.output
    assert first_id in added.output and "active" in added.output and "450000" in added.output

    second_file = tmp_path / "second.pub"
    second_file.write_text(SM2PrivateKey.generate().public_key().to_hex() + "\n")
    from_file = await yibao(
        "platform", "add", "--app-id", "gx-cli", "--province", "450000", "--public-key-file", str(second_file)
    )
    assert from_file.exit_code == 0, from_file.output

    third = SM2PrivateKey.generate().public_key().to_hex()
    limit = await yibao(
        "platform", "add", "--app-id", "gx-cli", "--province", "450000", "--public-key", third
    )
    assert limit.exit_code == 1 and "PLATFORM_KEY_LIMIT" in limit.output

    neither = await yibao("platform", "add", "--app-id", "gx-cli", "--province", "450000")
    assert neither.exit_code != 0 and "--public-key" in neither.output

    revoked = await yibao("platform", "revoke", "--app-id", "gx-cli", "--key-id", first_id)
    assert revoked.exit_code == 0, revoked.output
    row = next(line for line in revoked.output.splitlines() if first_id in line)
    assert "revoked" in row and "active" not in row

    keys = await yibao("platform", "keys", "--app-id", "gx-cli", "--active-only", token=gateway)
    assert keys.exit_code == 0, keys.output
    assert first_id not in keys.output and keys.output.count("gx-cli") == 1
    every = await yibao("platform", "keys", token=gateway)
    assert first_id in every.output and every.output.count("gx-cli") == 2

    denied = await yibao("platform", "revoke", "--app-id", "gx-cli", "--key-id", first_id, token=gateway)
    assert denied.exit_code == 1 and "PERMISSION_DENIED" in denied.output

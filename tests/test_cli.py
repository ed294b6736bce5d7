"""The embedded default end to end: `yibao run --demo` (what `make run`
starts) in its own process, called through the `yibao` CLI."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest

from services.cli.main import dev_keys_env
from services.gateway.gm import SM2PrivateKey
from tests.kernel.test_server import _free_port
from tests.tls import sync_channel


def _run(tmp_path, *options: str):
    """`yibao run --demo` with ``options``, on free ports; stopped with Ctrl-C at the end."""
    env = dict(os.environ)
    for service in ("REGION", "ACCOUNT", "TRANSFER", "INDEX"):
        port = _free_port()
        env |= {
            f"YIBAO_{service}_LISTEN": f"127.0.0.1:{port}",
            f"YIBAO_{service}_TARGET": f"127.0.0.1:{port}",
            f"YIBAO_{service}_METRICS_PORT": "0",
        }
    env |= {"YIBAO_GATEWAY_LISTEN": f"127.0.0.1:{_free_port()}", "YIBAO_ROUTER_METRICS_PORT": "0"}
    data = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "run", "--data-dir", str(data), "--demo", *options],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for service in ("REGION", "ACCOUNT", "TRANSFER"):
            with sync_channel(env[f"YIBAO_{service}_TARGET"]) as channel:
                grpc.channel_ready_future(channel).result(timeout=60)
        while not (data / "demo.env").exists() and process.poll() is None:  # the demo persons are in
            time.sleep(0.1)
        yield env | dev_keys_env(data / "keys") | {"DATA_DIR": str(data)}
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


@pytest.fixture
def embedded(tmp_path):
    yield from _run(tmp_path)


@pytest.fixture
def federated(tmp_path):
    """R24: `yibao run --account-shards 2`: 北京 in shard s1, 广西 in s2; at
    10:00 Beijing on the developer clock (transfers are made 06:00-22:00)."""
    for env in _run(tmp_path, "--account-shards", "2", "--at", "10:00"):
        yield env | {"YIBAO_CLOCK_FILE": str(Path(env["DATA_DIR"]) / "clock")}


def cli(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_embedded_suite_with_demo_data_through_the_cli(embedded):
    checked = cli(embedded, "region", "check", "450100", "450303", "320100", "999999")
    assert checked.returncode == 0, checked.stderr
    rows = {line.split("│")[1].strip(): line for line in checked.stdout.splitlines() if line.count("│") > 3}
    assert "enabled" in rows["450100"] and "南宁市" in rows["450100"]
    assert "disabled" in rows["450303"] and "450300" in rows["450303"]  # 桂林 withdrawn in the demo
    assert "disabled" in rows["320100"] and "unknown" in rows["999999"]

    denied = cli(embedded, "region", "enable", "320000", "--reason", "开通")
    assert denied.returncode == 1 and "UNAUTHENTICATED" in denied.stderr and "TOKEN_MISSING" in denied.stderr
    assert "hint: this needs a bearer token" in denied.stderr
    citizen = cli(embedded, "token", "mint", "--role", "citizen", "--person-id", "p-1").stdout.strip()
    wrong_role = cli({**embedded, "YIBAO_TOKEN": citizen}, "region", "enable", "320000", "--reason", "开通")
    assert "PERMISSION_DENIED" in wrong_role.stderr and "roles=admin" in wrong_role.stderr
    assert "hint: mint a token for one of: admin (yibao token mint --role admin" in wrong_role.stderr

    token = cli(embedded, "token", "mint", "--role", "admin", "--sub", "ops-9").stdout.strip()
    admin = {**embedded, "YIBAO_TOKEN": token}
    enabled = cli(admin, "region", "enable", "320000", "--reason", "江苏开通")
    assert enabled.returncode == 0 and "已开通" in enabled.stdout
    assert "enabled" in cli(embedded, "region", "check", "320100").stdout
    history = cli(admin, "region", "history", "320100", "--ancestors")
    assert "ops-9" in history.stdout and "江苏开通" in history.stdout

    bad = cli(embedded, "region", "show", "12")
    assert bad.returncode == 1 and "REGION_CODE_INVALID" in bad.stderr and "Traceback" not in bad.stderr

    listed = cli(embedded, "region", "institutions", "450100", "--wallet-only")
    assert "H45010300001" in listed.stdout and "P45010200001" not in listed.stdout

    added = cli(admin, "institution", "add", "P45010300002", "青秀区惠民药房", "450103", "--accepts-wallet")
    assert added.returncode == 0 and "retail_pharmacy" in added.stdout, added.stderr
    refused = cli(admin, "institution", "wallet", "P45010300002", "--refuses")
    assert refused.returncode == 0 and "P45010300002" in refused.stdout
    shown = cli(embedded, "institution", "show", "P45010300002")
    assert "青秀区惠民药房" in shown.stdout and "accepts" not in shown.stdout


def test_account_actions_through_the_cli(embedded):
    from tests.cluster import id_number

    province = {
        **embedded,
        "YIBAO_TOKEN": cli(
            embedded, "token", "mint", "--role", "province", "--province", "450000"
        ).stdout.strip(),
    }
    registered = cli(
        province, "person", "register", id_number("450103"), "王芳", "450103", "--type", "employee"
    )
    assert registered.returncode == 0, registered.stderr
    person_id = next(line.split("│")[1].strip() for line in registered.stdout.splitlines() if "王芳" in line)
    funded = cli(
        province, "person", "fund", person_id, "100.50", "--reference", "gx-001", "--period", "2026-11"
    )
    assert "¥100.50" in funded.stdout, funded.stderr
    assert (
        "at most two decimals"
        in cli(province, "person", "fund", person_id, "1.005", "--reference", "gx-002").stderr
    )

    me = {
        **embedded,
        "YIBAO_TOKEN": cli(
            embedded, "token", "mint", "--role", "citizen", "--person-id", person_id
        ).stdout.strip(),
    }
    opened = cli(me, "wallet", "open", person_id, "450103", "13712345678")
    assert "137****5678" in opened.stdout, opened.stderr
    assert cli(me, "wallet", "password", person_id, "258036").returncode == 0
    moved = cli(me, "wallet", "mobile", person_id, "13912345678", "--password", "258036")
    assert "139****5678" in moved.stdout, moved.stderr
    balance = cli(me, "wallet", "balance", person_id).stdout
    assert "¥100.50" in balance and "¥0.00" in balance
    assert "funding" in cli(me, "wallet", "statement", person_id).stdout
    other = cli(me, "wallet", "balance", "someone-else")
    assert other.returncode == 1 and "PERMISSION_DENIED" in other.stderr

    check = cli(embedded, "ledger-check", "--database-url", f"sqlite:///{embedded['DATA_DIR']}/account.db")
    assert (
        check.returncode == 0 and "debits 510050 fen, credits 510050 fen" in check.stdout
    )  # demo ¥5,000 + ¥100.50 and "balanced" in check.stdout

    hospital = {
        **embedded,
        "YIBAO_TOKEN": cli(
            embedded, "token", "mint", "--role", "institution", "--institution", "H45010300001"
        ).stdout.strip(),
    }
    charged = cli(
        hospital, "pay", "charge", "H45010300001", "ORD-1", person_id, "0.01", "--password", "258036"
    )
    assert charged.returncode == 1 and "INSUFFICIENT_FUNDS" in charged.stderr


@pytest.mark.parametrize("shards", ["1", "2"])
def test_the_scripted_demo_walks_a_cross_province_transfer(shards):
    """On one account service, and on two shards (R24: 南宁 and 北京 in two)."""
    demo = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "demo", "--account-shards", shards],
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert demo.returncode == 0, demo.stderr
    text = demo.stdout
    steps = [
        "1. 张伟 sends ¥500.00",
        "2. 李秀英 receives it",
        "3. 张伟 sends ¥300.00",
        "4. 张伟 sends ¥200.00",
        "06:00 the next morning",
    ]
    assert [text.index(step) for step in steps] == sorted(text.index(step) for step in steps)
    final = text[text.index("06:00 the next morning") :]
    assert "¥4,500.00" in final and "¥500.00" in final and "expired" in text and "declined" in text
    assert "450000 -> 110000: 1 transfer(s), ¥500.00" in text
    told = text[text.index("Notifications to 李秀英") :]
    assert "待领取" in told and "已被领取" in told and "对方已拒收" in told and "未在规定时间内领取" in told
    gateway = text[text.index("5. 广西's platform") :]
    assert "POST /api/v1/RegisterPerson  appId=gx-demo" in gateway and "registered 韦海 (450103)" in gateway
    assert "answer signed by the gateway, verified" in gateway


def test_token_mint_issues_at_the_services_clock(tmp_path):
    import jwt

    clock_file = tmp_path / "clock"
    clock_file.write_text("2026-03-02T02:00:00+00:00")
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIBAO_")} | {
        "YIBAO_CLOCK_FILE": str(clock_file)
    }
    minted = cli(env, "token", "mint", "--role", "admin", "--ttl-minutes", "5")
    assert minted.returncode == 0, minted.stderr
    claims = jwt.decode(minted.stdout.strip(), options={"verify_signature": False})
    assert (claims["iat"], claims["exp"] - claims["iat"]) == (1772416800, 300)  # 2026-03-02 02:00 UTC


def test_output_json_gives_each_response_and_each_failure_as_one_line(embedded):
    """-o json (or YIBAO_OUTPUT=json): a line of protobuf JSON per response
    (full ids, fen), a failure as a line of JSON on stderr, no tables."""
    import json

    checked = cli(embedded, "-o", "json", "region", "check", "450100", "999999")
    (line,) = checked.stdout.splitlines()
    statuses = {r["code"]: r["status"] for r in json.loads(line)["results"]}
    assert statuses == {"450100": "REGION_STATUS_ENABLED", "999999": "REGION_STATUS_UNKNOWN"}

    minted = json.loads(cli({**embedded, "YIBAO_OUTPUT": "json"}, "token", "mint", "--role", "admin").stdout)
    bad = cli({**embedded, "YIBAO_TOKEN": minted["token"]}, "--output", "json", "region", "show", "12")
    assert bad.returncode == 1 and bad.stdout == ""
    failure = json.loads(bad.stderr)
    assert (failure["code"], failure["reason"]) == ("INVALID_ARGUMENT", "REGION_CODE_INVALID")

    wrong = cli(embedded, "-o", "yaml", "region", "check", "450100")
    assert wrong.returncode == 2 and "text or json" in wrong.stderr

    # Operator commands answer in JSON too (run, serve and demo, which stay up or narrate, print text).
    url = f"sqlite:///{embedded['DATA_DIR']}/account.db"
    ledger = json.loads(cli(embedded, "-o", "json", "ledger-check", "--database-url", url).stdout)
    assert ledger["balanced"] is True and ledger["debits_fen"] == ledger["credits_fen"] > 0
    clock_file = f"{embedded['DATA_DIR']}/dev-clock"
    started = json.loads(
        cli(embedded, "-o", "json", "dev-clock", "2026-12-03T10:00+08:00", "--file", clock_file).stdout
    )
    assert started == {"clock_file": clock_file, "at": "2026-12-03T10:00:00+08:00"}


def test_run_refuses_a_developer_clock_it_cannot_read(tmp_path):
    for at in ("25:00", "2026-12-03T10:00", "soon"):
        refused = cli(dict(os.environ), "run", "--data-dir", str(tmp_path), "--at", at)
        assert refused.returncode == 2 and "--at" in refused.stderr, (at, refused.stderr)


def _exports(path: Path, deadline: float) -> dict[str, str]:
    """The variables `yibao run` exports in its env file, once it holds the gateway's."""
    while "YIBAO_GATEWAY_URL" not in (text := path.read_text(encoding="utf-8") if path.exists() else ""):
        assert time.monotonic() < deadline, f"{path}: no gateway in it"
        time.sleep(0.2)
    return dict(re.findall(r"^export (\w+)=(\S+)", text, re.MULTILINE))


def test_a_province_calls_the_gateway_with_yibao_province_call(embedded, tmp_path):
    """R25 from a terminal: the demo platform `yibao run --demo` registers,
    its key and the gateway's in the env file; a key that is not its own is refused."""
    env = embedded | _exports(Path(embedded["DATA_DIR"]) / "demo.env", time.monotonic() + 60)
    person = '{"idNumber": "450103198805212241", "name": "韦丽", "insuranceType": "INSURANCE_TYPE_EMPLOYEE", "insuredRegion": "450103"}'
    registered = cli(env, "-o", "json", "province", "call", "RegisterPerson", person)
    assert registered.returncode == 0, registered.stderr
    assert json.loads(registered.stdout)["result"]["person"]["name"] == "韦丽"
    found = cli(env, "province", "call", "LookupPerson", '{"idNumber": "450103198805212241", "name": "韦丽"}')
    assert found.returncode == 0 and json.loads(registered.stdout)["result"]["person"]["id"] in found.stdout

    stranger = tmp_path / "stranger.hex"
    stranger.write_text(SM2PrivateKey.generate().to_hex())
    refused = cli(env | {"YIBAO_PROVINCE_KEY_FILE": str(stranger)}, "province", "call", "LookupPerson", "{}")
    assert refused.returncode == 1 and "401 UNAUTHENTICATED SIGNATURE_INVALID" in refused.stderr


def _demo_persons(env) -> dict[str, str]:
    text = (Path(env["DATA_DIR"]) / "demo.env").read_text(encoding="utf-8")
    return dict(re.findall(r"export (ZHANGWEI|LIXIUYING)=(\S+)", text))


def test_r24_run_with_two_account_shards_sends_across_them_through_the_cli(federated):
    """The README's transfer from 南宁 to 北京 on `yibao run --account-shards 2`:
    the CLI talks to the account router on the account port as to the one
    account service; each shard's ledger balances, and their clearing
    accounts cancel out."""
    ids = _demo_persons(federated)
    payer, payee = ids["ZHANGWEI"], ids["LIXIUYING"]

    def as_citizen(person_id):
        token = cli(federated, "token", "mint", "--role", "citizen", "--person-id", person_id).stdout.strip()
        return {**federated, "YIBAO_TOKEN": token}

    submitted = cli(
        as_citizen(payer),
        "-o",
        "json",
        "transfer",
        "submit",
        payer,
        "李秀英",
        "110101195809120024",
        "parent",
        "500.00",
        "--source",
        "personal",
        "--password",
        "258036",
    )
    assert submitted.returncode == 0, submitted.stderr
    transfer_id = json.loads(submitted.stdout.splitlines()[0])["transfer"]["id"]
    received = cli(as_citizen(payee), "transfer", "receive", transfer_id)
    assert received.returncode == 0 and "received" in received.stdout, received.stderr
    assert "¥500.00" in cli(as_citizen(payee), "wallet", "balance", payee).stdout
    assert "¥4,500.00" in cli(as_citizen(payer), "wallet", "balance", payer).stdout

    data = federated["DATA_DIR"]
    for shard in ("s1", "s2"):
        check = cli(federated, "ledger-check", "--database-url", f"sqlite:///{data}/account-{shard}.db")
        assert check.returncode == 0 and "balanced" in check.stdout, check.stdout

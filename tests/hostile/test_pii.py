"""R5, R7, R9: the end-to-end transfer tests run again with the services
logging at DEBUG, as deployed (JSON lines); not one line carries an ID
number or a mobile number in clear, a password, a face ticket or a token,
including the error messages each failed call got (logged with it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LEAKS = {
    "ID number": re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])"),
    "ID number in other digits": re.compile(r"[0-9０-９٠-٩]{6}[0-9０-９٠-٩]{11}[0-9０-９٠-٩XxＸ]"),
    "mobile number": re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])"),
    "password": re.compile(r"258036|369147"),  # the passwords the tests use
    "token or face ticket": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
}


def test_r5_no_personal_data_or_secret_in_debug_logs_of_the_e2e_tests(tmp_path):
    log = tmp_path / "services.log"
    env = os.environ | {"YIBAO_TEST_LOG_FILE": str(log)}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:logging",
            "-x",
            "tests/transfer/test_e2e.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    lines = log.read_text(encoding="utf-8").splitlines()
    rpc_lines = [line for line in lines if '"msg": "rpc"' in line]
    failed = [line for line in rpc_lines if '"reason"' in line]
    hits = [(what, line) for line in lines for what, pattern in LEAKS.items() if pattern.search(line)]
    print(
        f"PII scan: {len(lines)} log lines ({len(rpc_lines)} calls, {len(failed)} with their error), {len(hits)} hits"
    )
    assert len(rpc_lines) > 500 and len(failed) > 20  # the scan saw a real session
    assert not hits, hits[:10]

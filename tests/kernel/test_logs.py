"""Logs never carry an ID number in clear (R5)."""

from __future__ import annotations

import json
import logging

from services.kernel.logs import JsonFormatter, redact


def test_r5_id_numbers_are_masked_in_text():
    assert redact("payee 45010219900307123X asked") == "payee 450102********123X asked"
    assert redact("id=450102199003071234,") == "id=450102********1234,"
    # Longer digit runs (order numbers, timestamps) are left alone.
    assert redact("order 1234567890123456789012") == "order 1234567890123456789012"


def test_r5_json_log_lines_are_masked_everywhere():
    record = logging.makeLogRecord(
        {"msg": "lookup %s", "args": ("450102199003071234",), "name": "t", "levelname": "INFO"}
    )
    record.payee = "110101200001011234"
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["msg"] == "lookup 450102********1234"
    assert entry["payee"] == "110101********1234"
    assert "199003071234" not in line and "200001011234" not in line

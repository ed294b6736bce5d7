"""Logs never carry an ID number in clear (R5)."""

from __future__ import annotations

import json
import logging

from services.kernel.logs import QUIET_LOGGERS, JsonFormatter, configure_logging, redact


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


def test_r5_r7_id_numbers_after_letters_and_mobile_numbers_are_masked():
    assert redact("id450102199003071234 ok") == "id450102********1234 ok"
    assert redact("mobile=13800138000;") == "mobile=138****8000;"
    assert redact("手机13912345678") == "手机139****5678"
    # Not inside longer digit runs: an order number or a millisecond timestamp.
    assert redact("1763900000000 and 213800138000") == "1763900000000 and 213800138000"


def test_r5_driver_loggers_stay_quiet_even_at_debug():
    configure_logging("DEBUG")
    try:
        for name in QUIET_LOGGERS:
            assert not logging.getLogger(name).isEnabledFor(logging.INFO)
        assert logging.getLogger("yibao.rpc").isEnabledFor(logging.DEBUG)
    finally:
        configure_logging("INFO")

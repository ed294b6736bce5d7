"""The simulator over a range of seeds (make sim runs many more), and what
makes it trustworthy: a seed replays exactly, and the fakes keep to the ports."""

from __future__ import annotations

import logging
import os

import pytest

from tests.sim import ports_check
from tests.sim.__main__ import replay_command
from tests.sim.world import simulate

SEEDS = int(os.environ.get("YIBAO_SIM_SEEDS", "300"))


@pytest.fixture(autouse=True)
def _quiet():
    logging.disable(logging.WARNING)  # every fault ridden out is logged
    yield
    logging.disable(logging.NOTSET)


@pytest.mark.parametrize("seed", range(SEEDS))
def test_invariants_hold_for_seed(seed):
    try:
        simulate(seed)
    except Exception as error:
        pytest.fail(f"{error}\nreplay with: {replay_command(seed)}", pytrace=False)


def test_a_seed_replays_exactly():
    first, again = simulate(11), simulate(11)
    assert first.trace == again.trace and first.trace
    assert first.accounts.faults == again.accounts.faults
    assert first.transfer_tables.transfers == again.transfer_tables.transfers
    assert first.account_tables.balances == again.account_tables.balances


def test_the_fakes_are_built_as_the_ports_say():
    ports_check.fakes_satisfy_ports()  # mypy checks the same assignments (make typecheck)

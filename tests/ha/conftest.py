"""The `patroni` fixture: a three-node Patroni cluster (bench/patroni.py) for the session.

The cluster runs as the unprivileged user yibao-ha, which the tests (as root)
switch to; deploy/ha/install.sh installs what is missing. Its base directory
is a fresh one under /tmp (pytest's own tmp dirs are not reachable by that
user), removed afterwards unless YIBAO_HA_KEEP=1.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.patroni import PatroniCluster, patroni_cluster


@pytest.fixture(scope="session")
def patroni() -> Iterator[PatroniCluster]:
    if os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("the Patroni tests must run as root in CI (they create the yibao-ha user)")
        pytest.skip("the Patroni cluster needs root (it creates and switches to the yibao-ha user)")
    base_dir = Path(tempfile.mkdtemp(prefix="yibao-ha-", dir="/tmp"))
    try:
        with patroni_cluster(base_dir) as cluster:
            yield cluster
    finally:
        if not os.environ.get("YIBAO_HA_KEEP"):
            shutil.rmtree(base_dir, ignore_errors=True)


# The transfer tests' persons and relations, on the servers a module here starts.
from tests.transfer.conftest import member, relate  # noqa: E402,F401

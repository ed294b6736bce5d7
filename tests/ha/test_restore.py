"""A base backup of the Patroni cluster plus its WAL archive restores to a
chosen point in time: exactly the rows committed before it."""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest

from bench.patroni import PatroniCluster, free_port

pytestmark = pytest.mark.ha


def test_point_in_time_recovery_from_a_base_backup(patroni: PatroniCluster) -> None:
    backup = patroni.base_backup(patroni.base_dir / f"backup-{uuid.uuid4().hex[:8]}")
    with psycopg.connect(patroni.url(), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS pitr")
        conn.execute("CREATE TABLE pitr (id int PRIMARY KEY)")
        for i in range(1, 51):
            conn.execute("INSERT INTO pitr VALUES (%s)", (i,))
        time.sleep(0.1)  # commit timestamps on either side of the target, clearly apart
        target = conn.execute("SELECT clock_timestamp()").fetchone()[0]
        time.sleep(0.1)
        for i in range(51, 101):
            conn.execute("INSERT INTO pitr VALUES (%s)", (i,))
    patroni.flush_wal_archive()  # the segment holding rows 51..100 must be in the archive

    url = patroni.restore(backup, target, free_port())
    with psycopg.connect(url) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM pitr ORDER BY id")]
    assert ids == list(range(1, 51))
    with psycopg.connect(patroni.url()) as conn:  # the cluster itself has them all
        assert conn.execute("SELECT count(*) FROM pitr").fetchone() == (100,)

"""Failover on the three-node Patroni cluster: no acknowledged commit is lost
when the primary dies, the cluster survives a full restart, and the
multi-host URL follows the primary."""

from __future__ import annotations

import time

import psycopg
import pytest

from bench.patroni import PatroniCluster

pytestmark = pytest.mark.ha

ROWS = 200
KILL_AT = 100


def _insert_until_acknowledged(url: str, table: str, ids: range, kill: int, cluster: PatroniCluster) -> dict:
    """Inserts ids one per autocommit transaction, killing the primary before `kill`; a failed insert is
    retried (idempotent: ON CONFLICT) until acknowledged. Returns what was seen."""
    acked: list[int] = []
    seen: dict = {"victim": None, "killed_at": None, "outage": None, "errors": 0}
    conn: psycopg.Connection | None = None
    deadline = time.monotonic() + 180
    i = ids.start
    try:
        while i < ids.stop:
            assert time.monotonic() < deadline, (
                f"no commit acknowledged within 180 s; {len(acked)} rows so far"
            )
            if i == kill and seen["victim"] is None:
                seen["victim"], seen["killed_at"] = cluster.kill_primary()
            try:
                if conn is None:
                    conn = psycopg.connect(url, autocommit=True)
                conn.execute(f"INSERT INTO {table} (id) VALUES (%s) ON CONFLICT (id) DO NOTHING", (i,))
            except psycopg.Error:
                seen["errors"] += 1
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.1)
                continue
            acked.append(i)
            if seen["killed_at"] is not None and seen["outage"] is None:
                seen["outage"] = time.time() - seen["killed_at"]
            i += 1
    finally:
        if conn is not None:
            conn.close()
    seen["acked"] = acked
    return seen


def test_acknowledged_commits_survive_the_loss_of_the_primary(patroni: PatroniCluster) -> None:
    with psycopg.connect(patroni.url(), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS ha_acks")
        conn.execute("CREATE TABLE ha_acks (id int PRIMARY KEY)")
    seen = _insert_until_acknowledged(patroni.url(), "ha_acks", range(ROWS), KILL_AT, patroni)
    try:
        new_primary, _ = patroni.wait_for_primary(not_node=seen["victim"])
        with psycopg.connect(patroni.node_url(new_primary)) as conn:
            stored = {r[0] for r in conn.execute("SELECT id FROM ha_acks")}
        missing = sorted(set(seen["acked"]) - stored)
        print(
            f"\nfailover: killed {seen['victim']}, new primary {new_primary}, "
            f"write outage {seen['outage']:.1f} s, {seen['errors']} failed attempts retried"
        )
        assert len(seen["acked"]) == ROWS
        assert not missing, f"acknowledged but lost after the failover: {missing}"
    finally:
        patroni.start_node(seen["victim"])
        patroni.wait_healthy()


def test_the_cluster_comes_back_after_every_node_dies(patroni: PatroniCluster) -> None:
    with psycopg.connect(patroni.url(), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS ha_restart")
        conn.execute("CREATE TABLE ha_restart AS SELECT g AS id FROM generate_series(1, 1000) g")
    started = time.monotonic()
    patroni.restart_all()
    print(f"\nrestart_all: writable with a synchronous standby after {time.monotonic() - started:.1f} s")
    with psycopg.connect(patroni.url(), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM ha_restart").fetchone() == (1000,)
        conn.execute("INSERT INTO ha_restart VALUES (1001)")
    assert all(patroni.pids()[name] for name in patroni.names)


def test_the_multi_host_url_reaches_the_new_primary(patroni: PatroniCluster) -> None:
    old = patroni.primary()
    victim, killed_at = patroni.kill_primary()
    assert victim == old
    try:
        new_primary, waited = patroni.wait_for_primary(not_node=victim)
        print(
            f"\nfailover: {victim} -> {new_primary} writable {time.time() - killed_at:.1f} s after the kill"
        )
        with psycopg.connect(patroni.url(), autocommit=True) as conn:
            in_recovery, port = conn.execute("SELECT pg_is_in_recovery(), inet_server_port()").fetchone()
        assert not in_recovery
        assert port == patroni.state["nodes"][new_primary]["pg"]
        with psycopg.connect(patroni.replica_url()) as conn:
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
    finally:
        patroni.start_node(victim)
        patroni.wait_healthy()

"""A three-node PostgreSQL cluster under Patroni, run as local processes, for
the HA tests and chaos runs; plus a base backup and point-in-time recovery.

    python -m bench.patroni up --dir D      # starts etcd and the nodes, prints the URLs
    python -m bench.patroni status --dir D
    python -m bench.patroni down --dir D    # stops every process it started

Topology: one etcd member (Debian's etcd-server, 3.4) on 127.0.0.1 as the
DCS, and N Patroni 4 nodes (node1..nodeN), each with its own PostgreSQL 15
data directory, port and REST API port, all on free 127.0.0.1 ports. Data,
logs, the WAL archive and a state file (ports, password, PIDs, so that `down`
works from another process) live under the base directory.

Why etcd rather than Patroni's built-in Raft: Raft (pysyncobj) has been
deprecated since Patroni 3.0.0 ("we take neither guarantee nor
responsibility for possible issues"), it is an extra in Patroni 4 that few
run, and its quorum would live inside the Patroni processes we kill on
purpose. etcd is the DCS Patroni is tested with most, it is packaged by
Debian, and Patroni 4's etcd3 driver speaks to etcd 3.4 through its
JSON/gRPC gateway, so nothing beyond PyPI and apt is needed.

Replication: synchronous_mode and synchronous_mode_strict with one
synchronous standby, so a commit is acknowledged only once a second node has
it: losing the primary loses no acknowledged commit, and with two nodes gone
writes block instead of going unprotected. ttl 20 (Patroni 4's minimum: it
raises lower values to 20), loop_wait 1, retry_timeout 5, so a dead primary's
leader key expires, and the synchronous standby is promoted, about 20 s after
the crash. use_pg_rewind lets a killed primary rejoin as a replica.

Patroni refuses to run as root, so etcd, Patroni and PostgreSQL run as the
unprivileged user yibao-ha from a venv on Debian's /usr/bin/python3;
deploy/ha/install.sh installs both (and etcd-server), and start() runs it
when something is missing. The base directory is chowned to that user.

Every wait here is bounded in time; stop() ends every process it started by
PID (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import random
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import psycopg

HA_USER = os.environ.get("YIBAO_HA_USER", "yibao-ha")
HA_VENV = Path(os.environ.get("YIBAO_HA_VENV", "/opt/yibao-ha/venv"))
PG_BIN = Path("/usr/lib/postgresql/15/bin")
INSTALL_SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "ha" / "install.sh"
SCOPE = "yibao"
MAX_CONNECTIONS = 400  # the services open pools; the tests and chaos runs open more

# The settings every node shares, kept in etcd (Patroni's "dynamic configuration").
DCS = {
    "ttl": 20,
    "loop_wait": 1,
    "retry_timeout": 5,
    "maximum_lag_on_failover": 1048576,
    "synchronous_mode": True,
    "synchronous_mode_strict": True,
    "synchronous_node_count": 1,
}


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports below the kernel's ephemeral range
    (32768-60999 here): a node killed and started again on its ports never
    finds one taken by an outgoing connection meanwhile. Every socket stays
    bound until all are chosen. (bench/cluster.py has the same for the
    services; this file runs on its own, without the project's packages.)"""
    sockets: list[socket.socket] = []
    try:
        for port in random.SystemRandom().sample(range(20000, 32000), 12000):
            if len(sockets) == count:
                break
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def free_port() -> int:
    return free_ports(1)[0]


def _wait(what: str, check: Callable[[], object], timeout: float, interval: float = 0.2) -> object:
    """Polls check() until it returns something truthy; TimeoutError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, ValueError, KeyError, psycopg.Error):  # not up yet
            if result := check():
                return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, None if it is gone. Zombies count as gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in "ZX" else (fields[0], int(fields[1]))


def _alive(pid: int) -> bool:
    return _stat(pid) is not None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _terminate(pids: list[int], grace: float) -> None:
    """SIGTERM, then SIGKILL whatever is still there after `grace` seconds."""
    pids = [p for p in pids if _alive(p)]
    _signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    _signal_all([p for p in pids if _alive(p)], signal.SIGKILL)
    _wait("processes gone after SIGKILL", lambda: not any(_alive(p) for p in pids), 10, 0.05)


class PatroniCluster:
    def __init__(self, base_dir: Path, nodes: int = 3) -> None:
        self.base_dir = Path(base_dir).resolve()
        self.names = [f"node{i}" for i in range(1, nodes + 1)]
        self._procs: dict[int, subprocess.Popen[bytes]] = {}  # the ones this process started, to reap
        state_file = self.base_dir / "state.json"
        if state_file.exists():  # a cluster made before (CLI `up`, or a restart): same ports, same data
            self.state = json.loads(state_file.read_text())
            self.names = sorted(self.state["nodes"])
        else:
            ports = iter(free_ports(2 + 2 * len(self.names)))
            self.state = {
                "password": secrets.token_hex(16),
                "replication_password": secrets.token_hex(16),
                "etcd": {"client": next(ports), "peer": next(ports), "pid": None},
                "nodes": {n: {"pg": next(ports), "rest": next(ports), "pid": None} for n in self.names},
                "restored": {},  # port -> pid of standalone servers made by restore()
            }
        self.password: str = self.state["password"]
        self.archive_dir = self.base_dir / "wal-archive"

    # ----------------------------------------------------------------- URLs
    def _hosts(self) -> str:
        return ",".join(f"127.0.0.1:{self.state['nodes'][n]['pg']}" for n in self.names)

    def url(self, database: str = "postgres") -> str:
        return (
            f"postgresql://postgres:{self.password}@{self._hosts()}/{database}"
            "?target_session_attrs=read-write&connect_timeout=2"
        )

    def replica_url(self, database: str = "postgres") -> str:
        return (
            f"postgresql://postgres:{self.password}@{self._hosts()}/{database}"
            "?target_session_attrs=prefer-standby&connect_timeout=2"
        )

    def node_url(self, name: str, database: str = "postgres") -> str:
        port = self.state["nodes"][name]["pg"]
        return f"postgresql://postgres:{self.password}@127.0.0.1:{port}/{database}?connect_timeout=2"

    # ------------------------------------------------------------ processes
    def _user(self) -> pwd.struct_passwd:
        return pwd.getpwnam(HA_USER)

    def _spawn(self, argv: list[str], log: Path, cwd: Path) -> int:
        """Starts argv as the unprivileged user in a session of its own, output to log."""
        user = self._user()
        env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                user=user.pw_uid,
                group=user.pw_gid,
                extra_groups=[],
                start_new_session=True,
            )
        self._procs[proc.pid] = proc
        return proc.pid

    def _ours(self, pid: int | None) -> bool:
        """pid is alive and is one of this cluster's (its command line names the base dir): PIDs in the
        state file may be stale."""
        return bool(pid) and _alive(pid) and str(self.base_dir) in _cmdline(pid)  # type: ignore[arg-type]

    def _save(self) -> None:
        path = self.base_dir / "state.json"
        path.write_text(json.dumps(self.state, indent=2))
        path.chmod(0o600)

    def _reap(self) -> None:
        for pid, proc in list(self._procs.items()):
            if proc.poll() is not None:
                del self._procs[pid]

    # ---------------------------------------------------------------- setup
    def _ensure_installed(self) -> None:
        try:
            self._user()
            ok = (
                (HA_VENV / "bin" / "patroni").exists()
                and shutil.which("etcd")
                and (PG_BIN / "postgres").exists()
            )
        except KeyError:
            ok = False
        if not ok:
            subprocess.run(["bash", str(INSTALL_SCRIPT)], check=True, timeout=900)

    def _prepare_dirs(self) -> None:
        user = self._user()
        for d in [
            self.base_dir,
            self.archive_dir,
            self.base_dir / "etcd",
            *(self.base_dir / n for n in self.names),
        ]:
            d.mkdir(parents=True, exist_ok=True)
        for root, dirs, files in os.walk(self.base_dir):
            for name in [".", *dirs, *files]:
                os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid)
        self.base_dir.chmod(0o700)
        # The user must be able to reach the base directory: every parent must let others through.
        for parent in self.base_dir.parents:
            if not parent.stat().st_mode & 0o001:
                raise PermissionError(f"{parent} is not searchable by {HA_USER}: choose a base dir elsewhere")

    def _write_config(self, name: str) -> Path:
        node = self.state["nodes"][name]
        node_dir = self.base_dir / name
        archive = shlex.quote(str(self.archive_dir))
        # Idempotent: after a failover the new primary may archive a segment the old one already did.
        archive_command = (
            f"if [ -f {archive}/%f ]; then cmp -s %p {archive}/%f; "
            f"else cp %p {archive}/%f.tmp && mv {archive}/%f.tmp {archive}/%f; fi"
        )
        config = {
            "scope": SCOPE,
            "name": name,
            "restapi": {
                "listen": f"127.0.0.1:{node['rest']}",
                "connect_address": f"127.0.0.1:{node['rest']}",
            },
            "etcd3": {"hosts": [f"127.0.0.1:{self.state['etcd']['client']}"], "protocol": "http"},
            "watchdog": {"mode": "off"},
            "bootstrap": {
                "dcs": {
                    **DCS,
                    "postgresql": {
                        "use_pg_rewind": True,
                        "use_slots": True,
                        "remove_data_directory_on_rewind_failure": True,
                        "remove_data_directory_on_diverged_timelines": True,
                        "parameters": {
                            "max_connections": MAX_CONNECTIONS,
                            "wal_level": "replica",
                            "hot_standby": "on",
                            "wal_log_hints": "on",
                            "wal_keep_size": "256MB",
                            "archive_mode": "on",
                            "archive_command": archive_command,
                            "archive_timeout": "60s",
                            "password_encryption": "scram-sha-256",
                        },
                    },
                },
                "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}, "data-checksums"],
            },
            "postgresql": {
                "listen": f"127.0.0.1:{node['pg']}",
                "connect_address": f"127.0.0.1:{node['pg']}",
                "data_dir": str(node_dir / "data"),
                "bin_dir": str(PG_BIN),
                "pgpass": str(node_dir / "pgpass"),
                "authentication": {
                    "superuser": {"username": "postgres", "password": self.password},
                    "replication": {"username": "replicator", "password": self.state["replication_password"]},
                },
                "parameters": {"unix_socket_directories": str(node_dir)},
                "pg_hba": [
                    "local all all scram-sha-256",
                    "host all all 127.0.0.1/32 scram-sha-256",
                    "host replication all 127.0.0.1/32 scram-sha-256",
                ],
            },
        }
        path = node_dir / "patroni.yml"
        path.write_text(json.dumps(config, indent=2))  # JSON is YAML
        user = self._user()
        os.chown(path, user.pw_uid, user.pw_gid)
        path.chmod(0o600)
        return path

    # ----------------------------------------------------------- lifecycle
    def start(self, timeout: float = 120) -> None:
        """etcd and every node; returns when a leader accepts writes and the sync standby is set."""
        self._ensure_installed()
        self._prepare_dirs()
        self._start_etcd()
        for name in self.names:
            self._start_patroni(name)
        self._save()
        self.wait_healthy(timeout)

    def _start_etcd(self) -> None:
        etcd = self.state["etcd"]
        if self._ours(etcd["pid"]):
            return
        client, peer = f"http://127.0.0.1:{etcd['client']}", f"http://127.0.0.1:{etcd['peer']}"
        etcd["pid"] = self._spawn(
            [
                shutil.which("etcd") or "etcd",
                "--name=etcd0",
                f"--data-dir={self.base_dir / 'etcd'}",
                f"--listen-client-urls={client}",
                f"--advertise-client-urls={client}",
                f"--listen-peer-urls={peer}",
                f"--initial-advertise-peer-urls={peer}",
                f"--initial-cluster=etcd0={peer}",
                "--initial-cluster-state=new",
                "--initial-cluster-token=yibao-ha",
            ],
            self.base_dir / "etcd.log",
            self.base_dir / "etcd",
        )

        def healthy() -> bool:
            with urllib.request.urlopen(f"{client}/health", timeout=2) as r:
                return json.load(r).get("health") == "true"

        _wait("etcd healthy", healthy, 30)

    def _start_patroni(self, name: str) -> None:
        node = self.state["nodes"][name]
        if self._ours(node["pid"]):
            return
        config = self._write_config(name)
        node["pid"] = self._spawn(
            [str(HA_VENV / "bin" / "patroni"), str(config)],
            self.base_dir / name / "patroni.log",
            config.parent,
        )

    def stop(self) -> None:
        """Stops every process this cluster started, by PID; idempotent."""
        patronis = [n["pid"] for n in self.state["nodes"].values() if self._ours(n["pid"])]
        _terminate(patronis, grace=20)  # Patroni stops its PostgreSQL on SIGTERM
        leftovers = [p for n in self.names for p in self._postgres_pids(n)]
        leftovers += [p for p in self.state["restored"].values() if self._ours(p)]
        _terminate(leftovers, grace=10)
        if self._ours(self.state["etcd"]["pid"]):
            _terminate([self.state["etcd"]["pid"]], grace=10)
        for n in self.state["nodes"].values():
            n["pid"] = None
        self.state["etcd"]["pid"] = None
        self.state["restored"] = {}
        if self.base_dir.exists():
            self._save()
        self._reap()

    # ---------------------------------------------------------------- state
    def _rest(self, name: str, path: str) -> dict:
        port = self.state["nodes"][name]["rest"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
            return json.load(r)

    def cluster(self) -> dict:
        """GET /cluster from the first node that answers."""
        for name in self.names:
            with contextlib.suppress(OSError, ValueError):
                return self._rest(name, "/cluster")
        return {"members": []}

    def primary(self) -> str | None:
        """The leader's node name, as Patroni's DCS has it (a dead leader stays until its key expires)."""
        for member in self.cluster().get("members", []):
            if member.get("role") == "leader":
                return member["name"]
        return None

    def _postgres_pids(self, name: str) -> list[int]:
        """The node's postmaster (from DATA/postmaster.pid) and its children. Patroni detaches the
        postmaster (setsid, reparented to init) and each child makes a session of its own, so the
        parent pid is what ties them together."""
        data_dir = self.base_dir / name / "data"
        try:
            postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        if not _alive(postmaster) or str(data_dir) not in _cmdline(postmaster):
            return []  # stale file
        return [postmaster] + [p for p in _all_pids() if (s := _stat(p)) and s[1] == postmaster]

    def pids(self) -> dict[str, list[int]]:
        result = {"etcd": [self.state["etcd"]["pid"]] if self._ours(self.state["etcd"]["pid"]) else []}
        for name in self.names:
            patroni = self.state["nodes"][name]["pid"]
            result[name] = ([patroni] if self._ours(patroni) else []) + self._postgres_pids(name)
        return result

    # ---------------------------------------------------------------- chaos
    def kill_node(self, name: str) -> float:
        """SIGKILL of the node's Patroni and of all its PostgreSQL processes at once: a machine dying."""
        patroni = self.state["nodes"][name]["pid"]
        victims = self._postgres_pids(name)
        killed_at = time.time()
        if self._ours(patroni):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(patroni, signal.SIGKILL)  # Patroni and its children (pg_rewind, pg_basebackup)
        _signal_all(victims, signal.SIGKILL)
        _signal_all(self._postgres_pids(name), signal.SIGKILL)  # anything forked in between
        _wait(f"{name} dead", lambda: not any(_alive(p) for p in [patroni or 0, *victims]), 10, 0.05)
        self.state["nodes"][name]["pid"] = None
        self._save()
        self._reap()
        return killed_at

    def start_node(self, name: str, timeout: float = 120) -> None:
        """Brings a killed node back; returns once it streams from the leader again."""
        self._start_patroni(name)
        self._save()

        def rejoined() -> bool:
            members = {m["name"]: m for m in self.cluster().get("members", [])}
            return members.get(name, {}).get("state") == "streaming"

        _wait(f"{name} rejoined", rejoined, timeout, 0.5)

    def kill_primary(self) -> tuple[str, float]:
        name = self.primary()
        if name is None:
            raise RuntimeError("no primary to kill")
        return name, self.kill_node(name)

    def _accepts_writes(self, name: str, timeout: float = 5) -> bool:
        """A commit on that node is acknowledged (in strict synchronous mode: by a standby too)."""
        done = threading.Event()
        conn = psycopg.connect(self.node_url(name), autocommit=False)

        def commit() -> None:
            with contextlib.suppress(psycopg.Error):
                conn.execute("SELECT txid_current()")  # fails on a standby: read-only
                conn.commit()
                done.set()

        try:
            worker = threading.Thread(target=commit, daemon=True)
            worker.start()
            worker.join(timeout)
            if worker.is_alive():  # waiting for a synchronous standby that is not there
                conn.cancel()  # (the commit then ends locally, unacknowledged: not a success)
                worker.join(5)
                return False
            return done.is_set()
        finally:
            conn.close()

    def wait_for_primary(self, not_node: str | None = None, timeout: float = 60) -> tuple[str, float]:
        """A leader other than not_node that accepts writes; (its name, seconds waited)."""
        started = time.monotonic()

        def ready() -> str | None:
            name = self.primary()
            return name if name and name != not_node and self._accepts_writes(name) else None

        name = _wait("a writable primary", ready, timeout)
        return str(name), time.monotonic() - started

    def wait_healthy(self, timeout: float = 120) -> None:
        """A writable leader and a streaming synchronous standby."""
        started = time.monotonic()
        self.wait_for_primary(timeout=timeout)

        def sync_set() -> bool:
            return any(
                m.get("role") == "sync_standby" and m.get("state") == "streaming"
                for m in self.cluster().get("members", [])
            )

        _wait("a streaming synchronous standby", sync_set, max(1.0, timeout - (time.monotonic() - started)))

    def restart_all(self, timeout: float = 120) -> None:
        """Every node killed at once (a power cut), then all started again."""
        for name in self.names:
            self.kill_node(name)
        for name in self.names:
            self._start_patroni(name)
        self._save()
        self.wait_healthy(timeout)

    # ------------------------------------------- base backup and recovery
    def flush_wal_archive(self, timeout: float = 30) -> str:
        """Switches to a new WAL segment and waits until the finished one is archived; its name."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            segment = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()[0]  # type: ignore[index]
        _wait(f"{segment} archived", lambda: (self.archive_dir / segment).exists(), timeout)
        return segment

    def base_backup(self, dest: Path) -> Path:
        """pg_basebackup of the primary (with the WAL needed to make it consistent) into dest."""
        name = self.primary()
        if name is None:
            raise RuntimeError("no primary to back up")
        dest = Path(dest).resolve()
        dest.mkdir(parents=True)
        user = self._user()
        os.chown(dest, user.pw_uid, user.pw_gid)
        dest.chmod(0o700)
        port = self.state["nodes"][name]["pg"]
        subprocess.run(
            [str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
            + ["-D", str(dest), "--wal-method=stream", "--checkpoint=fast", "--no-password"],
            env={"PATH": "/usr/bin:/bin", "PGPASSWORD": self.password},
            user=user.pw_uid,
            group=user.pw_gid,
            extra_groups=[],
            check=True,
            timeout=300,
            capture_output=True,
        )
        return dest

    def restore(self, backup: Path, target_time: datetime | str, port: int, timeout: float = 120) -> str:
        """A copy of the base backup started as a standalone server on port, replaying the WAL archive up
        to target_time (inclusive) and then promoted; its URL. stop() stops it."""
        user = self._user()
        data = self.base_dir / f"restore-{port}"
        shutil.copytree(backup, data)
        if isinstance(target_time, datetime):
            target_time = target_time.isoformat(sep=" ")
        # Patroni's postgresql.conf names the node's paths and ports, and its archive_command would
        # mix this server's new timeline into the cluster's archive: replace it.
        (data / "postgresql.conf").write_text(
            f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{data}'\n"
            f"max_connections = {MAX_CONNECTIONS}\nhba_file = '{data}/pg_hba.conf'\n"
            f"ident_file = '{data}/pg_ident.conf'\narchive_mode = off\n"
            f"restore_command = 'cp {self.archive_dir}/%f %p'\n"
            f"recovery_target_time = '{target_time}'\nrecovery_target_action = 'promote'\n"
        )
        (data / "postgresql.auto.conf").write_text("")
        (data / "pg_hba.conf").write_text(
            "local all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n"
        )
        (data / "standby.signal").unlink(missing_ok=True)
        (data / "recovery.signal").touch()
        for root, dirs, files in os.walk(data):
            for name in [".", *dirs, *files]:
                os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid)
        data.chmod(0o700)
        pid = self._spawn([str(PG_BIN / "postgres"), "-D", str(data)], data.with_suffix(".log"), data)
        self.state["restored"][str(port)] = pid
        self._save()
        url = f"postgresql://postgres:{self.password}@127.0.0.1:{port}/postgres?connect_timeout=2"

        def promoted() -> bool:
            if not _alive(pid):
                raise RuntimeError(f"restored server exited: see {data.with_suffix('.log')}")
            with psycopg.connect(url) as conn:
                return not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]  # type: ignore[index]

        _wait("restored server promoted", promoted, timeout, 0.5)
        return url


@contextlib.contextmanager
def patroni_cluster(base_dir: Path, nodes: int = 3) -> Iterator[PatroniCluster]:
    """A started cluster, always stopped at the end."""
    cluster = PatroniCluster(base_dir, nodes)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.patroni", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--dir", type=Path, required=True, help="base directory: data, logs, state")
    parser.add_argument("--nodes", type=int, default=3)
    args = parser.parse_args(argv)
    cluster = PatroniCluster(args.dir, args.nodes)
    if args.command == "up":
        try:
            cluster.start()
        except BaseException:
            cluster.stop()
            raise
    elif args.command == "down":
        cluster.stop()
        print("stopped")
        return
    print(
        json.dumps(
            {"url": cluster.url(), "replica_url": cluster.replica_url(), "pids": cluster.pids()}, indent=2
        )
    )
    for m in cluster.cluster().get("members", []):
        print(f"{m['name']:8} {m.get('role', ''):13} {m.get('state', ''):10} {m.get('host')}:{m.get('port')}")


if __name__ == "__main__":
    main()

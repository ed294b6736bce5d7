"""Shared fixtures: databases on both backends, clocks, tokens.

PostgreSQL comes from testcontainers (image YIBAO_TEST_POSTGRES_IMAGE,
default the public postgres:15), or from YIBAO_TEST_POSTGRES_URL for quick
loops against a server you already run. Without either, PostgreSQL tests are
skipped on a developer machine and fail in CI (CI=true), where they must run.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy.engine import make_url

from services.kernel.auth import Principal, Role, TokenAuthority
from services.kernel.clock import FrozenClock
from services.kernel.logs import configure_logging

os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

import tests.tls  # noqa: F401,E402 — the services and every process the tests start speak TLS

pytest_plugins = ["tests.cluster"]

TEST_KEY = "test-signing-key-0123456789abcdef0123456789"


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:
        return False


def _local_postgres_image() -> str:
    """postgres:15, or on an offline machine the stand-in that
    deploy/standin/build.sh made, when only that one is there."""
    import docker

    client = docker.from_env()
    for image in ("postgres:15", "yibao-standin/postgres:15"):
        try:
            client.images.get(image)
            return image
        except docker.errors.ImageNotFound:
            continue
    return "postgres:15"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A maintenance URL (psycopg form) of a PostgreSQL server for this session."""
    if url := os.environ.get("YIBAO_TEST_POSTGRES_URL"):
        yield url
        return
    if not _docker_available():
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests, but no Docker engine answers")
        pytest.skip("no Docker engine and no YIBAO_TEST_POSTGRES_URL: PostgreSQL tests not run")
    from testcontainers.community.postgres import PostgresContainer

    image = os.environ.get("YIBAO_TEST_POSTGRES_IMAGE") or _local_postgres_image()
    with PostgresContainer(image, driver=None) as container:
        yield container.get_connection_url()


def _fresh_postgres_database(server_url: str) -> str:
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_database(request, tmp_path):
    """new_database() -> the URL of another empty database, on each backend."""
    counter = iter(range(1000))
    if request.param == "sqlite":
        yield lambda: f"sqlite:///{tmp_path / f'db{next(counter)}.db'}"
        return
    server, made = request.getfixturevalue("postgres_server"), []

    def make() -> str:
        made.append(_fresh_postgres_database(server))
        return made[-1]

    yield make
    _drop_postgres_databases(server, made)  # a server of one's own does not fill up


@pytest.fixture
def database_url(new_database) -> str:
    """An empty database on each backend, one per test."""
    return new_database()


@pytest.fixture
def postgres_url(postgres_server) -> Iterator[str]:
    """An empty PostgreSQL database, for tests only PostgreSQL can run."""
    url = _fresh_postgres_database(postgres_server)
    yield url
    _drop_postgres_databases(postgres_server, [url])


def _drop_postgres_databases(server_url: str, urls: list[str]) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        for url in urls:
            conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


HEAVY = ("docker", "ha")  # markers of the tests that run clusters of their own


def pytest_collection_modifyitems(items):
    """Under xdist (make test: -n 2 --dist loadgroup) the heavy tests — the
    compose clusters and the Patroni cluster — run one after another on one
    worker, from the start, while the other worker takes the rest; never two
    clusters at once on two cores. Then unit tests (tests/unit: use cases on
    fake units of work, no database) first among the rest."""
    for item in items:
        if any(item.get_closest_marker(name) for name in HEAVY):
            item.add_marker(pytest.mark.xdist_group("clusters"))
    items.sort(
        key=lambda item: (
            not any(item.get_closest_marker(name) for name in HEAVY),
            not item.nodeid.startswith("tests/unit/"),
        )
    )


@pytest.fixture(scope="session", autouse=True)
def service_logs_to_file():
    """With YIBAO_TEST_LOG_FILE set, the services log as deployed (JSON
    lines, redacted, drivers quiet) at DEBUG into that file: what the PII
    scan (tests/hostile/test_pii.py) reads."""
    path = os.environ.get("YIBAO_TEST_LOG_FILE")
    if not path:
        yield
        return
    with open(path, "a", encoding="utf-8") as stream:
        configure_logging("DEBUG", stream=stream)
        yield
        logging.getLogger().handlers.clear()


# 2026-03-02 10:00 Beijing: a Monday inside the transfer window.
DEFAULT_NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(DEFAULT_NOW)


@pytest.fixture
def tokens(clock) -> TokenAuthority:
    return TokenAuthority("HS256", TEST_KEY, TEST_KEY, clock=clock)


@pytest.fixture
def bearer(tokens, clock):
    """bearer(role, **scope) -> gRPC metadata carrying a valid token."""

    def make(role: Role, subject: str = "tester", **scope: str) -> list[tuple[str, str]]:
        token = tokens.mint(Principal(subject, role, **scope), clock.now())
        return [("authorization", f"Bearer {token}")]

    return make

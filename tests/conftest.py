"""Fixtures shared by the whole suite.

Storage tests take the `database_url` fixture, which runs them on SQLite and on
PostgreSQL. The schema is built once per run by the real migrations: a
template SQLite file is copied for each test, and the PostgreSQL database (one
per worktree and xdist worker) is truncated between tests. In CI the
PostgreSQL run is mandatory: an unreachable server fails the test instead of
skipping it.
"""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fairlend.api.app import create_app
from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.engine import make_engine
from fairlend.db.migrate import upgrade
from fairlend.db.schema import load_all
from fairlend.identity.model import Principal, Role

PG_SERVER = os.environ.get("FAIRLEND_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_REQUIRED = os.environ.get("CI", "").lower() in ("1", "true") or os.environ.get("FAIRLEND_REQUIRE_POSTGRES") == "1"
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(autouse=True)
def _collector_back_after_a_freeze() -> Iterator[None]:
    """Undo a `gc.freeze()` a test's in-process `fairlend eod` or `serve` made (cli, freeze_long_lived).

    Frozen objects are never collected: an engine an earlier test leaked in a
    reference cycle would keep its pooled PostgreSQL connection for the rest of
    the worker's run, and `CREATE DATABASE ... TEMPLATE` of the worker's
    database then fails with "being accessed by other users" (CI, stop 31).
    """
    yield
    if gc.get_freeze_count():
        gc.unfreeze()
        gc.collect()


def _pg_database_name(config: pytest.Config) -> str:
    tag = hashlib.sha1(str(config.rootpath).encode()).hexdigest()[:8]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"fairlend_t_{tag}_{worker}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "fairlend.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """A migrated PostgreSQL database for this run, or None when the server is absent."""
    name = _pg_database_name(request.config)
    admin = sa.create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            # A commit returns before its WAL reaches the disk: nothing here outlives a crash of the server
            # itself, and waiting for the flush was a fifth of a PostgreSQL test's time.
            conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if PG_REQUIRED:
            pytest.fail(f"PostgreSQL is required here and unreachable at {PG_SERVER}: {exc}")
        yield None
        return
    url = f"{PG_SERVER}/{name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(url: str) -> None:
    tables = [t.name for t in load_all().sorted_tables]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every storage test on each backend; `@pytest.mark.backends(...)` narrows it."""
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        metafunc.parametrize("backend", marker.args if marker else BACKENDS)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated, empty database on the backend under test."""
    if backend == "sqlite":
        path = tmp_path / "fairlend.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    if url is None:
        pytest.skip("PostgreSQL is not reachable on this machine (CI requires it)")
    _truncate_all(url)
    return str(url)


@pytest.fixture
def clock() -> FixedClock:
    # 10:00 in Shanghai on a Monday: inside every contact window.
    return FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC), date(2026, 3, 2))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(environment="test", database_url=database_url, data_dir=tmp_path)


@pytest.fixture
def container(settings: Settings, clock: FixedClock) -> Iterator[Container]:
    built = bootstrap(settings, clock=clock)
    yield built
    built.close()


class FakeAuthenticator:
    """Tokens minted by tests: `token_for(role, subject)`; the real one is identity's."""

    def __init__(self) -> None:
        self._tokens: dict[str, Principal] = {}

    def token_for(self, role: Role, subject_id: str) -> str:
        token = f"test-{role.value}-{subject_id}"
        self._tokens[token] = Principal(subject_id, role)
        return token

    def headers(self, role: Role, subject_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token_for(role, subject_id)}"}

    def authenticate(self, token: str) -> Principal | None:
        return self._tokens.get(token)

    def pending(self, token: str) -> Callable[[object], Principal | None] | None:
        principal = self._tokens.get(token)
        return None if principal is None else (lambda _conn: self._tokens.get(token))


@pytest.fixture
def fake_auth(container: Container) -> FakeAuthenticator:
    """Swap in test tokens for API tests that are not about authentication itself."""
    fake = FakeAuthenticator()
    container.authenticator = fake
    return fake


@pytest.fixture
def api(container: Container) -> Iterator[TestClient]:
    # A client on this machine, like a developer's browser: the development code list answers only loopback.
    with TestClient(
        create_app(container=container), raise_server_exceptions=False, client=("127.0.0.1", 50000)
    ) as client:
        yield client

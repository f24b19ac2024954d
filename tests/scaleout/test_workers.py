"""End-of-day on `fairlend worker` processes over RabbitMQ, against PostgreSQL: the same book, a killed worker."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO

import pytest
import sqlalchemy as sa
from bench.loopback import child_environment, fairlend_command
from kombu import Connection

from fairlend.lending.eod_partitions import partitions_of
from tests.reliability.book import TODAY, cli_settings, clone_database, drop_clone, fairlend, seed_book, settings_for
from tests.scaleout.support import broker, closed_book  # noqa: F401  (a fixture)

pytestmark = pytest.mark.backends("postgresql")

PARTITIONS = "8"
BORROWERS = 24


class Workers:
    """`fairlend worker` processes (each in a session of its own, so a kill takes its pool too) on one queue."""

    def __init__(self, database_url: str, data_dir: Path, broker_url: str) -> None:
        self.queue = f"fairlend.eod.test.{uuid.uuid4().hex[:12]}"
        self.settings = {
            **cli_settings(settings_for(database_url, data_dir)),
            "broker_url": broker_url,
            "eod_queue": self.queue,
            "eod_partitions": PARTITIONS,
        }
        self.data_dir = data_dir
        self.broker_url = broker_url
        self.started: list[tuple[subprocess.Popen[bytes], Path, IO[bytes]]] = []

    def start(self, name: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log_path = self.data_dir / f"worker-{name}.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
            fairlend_command("worker", "--concurrency", "1"),
            env=child_environment(self.settings, extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append((process, log_path, log))
        deadline = time.monotonic() + 30
        while b" ready." not in log_path.read_bytes():
            assert process.poll() is None, log_path.read_text(errors="replace")
            assert time.monotonic() < deadline, "the worker never became ready:\n" + log_path.read_text(
                errors="replace"
            )
            time.sleep(0.2)
        return process

    def eod(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            fairlend_command("eod", *args),
            env=child_environment(self.settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> None:
        for process, _, log in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            log.close()
        with Connection(self.broker_url) as conn:
            conn.default_channel.queue_delete(self.queue)

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-3000:] for _, path, _ in self.started)


@pytest.fixture
def seeded(database_url: str, tmp_path: Path) -> str:
    seed_book(settings_for(database_url, tmp_path), BORROWERS)
    return database_url


@pytest.fixture
def workers(seeded: str, tmp_path: Path, broker: str) -> Iterator[Workers]:  # noqa: F811
    running = Workers(seeded, tmp_path, broker)
    yield running
    running.stop()


def _in_process(database_url: str, tmp_path: Path, through: str) -> None:
    closed = fairlend(settings_for(database_url, tmp_path), "eod", "--through", through)
    assert closed.returncode == 0, closed.stderr


def _workers_of(database_url: str) -> dict[int, tuple[str, int, str]]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {r.number: (r.state, r.attempts, r.worker) for r in partitions_of(conn, TODAY)}
    finally:
        engine.dispose()


def test_two_workers_close_the_book_exactly_as_one_process_does(seeded: str, tmp_path: Path, workers: Workers) -> None:
    reference = clone_database(seeded, "inproc")
    through = (TODAY + timedelta(days=1)).isoformat()
    try:
        _in_process(reference, tmp_path, through)
        workers.start("a")
        workers.start("b")
        closing = workers.eod("--through", through)
        out, err = closing.communicate(timeout=120)
        assert closing.returncode == 0, err + workers.logs()
        assert f"business date is now {TODAY + timedelta(days=2)}" in out
        done = _workers_of(seeded)
        assert {state for state, _, _ in done.values()} == {"committed"}
        assert len({worker.split(":")[0] for _, _, worker in done.values()}) == 2, done  # both workers took some
        assert closed_book(seeded) == closed_book(reference)
        runs = fairlend(settings_for(seeded, tmp_path), "eod-runs")
        assert f"{TODAY} done distributed/{PARTITIONS}" in runs.stdout
        verified = fairlend(settings_for(seeded, tmp_path), "verify")
        assert verified.returncode == 0, verified.stdout
    finally:
        drop_clone(reference)


def test_a_worker_killed_inside_a_partition_has_it_redelivered_and_committed_once(
    seeded: str, tmp_path: Path, workers: Workers
) -> None:
    reference = clone_database(seeded, "inproc")
    try:
        _in_process(reference, tmp_path, TODAY.isoformat())
        # The first worker stalls inside the first partition it takes, holding its row's lock.
        doomed = workers.start("doomed", {"FAIRLEND_PAUSE_AT": "eod.partition=60"})
        closing = workers.eod("--through", TODAY.isoformat())
        deadline = time.monotonic() + 30
        while not any(state == "running" for state, _, _ in _workers_of(seeded).values()):
            assert time.monotonic() < deadline, workers.logs()
            time.sleep(0.2)
        # Only the stalled worker runs yet: its partition is the one running (the survivor starts after).
        ((held, (_, _, stalled)),) = [(n, run) for n, run in _workers_of(seeded).items() if run[0] == "running"]
        assert stalled.startswith(f"fairlend-{doomed.pid}@"), stalled
        workers.start("survivor")
        os.killpg(doomed.pid, signal.SIGKILL)  # the machine dies: no ack, no rollback handler, nothing flushed
        out, err = closing.communicate(timeout=120)
        assert closing.returncode == 0, err + workers.logs()
        assert f"business date is now {TODAY + timedelta(days=1)}" in out
        done = _workers_of(seeded)
        assert {state for state, _, _ in done.values()} == {"committed"}
        _, attempts, worker = done[held]
        assert attempts == 2 and not worker.startswith(f"fairlend-{doomed.pid}@"), done  # redelivered, run again
        assert closed_book(seeded) == closed_book(reference)  # nothing counted twice
        verified = fairlend(settings_for(seeded, tmp_path), "verify")
        assert verified.returncode == 0, verified.stdout
    finally:
        drop_clone(reference)


def test_a_partition_failing_on_a_worker_stays_failed_and_named_until_a_retry_closes_the_date(
    seeded: str, tmp_path: Path, workers: Workers
) -> None:
    reference = clone_database(seeded, "inproc")
    try:
        _in_process(reference, tmp_path, TODAY.isoformat())
        # A bug in partition 3 on the worker: the others commit, that one fails and is not run again.
        workers.start("buggy", {"FAIRLEND_FAIL_AT": "eod.partition.3"})
        closing = workers.eod("--through", TODAY.isoformat())
        out, err = closing.communicate(timeout=120)
        assert closing.returncode == 2, out + err + workers.logs()
        assert "eod_partitions_open" in err and "partition 3 failed: InjectedFault" in err, err
        done = _workers_of(seeded)
        assert done[3][:2] == ("failed", 1), done  # tried once, not redelivered: a bug is not a lost worker
        assert {state for n, (state, _, _) in done.items() if n != 3} == {"committed"}
        settings = settings_for(seeded, tmp_path)
        listed = fairlend(settings, "eod-runs", "--date", TODAY.isoformat())
        assert f"partition 3/{PARTITIONS} failed attempts 1" in listed.stdout
        assert "InjectedFault: fault injected at eod.partition.3" in listed.stdout
        assert f"{TODAY} failed distributed/{PARTITIONS}" in listed.stdout
        still = fairlend(settings, "eod", "retry", "--date", TODAY.isoformat(), "--partition", "2")
        assert still.returncode == 0 and f"business date is now {TODAY}" in still.stdout  # partition 2 had committed
        # After the fix: the operator runs partition 3 alone, and the date closes.
        retried = fairlend(settings, "eod", "retry", "--date", TODAY.isoformat(), "--partition", "3")
        assert retried.returncode == 0, retried.stderr
        assert f"business date is now {TODAY + timedelta(days=1)}" in retried.stdout
        assert _workers_of(seeded)[3][:2] == ("committed", 2)
        assert closed_book(seeded) == closed_book(reference)
        verified = fairlend(settings, "verify")
        assert verified.returncode == 0, verified.stdout
    finally:
        drop_clone(reference)

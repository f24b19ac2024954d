"""Partitions of one date run side by side on PostgreSQL without deadlocking one another (nothing is retried)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest

from fairlend.bootstrap import bootstrap
from fairlend.ledger import service as ledger_service
from fairlend.ledger.statements import CONTROL_SHARDS
from tests.reliability.book import TODAY, seed_book, settings_for

pytestmark = pytest.mark.backends("postgresql")

# More partitions than balance shards, so pairs of partitions share a shard's rows and do wait on each other.
PARTITIONS = 2 * CONTROL_SHARDS
AT_ONCE = 8
BORROWERS = 64
DATES = 3


def test_partitions_run_eight_at_a_time_commit_on_their_first_attempt_and_the_books_balance(
    database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, tmp_path)
    seed_book(settings, BORROWERS)

    def random_shard() -> int:
        # Entries on random shards are what let two partitions take the same rows in opposite orders.
        raise AssertionError("a partition posted on a random balance shard")

    container = bootstrap(settings.model_copy(update={"eod_partitions": PARTITIONS}))
    try:
        for k in range(DATES):
            day = TODAY + timedelta(days=k)
            container.eod.open_partitions(day)
            start = threading.Barrier(AT_ONCE)

            def run(number: int, day: date = day, start: threading.Barrier = start) -> str:
                if number < AT_ONCE:
                    start.wait(timeout=30)  # the first eight at the same instant: the worst case for lock order
                return container.eod.run_partition(day, number, worker=f"thread-{number}").state

            with pytest.MonkeyPatch.context() as patched, ThreadPoolExecutor(AT_ONCE) as pool:
                patched.setattr(ledger_service, "_pick_shard", random_shard)  # the final step below may pick one
                states = list(pool.map(run, range(PARTITIONS)))
            runs = container.eod.partition_runs(day)
            failed = [f"{r.number}: {r.error}" for r in runs if r.state != "committed"]
            assert states == ["committed"] * PARTITIONS and not failed, failed  # a deadlock would fail one
            assert {r.attempts for r in runs} == {1}
            assert sum(r.counts["accrual"] for r in runs) == BORROWERS
            (closed,) = container.eod.run(through=day)
            assert closed.outcome == "done" and closed.partitions == PARTITIONS
        assert container.verify() == []
    finally:
        container.close()

"""End-of-day in partitions, in-process: the same book as one transaction, each partition once, a failure held open."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from fairlend.batch.model import SLOTS, Partition, partitions, slot_of
from fairlend.bootstrap import Container, bootstrap
from fairlend.errors import Conflict
from tests.reliability.book import TODAY, clone_database, drop_clone, fairlend, seed_book, settings_for
from tests.scaleout.support import closed_book

THROUGH = date(2026, 3, 31)  # a month's end: every active loan's month-end event, in partitions too
BORROWERS = 24


def _container(database_url: str, tmp_path: Path, partition_count: int) -> Container:
    settings = settings_for(database_url, tmp_path).model_copy(update={"eod_partitions": partition_count})
    return bootstrap(settings)


def _unset_count(database_url: str, tmp_path: Path, single_below: int) -> Container:
    """The count left to the platform (16 on PostgreSQL), with a book size under which a date goes single."""
    update = {"eod_partitions": None, "eod_single_below_loans": single_below}
    return bootstrap(settings_for(database_url, tmp_path).model_copy(update=update))


@pytest.fixture
def seeded(database_url: str, tmp_path: Path) -> str:
    seed_book(settings_for(database_url, tmp_path), BORROWERS)
    return database_url


def test_every_slot_belongs_to_exactly_one_partition_for_any_count() -> None:
    for count in (1, 2, 3, 7, 16, 1000, SLOTS):
        covered = [slot for part in partitions(count) for slot in range(part.lo, part.hi)]
        assert covered == list(range(SLOTS)), count
    assert slot_of("brw_01JABC") == slot_of("brw_01JABC")  # stable: not Python's salted hash
    with pytest.raises(ValueError):
        Partition(16, 16)


def test_a_book_closed_in_partitions_is_the_book_closed_in_one_transaction(seeded: str, tmp_path: Path) -> None:
    other = clone_database(seeded, "parts")
    try:
        single = _container(seeded, tmp_path, 1)
        embedded = _container(other, tmp_path, 16)
        try:
            results = single.eod.run(through=THROUGH)
            parted = embedded.eod.run(through=THROUGH)
            assert [r.mode for r in results] == ["single"] * len(results)
            assert [(r.mode, r.partitions) for r in parted] == [("embedded", 16)] * len(parted)
            # The day's counts are the partitions' sums: the same as one transaction's, step for step.
            assert [r.counts for r in parted] == [r.counts for r in results]
            assert embedded.verify() == []
        finally:
            single.close()
            embedded.close()
        one, many = closed_book(seeded), closed_book(other)
        assert many["rows"]["collection_task"] > 0 and many["buckets"] and many["report_files"]
        assert one == many
    finally:
        drop_clone(other)


def test_a_committed_partition_run_again_changes_nothing(seeded: str, tmp_path: Path) -> None:
    container = _container(seeded, tmp_path, 4)
    try:
        container.eod.open_partitions(TODAY)
        first = container.eod.run_partition(TODAY, 2)
        assert first.state == "committed" and first.attempts == 1 and first.counts["accrual"] > 0
        before = closed_book(seeded)
        again = container.eod.run_partition(TODAY, 2, worker="a second delivery")
        assert again == first
        assert closed_book(seeded) == before
        (result,) = container.eod.run(through=TODAY)
        assert result.outcome == "done"
        assert [r.attempts for r in container.eod.partition_runs(TODAY)] == [1, 1, 1, 1]
        # The date closed: its partitions, asked again, are committed and do nothing.
        after = closed_book(seeded)
        assert container.eod.run_partition(TODAY, 0).state == "committed"
        assert container.eod.run_day(TODAY).outcome == "skipped"
        assert closed_book(seeded) == after
    finally:
        container.close()


def test_a_failing_partition_keeps_the_date_open_and_named_until_a_retry_closes_it(
    seeded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = clone_database(seeded, "ref")
    try:
        straight = _container(reference, tmp_path, 4)
        straight.eod.run(through=TODAY)
        straight.close()
        container = _container(seeded, tmp_path, 4)
        try:
            monkeypatch.setenv("FAIRLEND_FAIL_AT", "eod.partition.3")
            with pytest.raises(Conflict) as failed:
                container.eod.run(through=TODAY)
            assert failed.value.code == "eod_partitions_open"
            assert "partition 3 failed: InjectedFault" in failed.value.detail
            assert not container.eod.is_done(TODAY) and container.eod.business_date() == TODAY
            runs = container.eod.partition_runs(TODAY)
            assert [r.state for r in runs] == ["committed", "committed", "committed", "failed"]
            assert "InjectedFault: fault injected at eod.partition.3" in runs[3].error
            assert container.eod.runs()[0].outcome == "failed"
        finally:
            container.close()
        monkeypatch.delenv("FAIRLEND_FAIL_AT")
        settings = settings_for(seeded, tmp_path)
        listed = fairlend(settings, "eod-runs", "--date", TODAY.isoformat())
        assert "partition 3/4 failed attempts 1" in listed.stdout, listed.stderr
        retried = fairlend(
            settings,
            "eod",
            "retry",
            "--date",
            TODAY.isoformat(),
            "--partition",
            "3",
            extra_env={"FAIRLEND_EOD_PARTITIONS": "4"},
        )
        assert retried.returncode == 0, retried.stderr
        assert f"business date is now {TODAY + timedelta(days=1)}" in retried.stdout
        assert closed_book(seeded) == closed_book(reference)
        verified = fairlend(settings, "verify")
        assert verified.returncode == 0, verified.stdout
    finally:
        drop_clone(reference)


@pytest.mark.backends("postgresql")
def test_a_book_smaller_than_the_threshold_closes_each_date_in_one_transaction_and_a_larger_one_in_partitions(
    seeded: str, tmp_path: Path
) -> None:
    other = clone_database(seeded, "small")
    try:
        small = _unset_count(seeded, tmp_path, BORROWERS + 1)  # more than the book's active loans
        large = _unset_count(other, tmp_path, BORROWERS)  # exactly the book's loans: not fewer, so partitions
        try:
            assert small.eod.mode == large.eod.mode == "embedded" and small.eod.partition_count == 16
            results = small.eod.run(through=TODAY + timedelta(days=2))
            parted = large.eod.run(through=TODAY + timedelta(days=2))
            assert [(r.mode, r.partitions) for r in small.eod.runs()] == [("single", 1)] * len(results)
            assert small.eod.partition_runs(TODAY) == []
            assert [(r.mode, r.partitions) for r in large.eod.runs()] == [("embedded", 16)] * len(parted)
            assert [r.counts for r in parted] == [r.counts for r in results]
        finally:
            small.close()
            large.close()
        assert closed_book(seeded) == closed_book(other)
    finally:
        drop_clone(other)

"""Partitions of the book: a stable key per borrower and the ranges of it that a partition covers.

A borrower's slot is a hash of the borrower id into SLOTS values, stable across
processes and machines (CRC-32, never Python's salted `hash`). Lending stores
it on the loan row (`loan.borrower_slot`, indexed), so a partition is a range
of slots: partition `n` of `count` covers `[n * SLOTS // count, (n + 1) * SLOTS // count)`.
A range is what an index serves, and any count up to SLOTS splits the book
without moving a row. Pure: no I/O.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date, datetime

SLOTS = 1024
DEFAULT_PARTITIONS = 16


def slot_of(borrower_id: str) -> int:
    """The borrower's slot: the same in every process, on every machine, for ever."""
    return zlib.crc32(borrower_id.encode("utf-8")) % SLOTS


@dataclass(frozen=True, slots=True)
class Partition:
    number: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.count <= SLOTS or not 0 <= self.number < self.count:
            raise ValueError(f"partition {self.number} of {self.count} is not one of 1..{SLOTS} partitions")

    @property
    def lo(self) -> int:
        """The first slot the partition covers."""
        return self.number * SLOTS // self.count

    @property
    def hi(self) -> int:
        """The first slot past the partition."""
        return (self.number + 1) * SLOTS // self.count

    def holds(self, borrower_id: str) -> bool:
        return self.lo <= slot_of(borrower_id) < self.hi


def partitions(count: int) -> list[Partition]:
    """Every partition of a book split `count` ways; together they cover each slot exactly once."""
    return [Partition(n, count) for n in range(count)]


# A partition's run as lending stores it (lending/eod_partitions.py); here so that the runners
# (dispatch, the Celery worker) name it without reaching up into lending.
PENDING = "pending"
RUNNING = "running"
COMMITTED = "committed"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PartitionRun:
    """One partition of a business date, as stored."""

    business_date: date
    number: int
    of_count: int
    state: str
    counts: dict[str, int] = field(default_factory=dict)
    attempts: int = 0
    worker: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int = 0
    error: str = ""

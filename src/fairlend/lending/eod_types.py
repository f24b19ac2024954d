"""What end-of-day's steps, dispatchers and results look like (eod.py runs them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from fairlend.batch.model import Partition
from fairlend.db.uow import UnitOfWork

SETTLE = "settle"
SINGLE, EMBEDDED = "single", "embedded"
Progress = Callable[[date, str], None]


class EodStep(Protocol):
    """A step other contexts add to end-of-day; it runs inside the day's transaction."""

    name: str

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        """Do the day's work; return how many things it touched."""
        ...


class PartitionedEodStep(EodStep, Protocol):
    """A step over borrowers' own data: it can run over one partition of the book at a time."""

    def run_partition(self, uow: UnitOfWork, business_date: date, part: Partition | None) -> int:
        """The day's work for the borrowers of `part` (None: every borrower); how many things it touched."""
        ...


class PartitionDispatcher(Protocol):
    """Has a date's partitions run (in-process, or by workers) and returns when each committed or failed."""

    mode: str

    def dispatch(self, business_date: date, numbers: list[int], progress: Callable[[date, str], None] | None) -> None:
        """Run these partitions of the date; an error of one partition is recorded on its row, not raised."""
        ...


AfterDay = Callable[[date], int]


@dataclass(frozen=True, slots=True)
class EodRunResult:
    business_date: date
    outcome: str  # done | skipped | failed
    counts: dict[str, int] = field(default_factory=dict)
    duration_ms: int = 0
    error: str = ""
    mode: str = SINGLE
    partitions: int = 1


def is_partitioned(step: EodStep) -> bool:
    """Whether a registered step runs in each partition (it has `run_partition`) or once, after them."""
    return callable(getattr(step, "run_partition", None))

"""Distributed end-of-day: the date's partitions as Celery tasks, followed through their rows.

`dispatch` sends one task per partition not committed, then reads the
partitions' rows until each has committed, or failed on an attempt made after
the tasks were sent (a row failed by an earlier run does not count until a
worker has taken it again), or until `eod_wait_seconds` pass. It never reads
Celery results: the rows are the truth, whoever ran them and however often.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Protocol

from fairlend.batch.model import COMMITTED, FAILED, PartitionRun
from fairlend.config import Settings

DISTRIBUTED = "distributed"
POLL_SECONDS = 0.2


class PartitionRows(Protocol):
    def partition_runs(self, business_date: date) -> list[PartitionRun]: ...


class CeleryDispatcher:
    mode = DISTRIBUTED

    def __init__(self, settings: Settings, rows: PartitionRows) -> None:
        self._settings = settings
        self._rows = rows

    def dispatch(self, business_date: date, numbers: list[int], progress: Callable[[date, str], None] | None) -> None:
        from fairlend.batch.celery_app import TASK, make_celery

        before = {r.number: r.attempts for r in self._rows.partition_runs(business_date)}
        app = make_celery(self._settings)
        try:
            for number in numbers:
                app.send_task(TASK, args=[business_date.isoformat(), number], queue=self._settings.eod_queue)
        finally:
            app.close()
        waiting = set(numbers)
        deadline = time.monotonic() + self._settings.eod_wait_seconds
        while waiting and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            for run in self._rows.partition_runs(business_date):
                if run.number not in waiting:
                    continue
                if run.state == COMMITTED or (run.state == FAILED and run.attempts > before.get(run.number, 0)):
                    waiting.discard(run.number)
                    if progress:
                        progress(business_date, f"partition {run.number}")

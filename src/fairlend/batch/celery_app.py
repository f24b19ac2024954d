"""The Celery app that runs end-of-day's partitions on workers, built by a function, never at import.

One task, `fairlend.eod.partition(business_date, number)`: it runs that
partition through `EndOfDay.run_partition`, which does nothing to a partition
already committed. Late acknowledgement (`acks_late`) with
`reject_on_worker_lost` and a prefetch of one: the broker forgets a task only
once a worker has finished it, so a worker killed in the middle of a partition
(its transaction rolled back by the database) has its task delivered to
another. Results are not stored: `fairlend eod` follows the partitions' rows.

A worker process builds its platform (`bootstrap`) on its first task, after
the prefork pool has forked it: no database connection crosses a fork.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import date
from typing import Any, Protocol

from celery import Celery

from fairlend.batch.model import PartitionRun
from fairlend.config import Settings

TASK = "fairlend.eod.partition"
log = logging.getLogger("fairlend.batch")


class PartitionRunner(Protocol):
    def run_partition(self, business_date: date, number: int, worker: str = "") -> PartitionRun: ...


def make_celery(settings: Settings, runner: Callable[[], PartitionRunner] | None = None) -> Celery:
    """The app; with `runner` (a worker) its task is registered, without it (`fairlend eod`) it only sends."""
    app = Celery("fairlend", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.eod_queue,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    if runner is not None:
        built: list[PartitionRunner] = []

        def run_partition(task: Any, business_date: str, number: int) -> str:
            if not built:
                built.append(runner())
            worker = f"{task.request.hostname}:{os.getpid()}"
            run = built[0].run_partition(date.fromisoformat(business_date), int(number), worker=worker)
            log.info("partition %d of %s: %s (attempt %d)", number, business_date, run.state, run.attempts)
            return run.state

        app.task(name=TASK, bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)(run_partition)
    return app


def worker_argv(settings: Settings, concurrency: int, name: str) -> list[str]:
    """`celery worker`'s arguments: one queue, one task at a time per process, a name unique per process."""
    return [
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        "--prefetch-multiplier=1",
        f"--queues={settings.eod_queue}",
        f"--hostname={name}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]

"""`bench.eod --workers 1,2,4`: one book's next dates closed in-process, then by 1, 2, 4 `fairlend worker`s.

Not a benchmark module of its own (bench.eod runs it). One PostgreSQL book,
seeded once; its first date is closed in-process (16 partitions, one after
another), each next date by W worker processes (`fairlend worker
--concurrency 1`) that take the partitions from RabbitMQ. Consecutive dates
of one book do the same work per loan (every active loan accrues, about one
loan in 30 bills, the late ones charge penalty), so their loans/s compare;
the counts of each date are printed to show it.

CPU time is read from /proc (this machine, Linux): the coordinator's own,
the worker processes' (with their pool children) and the PostgreSQL backends
serving the bench database, before and after each date. Divided by the
partitions, it is the CPU one partition costs, which is what a projection to
more cores needs (docs/scale-out.md §5).
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from kombu import Connection

from bench.loopback import child_environment, fairlend_command
from fairlend.bootstrap import Container, bootstrap
from fairlend.config import Settings
from fairlend.lending.eod_partitions import partitions_of

BROKER_URL = os.environ.get("FAIRLEND_BENCH_BROKER", "amqp://guest:guest@127.0.0.1:5672//")
_TICKS = os.sysconf("SC_CLK_TCK")


def broker_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=1):
            return True
    except OSError:
        return False


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of one process (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15 of stat)


def _descendants(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            for child in task.read_text().split():
                found.extend(_descendants(int(child)))
        except OSError:
            continue
    return found


@dataclass
class CpuSample:
    backends: dict[int, float]
    workers: dict[int, float]
    coordinator: float


class Meter:
    """CPU of the database's backends and of given process trees, so a date's cost can be split and summed."""

    def __init__(self, container: Container, database: str) -> None:
        self._engine = container.engine
        self._database = database

    def sample(self, worker_pids: list[int]) -> CpuSample:
        with self._engine.connect() as conn:
            pids = conn.execute(
                sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :db"), {"db": self._database}
            ).scalars()
            backends = {pid: _cpu_of(pid) for pid in pids}
        workers = {p: _cpu_of(p) for root in worker_pids for p in _descendants(root)}
        return CpuSample(backends, workers, time.process_time())

    @staticmethod
    def spent(before: CpuSample, after: CpuSample) -> tuple[float, float, float]:
        """Database backends, workers, coordinator: CPU seconds between two samples."""
        db = sum(cpu - before.backends.get(pid, 0.0) for pid, cpu in after.backends.items())
        workers = sum(cpu - before.workers.get(pid, 0.0) for pid, cpu in after.workers.items())
        return db, workers, after.coordinator - before.coordinator


class Workers:
    """W `fairlend worker --concurrency 1` processes on a queue of their own, ready before the clock starts."""

    def __init__(self, settings: dict[str, str], count: int, logs: Path) -> None:
        self.settings = settings
        self.processes: list[subprocess.Popen[bytes]] = []
        for k in range(count):
            log_path = logs / f"worker-{count}-{k}.log"
            with log_path.open("wb") as log:
                self.processes.append(
                    subprocess.Popen(
                        fairlend_command("worker", "--concurrency", "1"),
                        env=child_environment(settings),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            deadline = time.monotonic() + 60
            while b" ready." not in log_path.read_bytes():
                if self.processes[-1].poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("a worker did not start:\n" + log_path.read_text(errors="replace")[-2000:])
                time.sleep(0.2)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@dataclass
class DateRun:
    label: str
    business_date: date
    seconds: float
    db_cpu: float
    worker_cpu: float
    coordinator_cpu: float
    partitions: int
    partition_ms: list[int]
    span_s: float
    counts: dict[str, int]

    @property
    def cpu(self) -> float:
        return self.db_cpu + self.worker_cpu + self.coordinator_cpu


def _partition_figures(container: Container, business_date: date, in_process: bool) -> tuple[list[int], float]:
    with container.engine.connect() as conn:
        runs = partitions_of(conn, business_date)
    if in_process:  # one after another (and stamped by the bench's fixed clock): their durations add up
        return [r.duration_ms for r in runs], sum(r.duration_ms for r in runs) / 1000
    started = [r.started_at for r in runs if r.started_at]
    finished = [r.finished_at for r in runs if r.finished_at]
    span = (max(finished) - min(started)).total_seconds() if started and finished else 0.0
    return [r.duration_ms for r in runs], span


def close_with_workers(
    url: str, container: Container, first: date, counts: list[int], workdir: Path, database: str
) -> list[DateRun]:
    """The first date in-process, the next ones with each worker count; every date's figures."""
    meter = Meter(container, database)
    queue = f"fairlend.eod.bench.{uuid.uuid4().hex[:10]}"
    settings = {"environment": "test", "database_url": url, "data_dir": str(workdir), "eod_queue": queue}
    coordinator = bootstrap(
        Settings(environment="test", database_url=url, data_dir=workdir, broker_url=BROKER_URL, eod_queue=queue),
        clock=container.clock,
    )
    runs: list[DateRun] = []
    try:
        plan: list[tuple[str, int]] = [("in-process", 0), *((f"{w} worker{'s' * (w > 1)}", w) for w in counts)]
        for k, (label, count) in enumerate(plan):
            d = date.fromordinal(first.toordinal() + k)
            workers = Workers({**settings, "broker_url": BROKER_URL}, count, workdir) if count else None
            try:
                pids = workers.pids if workers else []
                before = meter.sample(pids)
                started = time.perf_counter()
                result = (coordinator if workers else container).eod.run_day(d)
                took = time.perf_counter() - started
                db, wk, co = Meter.spent(before, meter.sample(pids))
            finally:
                if workers:
                    workers.stop()
            durations, span = _partition_figures(container, d, workers is None)
            runs.append(DateRun(label, d, took, db, wk, co, result.partitions, durations, span, result.counts))
            print(
                f"[postgresql] {label} {d}: {took:.2f} s, {result.partitions} partitions, counts {result.counts}",
                flush=True,
            )
    finally:
        coordinator.close()
        with Connection(BROKER_URL) as conn:
            conn.default_channel.queue_delete(queue)
    return runs


def report(loans: int, runs: list[DateRun]) -> None:
    base = runs[0].seconds
    load1, load5, load15 = os.getloadavg()
    print()
    print(f"end-of-day over {loans:,} active loans on PostgreSQL, whole platform's day, one date per row")
    print(
        f"{'run':<14}{'s':>8}{'loans/s':>11}{'speed-up':>10}{'CPU s':>8}{'db':>7}{'workers':>9}{'coord':>7}"
        f"{'CPU/part s':>12}{'part ms med/max':>18}{'final s':>9}"
    )
    for r in runs:
        per_part = r.cpu / r.partitions if r.partitions else 0.0
        median = int(statistics.median(r.partition_ms)) if r.partition_ms else 0
        longest = max(r.partition_ms, default=0)
        print(
            f"{r.label:<14}{r.seconds:>8.2f}{loans / r.seconds:>11,.0f}{base / r.seconds:>9.2f}x{r.cpu:>8.1f}"
            f"{r.db_cpu:>7.1f}{r.worker_cpu:>9.1f}{r.coordinator_cpu:>7.1f}"
            f"{per_part:>12.2f}{f'{median}/{longest}':>18}{max(r.seconds - r.span_s, 0.0):>9.2f}"
        )
    print(f"load average during the run (1/5/15 min): {load1:.2f} {load5:.2f} {load15:.2f} on {os.cpu_count()} cores")
    print(
        "(CPU: PostgreSQL backends of the bench database + worker processes + coordinator, from /proc; "
        "final s: wall time outside the partitions' span: dispatch, polling, the final step)"
    )

"""`fairlend eod`, `fairlend eod retry`, `fairlend eod-runs` and `fairlend worker`.

`fairlend eod` closes dates in partitions in-process, or, with
FAIRLEND_BROKER_URL set, has `fairlend worker` processes run the partitions
(docs/scale-out.md). A date with a failed partition stays open: the command
names the partition and its error, exits 2, and `fairlend eod retry --date D
--partition N` (or `fairlend eod` again) runs what is left.
"""

from __future__ import annotations

import os
import socket
from datetime import date
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fairlend.cli import UsageError, err, freeze_long_lived, load_settings, open_container, out

app: typer.Typer = typer.Typer()
eod_app = typer.Typer(
    invoke_without_command=True,
    help="Run end-of-day for the current business date, or catch up through a date, one day at a time.",
)
app.add_typer(eod_app, name="eod")


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError("invalid_date", f"{option}: {value!r} is not YYYY-MM-DD") from None


@eod_app.callback()
def eod(
    ctx: typer.Context,
    through: Annotated[
        str | None, typer.Option(help="Close every business date up to and including this one (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Run end-of-day for the current business date, or catch up through a date, one day at a time."""
    if ctx.invoked_subcommand is not None:
        return
    container = open_container()
    freeze_long_lived()
    until = _date(through, "--through") if through else None
    start = container.eod.business_date()
    days = max(((until or start) - start).days + 1, 0)
    names = container.eod.step_names()
    partitions = container.eod.partition_count if container.eod.mode != "single" else 0
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as progress:
        task = progress.add_task(
            f"end-of-day from {start} ({container.eod.mode})", total=days * (len(names) + partitions)
        )

        def advance(day: date, step: str) -> None:
            progress.update(task, advance=1, description=f"{day} {step}")

        results = container.eod.run(through=until, progress=advance)
    for result in results:
        counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
        out.print(f"{result.business_date} {result.outcome} in {result.duration_ms} ms: {counts}", highlight=False)
    out.print(f"business date is now {container.eod.business_date()}")


@eod_app.command("retry")
def eod_retry(
    on: Annotated[str, typer.Option("--date", help="The open business date (YYYY-MM-DD).")],
    partition: Annotated[int, typer.Option(help="The partition to run again.", min=0)],
) -> None:
    """Run one partition of an open date again, here; the date closes if it was the last one open."""
    container = open_container()
    freeze_long_lived()
    result = container.eod.retry(_date(on, "--date"), partition)
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
    out.print(f"{result.business_date} {result.outcome} in {result.duration_ms} ms: {counts}", highlight=False)
    out.print(f"business date is now {container.eod.business_date()}")


@app.command("eod-runs")
def eod_runs(
    limit: Annotated[int, typer.Option(help="How many runs to show.")] = 20,
    on: Annotated[str | None, typer.Option("--date", help="One business date's runs and partitions.")] = None,
) -> None:
    """End-of-day runs (date, outcome, mode, counts, duration) and the partitions of a date."""
    container = open_container()
    day = _date(on, "--date") if on else None
    for run in container.eod.runs(limit, on=day):
        out.print(
            f"{run.business_date} {run.outcome} {run.mode}/{run.partitions} {run.duration_ms} ms {run.counts}"
            f" {run.error}",
            highlight=False,
        )
    shown = [day] if day else container.eod.partitioned_dates(1)
    for business_date in shown:
        for p in container.eod.partition_runs(business_date):
            out.print(
                f"{p.business_date} partition {p.number}/{p.of_count} {p.state} attempts {p.attempts}"
                f" worker {p.worker or '-'} {p.duration_ms} ms {p.error}",
                highlight=False,
            )


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Processes running partitions at once.", min=1, max=256)] = 1,
) -> None:
    """Run end-of-day's partitions that `fairlend eod` sends through the broker (FAIRLEND_BROKER_URL)."""
    from fairlend.batch.celery_app import make_celery, worker_argv
    from fairlend.bootstrap import bootstrap

    settings = load_settings()
    if not settings.broker_url:
        raise UsageError("no_broker", "set FAIRLEND_BROKER_URL (amqp://user:password@host:5672//) to run a worker")
    app_ = make_celery(settings, runner=lambda: bootstrap(settings).eod)
    name = f"fairlend-{os.getpid()}@{socket.gethostname()}"
    err.print(f"worker {name}: queue {settings.eod_queue}, {concurrency} process(es)")
    app_.worker_main(argv=worker_argv(settings, concurrency, name))

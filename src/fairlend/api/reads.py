"""Where a request's blocking reads run: on the event loop (SQLite) or on the thread pool (PostgreSQL).

Chosen once, by `create_app` from the settings (`runner_for`), and used by authentication
(`api.auth.current_principal`) and by the hot read routes (a loan, a borrower's loans, the
payoff, the borrower's loan page), which are `async def` and `await read(service_call, ...)`.

Why two: a SQLite read is a few hundred microseconds of Python that holds the GIL from start to
end (the database is a file in this process's page cache), so a thread-pool trip buys no
concurrency and costs more than the hand-over itself: waking a worker (`Condition.notify`) was
the largest single share of `GET /loans/{id}`'s profile (docs/performance.md). PostgreSQL's
reads wait on the network, with the GIL released: there the loop must stay free, and the reads
keep the thread pool. A write never runs on the loop: it would hold it while it waits for the
process's write lock; `db.uow.on_event_loop` makes a unit of work that writes there fail at once.

The price on SQLite: a slow read (a cold page, a checkpoint) holds every request for its length,
as it would hold the GIL in a thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from fairlend.config import Settings
from fairlend.db.uow import on_event_loop

T = TypeVar("T")


class ReadRunner(Protocol):
    def __call__(self, fn: Callable[..., T], /, *args: object) -> Awaitable[T]:
        """`fn(*args)`, a blocking read, run where this deployment's reads run."""
        ...


async def on_the_event_loop(fn: Callable[..., T], /, *args: object) -> T:
    reset = on_event_loop.set(True)
    try:
        return fn(*args)
    finally:
        on_event_loop.reset(reset)


async def on_the_thread_pool(fn: Callable[..., T], /, *args: object) -> T:
    return await run_in_threadpool(fn, *args)


def runner_for(settings: Settings) -> ReadRunner:
    return on_the_event_loop if settings.is_sqlite else on_the_thread_pool


def read_runner(request: Request) -> ReadRunner:
    runner: ReadRunner = request.app.state.read_runner
    return runner


async def _read_runner(request: Request) -> ReadRunner:  # no I/O: kept off the thread pool
    return read_runner(request)


Reads = Annotated[ReadRunner, Depends(_read_runner)]

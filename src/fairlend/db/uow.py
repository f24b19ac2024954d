"""The unit of work: one database transaction that a service owns.

A service opens it (`with uow_factory() as uow:`), does its reads and writes
through `uow.conn`, writes its domain events with `uow.publish(...)` into the
outbox in the same transaction, and calls `uow.commit()`. Leaving the block
without committing rolls everything back, so a failed call leaves nothing
half-written. Routes and repositories never commit.

`publish` also runs the in-transaction subscribers registered on the
`EventBus`: reactions that must happen atomically with the change (settling
a loan cancels its collection tasks in the same transaction, RULES.md P-2).
Everything that may happen later reads the outbox instead.

`after_commit(callback)` queues work that must follow the commit, never join it
(auto-invest after a listing opens, market/autoinvest.py): it runs once the
transaction is durable and its connection is back in the pool, outside any
request's idempotency claim, and never if the transaction rolled back. A
callback owns its failures: the change it follows has committed already.

`before_commit` runs work that belongs in the transaction but is best done once, at its end:
lending renders the answers of the loans a transaction changed (lending/stored_answers.py), once per
loan however many of its statements touched it.

`commit_hook` is the one thing that reaches into every commit: while an API
request holds an idempotency claim (db/idempotency.py), each unit of work that
commits in that request first marks the claimed key as effected, in its own
transaction, so "the request took effect" and the effect commit or roll back
together. Nothing else sets it.

`on_event_loop` is set while the API runs a read on the event loop (api/reads.py: SQLite only): a
unit of work that would write there is refused, since it would hold the loop while it waits for
the process's write lock, stalling every request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Protocol, Self

from sqlalchemy import Connection, Engine

from fairlend.clock import Clock, PinnedDate
from fairlend.db import outbox
from fairlend.events import DomainEvent

InTransactionHandler = Callable[["UnitOfWork", DomainEvent], None]
# A subscriber that takes a transaction's events of one type together: a repayment file publishes
# thousands at once, and a reaction written as one statement over all of them costs one round trip.
BatchHandler = Callable[["UnitOfWork", Sequence[DomainEvent]], None]


class CommitHook(Protocol):
    def before_commit(self, conn: Connection) -> None:
        """Runs inside the transaction, just before it commits; raising rolls the whole unit of work back."""
        ...

    def after_commit(self) -> None:
        """Runs once the transaction has committed."""
        ...


WRITER_WAIT_SECONDS = 30  # db/engine.py's busy_timeout

# Set for the span of one request by the idempotency machinery (db/idempotency.py), never by services.
commit_hook: ContextVar[CommitHook | None] = ContextVar("fairlend_commit_hook", default=None)
# Set by the API while a read runs on the event loop (api/reads.py), never by services.
on_event_loop: ContextVar[bool] = ContextVar("fairlend_on_event_loop", default=False)


class EventBus:
    """Subscribers that run inside the publishing transaction."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[InTransactionHandler]] = {}
        self._batch_handlers: dict[str, list[BatchHandler]] = {}

    def subscribe(self, event_type: str, handler: InTransactionHandler) -> None:
        self._handlers.setdefault(event_type, []).append(handler)

    def subscribe_many(self, event_type: str, handler: BatchHandler) -> None:
        """`handler` gets every event of the type one publication carries, in order (one, from `publish`)."""
        self._batch_handlers.setdefault(event_type, []).append(handler)

    def handlers(self, event_type: str) -> list[InTransactionHandler]:
        return self._handlers.get(event_type, [])

    def batch_handlers(self, event_type: str) -> list[BatchHandler]:
        return self._batch_handlers.get(event_type, [])

    def dispatch(self, uow: UnitOfWork, events: Sequence[DomainEvent]) -> None:
        """Run the subscribers of `events`: each one-at-a-time subscriber per event, in order, then each
        batch subscriber once with its type's events, in order."""
        by_type: dict[str, list[DomainEvent]] = {}
        for event in events:
            for handler in self.handlers(event.event_type):
                handler(uow, event)
            if event.event_type in self._batch_handlers:
                by_type.setdefault(event.event_type, []).append(event)
        for event_type, batch in by_type.items():
            for batch_handler in self._batch_handlers[event_type]:
                batch_handler(uow, batch)


class UnitOfWork:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        read_only: bool = False,
        bus: EventBus | None = None,
        writers: threading.RLock | None = None,
    ) -> None:
        self._engine = engine
        self._writers = None if read_only else writers
        self._writing = False
        # One business date for the whole transaction, however the platform's moves meanwhile.
        self.clock: Clock = PinnedDate(clock)
        self.bus = bus or EventBus()
        self._read_only = read_only
        self._conn: Connection | None = None
        self._committed = False
        self._after_commit: list[Callable[[], None]] = []
        self._before_commit: list[Callable[[], None]] = []
        # What a context collects during the transaction for its before-commit work, by the context's own
        # key (lending's read model: the loans touched). Emptied when the transaction ends, either way.
        self.staged: dict[str, Any] = {}

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open; use it in a with block")
        return self._conn

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def __enter__(self) -> Self:
        if not self._read_only and on_event_loop.get():
            raise RuntimeError("a unit of work that writes runs on the thread pool, never on the event loop")
        if self._writers is not None:
            # Bounded like SQLite's own wait (busy_timeout): past it, SQLite's busy handler decides as before.
            self._writing = self._writers.acquire(timeout=WRITER_WAIT_SECONDS)
        try:
            conn = self._engine.connect()
            if self._read_only:
                conn = conn.execution_options(fairlend_read_only=True)
            conn.begin()
        except BaseException:
            self._release()
            raise
        self._conn = conn
        self._committed = False
        return self

    def _release(self) -> None:
        if self._writing and self._writers is not None:
            self._writing = False
            self._writers.release()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                conn.rollback()
        finally:
            try:
                conn.close()
            finally:
                self._release()
        self._before_commit = []  # a rolled-back transaction's: never run
        self.staged = {}
        callbacks, self._after_commit = self._after_commit, []
        if self._committed and callbacks:
            # Not this request's effect: an idempotency claim must not mark (nor be refused by) the follow-up.
            reset = commit_hook.set(None)
            try:
                for callback in callbacks:
                    callback()
            finally:
                commit_hook.reset(reset)

    def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        callbacks, self._before_commit = self._before_commit, []
        for callback in callbacks:
            callback()
        hook = commit_hook.get()
        if hook is not None:
            hook.before_commit(self.conn)
        self.conn.commit()
        self._committed = True
        if hook is not None:
            hook.after_commit()

    def before_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` in this transaction just before it commits (once; never if it rolls back)."""
        self._before_commit.append(callback)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` after this unit of work commits and closes (never if it rolls back)."""
        self._after_commit.append(callback)

    def rollback(self) -> None:
        self.conn.rollback()

    def publish(self, event: DomainEvent) -> int:
        """Write the event to the outbox and run its in-transaction subscribers."""
        position = outbox.append(self.conn, event, self.clock.now())
        self.bus.dispatch(self, (event,))
        return position

    def publish_many(self, events: Sequence[DomainEvent]) -> None:
        """Write several events to the outbox in one statement (one round trip, positions in order),
        then run their in-transaction subscribers as `publish` would, in order."""
        if events:
            outbox.append_many(self.conn, events, self.clock.now())
            self.bus.dispatch(self, events)


UnitOfWorkFactory = Callable[..., UnitOfWork]


def uow_factory(engine: Engine, clock: Clock, bus: EventBus | None = None) -> UnitOfWorkFactory:
    shared_bus = bus or EventBus()
    # SQLite has one writer at a time. Left to SQLite, a writer that finds the lock taken sleeps
    # and polls (1, 2, 5, 10 ... 100 ms: its busy handler), so eight concurrent API writes waited
    # tens of milliseconds each for locks held a fraction of one. The process's own writers queue
    # here instead and start the moment the one before them ends; another process (`fairlend eod`)
    # still meets SQLite's busy handler. Reentrant: a nested write in the same thread behaves as it
    # did without the lock. PostgreSQL locks rows, not the database: no queue.
    writers = threading.RLock() if engine.dialect.name == "sqlite" else None

    def make(*, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(engine, clock, read_only=read_only, bus=shared_bus, writers=writers)

    return make

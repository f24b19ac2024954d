"""The outbox skips no event and hands none out twice, whatever order transactions commit in.

Positions are taken at INSERT, commits happen in another order: on PostgreSQL a
reader by "position > last" passes an event whose transaction is still open
and never sees it. These tests open and commit transactions in the order that
breaks such a reader, and race writers against a polling consumer.
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.db import outbox

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
pg_only = pytest.mark.backends("postgresql")


@dataclass(frozen=True, slots=True)
class Noted:
    event_type: ClassVar[str] = "test.Noted"
    aggregate_id: str


def _consume(container: Container, *, limit: int = 10_000, consumer: str = "test") -> list[str]:
    """One consumer run: read after the stored cursor, advance it, commit; what it read."""
    with container.uow() as uow:
        events = outbox.read_after(uow.conn, outbox.consumer_cursor(uow.conn, consumer), limit=limit)
        if events:
            outbox.advance_consumer(uow.conn, consumer, events[-1].cursor)
        uow.commit()
    return [e.aggregate_id for e in events]


def _begin(container: Container) -> sa.Connection:
    conn = container.engine.connect()
    conn.begin()
    return conn


def _take_transaction_id(conn: sa.Connection) -> int:
    return int(conn.execute(sa.text("SELECT pg_current_xact_id()::text::bigint")).scalar_one())


@pg_only
@pytest.mark.parametrize("older", ["a", "b"])
@pytest.mark.parametrize("a_ends", ["commit", "rollback"])
def test_a_consumer_never_passes_an_event_whose_transaction_is_still_open(
    container: Container, older: str, a_ends: str
) -> None:
    a, b = _begin(container), _begin(container)
    try:
        if older == "b":
            _take_transaction_id(b)  # b's transaction began first, its event comes later
        a_position = outbox.append(a, Noted("a"), NOW)
        b_position = outbox.append(b, Noted("b"), NOW)
        b.commit()
        # A reader by position would now read b, move past a's position and never see a.
        assert a_position < b_position
        first = _consume(container)
        # b is read only if its transaction is older than a's: then a sorts after it and is not passed.
        assert first == ([] if older == "a" else ["b"])
        assert _consume(container) == []  # still open: nothing more, however often one asks
        if a_ends == "commit":
            a.commit()
        else:
            a.rollback()
    finally:
        a.close()
        b.close()
    rest = _consume(container)
    read = first + rest
    expected = {"a", "b"} if a_ends == "commit" else {"b"}
    assert sorted(read) == sorted(expected)  # each once: none skipped, none twice
    assert _consume(container) == []


@pytest.mark.parametrize("batch", [1, 1000])
def test_a_consumer_that_writes_events_reads_its_own_and_never_passes_its_later_ones(
    container: Container, batch: int
) -> None:
    with container.uow() as uow:
        uow.publish(Noted("older"))
        uow.commit()
    newer: sa.Connection | None = None
    with container.uow() as uow:
        uow.publish(Noted("mine-1"))
        if container.engine.dialect.name == "postgresql":
            # A transaction newer than the consumer's commits before it reads: it is not read yet,
            # else the consumer's own later events would sort behind the cursor.
            newer = _begin(container)
            outbox.append(newer, Noted("newer"), NOW)
            newer.commit()
            newer.close()
        cursor = outbox.consumer_cursor(uow.conn, "test")
        read: list[str] = []
        while events := outbox.read_after(uow.conn, cursor, limit=batch):
            read += [e.aggregate_id for e in events]
            cursor = events[-1].cursor
        assert read == ["older", "mine-1"]
        outbox.advance_consumer(uow.conn, "test", cursor)
        uow.publish(Noted("mine-2"))
        uow.commit()
    assert _consume(container) == (["mine-2", "newer"] if newer is not None else ["mine-2"])
    assert _consume(container) == []


@pg_only
def test_an_open_transaction_in_another_database_holds_nothing_back(container: Container) -> None:
    elsewhere_engine = sa.create_engine(container.engine.url.set(database="test"))
    try:
        with elsewhere_engine.connect() as elsewhere:
            elsewhere.begin()
            theirs = _take_transaction_id(elsewhere)
            with container.uow() as uow:
                uow.publish(Noted("ours"))
                uow.commit()
            with container.engine.connect() as conn:
                # The cluster-wide horizon waits for the other database; ours does not.
                assert (
                    conn.execute(sa.text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")).scalar_one()
                    <= theirs
                )
                horizon = outbox.horizon(conn)
                assert horizon is not None and horizon > theirs
            assert _consume(container) == ["ours"]
            with container.uow() as uow:
                started = time.monotonic()
                assert outbox.settle(uow.conn, timeout=5) == 0
                assert time.monotonic() - started < 2
            elsewhere.rollback()
    finally:
        elsewhere_engine.dispose()


@pg_only
def test_settle_waits_for_an_older_transaction_of_this_database_and_gives_up_after_its_timeout(
    container: Container,
) -> None:
    older = _begin(container)
    try:
        outbox.append(older, Noted("older"), NOW)
        with container.uow() as uow:
            started = time.monotonic()
            assert outbox.settle(uow.conn, timeout=0.3) == 1
            assert 0.3 <= time.monotonic() - started < 3
        # It returns as soon as the older transaction ends.
        threading.Timer(0.2, older.commit).start()
        with container.uow() as uow:
            started = time.monotonic()
            assert outbox.settle(uow.conn, timeout=5) == 0
            assert 0.15 <= time.monotonic() - started < 3
    finally:
        older.close()


@pg_only
def test_settle_does_not_wait_for_a_transaction_newer_than_its_own(container: Container) -> None:
    with container.uow() as uow:
        _take_transaction_id(uow.conn)
        newer = _begin(container)
        try:
            outbox.append(newer, Noted("newer"), NOW)
            started = time.monotonic()
            assert outbox.settle(uow.conn, timeout=5) == 0
            assert time.monotonic() - started < 2
        finally:
            newer.close()


@pytest.mark.backends("sqlite")
def test_on_sqlite_a_later_writer_waits_for_the_open_one_so_positions_commit_in_order(container: Container) -> None:
    a = _begin(container)  # BEGIN IMMEDIATE: the write lock
    outbox.append(a, Noted("a"), NOW)
    b_done = threading.Event()

    def write_b() -> None:
        with container.uow() as uow:
            uow.publish(Noted("b"))
            uow.commit()
        b_done.set()

    writer = threading.Thread(target=write_b)
    writer.start()
    try:
        assert not b_done.wait(0.3)  # b cannot even begin while a is open
        with container.uow(read_only=True) as uow:  # readers do not wait for the write lock
            assert outbox.read_after(uow.conn, outbox.START) == []
            assert outbox.horizon(uow.conn) is None
            assert outbox.settle(uow.conn, timeout=5) == 0
        a.commit()
    finally:
        a.close()
        writer.join(timeout=30)
    assert _consume(container) == ["a", "b"]
    assert _consume(container) == []


def test_writers_racing_a_polling_consumer_have_every_committed_event_consumed_exactly_once(
    container: Container,
) -> None:
    threads = 8
    transactions = int(os.environ.get("FAIRLEND_RELIABILITY_OUTBOX_TRANSACTIONS", "25"))  # per thread
    runs = 0
    started = time.monotonic()
    committed: list[str] = []
    rolled_back: list[str] = []
    consumed: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    writing = threading.Event()
    writing.set()

    def write(thread: int) -> None:
        rng = random.Random(thread)
        try:
            for n in range(transactions):
                names = [f"t{thread}-{n}-{k}" for k in range(rng.randint(1, 3))]
                with container.uow() as uow:
                    for name in names:
                        uow.publish(Noted(name))
                        time.sleep(rng.uniform(0, 0.002))
                    time.sleep(rng.uniform(0, 0.02))  # positions taken, the commit still to come
                    if rng.random() < 0.1:
                        uow.rollback()
                        with lock:
                            rolled_back.extend(names)
                        continue
                    uow.commit()
                with lock:
                    committed.extend(names)
        except BaseException as exc:  # asserted below
            failures.append(exc)

    def consume() -> None:
        nonlocal runs
        rng = random.Random(99)
        try:
            while True:
                still_writing = writing.is_set()
                got = _consume(container, limit=rng.randint(1, 64))
                consumed.extend(got)
                runs += 1
                if not got and not still_writing:
                    return
                if not got:
                    time.sleep(0.001)
        except BaseException as exc:  # asserted below
            failures.append(exc)

    writers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
    consumer = threading.Thread(target=consume)
    consumer.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=120)
    writing.clear()
    consumer.join(timeout=120)
    assert failures == []
    assert not consumer.is_alive()
    assert len(consumed) == len(set(consumed))  # none twice
    assert sorted(consumed) == sorted(committed)  # none skipped, none that rolled back
    assert not set(consumed) & set(rolled_back)
    assert len(committed) > threads * transactions  # every thread wrote and committed
    print(
        f"\n{container.engine.dialect.name}: {len(committed)} events committed, {len(rolled_back)} rolled back,"
        f" {len(consumed)} consumed in {runs} consumer runs, {time.monotonic() - started:.1f} s"
    )

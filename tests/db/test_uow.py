import threading
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.db import outbox
from fairlend.ledger.model import AccountKey, AccountType, credit, debit, entry
from fairlend.money import Money


@dataclass(frozen=True, slots=True)
class Deposited:
    event_type: ClassVar[str] = "test.Deposited"
    account: str
    amount: Money
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.account


CASH = AccountKey(AccountType.PLATFORM_CASH, "CNY")
CAPITAL = AccountKey(AccountType.PLATFORM_CAPITAL, "CNY")


def _deposit(container: Container, amount: int, *, fail: bool = False) -> None:
    with container.uow() as uow:
        container.ledger.post(
            uow,
            entry(
                date(2026, 3, 2), "deposit", debit(CASH, Money(amount, "CNY")), credit(CAPITAL, Money(amount, "CNY"))
            ),
        )
        uow.publish(Deposited("acct_1", Money(amount, "CNY"), date(2026, 3, 2)))
        if fail:
            raise RuntimeError("boom")
        uow.commit()


def _events(container: Container) -> list[outbox.StoredEvent]:
    with container.uow(read_only=True) as uow:
        return outbox.read_after(uow.conn, outbox.START)


def test_the_outbox_event_commits_with_the_change(container: Container) -> None:
    _deposit(container, 700)
    (event,) = _events(container)
    assert event.event_type == "test.Deposited"
    assert event.payload == {
        "account": "acct_1",
        "amount": {"minor": 700, "currency": "CNY"},
        "business_date": "2026-03-02",
    }
    assert event.business_date == date(2026, 3, 2)


def test_a_failure_leaves_neither_the_change_nor_the_event(container: Container) -> None:
    with pytest.raises(RuntimeError):
        _deposit(container, 700, fail=True)
    assert _events(container) == []
    assert container.ledger.balance(CASH).is_zero


def test_consumers_remember_their_cursor(container: Container) -> None:
    _deposit(container, 1)
    _deposit(container, 2)
    with container.uow() as uow:
        assert outbox.consumer_cursor(uow.conn, "reporting") == outbox.START
        first, second = outbox.read_after(uow.conn, outbox.START)
        outbox.advance_consumer(uow.conn, "reporting", first.cursor)
        uow.commit()
    with container.uow(read_only=True) as uow:
        cursor = outbox.consumer_cursor(uow.conn, "reporting")
        assert cursor == first.cursor
        assert [e.position for e in outbox.read_after(uow.conn, cursor)] == [second.position]


def test_a_read_only_unit_of_work_cannot_commit(container: Container) -> None:
    with container.uow(read_only=True) as uow, pytest.raises(RuntimeError):
        uow.commit()


def test_in_transaction_subscribers_commit_or_roll_back_with_the_publisher(container: Container) -> None:
    seen: list[int] = []

    def react(uow: object, event: object) -> None:
        assert isinstance(event, Deposited)
        seen.append(event.amount.minor)
        if event.amount.minor == 13:
            raise RuntimeError("the reaction failed, so the deposit must not stand")

    container.bus.subscribe(Deposited.event_type, react)
    _deposit(container, 5)
    with pytest.raises(RuntimeError):
        _deposit(container, 13)
    assert seen == [5, 13]
    assert container.ledger.balance(CASH) == Money(5, "CNY")
    assert [e.payload["amount"] for e in _events(container)] == [{"minor": 5, "currency": "CNY"}]


class _Hook:
    def __init__(self) -> None:
        self.marked = 0

    def before_commit(self, conn: object) -> None:
        self.marked += 1

    def after_commit(self) -> None:
        pass


def test_after_commit_work_runs_once_the_change_is_durable_outside_the_commit_hook_and_never_after_a_rollback(
    container: Container,
) -> None:
    from fairlend.db.uow import commit_hook

    seen: list[tuple[int, bool]] = []
    hook = _Hook()
    token = commit_hook.set(hook)
    try:

        def follow_up() -> None:
            # Another connection sees the committed deposit; the hook is not set while the follow-up runs.
            seen.append((container.ledger.balance(CASH).minor, commit_hook.get() is None))

        with container.uow() as uow:
            container.ledger.post(
                uow, entry(date(2026, 3, 2), "deposit", debit(CASH, Money(9, "CNY")), credit(CAPITAL, Money(9, "CNY")))
            )
            uow.after_commit(follow_up)
            assert seen == []
            uow.commit()
            assert seen == []  # not before the block closes: its connection goes back first
        with container.uow() as uow:
            uow.after_commit(follow_up)  # rolled back (never committed): never runs
    finally:
        commit_hook.reset(token)
    assert seen == [(9, True)]
    assert hook.marked == 1  # the deposit's own commit, not the follow-up's


def test_before_commit_work_writes_in_the_transaction_once_and_never_after_a_rollback(container: Container) -> None:
    outbox_rows = sa.text("SELECT count(*) FROM outbox")
    ran: list[str] = []

    def record(uow: Any, tag: str) -> None:
        # Inside the transaction: what it writes commits (or not) with the change.
        uow.publish(Deposited(f"acct_{tag}", Money(1, "CNY"), date(2026, 3, 2)))
        ran.append(tag)

    with container.uow() as uow:
        uow.staged["test"] = "kept until the end"
        uow.before_commit(lambda: record(uow, "kept"))
        uow.commit()
    assert uow.staged == {}  # emptied when the transaction ends
    with container.uow() as uow:
        uow.staged["test"] = "dropped"
        uow.before_commit(lambda: record(uow, "dropped"))
        uow.rollback()
    assert uow.staged == {}
    with container.uow() as uow:
        uow.commit()  # a rolled-back transaction's work is not carried into the next
    assert ran == ["kept"]
    with container.engine.connect() as conn:
        assert conn.execute(outbox_rows).scalar() == 1


@pytest.mark.backends("sqlite")
def test_a_process_s_sqlite_writers_queue_for_each_other_and_never_meet_the_lock_taken(container: Container) -> None:
    # SQLite's busy handler sleeps and polls when a writer finds the lock taken; with no wait at all
    # allowed, any two of this process's writers that collide fail at once. None may.
    @sa.event.listens_for(container.engine, "connect")
    def _no_waiting(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    container.engine.dispose()
    failures: list[BaseException] = []

    def deposits() -> None:
        try:
            for _ in range(25):
                _deposit(container, 1)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=deposits) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert container.ledger.balance(CASH) == Money(200, "CNY")

"""Each loan's public answer, stored by the transactions that change the loan (the read model).

`GET /api/v1/loans/{id}` is the API's busiest call. Rendering it means reading the
loan and its installments and building 73 amounts for a year's loan; the loan
changes a few times a month. So every use case that changes a loan calls
`touch(uow, borrower_id, loan_id)`, and just before its transaction commits the
answers of the loans it touched are rendered from the rows as the transaction
leaves them (`answer_json.loan_json`, the one renderer) and stored in
`loan_answer`: the answer and the change commit or roll back together, and a
loan touched by several statements of one transaction is rendered once.

An answer holds for the business date it was rendered on (`as_of_day`): the
installments' statuses (due, overdue) and the day's accrual move with the date.
End-of-day writes no answer, neither per loan in Python (it would cost the night
more than its own steps) nor in SQL (a second renderer to keep equal to this
one): it moves the date, and with it every stored answer stops being served.
A loan without an answer of today is rendered on the spot, as before the read
model, until its next change or `rebuild` (`fairlend loan rebuild-answers`,
run after end-of-day or a migration) stores one. While a date is being closed
in partitions (each commits on its own, before the date moves) no stored answer
is served: a committed partition's loans have changed under their answers.

`tests/lending/test_stored_answers.py` holds the stored answer equal to the one
rendered on the spot after every kind of change, on both databases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, Executable, Row, bindparam, exists, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from fairlend.db.uow import UnitOfWork
from fairlend.lending.answer_json import loan_json
from fairlend.lending.queries import detail_of
from fairlend.lending.tables import eod_partition, loan, loan_answer, loan_installment

# The key of the loans a transaction has changed, in its `staged`: rendered once, at its commit.
TOUCHED = "lending.answers"

# The stored answer of a loan for a business date, unless that date is being closed in partitions.
STORED_ANSWER = select(loan_answer.c.borrower_id, loan_answer.c.body).where(
    loan_answer.c.loan_id == bindparam("loan_id"),
    loan_answer.c.as_of_day == bindparam("day"),
    ~exists().where(eod_partition.c.business_date == bindparam("today")),
)


_LOAN = select(loan).where(loan.c.borrower_id == bindparam("borrower_id"), loan.c.id == bindparam("loan_id"))
_INSTALLMENTS = (
    select(loan_installment)
    .where(
        loan_installment.c.borrower_id == bindparam("borrower_id"), loan_installment.c.loan_id == bindparam("loan_id")
    )
    .order_by(loan_installment.c.seq)
)


def touch(uow: UnitOfWork, borrower_id: str, loan_id: str) -> None:
    """The loan changed in this transaction: store its answer as the transaction leaves it."""
    touched: set[tuple[str, str]] | None = uow.staged.get(TOUCHED)
    if touched is None:
        touched = uow.staged[TOUCHED] = set()

        def write() -> None:
            write_answers(uow, uow.staged.pop(TOUCHED, set()))

        uow.before_commit(write)
    touched.add((borrower_id, loan_id))


def touch_all(uow: UnitOfWork, keys: Iterable[tuple[str, str]]) -> None:
    for borrower_id, loan_id in keys:
        touch(uow, borrower_id, loan_id)


def _upsert(dialect: str) -> Executable:
    make: Callable[..., Any] = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = make(loan_answer)
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[loan_answer.c.borrower_id, loan_answer.c.loan_id],
        set_={
            "version": loan_answer.c.version + 1,
            "as_of_day": stmt.excluded.as_of_day,
            "body": stmt.excluded.body,
        },
    )


_UPSERT = {"postgresql": _upsert("postgresql"), "sqlite": _upsert("sqlite")}


def _rows(conn: Connection, keys: list[tuple[str, str]], *, lock: bool) -> list[tuple[Row[Any], list[Row[Any]]]]:
    if len(keys) == 1 and not lock:  # a use case's one loan (the hot path): statements built once
        ((borrower_id, loan_id),) = keys
        found = conn.execute(_LOAN, {"borrower_id": borrower_id, "loan_id": loan_id}).first()
        if found is None:
            return []
        return [(found, list(conn.execute(_INSTALLMENTS, {"borrower_id": borrower_id, "loan_id": loan_id})))]
    query = select(loan).where(tuple_(loan.c.borrower_id, loan.c.id).in_(keys)).order_by(loan.c.id)
    loans = conn.execute(query.with_for_update() if lock else query).all()
    by_loan: dict[str, list[Row[Any]]] = {r.id: [] for r in loans}
    insts = conn.execute(
        select(loan_installment)
        .where(tuple_(loan_installment.c.borrower_id, loan_installment.c.loan_id).in_(keys))
        .order_by(loan_installment.c.loan_id, loan_installment.c.seq)
    )
    for inst in insts:
        by_loan[inst.loan_id].append(inst)
    return [(r, by_loan[r.id]) for r in loans]


def write_answers(uow: UnitOfWork, keys: Iterable[tuple[str, str]], *, lock: bool = False) -> int:
    """Render and store the answers of these loans (borrower_id, loan_id) in `uow`'s transaction.

    The use cases that touch a loan hold its row already. A rebuild does not: it locks them
    (`lock`), or a repayment committing between its read and its write would have its answer
    replaced by the one from before it.
    """
    wanted = sorted(keys)
    if not wanted:
        return 0
    day = uow.clock.business_date().toordinal()
    rows = [
        {"borrower_id": row.borrower_id, "loan_id": row.id, "version": 1, "as_of_day": day, "body": loan_json(detail)}
        for row, insts in _rows(uow.conn, wanted, lock=lock)
        for detail in (detail_of(uow, row, insts),)
    ]
    if rows:
        uow.conn.execute(_UPSERT[uow.dialect], rows[0] if len(rows) == 1 else rows)
    return len(rows)


def stored_answer(uow: UnitOfWork, loan_id: str) -> Row[Any, Any] | None:
    """(borrower_id, body) of the loan's answer of the transaction's business date, if one is stored."""
    today = uow.clock.business_date()
    return uow.conn.execute(STORED_ANSWER, {"loan_id": loan_id, "day": today.toordinal(), "today": today}).first()


def loan_keys_after(conn: Connection, after: tuple[str, str] | None, limit: int) -> list[tuple[str, str]]:
    """The next `limit` loans' keys in key order (a rebuild's batches)."""
    query = select(loan.c.borrower_id, loan.c.id).order_by(loan.c.borrower_id, loan.c.id).limit(limit)
    if after is not None:
        query = query.where(tuple_(loan.c.borrower_id, loan.c.id) > tuple_(*after))
    return [(r.borrower_id, r.id) for r in conn.execute(query)]

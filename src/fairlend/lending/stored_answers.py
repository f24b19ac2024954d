"""Each loan's public answer, stored by the transactions that change the loan (the read model).

`GET /api/v1/loans/{id}` is the API's busiest call. Rendering it means reading the
loan and its installments and building 73 amounts for a year's loan; the loan
changes a few times a month. So every use case that changes a loan calls
`touch(uow, borrower_id, loan_id)`, and just before its transaction commits the
answers of the loans it touched are rendered from the rows as the transaction
leaves them (`answer_json.loan_json`, the one renderer) and stored in
`loan_answer`: the answer and the change commit or roll back together, and a
loan touched by several statements of one transaction is rendered once.

What is stored is what only those use cases change. End-of-day changes every
active loan every night without them (the day's accrual; billing, penalties,
late fees and delinquency for some) and the business date moves each payment's
status (due, overdue): rendering every loan's answer in the night would cost it
about 350 µs of CPU a loan, in Python, or a second renderer in SQL. So the answer
is stored with holes (`answer_json.template`): the serving look-up reads the
loan's row with it (one statement) and fills in the row's moving columns and
each payment's status as of today (`answer_json.fill`, a few µs). An
installment end-of-day changes (billing adds the period's interest, a late fee
the fee) shows in the row's (next_due_day, fees_due), which the stored answer
records: where they differ it is not served, and the loan is rendered on the
spot until its next change or `rebuild` (`fairlend loan rebuild-answers`).
A date being closed in partitions needs nothing special: a committed
partition's rows are read as they are, as the on-the-spot render reads them.
`as_of_day` records the business date it was rendered on. A transaction that
changes more than `RENDER_AT_COMMIT` loans (a repayment file) removes their
answers instead of rendering them: they are rendered on the spot until their
next change or `rebuild-answers`.

`tests/lending/test_stored_answers.py` holds the served answer equal to the one
rendered on the spot after every kind of change and every end-of-day, on both
databases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, Executable, Row, and_, bindparam, delete, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from fairlend.db.uow import UnitOfWork
from fairlend.lending.answer_json import Part, fill, moving_fields, template
from fairlend.lending.answer_patch import RepaidAnswer, repaid
from fairlend.lending.queries import by_due_date, detail_of
from fairlend.lending.schedule import from_day
from fairlend.lending.tables import loan, loan_answer, loan_installment
from fairlend.lending.views import LoanAnswer

# The key of the loans a transaction has changed, in its `staged`: rendered once, at its commit.
TOUCHED = "lending.answers"

# The stored answer of a loan with its row's columns that end-of-day moves (`answer_json.moving_fields`).
_L = loan.c
STORED_ANSWER = (
    select(
        loan_answer.c.borrower_id,
        loan_answer.c.body,
        _L.currency,
        _L.principal_outstanding,
        _L.interest_due,
        _L.accrued_interest,
        _L.penalty_due,
        _L.fees_due,
        _L.overdue_amount,
        _L.dpd,
        _L.bucket,
        _L.first_delinquency_day,
        _L.next_due_day,
    )
    .select_from(
        loan_answer.join(loan, and_(_L.borrower_id == loan_answer.c.borrower_id, _L.id == loan_answer.c.loan_id))
    )
    .where(loan_answer.c.loan_id == bindparam("loan_id"))
)


_LOAN = select(loan).where(loan.c.borrower_id == bindparam("borrower_id"), loan.c.id == bindparam("loan_id"))
_INSTALLMENTS = (
    select(loan_installment)
    .where(
        loan_installment.c.borrower_id == bindparam("borrower_id"), loan_installment.c.loan_id == bindparam("loan_id")
    )
    .order_by(loan_installment.c.seq)
)


def touch(uow: UnitOfWork, borrower_id: str, loan_id: str, patch: RepaidAnswer | None = None) -> None:
    """The loan changed in this transaction: store its answer as the transaction leaves it.

    With `patch` (a single repayment, answer_patch.py) the stored answer is rewritten from it instead of
    rendered again, if it is the loan's only change in the transaction and the stored bytes agree.
    """
    touched: dict[tuple[str, str], RepaidAnswer | None] | None = uow.staged.get(TOUCHED)
    if touched is None:
        touched = uow.staged[TOUCHED] = {}

        def write() -> None:
            changes: dict[tuple[str, str], RepaidAnswer | None] = uow.staged.pop(TOUCHED, {})
            patched = {key: p for key, p in changes.items() if p is not None}
            done = _write_patched(uow, patched) if patched else set()
            rest = [key for key in changes if key not in done]
            if len(rest) > RENDER_AT_COMMIT:
                forget_answers(uow, rest)
            else:
                write_answers(uow, rest)

        uow.before_commit(write)
    key = (borrower_id, loan_id)
    touched[key] = patch if key not in touched else None  # touched twice: rendered in full


def _write_patched(uow: UnitOfWork, patched: dict[tuple[str, str], RepaidAnswer]) -> set[tuple[str, str]]:
    """The patched answers that could be written (the rest are rendered in full)."""
    done: set[tuple[str, str]] = set()
    day = uow.clock.business_date().toordinal()
    for (borrower_id, loan_id), patch in patched.items():
        found = uow.conn.execute(_BODY, {"borrower_id": borrower_id, "loan_id": loan_id}).first()
        body = None if found is None else repaid(bytes(found.body), patch)
        if body is not None:
            uow.conn.execute(
                _REWRITE, {"b_borrower_id": borrower_id, "b_loan_id": loan_id, "as_of_day": day, "body": body}
            )
            done.add((borrower_id, loan_id))
    return done


_BODY = select(loan_answer.c.body).where(
    loan_answer.c.borrower_id == bindparam("borrower_id"), loan_answer.c.loan_id == bindparam("loan_id")
)
_REWRITE = (
    update(loan_answer)
    .where(loan_answer.c.borrower_id == bindparam("b_borrower_id"), loan_answer.c.loan_id == bindparam("b_loan_id"))
    .values(version=loan_answer.c.version + 1, as_of_day=bindparam("as_of_day"), body=bindparam("body"))
)


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
# Loans read and rendered per statement by `write_answers` (two parameters a loan in its IN list).
ANSWER_CHUNK = 2_000
# Past this many loans in one transaction (a repayment file's chunk) rendering each answer at commit
# (~0.4 ms a loan) would cost more than the file's own work: their stored answers are removed instead,
# so none is stale, and each is rendered on the spot until its next change or `rebuild-answers`.
RENDER_AT_COMMIT = 500


def _chunks(keys: Iterable[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    """The keys once each, in order, `ANSWER_CHUNK` at a time (no statement binds past PostgreSQL's 65,535
    parameters, and memory stays flat in a file of 100,000 repayments)."""
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), ANSWER_CHUNK):
        yield wanted[start : start + ANSWER_CHUNK]


def forget_answers(uow: UnitOfWork, keys: Iterable[tuple[str, str]]) -> None:
    """Remove these loans' stored answers in `uow`'s transaction (a chunk of keys a statement)."""
    for chunk in _chunks(keys):
        uow.conn.execute(delete(loan_answer).where(tuple_(loan_answer.c.borrower_id, loan_answer.c.loan_id).in_(chunk)))


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
    day = uow.clock.business_date().toordinal()
    written = 0
    for chunk in _chunks(keys):  # a file of 100,000 repayments touches as many loans
        rows = [
            {
                "borrower_id": row.borrower_id,
                "loan_id": row.id,
                "version": 1,
                "as_of_day": day,
                "body": template(detail_of(uow, row, insts), _parts(insts), (row.next_due_day, row.fees_due)),
            }
            for row, insts in _rows(uow.conn, chunk, lock=lock)
        ]
        if rows:
            uow.conn.execute(_UPSERT[uow.dialect], rows[0] if len(rows) == 1 else rows)
        written += len(rows)
    return written


def _parts(insts: list[Row[Any]]) -> list[list[Part]]:
    """Each payment's unpaid installments (billed, due day, late day), in the schedule's order."""
    return [
        [(i.billed, i.due_date.toordinal(), i.late_day) for i in group if i.paid_on is None]
        for group in by_due_date(insts)
    ]


def stored_answer(uow: UnitOfWork, loan_id: str) -> LoanAnswer | None:
    """The loan's stored answer filled in as of the transaction's business date, if one is stored and
    end-of-day has changed none of its installments since."""
    r = uow.conn.execute(STORED_ANSWER, {"loan_id": loan_id}).first()
    if r is None:
        return None
    moving = moving_fields(
        r.currency,
        r.principal_outstanding,
        r.interest_due,
        r.accrued_interest,
        r.penalty_due,
        r.fees_due,
        r.principal_outstanding + r.interest_due + r.accrued_interest + r.penalty_due + r.fees_due,
        r.overdue_amount,
        r.dpd,
        r.bucket,
        from_day(r.first_delinquency_day),
    )
    today = uow.clock.business_date().toordinal()
    body = fill(bytes(r.body), moving, (r.next_due_day, r.fees_due), today)
    return None if body is None else LoanAnswer(r.borrower_id, body)


def loan_keys_after(conn: Connection, after: tuple[str, str] | None, limit: int) -> list[tuple[str, str]]:
    """The next `limit` loans' keys in key order (a rebuild's batches)."""
    query = select(loan.c.borrower_id, loan.c.id).order_by(loan.c.borrower_id, loan.c.id).limit(limit)
    if after is not None:
        query = query.where(tuple_(loan.c.borrower_id, loan.c.id) > tuple_(*after))
    return [(r.borrower_id, r.id) for r in conn.execute(query)]

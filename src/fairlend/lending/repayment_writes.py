"""The writes of repayment plans: each table once for any number of plans (repayment_plan.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fairlend.db.uow import UnitOfWork
from fairlend.lending.answer_patch import RepaidAnswer
from fairlend.lending.publishing import publish_many
from fairlend.lending.repayment_plan import OpenLoan, RepaymentPlan
from fairlend.lending.stored_answers import touch
from fairlend.lending.subledger import (
    BILL_WITH_INTEREST,
    DROP_UNBILLED,
    INSERT_INSTALLMENT,
    INSERT_REPAYMENT,
    INSERT_TRANSITION,
    PAY_INSTALLMENT,
    REPAY_COLUMNS,
    REPAY_LOAN,
)


def write_loans(uow: UnitOfWork, loans: Iterable[OpenLoan], patches: dict[str, RepaidAnswer] | None = None) -> None:
    """Write each changed loan's state once: its installments paid on, its rebuilt schedule, its row.

    `patches` (by loan id): how a loan's stored answer changes, where the caller knows it (answer_patch.py).
    """
    changed = [loan for loan in loans if loan.changed]
    if not changed:
        return
    conn = uow.conn
    # Billed before their due date (paying_early.py): marked before the rebuild drops what is unbilled.
    early = [
        {"b_borrower_id": loan.row["borrower_id"], "b_loan_id": loan.loan_id, "b_seq": seq, "b_interest": interest}
        for loan in changed
        for seq, interest in loan.billed_early
    ]
    if early:
        conn.execute(BILL_WITH_INTEREST, early)
    paid = [
        {
            "b_borrower_id": loan.row["borrower_id"],
            "b_loan_id": loan.loan_id,
            "b_seq": seq,
            "principal_paid": inst["principal_paid"],
            "interest_paid": inst["interest_paid"],
            "fee_paid": inst["fee_paid"],
            "paid_on": inst["paid_on"],
        }
        for loan in changed
        for seq, inst in loan.paid.items()
    ]
    if paid:
        conn.execute(PAY_INSTALLMENT, paid)
    rebuilt = [loan for loan in changed if loan.rescheduled]
    if rebuilt:
        conn.execute(
            DROP_UNBILLED, [{"borrower_id": loan.row["borrower_id"], "loan_id": loan.loan_id} for loan in rebuilt]
        )
        rows = [i for loan in rebuilt for i in loan.unbilled_rows()]
        if rows:
            conn.execute(INSERT_INSTALLMENT, rows)
    conn.execute(
        REPAY_LOAN,
        [
            {
                "b_borrower_id": loan.row["borrower_id"],
                "b_loan_id": loan.loan_id,
                **{c: loan.row[c] for c in REPAY_COLUMNS},
            }
            for loan in changed
        ],
    )
    for loan in changed:
        touch(uow, loan.row["borrower_id"], loan.loan_id, (patches or {}).get(loan.loan_id))
    for loan in changed:
        loan.paid = {}
        loan.billed_early = []
        loan.rescheduled = False
        loan.changed = False


def write_plans(uow: UnitOfWork, plans: Sequence[RepaymentPlan]) -> None:
    """The repayment rows, delinquency transitions and events of `plans`, in their order (journal apart)."""
    if not plans:
        return
    uow.conn.execute(INSERT_REPAYMENT, [plan.repayment for plan in plans])
    transitions = [plan.transition for plan in plans if plan.transition is not None]
    if transitions:
        uow.conn.execute(INSERT_TRANSITION, transitions)
    publish_many(uow, [event for plan in plans for event in plan.events])

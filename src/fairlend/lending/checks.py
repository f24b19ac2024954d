"""Lending's part of `fairlend verify`: the subledger against the ledger, and each loan against its installments.

Each control account equals the sum of its subledger column over the loans;
each loan's cached balances equal the sum of its installments; no balance is
negative; recovery income equals what the loans recovered, and no loan
recovered more than was charged off.
"""

from __future__ import annotations

from sqlalchemy import Connection, case, func, select

from fairlend.db.uow import UnitOfWork
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.ledger.service import Discrepancy, Ledger
from fairlend.lending.model import LoanState, RepaymentKind
from fairlend.lending.tables import loan, loan_installment, loan_repayment

# The subledger column that each control account must equal the sum of.
CONTROL_COLUMNS = {
    AccountType.LOAN_PRINCIPAL: loan.c.principal_outstanding,
    AccountType.INTEREST_RECEIVABLE: loan.c.interest_due,
    AccountType.ACCRUED_INTEREST: loan.c.accrued_interest,
    AccountType.PENALTY_RECEIVABLE: loan.c.penalty_due,
    AccountType.FEE_RECEIVABLE: loan.c.fees_due,
}


def verify_subledger(uow: UnitOfWork, ledger: Ledger) -> list[Discrepancy]:
    found: list[Discrepancy] = []
    conn = uow.conn
    currencies = [c for (c,) in conn.execute(select(loan.c.currency).distinct())]
    for currency in currencies:
        sums = conn.execute(
            select(*[func.coalesce(func.sum(col), 0) for col in CONTROL_COLUMNS.values()]).where(
                loan.c.currency == currency
            )
        ).one()
        for (account, _), subledger in zip(CONTROL_COLUMNS.items(), sums, strict=True):
            control = ledger.balance(AccountKey(account, currency), uow=uow).minor
            if control != int(subledger):
                found.append(
                    Discrepancy(
                        "lending_control_account",
                        f"{account.value} {currency}",
                        f"ledger says {control}, the loans sum to {int(subledger)}",
                    )
                )
    owed = (
        select(
            loan_installment.c.borrower_id,
            loan_installment.c.loan_id,
            func.sum(loan_installment.c.principal - loan_installment.c.principal_paid).label("principal"),
            func.sum(
                case(
                    (loan_installment.c.billed, loan_installment.c.interest - loan_installment.c.interest_paid),
                    else_=0,
                )
            ).label("interest"),
            func.sum(loan_installment.c.fee - loan_installment.c.fee_paid).label("fees"),
        )
        .group_by(loan_installment.c.borrower_id, loan_installment.c.loan_id)
        .subquery()
    )
    drifted = conn.execute(
        select(
            loan.c.id,
            loan.c.principal_outstanding,
            owed.c.principal,
            loan.c.interest_due,
            owed.c.interest,
            loan.c.fees_due,
            owed.c.fees,
        )
        .join(owed, (owed.c.borrower_id == loan.c.borrower_id) & (owed.c.loan_id == loan.c.id))
        .where(
            loan.c.state.in_([LoanState.ACTIVE.value, LoanState.SETTLED.value]),
            (loan.c.principal_outstanding != owed.c.principal)
            | (loan.c.interest_due != owed.c.interest)
            | (loan.c.fees_due != owed.c.fees),
        )
        .order_by(loan.c.id)
    ).all()
    for r in drifted:
        found.append(
            Discrepancy(
                "lending_loan_balances",
                r.id,
                f"principal {r.principal_outstanding} vs installments {r[2]}, interest {r.interest_due} vs {r[4]}, fees {r.fees_due} vs {r[6]}",
            )
        )
    negative = conn.execute(
        select(loan.c.id).where(
            (loan.c.principal_outstanding < 0)
            | (loan.c.interest_due < 0)
            | (loan.c.accrued_interest < 0)
            | (loan.c.penalty_due < 0)
            | (loan.c.fees_due < 0)
        )
    ).all()
    found += [Discrepancy("lending_negative_balance", r.id, "a balance is negative") for r in negative]
    found += _recoveries(conn, ledger, uow, currencies)
    return found


def _recoveries(conn: Connection, ledger: Ledger, uow: UnitOfWork, currencies: list[str]) -> list[Discrepancy]:
    """Recovery income equals what the loans recovered, and no loan recovered more than was charged off."""
    found: list[Discrepancy] = []
    rpy = loan_repayment.c
    per_loan = (
        select(rpy.borrower_id, rpy.loan_id, func.sum(rpy.amount - rpy.refunded).label("recovered"))
        .where(rpy.kind == RepaymentKind.RECOVERY.value)
        .group_by(rpy.borrower_id, rpy.loan_id)
        .subquery()
    )
    joined = loan.join(per_loan, (per_loan.c.borrower_id == loan.c.borrower_id) & (per_loan.c.loan_id == loan.c.id))
    totals = dict(
        conn.execute(
            select(loan.c.currency, func.sum(per_loan.c.recovered)).select_from(joined).group_by(loan.c.currency)
        ).all()
    )
    for currency in currencies:
        recovered = int(totals.get(currency) or 0)
        booked = -ledger.balance(AccountKey(AccountType.RECOVERY_INCOME, currency), uow=uow).minor
        if recovered != booked:
            found.append(
                Discrepancy(
                    "lending_recovery_income",
                    f"recovery_income {currency}",
                    f"ledger says {booked}, the loans recovered {recovered}",
                )
            )
    over = conn.execute(
        select(loan.c.id, loan.c.closed_amount, per_loan.c.recovered)
        .select_from(joined)
        .where(per_loan.c.recovered > loan.c.closed_amount)
        .order_by(loan.c.id)
    ).all()
    found += [
        Discrepancy("lending_over_recovered", r.id, f"recovered {r.recovered} of {r.closed_amount} charged off")
        for r in over
    ]
    return found

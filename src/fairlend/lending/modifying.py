"""Modifying a loan: its position as a plan sees it, a new schedule version, and the delinquency hold.

Lending knows nothing of hardship plans. Another context computes a new
schedule from `position_in` (pure data) and hands it back as a
`ScheduleChange`; `modify_in` applies it inside the caller's transaction:
the schedule it replaces is kept as a version, what the lender gives up is
posted to the ledger, the installments are rewritten, and `LoanModified` is
published. Nothing is billed or made late by the change itself.

How the new installments sit in the subledger: the new schedule's own
principal and interest are ordinary unbilled installments (billed on their
due dates, interest accrued day by day by end-of-day). What the loan already
owed and the plan carries (billed or accrued interest, fees, penalty not
waived, a settlement's principal) stays billed, on installments of its own
whose due dates are the plan's: billed, they cannot be accrued or billed a
second time, and until their due date nothing about them is late. Penalty
carried becomes a fee receivable, so no penalty interest runs on the plan.
Those billed installments take the sequence numbers before the unbilled ones,
because billing walks `cur_seq`, `cur_seq + 1`, ... through unbilled rows.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import Row, insert

from fairlend.db.uow import UnitOfWork
from fairlend.errors import Conflict, Invalid
from fairlend.ledger.model import AccountKey, AccountType, Posting, credit, debit, entry
from fairlend.lending.events import LoanDelinquencyChanged, LoanDelinquencyReleased, LoanModified
from fairlend.lending.model import LoanState, Method
from fairlend.lending.position_model import LoanPosition, ScheduleChange
from fairlend.lending.positions import ALL_INSTALLMENTS, INSTALLMENT_KEY, LoanPositions, installment_json
from fairlend.lending.queries import money_in
from fairlend.lending.recalculation import daily_e10
from fairlend.lending.schedule import day
from fairlend.lending.schedule.rebuild import regular_installment
from fairlend.lending.stored_answers import touch
from fairlend.lending.subledger import (
    INSERT_INSTALLMENT,
    OPEN_INSTALLMENTS,
    UPDATE_LOAN,
    delinquency_of,
    record_transition,
)
from fairlend.lending.tables import loan_installment, loan_schedule_version
from fairlend.money import Money


class LoanModifications(LoanPositions):
    """A new schedule version, and releasing a held delinquency."""

    # -- changing -----------------------------------------------------------------------------------

    def modify_in(self, uow: UnitOfWork, change: ScheduleChange, *, today: date | None = None) -> tuple[int, int]:
        """Apply a new schedule version in the caller's transaction; never commits.

        Returns (the new version, the first sequence number of its installments).
        Refused without a trace: a loan no longer active (`loan_not_active`),
        one that moved since the change was computed (`loan_changed`), or a
        change that does not carry exactly what is owed less what is waived
        (`schedule_change_unbalanced`).
        """
        ln = self._load(uow, change.loan_id)
        today = today or uow.clock.business_date()
        if ln.state != LoanState.ACTIVE.value:
            raise Conflict("loan_not_active", f"loan {ln.id} is {ln.state}")
        position = self._position(uow, ln)
        if position.balances != change.expected:
            raise Conflict(
                "loan_changed", f"loan {ln.id} changed since the new schedule was computed; compute it again"
            )
        _check_balanced(position, change)
        conn = uow.conn
        keys = {"borrower_id": ln.borrower_id, "loan_id": ln.id}
        rows = list(conn.execute(ALL_INSTALLMENTS, keys))
        conn.execute(
            insert(loan_schedule_version).values(
                borrower_id=ln.borrower_id,
                loan_id=ln.id,
                version=ln.schedule_version,
                replaced_on=today,
                replaced_by=change.kind[:40],
                reference=change.reference[:80],
                rate=ln.rate,
                installments=[installment_json(i) for i in rows],
                created_at=uow.clock.now(),
            )
        )
        self._post_concessions(uow, ln, change, today)
        first_seq = self._rewrite_installments(uow, ln, rows, change, today)
        values = self._loan_values(ln, change, first_seq, today)
        conn.execute(UPDATE_LOAN.values(**values), {"b_borrower_id": ln.borrower_id, "b_loan_id": ln.id})
        touch(uow, ln.borrower_id, ln.id)
        version = ln.schedule_version + 1
        money = money_in(ln.currency)
        uow.publish(
            LoanModified(
                loan_id=ln.id,
                borrower_id=ln.borrower_id,
                kind=change.kind,
                reference=change.reference,
                schedule_version=version,
                rate=change.rate,
                installments=len(change.installments),
                first_due_date=change.installments[0].due,
                maturity_date=change.installments[-1].due,
                waived_interest=money(change.waived_interest),
                waived_fees=money(change.waived_fees),
                waived_penalty=money(change.waived_penalty),
                written_off_principal=money(change.written_off_principal),
                outstanding_principal=money(values["principal_outstanding"]),
                days_past_due=values["dpd"],
                delinquency_held=values["delinquency_held"],
                business_date=today,
                plan=change.plan,
                disbursed_principal=money(change.disbursed_principal) if change.disbursed_principal else None,
                operator_id=change.operator_id,
                reason=change.reason,
                installment=money(regular_installment(change.installments)),
            )
        )
        if values["bucket"] != ln.bucket:
            found = delinquency_of([], 0, ln.grace_days, day(today) - 1, None)
            uow.publish(record_transition(uow, ln, values["bucket"], found, values["principal_outstanding"], today))
        return version, first_seq

    def _post_concessions(self, uow: UnitOfWork, ln: Row[Any], change: ScheduleChange, today: date) -> None:
        """One entry: what is waived leaves its receivable (income reversed, principal to credit loss);
        accrued interest carried becomes billed, penalty carried becomes a fee."""
        cur = ln.currency
        waived_billed = min(change.waived_interest, ln.interest_due)
        waived_accrued = change.waived_interest - waived_billed
        carried_accrued = ln.accrued_interest - waived_accrued
        carried_penalty = ln.penalty_due - change.waived_penalty
        moves = [
            # (debit, credit, amount)
            (AccountType.INTEREST_INCOME, AccountType.INTEREST_RECEIVABLE, waived_billed),
            (AccountType.INTEREST_INCOME, AccountType.ACCRUED_INTEREST, waived_accrued),
            (AccountType.FEE_INCOME, AccountType.FEE_RECEIVABLE, change.waived_fees),
            (AccountType.PENALTY_INCOME, AccountType.PENALTY_RECEIVABLE, change.waived_penalty),
            (AccountType.CREDIT_LOSS, AccountType.LOAN_PRINCIPAL, change.written_off_principal),
            (AccountType.INTEREST_RECEIVABLE, AccountType.ACCRUED_INTEREST, carried_accrued),
            (AccountType.FEE_RECEIVABLE, AccountType.PENALTY_RECEIVABLE, carried_penalty),
        ]
        totals: dict[AccountType, int] = {}
        for to, frm, minor in moves:
            totals[to] = totals.get(to, 0) + minor
            totals[frm] = totals.get(frm, 0) - minor
        postings: list[Posting] = []
        for account, minor in totals.items():
            if minor > 0:
                postings.append(debit(AccountKey(account, cur), Money(minor, cur)))
            elif minor < 0:
                postings.append(credit(AccountKey(account, cur), Money(-minor, cur)))
        if postings:
            self._ledger.post(uow, entry(today, "loan_modification", *postings, reference=change.reference or ln.id))

    def _rewrite_installments(
        self, uow: UnitOfWork, ln: Row[Any], rows: list[Row[Any]], change: ScheduleChange, today: date
    ) -> int:
        """Paid installments stay; a part-paid one keeps what was paid and closes; the rest is replaced."""
        conn = uow.conn
        for i in rows:
            if i.paid_on is not None:
                continue
            key = {"b_borrower_id": ln.borrower_id, "b_loan_id": ln.id, "b_seq": i.seq}
            if i.principal_paid or i.interest_paid or i.fee_paid:
                conn.execute(
                    loan_installment.update()
                    .where(*INSTALLMENT_KEY)
                    .values(principal=i.principal_paid, interest=i.interest_paid, fee=i.fee_paid, paid_on=today),
                    key,
                )
            else:
                conn.execute(loan_installment.delete().where(*INSTALLMENT_KEY), key)
        seq = max((i.seq for i in rows), default=0) + 1
        first_seq = seq
        new_rows: list[dict[str, Any]] = []
        grace = ln.grace_days
        # Carried arrears first (billed), then the new schedule's own installments (unbilled, consecutive).
        for line in change.installments:
            if line.arrears_principal or line.arrears_interest or line.arrears_fee:
                # A missed plan payment costs one late fee: on its new installment when it has one, so none
                # on the carried arrears beside it.
                new_rows.append(
                    _row(ln, seq, line.start, line.due, grace, True, line.arrears_principal, line.arrears_interest)
                    | {"fee": line.arrears_fee, "late_fee_charged": bool(line.principal or line.interest)}
                )
                seq += 1
        for line in change.installments:
            if line.principal or line.interest:
                new_rows.append(_row(ln, seq, line.start, line.due, grace, False, line.principal, line.interest))
                seq += 1
        if new_rows:
            conn.execute(INSERT_INSTALLMENT, new_rows)
        return first_seq

    def _loan_values(self, ln: Row[Any], change: ScheduleChange, first_seq: int, today: date) -> dict[str, Any]:
        lines = change.installments
        billed_principal = sum(line.arrears_principal for line in lines)
        unbilled = [line for line in lines if line.principal or line.interest]
        arrears_dues = [
            line.due for line in lines if line.arrears_principal or line.arrears_interest or line.arrears_fee
        ]
        first_unbilled_seq = first_seq + len(arrears_dues)
        hold = change.hold_delinquency and ln.dpd > 0
        product_penalty = ln.penalty_daily_e10
        # The new schedule's own installment (what a prepayment that shortens the term keeps paying).
        regular = [line.principal + line.interest for line in lines if line.principal]
        values: dict[str, Any] = {
            "rate": change.rate,
            "method": (change.method or Method(ln.method)).value,
            "term": ln.term,
            "maturity_date": lines[-1].due,
            "installment_amount": regular[0] if regular else 0,
            "principal_outstanding": sum(line.principal for line in lines) + billed_principal,
            "principal_due": billed_principal,
            "interest_due": sum(line.arrears_interest for line in lines),
            "accrued_interest": 0,
            "penalty_due": 0,
            "fees_due": sum(line.arrears_fee for line in lines),
            "penalty_daily_e10": 0 if change.stop_penalty else product_penalty,
            # A recalculated loan stays recalculated at the plan's rate; its period restarts today.
            "recalc_daily_e10": daily_e10(change.rate, ln.recalc_year_days),
            "recalc_e10": 0,
            "cur_seq": first_unbilled_seq,
            "accrual_start_day": day(today),
            "next_due_day": day(unbilled[0].due) if unbilled else None,
            "accrual_interest": unbilled[0].interest if unbilled else 0,
            "oldest_due_day": day(min(arrears_dues)) if arrears_dues else None,
            "overdue_principal": 0,
            "overdue_amount": 0,
            "schedule_version": ln.schedule_version + 1,
            "delinquency_held": hold,
            "dpd": ln.dpd if hold else 0,
            "bucket": ln.bucket if hold else self._profile_bucket(0),
            "first_delinquency_day": ln.first_delinquency_day if hold else None,
        }
        return values

    def _profile_bucket(self, dpd: int) -> str:
        return self._profile.bucket_for(dpd).name

    def release_delinquency_in(self, uow: UnitOfWork, loan_id: str, *, reaged: bool, end_of: date | None = None) -> int:
        """Let a held delinquency follow the schedule again, in the caller's transaction; never commits.

        Re-aged (a plan kept long enough): the days past due are counted afresh
        from the plan's installments, and the first-delinquency date starts
        over. Not re-aged (a broken plan): counted from the plan's installments
        too, but the first-delinquency date the loan had stays (CR-5). Returns
        the days past due now.
        """
        ln = self._load(uow, loan_id)
        if not ln.delinquency_held:
            return int(ln.dpd)
        today = uow.clock.business_date()
        insts = [
            dict(r._mapping)
            for r in uow.conn.execute(OPEN_INSTALLMENTS, {"borrower_id": ln.borrower_id, "loan_id": ln.id})
        ]
        # As a repayment counts it (through yesterday's end), or through `end_of` (end-of-day's own date).
        through = day(end_of) if end_of is not None else day(today) - 1
        found = delinquency_of(
            insts, ln.penalty_due, ln.grace_days, through, None if reaged else ln.first_delinquency_day
        )
        if not found.dpd:
            found = replace(found, first_delinquency_day=None)
        bucket = self._profile_bucket(found.dpd)
        uow.conn.execute(
            UPDATE_LOAN.values(
                delinquency_held=False,
                oldest_due_day=found.oldest_due_day,
                overdue_principal=found.overdue_principal,
                overdue_amount=found.overdue_amount,
                dpd=found.dpd,
                bucket=bucket,
                first_delinquency_day=found.first_delinquency_day,
            ),
            {"b_borrower_id": ln.borrower_id, "b_loan_id": ln.id},
        )
        touch(uow, ln.borrower_id, ln.id)
        uow.publish(
            LoanDelinquencyReleased(
                loan_id=ln.id,
                borrower_id=ln.borrower_id,
                reaged=reaged,
                days_past_due=found.dpd,
                bucket=bucket,
                previous_days_past_due=ln.dpd,
                business_date=today,
            )
        )
        if bucket != ln.bucket:
            event: LoanDelinquencyChanged = record_transition(uow, ln, bucket, found, ln.principal_outstanding, today)
            uow.publish(event)
        return found.dpd


def _row(
    ln: Row[Any], seq: int, start: date, due: date, grace: int, billed: bool, principal: int, interest: int
) -> dict[str, Any]:
    return {
        "borrower_id": ln.borrower_id,
        "loan_id": ln.id,
        "seq": seq,
        "start_day": day(start),
        "due_day": day(due),
        "due_date": due,
        "late_day": day(due) + grace,
        "principal": principal,
        "interest": interest,
        "fee": 0,
        "principal_paid": 0,
        "interest_paid": 0,
        "fee_paid": 0,
        "billed": billed,
        "late_fee_charged": False,
        "paid_on": None,
    }


def _check_balanced(position: LoanPosition, change: ScheduleChange) -> None:
    """The new installments carry exactly what is owed less what is waived: no fen made or lost."""
    lines = change.installments
    problems = []
    if not lines:
        problems.append("no installments")
    if any(
        v < 0
        for line in lines
        for v in (line.principal, line.interest, line.arrears_principal, line.arrears_interest, line.arrears_fee)
    ):
        problems.append("a negative amount")
    if min(change.waived_interest, change.waived_fees, change.waived_penalty, change.written_off_principal) < 0:
        problems.append("a negative concession")
    if change.disbursed_principal < 0:
        problems.append("a negative disbursement")
    if (
        sum(line.principal + line.arrears_principal for line in lines)
        != position.principal + change.disbursed_principal - change.written_off_principal
    ):
        problems.append("principal")
    interest_owed = position.interest_billed + position.accrued_interest - change.waived_interest
    if sum(line.arrears_interest for line in lines) != interest_owed:
        problems.append("interest carried")
    charges = position.fees + position.penalty - change.waived_fees - change.waived_penalty
    if sum(line.arrears_fee for line in lines) != charges:
        problems.append("fees and penalty carried")
    if change.waived_fees > position.fees or change.waived_penalty > position.penalty:
        problems.append("waives more than is owed")
    dues = [line.due for line in lines]
    if dues != sorted(dues) or (dues and dues[0] <= position.as_of):
        problems.append("due dates")
    unbilled = [line for line in lines if line.principal or line.interest]
    if any(b.start < a.due for a, b in itertools.pairwise(unbilled)) or (
        unbilled and unbilled[0].start != position.as_of
    ):
        problems.append("periods")
    if problems:
        raise Invalid("schedule_change_unbalanced", f"the new schedule does not add up: {', '.join(problems)}")

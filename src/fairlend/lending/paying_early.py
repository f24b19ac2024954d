"""Paying a modified loan's next installment before its due date: it is billed at once, then paid.

On an ordinary loan a payment before the due date pays what is not yet due
(accrued interest, unbilled principal): a prepayment, and the schedule is
rebuilt. A modified loan's schedule is a plan the borrower agreed to pay in
fixed amounts on fixed dates (lending/modifying.py; lending knows it only as
a schedule version after the first), and a borrower who pays the next of
them a few days early has paid it, not prepaid: so, when nothing is due or
past due and the payment reaches past the arrears already billed for that
date, the next installment is billed today, as end-of-day would bill it on
the eve of its due date, and the waterfall then pays it like any billed
installment falling due later (waterfall.py: after what is due, before any
prepayment). It stays due on its own date: nothing about it is late before
then, and a part left unpaid is owed on that date.

Billing early recognises the period's interest now: what has accrued so far
moves to billed interest, and the rest of the installment's scheduled
interest is income today (the borrower pays the scheduled amount, as
agreed); the next period accrues from the installment's due date, so no day
is counted twice. Anything paid beyond the installment follows the usual
order: the carried arrears of later dates, then a prepayment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fairlend.lending.recalculation import extra_interest

FIRST_SCHEDULE = 1


@dataclass(frozen=True, slots=True)
class EarlyBilling:
    """The loan as it stands with its next installment billed today (copies: nothing moved yet)."""

    row: dict[str, Any]  # the loan's columns
    billed: list[dict[str, Any]]  # its billed, unpaid installments in seq order, the early one among them
    unbilled: list[dict[str, Any]]
    unbilled_principal: int
    seq: int  # the installment billed
    interest_billed: int  # its interest, now receivable
    accrued_moved: int  # of which accrued already (the rest is income today)


def bill_next_early(
    row: dict[str, Any], billed: list[dict[str, Any]], unbilled: list[dict[str, Any]], amount: int, today: date
) -> EarlyBilling | None:
    """The next installment billed today when a payment of `amount` on a modified loan pays it early; None when
    the payment is an ordinary one (a first schedule, something due already, or no more than what is billed
    for that date)."""
    if row["schedule_version"] <= FIRST_SCHEDULE or not unbilled:
        return None
    if any(i["due_date"] <= today for i in billed):
        return None  # what is due is paid first, as on any loan
    ahead = sorted(unbilled, key=lambda i: i["seq"])
    nxt, rest = ahead[0], ahead[1:]
    if nxt["due_date"] <= today or nxt["seq"] != row["cur_seq"]:
        return None
    if any(i["due_date"] < nxt["due_date"] for i in billed):
        return None  # the next payment is an earlier date's carried arrears alone
    billed_that_day = sum(
        i["principal"] - i["principal_paid"] + i["interest"] - i["interest_paid"] + i["fee"] - i["fee_paid"]
        for i in billed
        if i["due_date"] == nxt["due_date"]
    )
    accrued = row["accrued_interest"]
    # A recalculated loan's extra interest of the period (recalculation.py) is billed with the installment.
    extra = extra_interest(row.get("recalc_e10", 0))
    interest = nxt["interest"] + extra
    if amount <= billed_that_day or accrued > interest:
        return None
    early = {**nxt, "billed": True, "interest": interest}
    following = rest[0] if rest else None
    moved = {
        **row,
        "principal_due": row["principal_due"] + nxt["principal"] - nxt["principal_paid"],
        "interest_due": row["interest_due"] + interest,
        "accrued_interest": 0,
        "recalc_e10": 0,
        "cur_seq": nxt["seq"] + 1,
        # The next period runs from this installment's due date: the days until then are billed now.
        "accrual_start_day": nxt["due_day"],
        "next_due_day": following["due_day"] if following else None,
        "accrual_interest": following["interest"] if following else 0,
        "oldest_due_day": min(d for d in (row["oldest_due_day"], nxt["due_day"]) if d is not None),
    }
    return EarlyBilling(
        row=moved,
        billed=sorted([*billed, early], key=lambda i: i["seq"]),
        unbilled=rest,
        unbilled_principal=sum(i["principal"] - i["principal_paid"] for i in rest),
        seq=nxt["seq"],
        interest_billed=interest,
        accrued_moved=accrued,
    )

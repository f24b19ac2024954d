"""A repayment's change to the loan's stored answer, applied to the stored bytes instead of a new render.

A repayment on an active loan that neither settles it nor reschedules it changes, of the stored
answer (`answer_json.template`), only: the schedule entries of the installments it paid on (their
`paid` and `outstanding`, and whether they still count towards their payment's status), the next
payment (`next_due_date`, `next_due_amount`) and the row's fingerprint. Everything else is either a
hole filled on read (the moving fields, each payment's status) or untouched by a repayment. Rendering
the whole loan again at commit meant reading it back with its installments and building every entry
(about 400 µs of CPU of a 1.6 ms repayment, docs/performance.md "Sixth pass"); this rewrites the few
pieces from the rows the repayment holds in memory.

The patch is taken only where the stored bytes agree with what the repayment read: the stored
fingerprint is the row's before the repayment (end-of-day changed no installment since), and each
paid entry is exactly that one installment (its amounts and what was paid before). Anything else - a
payment of two installments on one date (a modified loan), a settlement, a rescheduling prepayment,
an early billing, a loan touched twice in one transaction - is rendered in full, as before.
`tests/lending/test_stored_answers.py` holds the stored bytes equal to a full render after every
repayment, on both databases.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
from sqlalchemy import Row

from fairlend.lending.answer_json import HOLE, major
from fairlend.lending.model import LoanState
from fairlend.lending.repayment_plan import OpenLoan
from fairlend.money import exponent

_SEQ = b'{"seq":'
_SCHEDULE = b',"schedule":['


@dataclass(frozen=True, slots=True)
class PaidEntry:
    """One installment a repayment paid on, as its schedule entry shows it before and after."""

    principal: int
    interest: int
    fee: int
    paid_before: int
    paid: int
    part: tuple[bool, int, int]  # (billed, due day, late day): `answer_json.Part`
    paid_off: bool


@dataclass(frozen=True, slots=True)
class RepaidAnswer:
    currency: str
    before: tuple[int | None, int]  # the row's (next_due_day, fees_due) before the repayment
    after: tuple[int | None, int]
    entries: dict[int, PaidEntry]  # by installment seq
    next_due_date: date | None
    next_due_amount: int


def _money(minor: int, currency: str, digits: int) -> dict[str, Any]:
    return {"amount": major(minor, digits), "minor": minor, "currency": currency}


def repaid(stored: bytes, patch: RepaidAnswer) -> bytes | None:
    """`stored` with the repayment's changes, or None where the stored bytes are not what it expects."""
    meta, *pieces = stored.split(HOLE)
    next_due_day, fees_due, parts = orjson.loads(meta)
    if (next_due_day, fees_due) != patch.before:
        return None
    cur, digits = patch.currency, exponent(patch.currency)
    found = 0
    for n in range(len(pieces) - 2):  # entry n: its seq ends pieces[n + 1], its amounts begin pieces[n + 2]
        head = pieces[n + 1]
        at = head.rfind(_SEQ)
        entry = patch.entries.get(int(head[at + len(_SEQ) : head.index(b",", at)]))
        if entry is None:
            continue
        piece = pieces[n + 2]
        end = len(piece) - 2 if n == len(pieces) - 3 else piece.index(b"," + _SEQ)
        old = orjson.loads(b"{" + piece[1:end])
        expected = (entry.principal, entry.interest, entry.fee, entry.paid_before)
        if (old["principal"]["minor"], old["interest"]["minor"], old["fee"]["minor"], old["paid"]["minor"]) != expected:
            return None
        if parts[n] != [list(entry.part)]:
            return None
        old["paid"] = _money(entry.paid, cur, digits)
        old["outstanding"] = _money(entry.principal + entry.interest + entry.fee - entry.paid, cur, digits)
        pieces[n + 2] = b"," + orjson.dumps(old)[1:] + piece[end:]
        if entry.paid_off:
            parts[n] = []
        found += 1
    if found != len(patch.entries):
        return None
    after = pieces[1]
    cut = after.index(_SCHEDULE)
    fields = orjson.loads(b"{" + after[1:cut] + b"}")
    fields["next_due_date"] = patch.next_due_date
    fields["next_due_amount"] = _money(patch.next_due_amount, cur, digits)
    pieces[1] = b"," + orjson.dumps(fields)[1:-1] + after[cut:]
    return HOLE.join([orjson.dumps([*patch.after, parts]), *pieces])


def answer_patch_of(
    before_row: Row[Any], loan: OpenLoan, installments: list[dict[str, Any]], paid_before: dict[int, int]
) -> RepaidAnswer | None:
    """The change to the stored answer of one repayment just planned (before it is written), or None
    where only a full render will do: a loan not active before and after, a rescheduling prepayment,
    an early billing, or a paid installment sharing its due date with another open one.

    `installments` are the loan's open installments as read before the plan (the plan has updated
    them in place), `paid_before` what each had been paid then.
    """
    row = loan.row
    active = LoanState.ACTIVE.value
    if before_row.state != active or row["state"] != active or loan.rescheduled or loan.billed_early or not loan.paid:
        return None
    due_dates = Counter(i["due_date"] for i in installments)
    entries = {}
    for seq, inst in loan.paid.items():
        if due_dates[inst["due_date"]] != 1 or seq not in paid_before:
            return None
        entries[seq] = PaidEntry(
            inst["principal"],
            inst["interest"],
            inst["fee"],
            paid_before[seq],
            inst["principal_paid"] + inst["interest_paid"] + inst["fee_paid"],
            (inst["billed"], inst["due_date"].toordinal(), inst["late_day"]),
            inst["paid_on"] is not None,
        )
    unpaid = [i for i in installments if i["paid_on"] is None]
    nxt = min(unpaid, key=lambda i: (i["due_date"], i["seq"]), default=None)
    amount = sum(
        i["principal"] - i["principal_paid"] + i["interest"] - i["interest_paid"] + i["fee"] - i["fee_paid"]
        for i in unpaid
        if nxt is not None and i["due_date"] == nxt["due_date"]
    )
    return RepaidAnswer(
        row["currency"],
        (before_row.next_due_day, before_row.fees_due),
        (row["next_due_day"], row["fees_due"]),
        entries,
        None if nxt is None else nxt["due_date"],
        amount,
    )

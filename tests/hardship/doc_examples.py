"""The worked examples of docs/hardship.md, computed by the model itself.

`section(kind)` renders one example as the doc prints it; the test holds the
doc to it, so the doc's numbers cannot drift from the code's. To refresh the
doc after a deliberate change: `python -m tests.hardship.doc_examples` prints
every section.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fairlend.hardship.checks import evaluate
from fairlend.hardship.model import Kind, Outcome, Terms
from fairlend.lending.model import Method
from fairlend.lending.position_model import LoanPosition
from fairlend.lending.schedule import build_schedule, daily_rate_e10
from fairlend.money import Money
from tests.hardship.support import CASH12, CN, position


def loan() -> LoanPosition:
    """¥10,000 at 18 % for 12 months (916.80 a month), opened 2026-01-05: February paid, March missed,
    ten days later. Penalty: ten days at 18 % a year on March's principal; one late fee of ¥50."""
    schedule = build_schedule(CASH12, 1_000_000, date(2026, 1, 5))
    march = schedule.lines[1]
    penalty = 10 * (march.principal * daily_rate_e10(CASH12.penalty_rate, CASH12.day_count) // 10**10)
    return position(paid=1, late=1, days_into_period=10, penalty=penalty, fees=5_000)


def examples(p: LoanPosition) -> dict[Kind, Terms]:
    return {
        Kind.PAYMENT_HOLIDAY: Terms(Kind.PAYMENT_HOLIDAY, periods=2),
        Kind.TERM_EXTENSION: Terms(Kind.TERM_EXTENSION, periods=6, method=Method.EQUAL_INSTALLMENT),
        Kind.REDUCED_INSTALLMENTS: Terms(Kind.REDUCED_INSTALLMENTS, periods=3, installment=40_000, extra_periods=3),
        Kind.INTEREST_STOP: Terms(Kind.INTEREST_STOP, periods=12, waive_penalty=p.penalty, waive_fees=p.fees),
        Kind.DISCOUNTED_SETTLEMENT: Terms(Kind.DISCOUNTED_SETTLEMENT, amount=700_000, pay_by=date(2026, 4, 10)),
        Kind.OPERATOR_RESCHEDULE: Terms(
            Kind.OPERATOR_RESCHEDULE,
            periods=1,
            rate=Decimal("0.12"),
            first_due=date(2026, 4, 20),
            waive_penalty=p.penalty,
        ),
    }


def outcome(kind: Kind) -> Outcome:
    p = loan()
    return evaluate(p, examples(p)[kind], CN.hardship, CN.pricing)


def yuan(minor: int) -> str:
    return f"{Money(minor, 'CNY').to_decimal():,}"


def position_table(p: LoanPosition) -> str:
    rows = [
        ("principal outstanding", p.principal),
        ("of which billed (March)", p.principal_billed),
        ("interest billed (March)", p.interest_billed),
        ("interest accrued since 5 March", p.accrued_interest),
        ("penalty", p.penalty),
        ("fees (one late fee)", p.fees),
        ("**owed**", p.owed),
        ("paid so far", p.paid),
    ]
    lines = ["| on " + p.as_of.isoformat() + " | ¥ |", "|---|---:|"]
    lines += [f"| {name} | {yuan(v)} |" for name, v in rows]
    return "\n".join(lines)


def section(kind: Kind) -> str:
    o = outcome(kind)
    assert o.ok, o.problems
    c = o.concessions
    lines = ["| due | principal | interest | carried | total |", "|---|---:|---:|---:|---:|"]
    for line in o.installments:
        carried = line.arrears_principal + line.arrears_interest + line.arrears_fee
        lines.append(
            f"| {line.due.isoformat()} | {yuan(line.principal)} | {yuan(line.interest)} | {yuan(carried)} |"
            f" {yuan(line.total)} |"
        )
    carried_total = sum(line.debt for line in o.installments)
    summary = [
        f"- rate {o.rate * 100:.2f} %, APR {o.apr * 100:.2f} %; the plan's new interest ¥{yuan(o.new_interest)},"
        f" total payable ¥{yuan(o.total_payable)}",
        f"- concessions: interest ¥{yuan(c.interest)}, fees ¥{yuan(c.fees)}, penalty ¥{yuan(c.penalty)},"
        f" principal written off ¥{yuan(c.principal)}; interest forgone ¥{yuan(c.interest_forgone)}",
        f"- check: paid ¥{yuan(o.paid)} + carried ¥{yuan(carried_total)} = ¥{yuan(o.paid + carried_total)}"
        f" = obligations ¥{yuan(o.paid + o.owed)} − concessions ¥{yuan(c.owed)}",
    ]
    return "\n".join(lines) + "\n\n" + "\n".join(summary)


if __name__ == "__main__":  # pragma: no cover - prints the doc's sections
    print(position_table(loan()))
    for k in Kind:
        print(f"\n<!-- example: {k.value} -->\n{section(k)}\n")

"""A portfolio and a statement as plain data: the API's JSON, the statement CSV, the portal's chart data.

Amounts are exact decimal strings in major units with their minor units and
currency, as everywhere in the API. The CSV has one row per movement between
an opening and a closing row, so a spreadsheet's sum of the amounts plus the
opening is the closing, to the fen.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fairlend.market.returns import PortfolioView, Statement
from fairlend.money import Money


def money(m: Money | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"amount": str(m.to_decimal()), "minor": m.minor, "currency": m.currency}


def _major(m: Money | None) -> str:
    return "" if m is None else str(m.to_decimal())


def portfolio_data(p: PortfolioView) -> dict[str, Any]:
    return {
        "as_of": p.as_of.isoformat(),
        "cash": money(p.cash),
        "committed": money(p.committed),
        "available": money(p.available),
        "outstanding": money(p.outstanding),
        "invested": money(p.invested),
        "bought": money(p.bought),
        "sold": money(p.sold),
        "principal_received": money(p.principal_received),
        "interest_received": money(p.interest_received),
        "fees_paid": money(p.fees_paid),
        "recoveries_received": money(p.recoveries_received),
        "charged_off": money(p.charged_off),
        "written_down": money(p.written_down),
        "net_received": money(p.net_received),
        "nar": None if p.nar is None else str(p.nar),
        "notes_by_status": {s: {"count": c, "outstanding": money(o)} for s, (c, o) in p.notes_by_status.items()},
        "months": [
            {
                "month": m.month,
                "deposits": money(m.deposits),
                "withdrawals": money(m.withdrawals),
                "invested": money(m.invested),
                "principal": money(m.principal),
                "interest": money(m.interest),
                "charged_off": money(m.charged_off),
                "bought": money(m.bought),
                "sold": money(m.sold),
                "written_down": money(m.written_down),
            }
            for m in p.months
        ],
        "grades": [
            {
                "grade": g.grade,
                "notes": g.notes,
                "invested": money(g.invested),
                "outstanding": money(g.outstanding),
                "interest": money(g.interest),
                "charged_off": money(g.charged_off),
                "written_down": money(g.written_down),
                "nar": None if g.nar is None else str(g.nar),
            }
            for g in p.grades
        ],
    }


def chart_data(p: PortfolioView, labels: dict[str, str]) -> dict[str, Any]:
    """What the portal's charts draw (static/investor-charts.js), numbers in major units, labels translated."""
    return {
        "labels": labels,
        "months": [m.month for m in p.months],
        "principal": [float(m.principal.to_decimal()) for m in p.months],
        "interest": [float(m.interest.to_decimal()) for m in p.months],
        "charged_off": [float(-m.charged_off.to_decimal()) for m in p.months],
        "statuses": [
            {"name": labels.get(f"status.{s}", s), "value": c} for s, (c, _o) in p.notes_by_status.items() if c
        ],
        "grades": [g.grade for g in p.grades],
        "grade_nar": [None if g.nar is None else float(g.nar * 100) for g in p.grades],
    }


def statement_data(s: Statement) -> dict[str, Any]:
    return {
        "from": s.start.isoformat(),
        "to": s.end.isoformat(),
        "opening": money(s.opening),
        "closing": money(s.closing),
        "notes_opening": money(s.notes_opening),
        "notes_closing": money(s.notes_closing),
        "totals": {k: money(v) for k, v in s.totals.items()},
        "lines": [
            {
                "business_date": line.business_date.isoformat(),
                "kind": line.kind,
                "reference": line.reference,
                "amount": money(line.amount),
                "balance": money(line.balance),
                "principal": money(line.principal),
                "interest": money(line.interest),
                "fee": money(line.fee),
            }
            for line in s.lines
        ],
    }


def statement_csv(s: Statement) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["date", "kind", "reference", "amount", "balance", "principal", "interest", "fee", "currency"])
    currency = s.opening.currency
    writer.writerow([s.start.isoformat(), "opening_balance", "", "", _major(s.opening), "", "", "", currency])
    for line in s.lines:
        writer.writerow(
            [
                line.business_date.isoformat(),
                line.kind,
                line.reference,
                _major(line.amount),
                _major(line.balance),
                _major(line.principal),
                _major(line.interest),
                _major(line.fee),
                currency,
            ]
        )
    writer.writerow([s.end.isoformat(), "closing_balance", "", "", _major(s.closing), "", "", "", currency])
    return out.getvalue()

"""The borrower's charts: the score over time and each account's 60-month history strip ("My credit"),
and a loan's paid and remaining amounts by installment (the loan page). Drawn by static/charts.js.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fairlend.lending.views import LoanDetail
from fairlend.origination.ports import ReportAccount
from fairlend.scoring.service import RecordedScore
from fairlend.web.charts import Chart, Numbers, Series, Table, major
from fairlend.web.i18n import Translator

# Colours of the strip: paid as agreed, settled, nothing due, not reported, and overdue bands 1..7 (amber to red).
GREEN, BLUE, LIGHT, GREY = "#2e7d32", "#1565c0", "#c8e6c9", "#bdbdbd"
OVERDUE = ("#fbc02d", "#f9a825", "#f57f17", "#ef6c00", "#e65100", "#d84315", "#b71c1c")
_BAND = re.compile(r"[1-7]")


def grid_status(code: str, t: Translator) -> tuple[str, str]:
    """(colour, words) for one month of a CN-17 or Metro 2 grid."""
    if code in ("N", "0"):
        return GREEN, t("credit.grid.ok")
    if _BAND.fullmatch(code):
        return OVERDUE[int(code) - 1], t("credit.grid.overdue", band=code)
    if code == "C":
        return BLUE, t("credit.grid.settled")
    if code in ("*", "E"):
        return LIGHT, t("credit.grid.none")
    if code in ("#", "/", "B", "D", ""):
        return GREY, t("credit.grid.unknown")
    return GREY, t("credit.grid.other", code=code)


def _months_back(start: str, count: int) -> list[str]:
    year, month = int(start[:4]), int(start[5:7])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def history_strip(index: int, account: ReportAccount, t: Translator) -> Chart:
    codes = list(reversed(account.grid))  # oldest first, left to right
    months = list(reversed(_months_back(account.grid_start, len(account.grid))))
    statuses = [grid_status(c, t) for c in codes]
    return Chart(
        f"history-{index}",
        t("credit.chart.history", lender=account.lender),
        "strip",
        tuple(months),
        (
            Series(
                t("credit.chart.status"),
                tuple(1.0 for _ in codes),
                colors=tuple(c for c, _ in statuses),
                labels=tuple(w for _, w in statuses),
            ),
        ),
        Table(
            (t("credit.chart.month"), t("credit.chart.status")),
            tuple((m, w) for m, (_, w) in zip(months, statuses, strict=True)),
            empty=t("credit.none"),
        ),
        lead=t("credit.chart.history_lead"),
    )


def score_chart(history: Sequence[RecordedScore], t: Translator) -> Chart:
    n = Numbers(t.locale)
    days = tuple(s.as_of.isoformat() for s in history)
    return Chart(
        "scores",
        t("credit.chart.scores"),
        "line",
        days,
        (Series(t("credit.chart.score"), tuple(float(s.score) for s in history)),),
        Table(
            (t("credit.chart.date"), t("credit.chart.score"), t("credit.chart.purpose")),
            tuple(
                (s.as_of.isoformat(), n.count(s.score), t.message("credit.chart.purpose." + s.purpose, s.purpose))
                for s in history
            ),
            empty=t("credit.chart.none"),
        ),
    )


def credit_charts(accounts: Sequence[ReportAccount], history: Sequence[RecordedScore], t: Translator) -> list[Chart]:
    charts = [score_chart(history, t)]
    charts += [history_strip(i, a, t) for i, a in enumerate(accounts) if a.grid]
    return charts


def loan_chart(detail: LoanDetail, t: Translator) -> Chart:
    """Per installment: what was paid and what remains of it (principal, interest and fee)."""
    n = Numbers(t.locale)
    cur = detail.facts.currency
    rows = detail.schedule
    return Chart(
        "loan-paid",
        t("loan.chart.title"),
        "bar",
        tuple(str(i.seq) for i in rows),
        (
            Series(t("loan.chart.paid"), tuple(major(i.paid.minor, cur) for i in rows), stack="due"),
            Series(t("loan.chart.remaining"), tuple(major(i.outstanding.minor, cur) for i in rows), stack="due"),
        ),
        Table(
            (t("loan.chart.installment"), t("loan.chart.due"), t("loan.chart.paid"), t("loan.chart.remaining")),
            tuple(
                (n.count(i.seq), i.due_date.isoformat(), n.money(i.paid.minor, cur), n.money(i.outstanding.minor, cur))
                for i in rows
            ),
        ),
    )

"""Exports: the Beancount ledger passes bean-check with balance assertions equal to the trial balance; CSV."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.finance.export import beancount_account
from fairlend.finance.model import months_between
from tests.finance.conftest import seed_book


def _bean_check() -> str:
    beside = Path(sys.executable).with_name("bean-check")
    found = str(beside) if beside.exists() else shutil.which("bean-check")
    assert found, "bean-check is a test dependency (pyproject dev extra: beancount)"
    return found


def test_the_beancount_export_passes_bean_check_and_asserts_the_trial_balance_at_each_month_end(
    container: Container, clock: FixedClock, tmp_path: Path
) -> None:
    start = clock.business_date()
    seed_book(container, clock, 100, loans=6)
    through = clock.business_date() - timedelta(days=1)
    path = tmp_path / "books.beancount"
    with path.open("w", encoding="utf-8") as sink:
        transactions = container.finance.exports.beancount(sink, through)
    checked = subprocess.run([_bean_check(), str(path)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = path.read_text(encoding="utf-8")
    assert transactions == text.count(' * "') > 50
    assert 'loan: "loan_' in text and "Assets:Allowance:" in text
    # Each month-end's assertions sum, per account type, to the trial balance's closing figures.
    for period in months_between(start, through):
        end = min(period.end, through)
        (st,) = container.finance.statements.for_period(period.__class__(period.start, end), "CNY")
        asserted: dict[str, int] = {}
        for line in text.splitlines():
            if line.startswith(f"{(end + timedelta(days=1)).isoformat()} balance "):
                _, _, account, amount, _ = line.split()
                root = ":".join(account.split(":")[:2])
                asserted[root] = asserted.get(root, 0) + round(float(amount) * 100)
        expected: dict[str, int] = {}
        for row in st.trial_balance.rows:
            if row.closing:
                from fairlend.ledger.model import AccountKey

                root = beancount_account(AccountKey(row.type, "CNY"))
                expected[root] = expected.get(root, 0) + row.closing
        assert {k: v for k, v in asserted.items() if v} == expected, end


def test_the_journal_and_statements_export_as_csv_that_sums_to_the_journal(
    container: Container, clock: FixedClock
) -> None:
    seed_book(container, clock, 40, loans=3)
    through = clock.business_date() - timedelta(days=1)
    journal = io.StringIO()
    count = container.finance.exports.journal_csv(journal, through)
    rows = list(csv.DictReader(io.StringIO(journal.getvalue())))
    assert len(rows) == count > 0
    assert sum(int(r["amount_minor"]) for r in rows) == 0  # every entry balances, so the journal does
    statements = io.StringIO()
    (period,) = months_between(through, through)
    container.finance.exports.statements_csv(statements, period)
    figures = list(csv.DictReader(io.StringIO(statements.getvalue())))
    assert sum(int(f["amount_minor"]) for f in figures if f["statement"] == "trial_balance") == 0
    assert {"balance_sheet.assets", "income_statement", "cash_flow"} <= {f["statement"] for f in figures}


def test_fava_opens_the_exported_books_without_errors_and_shows_their_statements(
    container: Container, clock: FixedClock, tmp_path: Path
) -> None:
    from fava.application import create_app  # a test dependency (pyproject dev extra: fava)
    from fava.core import FavaLedger

    seed_book(container, clock, 70, loans=4)
    through = clock.business_date() - timedelta(days=1)
    path = tmp_path / "books.beancount"
    with path.open("w", encoding="utf-8") as sink:
        container.finance.exports.beancount(sink, through)
    ledger = FavaLedger(str(path))
    assert list(ledger.errors) == []  # Fava's own load: the syntax, the balance assertions, the accounts
    assert len(ledger.all_entries) > 50
    client = create_app([path], load=True, read_only=True).test_client()
    home = client.get("/", follow_redirects=True)
    assert home.status_code == 200
    slug = home.request.path.strip("/").split("/")[0]
    for report in ("income_statement", "balance_sheet", "trial_balance", "journal"):
        page = client.get(f"/{slug}/{report}/")
        assert page.status_code == 200, report
    balance_sheet = client.get(f"/{slug}/balance_sheet/").get_data(as_text=True)
    assert "Allowance" in balance_sheet  # the books' accounts, as the export named them

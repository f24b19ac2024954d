"""`fairlend analytics snapshot`: the backfill from the command line; bad input is one line and exit 2, nothing written."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fairlend.analytics.tables import analytics_loan_month, analytics_snapshot_month
from fairlend.bootstrap import Container
from fairlend.money import Money
from tests.finance.conftest import finance_only
from tests.lending.conftest import BASE


def _cli(container: Container, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "FAIRLEND_DATABASE_URL": container.settings.database_url,
        "FAIRLEND_DATA_DIR": str(tmp_path),
        "FAIRLEND_ENVIRONMENT": "test",
        "COLUMNS": "200",
        "PATH": "",
    }
    return subprocess.run(
        [sys.executable, "-m", "fairlend.cli", "analytics", "snapshot", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def _written(container: Container) -> tuple[list[tuple[date, int]], int]:
    with container.engine.connect() as conn:
        months = conn.execute(select(analytics_snapshot_month.c.month_end, analytics_snapshot_month.c.loans)).all()
        rows = conn.execute(select(func.count()).select_from(analytics_loan_month)).scalar_one()
    return sorted((d, int(n)) for d, n in months), int(rows)


@pytest.mark.backends("sqlite")
def test_the_command_writes_every_closed_month_end_once_and_refuses_a_bad_or_open_date(
    container: Container, tmp_path: Path
) -> None:
    # End-of-day without the snapshot's step: a book from before the snapshot existed.
    finance_only(container)
    container.lending.products.define(replace(BASE, currency=container.profile.currency))
    for i in range(3):
        container.lending.book_loan(f"brw_cli_{i}", BASE.code, Money.of(str(3_000 + i), container.profile.currency))
    container.eod.run(date(2026, 5, 3))  # closes March and April
    assert _written(container) == ([], 0)

    for bad, code in (("2026-02-30", "analytics_date_invalid"), ("2026-05-04", "analytics_snapshot_open_date")):
        refused = _cli(container, tmp_path, "--through", bad)
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.strip().startswith(f"error: {code}") and len(refused.stderr.strip().splitlines()) == 1
    assert _written(container) == ([], 0)

    for _ in range(2):  # a re-run rewrites the same month-ends
        done = _cli(container, tmp_path)
        assert done.returncode == 0, done.stderr
        assert "2026-03-31" in done.stdout and "2026-04-30" in done.stdout and "2 month-ends written" in done.stdout
        assert _written(container) == ([(date(2026, 3, 31), 3), (date(2026, 4, 30), 3)], 6)

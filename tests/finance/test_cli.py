"""`fairlend close` and `fairlend finance` from the command line: bad input is one line and exit 2."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from fairlend.bootstrap import Container
from fairlend.cli import app
from fairlend.clock import FixedClock
from fairlend.errors import DomainError
from tests.finance.conftest import seed_book

runner = CliRunner()


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"FAIRLEND_DATABASE_URL": database_url, "FAIRLEND_DATA_DIR": str(tmp_path), "FAIRLEND_ENVIRONMENT": "test"}


@pytest.mark.backends("sqlite")
def test_closing_a_month_that_is_not_a_month_or_not_over_exits_2_with_one_line(
    database_url: str, tmp_path: Path
) -> None:
    env = {**_env(database_url, tmp_path)}
    for month, code in (("2026-13", "invalid_month"), ("2999-01", "close_month_not_over")):
        done = subprocess.run(
            [sys.executable, "-m", "fairlend.cli", "close", "--month", month],
            capture_output=True,
            text=True,
            check=False,
            env={**env, "PATH": ""},
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().startswith(f"error: {code}") and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.backends("sqlite")
def test_exporting_an_empty_book_reports_no_transactions_and_asking_for_no_file_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "books.beancount"
    done = runner.invoke(
        app, ["finance", "export", "--through", "2026-03-31", "--beancount", str(out)], env=_env(database_url, tmp_path)
    )
    assert done.exit_code == 0, done.output
    assert "0 transactions" in done.output
    nothing = runner.invoke(app, ["finance", "export", "--through", "2026-03-31"], env=_env(database_url, tmp_path))
    assert isinstance(nothing.exception, DomainError) and nothing.exception.code == "nothing_to_export"


def test_a_month_closes_from_the_command_line_and_reopens_only_when_a_second_operator_approves(
    container: Container, clock: FixedClock, database_url: str, tmp_path: Path
) -> None:
    seed_book(container, clock, 40, loans=3)  # 2026-03-02 .. 2026-04-10
    env = _env(database_url, tmp_path)

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args), env=env)

    closed = run("close", "--month", "2026-03", "--operator", "op_a")
    assert closed.exit_code == 0, closed.output
    assert "2026-03 closed through 2026-03-31" in closed.output and "total_assets" in closed.output
    assert container.finance.closing.closed_through() == date(2026, 3, 31)
    again = run("close", "--month", "2026-03", "--operator", "op_b")
    assert again.exit_code == 0 and "2026-03 was already closed" in again.output
    statements = run("finance", "statements", "--month", "2026-03")
    assert statements.exit_code == 0 and "interest_income" in statements.output and "net income" in statements.output

    def ask() -> str:
        asked = run(
            "finance", "reopen", "--month", "2026-03", "--reason", "a late bank statement", "--operator", "op_a"
        )
        assert asked.exit_code == 0, asked.output
        return asked.output.split(":", 1)[0].strip()

    first = ask()
    alone = run("finance", "approve-reopen", first, "--operator", "op_a")
    assert isinstance(alone.exception, DomainError) and alone.exception.code == "four_eyes_required"
    refused = run("finance", "refuse-reopen", first, "--operator", "op_b")
    assert refused.exit_code == 0 and "2026-03 stays closed" in refused.output
    assert container.finance.closing.closed_through() == date(2026, 3, 31)
    approved = run("finance", "approve-reopen", ask(), "--operator", "op_b")
    assert approved.exit_code == 0 and "2026-03 reopened (op_a asked, op_b approved)" in approved.output
    assert container.finance.closing.closed_through() is None

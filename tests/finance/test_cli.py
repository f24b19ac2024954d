"""`fairlend close` and `fairlend finance` from the command line: bad input is one line and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fairlend.cli import app
from fairlend.errors import DomainError

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

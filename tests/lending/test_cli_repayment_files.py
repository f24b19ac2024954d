"""`fairlend repayments import FILE` and `fairlend repayments results ID` from the command line."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from fairlend.bootstrap import Container
from fairlend.cli import app
from fairlend.lending.model import Product
from tests.lending.helpers import cny

runner = CliRunner()


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"FAIRLEND_DATABASE_URL": database_url, "FAIRLEND_DATA_DIR": str(tmp_path), "FAIRLEND_ENVIRONMENT": "test"}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_import_writes_every_lines_result_beside_the_file_and_a_second_import_changes_nothing(
    container: Container, cash12: Product, database_url: str, tmp_path: Path
) -> None:
    loan = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    payments = tmp_path / "psp.csv"
    payments.write_text(
        "loan_reference,amount,value_date,external_reference\n"
        f"{loan},100.00,2026-03-02,PSP-1\n"
        f"{loan},-1,2026-03-02,PSP-2\n"
        f"{loan},100.00,2026-03-02,PSP-1\n"
    )
    env = _env(database_url, tmp_path)
    first = runner.invoke(app, ["repayments", "import", str(payments)], env=env)
    assert first.exit_code == 0, first.output
    assert "3 lines, 1 applied (100.00 CNY), 1 duplicates, 1 refused" in first.output
    result = tmp_path / "psp.csv.result.csv"
    rows = _rows(result)
    assert [(r["line"], r["status"], r["code"]) for r in rows] == [
        ("1", "applied", ""),
        ("2", "refused", "amount_not_positive"),
        ("3", "duplicate", "reference_already_applied"),
    ]
    assert rows[0]["amount"] == "100.00" and rows[0]["repayment_id"].startswith("rpy_")
    again = runner.invoke(app, ["repayments", "import", str(payments), "--result", str(tmp_path / "b.csv")], env=env)
    assert again.exit_code == 0, again.output
    assert "was imported before" in again.output
    assert _rows(tmp_path / "b.csv") == rows
    assert len(container.lending.repayments_of(loan)) == 1
    file_id = again.output.split(" as ")[1].split()[0]
    kept = runner.invoke(app, ["repayments", "results", file_id, "--result", str(tmp_path / "c.csv")], env=env)
    assert kept.exit_code == 0 and _rows(tmp_path / "c.csv") == rows


def test_a_file_refused_whole_prints_one_line_and_exits_2(database_url: str, tmp_path: Path) -> None:
    payments = tmp_path / "psp.csv"
    payments.write_bytes(b"loan_reference,amount\nloan_1,\xff\n")
    missing = tmp_path / "missing.csv"
    for path, code in ((payments, "file_columns"), (missing, "file_not_found")):
        refused = subprocess.run(
            [sys.executable, "-m", "fairlend.cli", "repayments", "import", str(path)],
            env={**os.environ, **_env(database_url, tmp_path)},
            capture_output=True,
            text=True,
            check=False,
        )
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.strip().count("\n") == 0 and code in refused.stderr
    assert not (tmp_path / "psp.csv.result.csv").exists()

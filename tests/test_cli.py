import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from fairlend import __version__
from fairlend.cli import app

runner = CliRunner()


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"FAIRLEND_DATABASE_URL": database_url, "FAIRLEND_DATA_DIR": str(tmp_path), "FAIRLEND_ENVIRONMENT": "test"}


def test_version_prints_the_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_verify_is_clean_on_a_fresh_database(database_url: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["verify"], env=_env(database_url, tmp_path))
    assert result.exit_code == 0, result.output
    assert "no discrepancies" in result.output


def test_verify_exits_1_and_lists_what_is_wrong(database_url: str, tmp_path: Path) -> None:
    engine = sa.create_engine(database_url.replace("postgresql+psycopg", "postgresql+psycopg"))
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO ledger_account (id, type, currency, owner_id, balance, created_at) VALUES ('acc_x', 'platform_cash', 'CNY', '', 42, CURRENT_TIMESTAMP)"
            )
        )
    engine.dispose()
    result = runner.invoke(app, ["verify"], env=_env(database_url, tmp_path))
    assert result.exit_code == 1
    assert "acc_x" in result.output and "cached 42" in result.output


def test_db_upgrade_brings_an_empty_sqlite_file_to_current(tmp_path: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"], env=_env(f"sqlite:///{tmp_path}/new.db", tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new.db").exists()


def test_bad_settings_print_one_line_and_exit_2(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "fairlend.cli", "verify"],
        env={"FAIRLEND_JURISDICTION": "atlantis", "FAIRLEND_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.strip().count("\n") == 0 and "atlantis" in completed.stderr


@pytest.mark.parametrize("args", [["no-such-command"], ["verify", "--bogus"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert runner.invoke(app, args).exit_code == 2


def test_serve_runs_one_worker_on_sqlite_and_one_per_core_on_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    from fairlend.cli import default_workers

    monkeypatch.setattr("os.cpu_count", lambda: 6)
    assert (default_workers(True), default_workers(False)) == (1, 6)
    monkeypatch.setattr("os.cpu_count", lambda: None)
    assert default_workers(False) == 1


@pytest.mark.parametrize("count", ["0", "-2", "many"])
def test_serve_refuses_a_worker_count_that_is_not_a_positive_number(count: str) -> None:
    result = runner.invoke(app, ["serve", "--workers", count])
    assert result.exit_code == 2 and "--workers" in result.output

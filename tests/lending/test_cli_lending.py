"""`fairlend schedule`, `fairlend eod`, `fairlend product` and `fairlend loan rebuild-answers` from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from fairlend.bootstrap import bootstrap
from fairlend.cli import app
from fairlend.clock import SystemClock
from fairlend.config import Settings
from fairlend.lending.answer_json import loan_json
from fairlend.lending.stored_answers import stored_answer
from fairlend.money import Money
from tests.lending.conftest import BASE

runner = CliRunner()


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"FAIRLEND_DATABASE_URL": database_url, "FAIRLEND_DATA_DIR": str(tmp_path), "FAIRLEND_ENVIRONMENT": "test"}


def test_schedule_prints_the_glossary_installment_totals_and_apr() -> None:
    result = runner.invoke(
        app, ["schedule", "--principal", "10000", "--rate", "0.18", "--term", "12", "--open-date", "2026-03-02"]
    )
    assert result.exit_code == 0, result.output
    assert "916.80" in result.output and "916.81" in result.output
    assert "APR 18.00%" in result.output


def test_schedule_as_json_with_a_fee_raises_the_apr() -> None:
    result = runner.invoke(
        app,
        [
            "schedule",
            "--principal",
            "12000",
            "--rate",
            "0.12",
            "--term",
            "12",
            "--method",
            "equal-principal",
            "--fee",
            "0.01",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["schedule"][0]["total"] == "1120.00" and body["schedule"][-1]["total"] == "1010.00"
    assert body["fee"] == "120.00" and body["disbursed"] == "11880.00"
    assert float(body["apr"]) > 0.12


def test_schedule_above_the_cap_and_bad_options_exit_2_with_one_line() -> None:

    capped = subprocess.run(
        [sys.executable, "-m", "fairlend.cli", "schedule", "--principal", "1000", "--rate", "0.30", "--term", "12"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert capped.returncode == 2
    assert capped.stderr.strip().startswith("error: apr_above_cap") and "CN-21" in capped.stderr
    bad = runner.invoke(app, ["schedule", "--principal", "1000", "--rate", "x", "--term", "12"])
    assert bad.exit_code != 0


def test_eod_catches_up_through_a_date_and_products_are_added_from_a_file(database_url: str, tmp_path: Path) -> None:
    env = _env(database_url, tmp_path)
    toml = tmp_path / "p.toml"
    toml.write_text(
        'code = "cli-6"\nname = "six months"\ncurrency = "CNY"\nmethod = "equal_installment"\n'
        'frequency = "monthly"\nrate = "0.12"\nterm = 6\n'
    )
    added = runner.invoke(app, ["product", "add", str(toml)], env=env)
    assert added.exit_code == 0, added.output
    assert "cli-6 version 1" in added.output
    listed = runner.invoke(app, ["product", "list"], env=env)
    assert "cli-6 v1" in listed.output
    today = SystemClock().business_date()  # no stored business date yet: the system clock's
    through = today + timedelta(days=2)
    first = runner.invoke(app, ["eod", "--through", through.isoformat()], env=env)
    assert first.exit_code == 0, first.output
    assert first.output.count(" done in ") == 3
    assert f"business date is now {through + timedelta(days=1)}" in first.output
    again = runner.invoke(app, ["eod", "--through", through.isoformat()], env=env)
    assert again.exit_code == 0 and " done in " not in again.output
    runs = runner.invoke(app, ["eod-runs"], env=env)
    assert "done" in runs.output


def test_a_product_file_rounding_up_at_the_cap_exits_2_with_one_line_naming_the_rule(
    database_url: str, tmp_path: Path
) -> None:
    env = _env(database_url, tmp_path)
    toml = tmp_path / "up.toml"
    toml.write_text(
        'code = "up-24"\nname = "at the cap"\ncurrency = "CNY"\nmethod = "equal_installment"\n'
        'frequency = "monthly"\nrate = "0.24"\nterm = 12\nrounding = "up"\nmin_amount = 100000000\n'
    )
    refused = subprocess.run(
        [sys.executable, "-m", "fairlend.cli", "product", "add", str(toml)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0
    assert refused.stderr.startswith("error: product_rounding_up_above_cap") and "CN-21" in refused.stderr
    assert "up-24" not in runner.invoke(app, ["product", "list"], env=env).output


def test_a_principal_on_the_command_line_is_exact_ascii_money() -> None:
    for principal, code in (
        ("１０００", "amount_invalid"),
        ("1000.005", "amount_too_precise"),
        ("1e3", "amount_invalid"),
    ):
        refused = subprocess.run(
            [
                sys.executable,
                "-m",
                "fairlend.cli",
                "schedule",
                "--principal",
                principal,
                "--rate",
                "0.18",
                "--term",
                "12",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.strip().startswith(f"error: {code}")
    exact = runner.invoke(app, ["schedule", "--principal", "1000.00", "--rate", "0.18", "--term", "12", "--json"])
    assert exact.exit_code == 0 and json.loads(exact.output)["amount"] == "1000.00"


def test_rebuild_answers_stores_every_loans_answer_of_the_new_date_after_end_of_day(
    database_url: str, tmp_path: Path
) -> None:
    env = _env(database_url, tmp_path)
    container = bootstrap(Settings(environment="test", database_url=database_url, data_dir=tmp_path))
    try:
        container.lending.products.define(BASE)
        made = [container.lending.book_loan(f"brw_{k}", BASE.code, Money(1_000_000, "CNY")) for k in range(3)]
    finally:
        container.close()
    assert runner.invoke(app, ["eod"], env=env).exit_code == 0
    rebuilt = runner.invoke(app, ["loan", "rebuild-answers", "--batch", "2"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "stored 3 answers" in rebuilt.output
    container = bootstrap(Settings(environment="test", database_url=database_url, data_dir=tmp_path))
    try:
        for loan_id in made:
            with container.uow(read_only=True) as uow:
                stored = stored_answer(uow, loan_id)
            assert stored is not None
            assert bytes(stored.body) == loan_json(container.lending.loan_detail(loan_id))
    finally:
        container.close()

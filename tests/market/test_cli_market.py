"""`fairlend market ...`: operators list, close, run the deadline, distribute and reconcile; bad input exits 2."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fairlend.bootstrap import Container
from fairlend.cli import app, main
from fairlend.clock import FixedClock
from tests.market.support import build, yuan

runner = CliRunner()
pytestmark = pytest.mark.backends("sqlite")


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"FAIRLEND_DATABASE_URL": database_url, "FAIRLEND_DATA_DIR": str(tmp_path), "FAIRLEND_ENVIRONMENT": "test"}


def test_operators_distribute_and_reconcile_a_cn_loan_from_the_command_line(
    container: Container, clock: FixedClock, database_url: str, tmp_path: Path
) -> None:
    world = build(container, profile=container.profile)
    loan_id = world.offer()
    container.eod.run(through=clock.business_date() + timedelta(days=30))
    container.lending.repay(loan_id, yuan(900))
    env = _env(database_url, tmp_path)
    shared = runner.invoke(app, ["market", "distribute"], env=env)
    assert shared.exit_code == 0, shared.output
    assert shared.output.startswith("1 receipts shared over 1 loans")
    again = runner.invoke(app, ["market", "distribute"], env=env)
    assert "0 receipts" in again.output and "nothing to do" in again.output
    reconciled = runner.invoke(app, ["market", "reconcile"], env=env)
    assert reconciled.exit_code == 0 and "market reconciled" in reconciled.output
    funded = runner.invoke(app, ["market", "listings", "--status", "funded"], env=env)
    assert funded.exit_code == 0 and loan_id in funded.output and "1 funded listings" in funded.output
    deadline = runner.invoke(app, ["market", "deadline"], env=env)
    assert deadline.exit_code == 0 and "0 originated in full" in deadline.output


def test_bad_input_prints_one_line_and_exits_2(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in _env(database_url, tmp_path).items():
        monkeypatch.setenv(name, value)
    for args, code in (
        (["market", "listings", "--status", "bogus"], "listing_status_unknown"),
        (["market", "close", "lst_missing"], "listing_not_found"),
    ):
        monkeypatch.setattr(sys, "argv", ["fairlend", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert code in err and err.strip().count("\n") == 0


def test_operators_run_auto_invest_from_the_command_line(container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    from fairlend.cli import market as market_cli
    from tests.market.autoinvest_support import auto_investor

    world = build(container)
    listing = world.offer(amount=1_000)  # no rule yet: it stays open
    auto_investor(world, "inv_a", cash=5_000, amount=500)
    monkeypatch.setattr(market_cli, "_market", lambda: world.market)
    ran = runner.invoke(app, ["market", "autoinvest"])
    assert ran.exit_code == 0, ran.output
    assert f"{listing}  2 turns" in ran.output and "funded, loan loan_" in ran.output
    assert ran.output.strip().endswith("1 listings served: 2 turns, 1 funded")
    again = runner.invoke(app, ["market", "autoinvest", "--listing", listing])
    assert again.exit_code == 0 and "1 listings served: 0 turns, 0 funded" in again.output


def test_auto_invest_over_an_unknown_listing_prints_one_line_and_exits_2(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in _env(database_url, tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["fairlend", "market", "autoinvest", "--listing", "lst_missing"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "listing_not_found" in err and err.strip().count("\n") == 0

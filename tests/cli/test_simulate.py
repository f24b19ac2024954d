"""`fairlend simulate`: a tiny market on an empty SQLite file, its summary, then `fairlend verify` clean."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest


def _main(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int | str | None:
    from fairlend.cli import main

    monkeypatch.setattr(sys, "argv", ["fairlend", *argv])
    with pytest.raises(SystemExit) as done:
        main()
    return done.value.code


def test_fairlend_simulate_prints_the_summary_then_verify_is_clean_and_a_second_run_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    monkeypatch.setenv("FAIRLEND_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FAIRLEND_ENVIRONMENT", "development")
    args = ("simulate", "--borrowers", "3", "--investors", "2", "--days", "4", "--seed", "5", "--database", url)
    assert _main(monkeypatch, *args, "--jurisdiction", "us", "--timings") in (0, None)
    printed = capsys.readouterr().out
    assert "originations and defaults by grade" in printed and "the book at the end" in printed
    assert "careless collector's attempts blocked" in printed and "time per service" in printed

    monkeypatch.setenv("FAIRLEND_DATABASE_URL", url)
    monkeypatch.setenv("FAIRLEND_JURISDICTION", "us")
    assert _main(monkeypatch, "verify") in (0, None)
    assert "no discrepancies" in capsys.readouterr().out

    assert _main(monkeypatch, *args) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert "demo_database_not_empty" in lines[-1]


@pytest.mark.parametrize("bad", [["--borrowers", "0"], ["--days", "0"], ["--investors", "-1"]])
def test_fairlend_simulate_refuses_sizes_out_of_range_with_exit_2(
    bad: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAIRLEND_DATA_DIR", str(tmp_path))
    assert _main(monkeypatch, "simulate", *bad, "--database", f"sqlite:///{tmp_path / 'x.db'}") == 2
    assert not (tmp_path / "x.db").exists()

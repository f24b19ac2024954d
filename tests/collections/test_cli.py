"""`fairlend collections ...` and `fairlend verify` over the contact log."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from fairlend.cli import app
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import Medium
from tests.collections.conftest import BORROWER, LOAN, World

runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture
def cli_world(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    # The commands open the container; hand them this test's (with its seeded in-memory ports).
    monkeypatch.setattr("fairlend.cli.open_container", lambda **_: world.container)
    return world


def test_plan_then_queue_then_contacts_then_evidence(cli_world: World, tmp_path: Path) -> None:
    planned = runner.invoke(app, ["collections", "plan"])
    assert planned.exit_code == 0 and "planned 1 tasks" in planned.output
    again = runner.invoke(app, ["collections", "plan"])
    assert "already planned" in again.output
    dispatched = runner.invoke(app, ["collections", "dispatch"])
    assert dispatched.exit_code == 0 and "nothing to send" in dispatched.output  # loan_1's task is a call
    queued = runner.invoke(app, ["collections", "queue"])
    assert queued.exit_code == 0 and LOAN in queued.output and "collection_call" in queued.output
    cli_world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL, collector_id="op_1"))
    cli_world.settle()
    cli_world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL, collector_id="op_1"))
    shown = runner.invoke(app, ["collections", "contacts", "--borrower", BORROWER])
    assert shown.exit_code == 0 and "P-2" in shown.output and "intact" in shown.output
    out = tmp_path / "evidence.pdf"
    made = runner.invoke(app, ["collections", "evidence", "--loan", LOAN, "--lang", "zh-CN", "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert out.read_bytes().startswith(b"%PDF")


def test_a_bad_date_or_unknown_loan_is_one_line_and_exit_2(
    cli_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from fairlend.cli import main

    for args, code in (
        (["collections", "plan", "--date", "yesterday"], "bad_date"),
        (["collections", "evidence", "--loan", "nope", "--out", str(tmp_path / "x.pdf")], "loan_not_found"),
    ):
        monkeypatch.setattr(sys, "argv", ["fairlend", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert code in err and err.strip().count("\n") == 0


def test_fairlend_verify_names_the_tampered_contact_log_row(world: World, database_url: str, tmp_path: Path) -> None:
    for _ in range(3):
        world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL))
    env = {"FAIRLEND_DATABASE_URL": database_url, "FAIRLEND_DATA_DIR": str(tmp_path), "FAIRLEND_ENVIRONMENT": "test"}
    assert runner.invoke(app, ["verify"], env=env).exit_code == 0
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE contact_log SET outcome = 'blocked' WHERE seq = 2"))
    engine.dispose()
    result = runner.invoke(app, ["verify"], env=env)
    assert result.exit_code == 1
    assert "contact_log" in result.output and f"{BORROWER} record #2" in result.output

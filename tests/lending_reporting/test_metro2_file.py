"""fairlend's day Metro 2 file from its stored reporting files: built, kept sealed, exported by the CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from fairlend.bootstrap import Container
from fairlend.cli import app
from fairlend.lending_reporting.tables import lending_reporting_file, lending_reporting_metro2
from fairlend.metro2.file import Reading, read
from tests.metro2.life import LIFE, SSN

runner = CliRunner()


def _store_life(container: Container) -> None:
    with container.uow() as uow:
        for day in sorted({r["date"] for r in LIFE}):
            records = [r for r in LIFE if r["date"] == day]
            uow.conn.execute(
                sa.insert(lending_reporting_file).values(
                    business_date=date.fromisoformat(day),
                    content="".join(json.dumps(r) + "\n" for r in records),
                    records=len(records),
                    created_at=datetime(2025, 1, 1, tzinfo=UTC),
                )
            )
        uow.commit()


def test_the_days_file_holds_a_base_segment_for_each_account_the_day_reported(container: Container) -> None:
    _store_life(container)
    content = container.metro2.build(date(2025, 8, 4))
    reading = Reading()
    accounts = [item for _, item in read(content.split(b"\n"), reading)]
    assert len(accounts) == 1 and reading.trailer["total_base_records"] == 1
    base = accounts[0].base  # type: ignore[union-attr]
    assert (base["account_status"], base["date_first_delinquency"]) == ("71", date(2025, 7, 6))
    assert reading.trailer["total_status_code_71"] == 1
    # A day without records for the account: a file with no base segment.
    assert container.metro2.build(date(2025, 8, 5)).count(b"\n") == 2


def test_the_kept_copy_is_sealed_and_opens_to_the_file_built(container: Container) -> None:
    _store_life(container)
    assert container.metro2.run(date(2025, 11, 10)) == 1
    with container.uow(read_only=True) as uow:
        raw = uow.conn.execute(sa.select(lending_reporting_metro2.c.content)).scalar_one()
    assert SSN.encode() not in bytes(raw) and b"DOE" not in bytes(raw)
    assert container.metro2.stored(date(2025, 11, 10)) == container.metro2.build(date(2025, 11, 10))


def test_the_cli_exports_a_day_and_refuses_a_bad_date_in_one_line(container: Container, tmp_path: Path) -> None:
    _store_life(container)
    env = {
        "FAIRLEND_DATABASE_URL": str(container.engine.url.render_as_string(hide_password=False)),
        "FAIRLEND_DATA_DIR": str(tmp_path),
        "FAIRLEND_ENVIRONMENT": "test",
    }
    target = tmp_path / "metro2.txt"
    done = runner.invoke(app, ["bureau", "metro2", "export", "--date", "2025-11-10", "--out", str(target)], env=env)
    assert done.exit_code == 0, done.output
    assert "1 base segment(s)" in done.output
    lines = target.read_bytes().split(b"\n")
    assert [len(line) for line in lines[:3]] == [426, 426, 426] and lines[1][123:125] == b"13"
    bad = runner.invoke(app, ["bureau", "metro2", "export", "--date", "2025-13-01", "--out", str(target)], env=env)
    # The `fairlend` entry point prints a UsageError as one line and exits 2 (cli/__init__.py).
    assert bad.exit_code != 0 and "invalid_date" in str(bad.exception)


def test_a_key_rotation_reseals_the_kept_copy_and_verify_names_one_no_key_opens(container: Container) -> None:
    from fairlend.config import DEV_PII_KEY
    from fairlend.identity.pii import PiiVault
    from fairlend.lending_reporting.metro2_export import Metro2Export, Reporter

    _store_life(container)
    day = date(2025, 11, 10)
    container.metro2.run(day)
    assert container.metro2.unreadable() == []
    old = container.identity.vault
    new_key = "k2:" + "A" * 43 + "="
    rotated = PiiVault(f"{new_key},k1:{DEV_PII_KEY}", "blind")
    exporter = Metro2Export(container.uow, container.clock, container.profile.bureau.modification_codes,
                            container.identity, rotated, Reporter())  # fmt: skip
    assert exporter.reseal() == 1 and exporter.reseal() == 0
    assert exporter.stored(day) == container.metro2.build(day)
    # The old vault alone (k1) no longer opens it: verify names the row.
    assert old.current_key_id == "k1"
    assert [subject for subject, _ in container.metro2.unreadable()] == [f"lending_reporting_metro2 {day}"]

import json
import re
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from fairlend.cli import app
from tests.bureau.conftest import ID_CN, Records, lines

runner = CliRunner()


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"FAIRLEND_DATABASE_URL": database_url, "FAIRLEND_DATA_DIR": str(tmp_path), "FAIRLEND_ENVIRONMENT": "test"}


def test_an_institution_registers_submits_a_file_and_a_person_gets_a_pdf(database_url: str, tmp_path: Path) -> None:
    env = _env(database_url, tmp_path)
    added = runner.invoke(app, ["bureau", "institution", "add", "Bank A"], env=env)
    assert added.exit_code == 0, added.output
    key = re.search(r"api key: (\S+)", added.output)
    assert key is not None
    r = Records("L1")
    reporting = tmp_path / "day.jsonl"
    reporting.write_bytes(lines(r.opened(date(2026, 1, 5)), {"record_id": "bad", "type": "status"}))
    ack_path = tmp_path / "day.ack.json"
    submitted = runner.invoke(
        app, ["bureau", "submit", str(reporting), "--api-key", key.group(1), "--ack", str(ack_path)], env=env
    )
    assert submitted.exit_code == 0, submitted.output
    assert "1 applied" in submitted.output and "line 2" in submitted.output
    assert json.loads(ack_path.read_text())["rejected"][0]["line"] == 2
    pdf = tmp_path / "report.pdf"
    shown = runner.invoke(app, ["bureau", "report", "--id-number", ID_CN, "--pdf", str(pdf)], env=env)
    assert shown.exit_code == 0, shown.output
    assert "L1" in shown.output and ID_CN not in shown.output
    assert pdf.read_bytes().startswith(b"%PDF")
    daily = runner.invoke(app, ["bureau", "retention", "--on", "2026-03-02"], env=env)
    assert daily.exit_code == 0 and "retention: 0 removed" in daily.output


def test_a_wrong_api_key_is_one_line_and_exit_2(database_url: str, tmp_path: Path) -> None:
    reporting = tmp_path / "day.jsonl"
    reporting.write_text("")
    result = runner.invoke(
        app, ["bureau", "submit", str(reporting), "--api-key", "bk_nope"], env=_env(database_url, tmp_path)
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, Exception) and "invalid_api_key" in str(result.exception)


def test_rotating_the_pii_keys_reseals_the_bureau_too_and_its_own_command_finds_nothing_left(
    database_url: str, tmp_path: Path
) -> None:
    import base64

    import sqlalchemy as sa

    from fairlend.config import DEV_PII_KEY

    env = _env(database_url, tmp_path)
    added = runner.invoke(app, ["bureau", "institution", "add", "Bank A"], env=env)
    key = re.search(r"api key: (\S+)", added.output)
    assert key is not None
    reporting = tmp_path / "day.jsonl"
    reporting.write_bytes(lines(Records("L1").opened(date(2026, 1, 5))))
    assert runner.invoke(app, ["bureau", "submit", str(reporting), "--api-key", key.group(1)], env=env).exit_code == 0
    rotated_env = {**env, "FAIRLEND_PII_KEYS": f"k2:{base64.b64encode(b'2' * 32).decode()},k1:{DEV_PII_KEY}"}
    rotated = runner.invoke(app, ["users", "rotate-pii-keys"], env=rotated_env)
    assert rotated.exit_code == 0, rotated.output
    assert "re-encrypted 1 values under key k2" in rotated.output  # the stored file; nobody else was there
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT key_id FROM bureau_submission")).scalar_one() == "k2"
    engine.dispose()
    again = runner.invoke(app, ["bureau", "rotate-keys"], env=rotated_env)
    assert again.exit_code == 0 and "re-sealed 0 bureau rows" in again.output
    checked = runner.invoke(app, ["verify"], env={**env, "FAIRLEND_PII_KEYS": f"k1:{DEV_PII_KEY}"})
    assert checked.exit_code != 0 and "no bureau key with id 'k2'" in checked.output

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
from typer.testing import CliRunner

from fairlend.bootstrap import Container
from fairlend.cli import app
from fairlend.clock import FixedClock
from tests.identity.helpers import sign_up

runner = CliRunner()


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"FAIRLEND_DATABASE_URL": database_url, "FAIRLEND_DATA_DIR": str(tmp_path), "FAIRLEND_ENVIRONMENT": "test"}


def test_create_operator_makes_the_first_admin_who_can_log_in(container: Container, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["users", "create-operator", "--role", "admin", "--username", "root"],
        input="a long admin password\na long admin password\n",
        env=_env(container.settings.database_url, tmp_path),
    )
    assert result.exit_code == 0, result.output
    secret = result.output.split("TOTP secret (shown once): ")[1].split()[0]
    principal = container.identity.accounts.operator_log_in(
        "root", "a long admin password", pyotp.TOTP(secret).at(container.clock.now())
    )
    assert principal.role.value == "admin"


def test_create_operator_refuses_a_person_role_in_one_line(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "fairlend.cli", "users", "create-operator", "--role", "borrower", "--username", "x1"],
        env={
            "FAIRLEND_DATA_DIR": str(tmp_path),
            "FAIRLEND_ENVIRONMENT": "test",
            "FAIRLEND_OPERATOR_PASSWORD": "a long enough password",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.strip().count("\n") == 0 and "invalid_role" in completed.stderr


def test_revoke_sessions_ends_every_earlier_session_of_a_subject(
    container: Container, clock: FixedClock, tmp_path: Path
) -> None:
    # The command runs on the system clock: issue the tokens around the real now.
    clock.set(datetime.now(UTC) - timedelta(minutes=1))
    who = sign_up(container)
    earlier = container.identity.tokens.issue(who)[0]
    result = runner.invoke(
        app, ["users", "revoke-sessions", who.subject_id], env=_env(container.settings.database_url, tmp_path)
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"revoked every session of {who.subject_id}")
    assert container.identity.tokens.authenticate(earlier) is None
    clock.set(datetime.now(UTC) + timedelta(minutes=1))
    assert container.identity.tokens.authenticate(container.identity.tokens.issue(who)[0]) == who


def test_revoke_sessions_of_an_unknown_subject_exits_2_with_one_line(container: Container, tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "fairlend.cli", "users", "revoke-sessions", "op_nobody"],
        env={**_env(container.settings.database_url, tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.strip().count("\n") == 0 and "subject_not_found" in completed.stderr

"""The CLI's fixtures: the hardship ones (a delinquent loan on the real services, end-of-day with the plans'
step), and `fails`, a command run as the console script runs it that must refuse in one line, exit 2."""

import sys
from collections.abc import Callable

import pytest

from fairlend.cli import main
from tests.hardship.conftest import cash12, container, late_loan  # noqa: F401  (fixtures, by name)


@pytest.fixture
def fails(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., str]:
    """Run `fairlend ARGS` as the console script does; assert exit 2 and one line on stderr; give the line."""

    def run(*args: str) -> str:
        monkeypatch.setattr(sys, "argv", ["fairlend", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert err.strip().count("\n") == 0, err
        return err

    return run

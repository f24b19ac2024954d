"""The bench scripts stay runnable: each run here at a tiny size (their figures come from running them by hand)."""

from __future__ import annotations

import pytest
from bench import load
from bench.loopback import require_loopback


@pytest.mark.slow
def test_the_load_script_runs_a_tiny_mix_against_a_server_it_starts(capsys: pytest.CaptureFixture[str]) -> None:
    assert load.main(["--seconds", "3", "--clients", "2", "--seed", "5"]) == 0
    printed = capsys.readouterr().out
    assert "POST /auth/sign-up" in printed and "POST /origination/self-check" in printed
    assert "5xx or no answer: 0" in printed


@pytest.mark.parametrize("url", ["http://10.0.0.8:8000", "http://example.com", "https://127.0.0.1.nip.io:8000", ""])
def test_the_load_script_refuses_every_target_but_this_machine(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        load.main(["--url", url, "--seconds", "1"])
    assert refused.value.code == 2
    assert "only a server on this machine" in capsys.readouterr().err


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://[::1]:8000", "http://localhost:8000/", "http://127.8.9.10"]
)
def test_loopback_addresses_are_targets(url: str) -> None:
    assert require_loopback(url) == url


def test_the_load_script_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    for too_much in (["--clients", "500"], ["--seconds", "86400"], ["--max-requests", "10000000"]):
        with pytest.raises(SystemExit):
            load.main(too_much)
    assert "bounded" in capsys.readouterr().err

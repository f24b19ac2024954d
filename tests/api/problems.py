"""Reading refusals as a client integrates against them: the status and the stable code."""

from __future__ import annotations

from typing import Any


def refusal(response: Any) -> tuple[int, str]:
    """(status, code) of a problem+json answer; any other answer fails the test."""
    assert response.headers["content-type"] == "application/problem+json", response.text
    return int(response.status_code), str(response.json()["code"])

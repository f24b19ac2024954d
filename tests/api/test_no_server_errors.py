"""Bad input never gives a 5xx, and every 4xx is problem+json.

Schemathesis generates requests for every operation in /openapi.json, as an
anonymous caller, a borrower and an admin, with a small derandomized budget so
the run is bounded and repeatable. The focused tests below pin each bug the
fuzzing found, so a regression names itself.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from fairlend.api.app import create_app
from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from tests.conftest import FakeAuthenticator

pytestmark = pytest.mark.backends("sqlite")

PROBLEM_JSON = "application/problem+json"
EXAMPLES_PER_OPERATION = 2


@pytest.fixture
def quiet_api_log() -> Iterator[None]:
    # Every 500 is also logged with its traceback; the failure list below says enough.
    logger = logging.getLogger("fairlend.api")
    before = logger.disabled
    logger.disabled = True
    yield
    logger.disabled = before


def _content_type(response: Any) -> str:
    value = response.headers.get("content-type", "")
    return str(value[0] if isinstance(value, list) else value)


def _fuzz(operation: Any, mode: GenerationMode, label: str, headers: dict[str, str], failures: set[str]) -> None:
    """Call one operation with a few generated inputs; note each 5xx and each non-problem 4xx."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: Any) -> None:
        case.headers = {**(case.headers or {}), **headers}
        try:
            response = case.call()
        except Exception as exc:  # the app raised: the client saw a 500
            failures.add(f"{label}: 500 {type(exc).__name__}: {exc}")
            return
        status = response.status_code
        if status >= 500:
            failures.add(f"{label}: {status} {response.text[:200]}")
        elif status >= 400 and _content_type(response) != PROBLEM_JSON:
            failures.add(f"{label}: {status} as {_content_type(response)!r}")

    # No negative input exists for an operation without parameters (GET /health).
    with contextlib.suppress(Unsatisfiable):
        call()


def test_no_operation_answers_generated_input_with_a_server_error_or_a_bare_error(
    container: Container, fake_auth: FakeAuthenticator, quiet_api_log: None
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(container=container))
    callers = {
        "anonymous": {},
        "borrower": fake_auth.headers(Role.BORROWER, "per_fuzz"),
        "admin": fake_auth.headers(Role.ADMIN, "op_fuzz"),
    }
    failures: set[str] = set()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50  # the whole API, not a stub

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for who, headers in callers.items():
                _fuzz(operation, mode, f"{operation.label} as {who} ({mode.value})", headers, failures)

    assert not failures, "\n".join(sorted(failures))


# ---- one test per bug the fuzzing found ----------------------------------------------------


def test_an_amount_too_large_to_hold_is_a_validation_problem_not_a_server_error(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    me = fake_auth.headers(Role.BORROWER, "per_1")
    for amount, code in (
        ("100000000000000000000", "amount_out_of_range"),
        (1.086487195406958e308, "amount_invalid"),  # a JSON fraction is a float: never money
        ("1e20", "amount_invalid"),  # an exponent is not how amounts are written
    ):
        response = api.post("/api/v1/origination/prequalify", json={"amount": amount, "term_months": 12}, headers=me)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["code"] == code


def test_a_queue_offset_past_what_storage_holds_is_a_validation_problem(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    response = api.get(
        "/api/v1/collections/queue?offset=3712228942199786045440",
        headers=fake_auth.headers(Role.ADMIN, "op_1"),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON

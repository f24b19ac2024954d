"""The API does what its OpenAPI document says, as every role, and bad input never gives a 5xx.

Schemathesis generates requests for every operation in /openapi.json, valid ones
and invalid ones, as each kind of caller: anonymous, a borrower, an investor and
each operator role (identity's `Role`). Every answer must pass schemathesis'
conformance checks - the status code is documented for the operation, the
content type is the documented one for that status, the body matches the
documented schema - and must not be a 5xx; every 4xx must be problem+json with
a stable `code`.

The CI run is bounded and repeatable: derandomized, `EXAMPLES_PER_OPERATION`
valid and invalid inputs per operation, each sent as every caller, the
operations split into `SHARDS` tests that xdist runs side by side (a few
minutes of CPU in all). Run it bigger by hand with more examples and a random seed:

    FAIRLEND_FUZZ_EXAMPLES=200 FAIRLEND_FUZZ_RANDOM=1 .venv/bin/pytest -n 2 tests/api/test_no_server_errors.py

The focused tests below pin each bug the fuzzing found, so a regression names itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from fairlend.api.app import create_app
from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from tests.conftest import FakeAuthenticator

pytestmark = pytest.mark.backends("sqlite")

PROBLEM_JSON = "application/problem+json"
EXAMPLES_PER_OPERATION = int(os.environ.get("FAIRLEND_FUZZ_EXAMPLES", "2"))
DERANDOMIZE = os.environ.get("FAIRLEND_FUZZ_RANDOM", "") != "1"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
STABLE_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
CALLERS: dict[str, Role | None] = {"anonymous": None, **{role.value: role for role in Role}}
# The operations are split in shards so that pytest-xdist runs them side by side.
SHARDS = 4


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


def _fuzz(operation: Any, mode: GenerationMode, callers: dict[str, dict[str, str]], failures: set[str]) -> None:
    """Call one operation with a few generated inputs, each as every caller; note each broken check
    and each 4xx without a stable code. The inputs are drawn once for all callers: drawing them is
    most of the cost."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=DERANDOMIZE,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: Any) -> None:
        generated = dict(case.headers or {})
        for who, headers in callers.items():
            label = f"{operation.label} as {who} ({mode.value})"
            case.headers = {**generated, **headers}
            try:
                response = case.call()
            except Exception as exc:  # the app raised: the client saw a 500
                failures.add(f"{label}: 500 {type(exc).__name__}: {exc}")
                continue
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as exc:  # schemathesis reports every broken check together
                lines = str(exc).strip().splitlines()
                failures.add(f"{label}: {response.status_code}: {' | '.join(lines[:6])[:600]}")
            status = response.status_code
            if status >= 400:
                body = response.json() if _content_type(response) == PROBLEM_JSON else {}
                if not STABLE_CODE.match(str(body.get("code", ""))):
                    failures.add(f"{label}: {status} as {_content_type(response)!r} without a stable code")

    # No negative input exists for an operation without parameters (GET /health).
    with contextlib.suppress(Unsatisfiable):
        call()


def _subject(role: Role) -> str:
    return {Role.BORROWER: "brw_fuzz", Role.INVESTOR: "inv_fuzz"}.get(role, f"op_fuzz_{role.value}")


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_operation_answers_as_documented_and_never_with_a_server_error(
    container: Container, fake_auth: FakeAuthenticator, quiet_api_log: None, shard: int
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(container=container))
    callers = {who: {} if role is None else fake_auth.headers(role, _subject(role)) for who, role in CALLERS.items()}
    failures: set[str] = set()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50  # the whole API, not a stub

    for operation in operations[shard::SHARDS]:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, callers, failures)

    assert not failures, "\n".join(sorted(failures))


def test_the_document_describes_errors_as_problems(api: TestClient) -> None:
    document = api.get("/openapi.json").json()
    operation = document["paths"]["/api/v1/loans/{loan_id}/repayments"]["post"]
    for status in ("400", "401", "403", "404", "409", "413", "422", "429"):
        assert list(operation["responses"][status]["content"]) == [PROBLEM_JSON], status
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "413" not in document["paths"]["/api/v1/health"]["get"]["responses"]


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

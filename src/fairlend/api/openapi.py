"""The OpenAPI document, made to say what the server does.

FastAPI documents a route's success answer and a 422 as `application/json`
with its own validation-error shape. The server answers every error as an RFC
9457 problem (`application/problem+json`, api/problems.py) with a stable
`code`, and any route may answer the statuses a domain error carries. So every
operation here gets:

- 422 as a problem (validation, and `Invalid` from the services);
- 400, 404, 409, 429 and 503 as problems (a domain error of that kind can come
  from any service a route calls; 503 when a gateway or the database is down);
- 401 and 403 as problems (a missing, forged, expired or revoked credential, a
  role or owner refusal; the public sign-in routes refuse too: the development
  code list to a client that is not this machine);
- 413 as a problem when it takes a body (`FAIRLEND_MAX_REQUEST_MB`);
- on mutating operations, the `Idempotency-Key` outcomes (400 a bad key, 409 in
  progress or answer lost, 422 reused) are among the above.

`Retry-After` is documented on 409, 429 and 503. The schemathesis conformance
run (tests/api/test_no_server_errors.py) checks status codes, content types and
bodies against this document, as every role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from fairlend.api.problems import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `code` is stable, integrate against it (docs/api.md).",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "instance": {"type": "string"},
        "retry_after": {"type": "integer", "description": "seconds; also in the Retry-After header"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

ERRORS: dict[int, str] = {
    400: "A malformed request: an `Idempotency-Key` that is not 1-255 ASCII characters "
    "(`idempotency_key_invalid`), a call that moves money without one (`idempotency_key_required`).",
    401: "No credential, or one that is forged, expired, logged out or revoked.",
    403: "Not allowed: the role (`role_not_allowed`), someone else's resource (`not_yours`), a policy refusal.",
    404: "Nothing there (`not_found`, or the resource's own code such as `loan_not_found`).",
    409: "A clash with the current state; for an `Idempotency-Key`, the first request is still running "
    "(`idempotency_request_in_progress`, with Retry-After) or took effect and its answer was lost "
    "(`idempotency_response_lost`).",
    413: "The body is larger than the server takes (`request_too_large`).",
    422: "The input breaks a rule: `validation_error` (with `errors`), an amount's `amount_invalid` or "
    "`amount_too_precise`, `idempotency_key_reused`, or the service's own code.",
    429: "Too many: a rate limit or budget (`code_send_rate_limited`, `code_send_client_budget`, `code_locked`, "
    "`operator_login_throttled`, ...), with Retry-After.",
    503: "A gateway or the database is not available (`sms_gateway_missing`, `code_send_platform_budget`, "
    "`database_unavailable`).",
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}}
MUTATING = {"post", "put", "patch", "delete"}


def install(app: FastAPI) -> None:
    """Replace `app.openapi` with one that documents every error the server answers."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    # FastAPI's own validation-error shapes describe nothing the server sends.
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    problem = {"$ref": "#/components/schemas/Problem"}
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            statuses = set(ERRORS) - ({413} if "requestBody" not in operation else set())
            for status in sorted(statuses):
                answer: dict[str, Any] = {
                    "description": ERRORS[status],
                    "content": {PROBLEM_JSON: {"schema": problem}},
                }
                if status in (409, 429, 503):
                    answer["headers"] = RETRY_AFTER
                responses[str(status)] = answer
            if method in MUTATING:
                for success in [s for s in responses if s.startswith("2")]:
                    responses[success].setdefault("headers", {})["Idempotent-Replayed"] = {
                        "description": "`true` when this is the stored answer to an earlier request with the "
                        "same Idempotency-Key",
                        "schema": {"type": "string", "enum": ["true"]},
                    }
    return schema

"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from fairlend.api.amounts import CODE_CONTEXT
from fairlend.errors import DomainError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("fairlend.api")


def problem_document(status: int, code: str, detail: str, *, instance: str = "", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"https://fairlend.dev/problems/{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem(status: int, code: str, detail: str, *, instance: str = "", **extra: Any) -> JSONResponse:
    return JSONResponse(
        problem_document(status, code, detail, instance=instance, **extra), status_code=status, media_type=PROBLEM_JSON
    )


def problem_bytes(status: int, code: str, detail: str, **extra: Any) -> bytes:
    """The same document, serialised, for answers built outside a route (the idempotency store's)."""
    return json.dumps(problem_document(status, code, detail, **extra), ensure_ascii=False).encode()


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def domain_problem(request: Request, exc: DomainError) -> JSONResponse:
    response = problem(exc.status, exc.code, exc.detail, instance=request.url.path, **_jsonable(exc.extra))
    retry_after = exc.extra.get("retry_after")
    if isinstance(retry_after, int):
        # RFC 9110: a 429 or 503 may say when to come back.
        response.headers["Retry-After"] = str(retry_after)
    return response


def validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 `validation_error`, or the stable code a field's own check carries (an amount's `amount_invalid`)."""
    code = next((c for err in exc.errors() if isinstance(c := (err.get("ctx") or {}).get(CODE_CONTEXT), str)), None)
    errors = [
        {"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"), "message": err.get("msg", "")}
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"field": "", "message": "invalid request"}
    detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return problem(422, code or "validation_error", detail, instance=request.url.path, errors=errors)


def http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}.get(
        exc.status_code, f"http_{exc.status_code}"
    )
    response = problem(exc.status_code, code, str(exc.detail), instance=request.url.path)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def log_unexpected(request: Request, exc: Exception) -> None:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)


def unexpected_problem(request: Request, exc: Exception) -> JSONResponse:
    log_unexpected(request, exc)
    return problem(500, "internal_error", "an unexpected error occurred; it has been logged", instance=request.url.path)


def install(app: FastAPI) -> None:
    """problem+json for every error. The web (web/errors.py) replaces these handlers with ones that
    answer pages in HTML and call the functions above for everything under /api/."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return domain_problem(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_problem(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_problem(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return unexpected_problem(request, exc)

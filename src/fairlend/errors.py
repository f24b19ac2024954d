"""Domain errors with stable codes.

Every error a caller can cause carries a machine-readable `code` that never
changes once published; the API maps the error kind to an HTTP status and the
CLI prints one line and exits 2.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extra = extra

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


class Invalid(DomainError):
    """The input breaks a rule: a bad ID number, an unbalanced entry, a float amount."""

    status = 422
    title = "Unprocessable content"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    """The request is well formed but clashes with the current state."""

    status = 409
    title = "Conflict"


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class RateLimited(DomainError):
    status = 429
    title = "Too many requests"


class PolicyViolation(DomainError):
    """A compliance rule refused the action; `extra['rules']` names the rule ids."""

    status = 403
    title = "Refused by policy"

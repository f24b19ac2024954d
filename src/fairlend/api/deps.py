"""Dependencies the routes share: the container and its services.

A dependency that does no I/O is `async def`: FastAPI runs a plain `def` dependency
on the thread pool, a trip that costs more than the work (docs/performance.md).
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import Depends, Header, Request

from fairlend.bootstrap import Container
from fairlend.errors import DomainError, Forbidden


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def _container(request: Request) -> Container:
    return get_container(request)


ContainerDep = Annotated[Container, Depends(_container)]

# Declared on mutating routes so the OpenAPI document shows it; the
# middleware in api/idempotency.py does the work.
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Makes the call safe to retry: a replay returns the first answer."),
]


def require_key(key: str | None) -> None:
    """Routes that move money take no call without an Idempotency-Key: a retry must not pay twice."""
    if not key:
        raise DomainError("idempotency_key_required", "calls that move money need an Idempotency-Key header")


def client_of(request: Request) -> str:
    """Who is asking, for send budgets and log-in throttling: the peer's address.

    Behind a reverse proxy, run uvicorn with `--forwarded-allow-ips` set to the proxy so the
    address is the client's (from X-Forwarded-For), not the proxy's.
    """
    host = request.client.host if request.client else ""
    return f"ip:{host or 'unknown'}"


ClientAddress = Annotated[str, Depends(client_of)]

# A proxy in front makes every client look local; a request it forwarded is never "this machine".
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def ensure_loopback(request: Request) -> None:
    """Development tools that show live secrets answer only a client on this machine."""
    host = request.client.host if request.client else ""
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local or any(name in request.headers for name in FORWARDING_HEADERS):
        raise Forbidden(
            "dev_codes_loopback_only",
            "development codes are shown only to a client on this machine (127.0.0.1 or ::1), never through a proxy",
        )

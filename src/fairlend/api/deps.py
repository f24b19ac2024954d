"""Dependencies the routes share: the container and its services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from fairlend.bootstrap import Container


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]

# Declared on mutating routes so the OpenAPI document shows it; the
# middleware in api/idempotency.py does the work.
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Makes the call safe to retry: a replay returns the first answer."),
]

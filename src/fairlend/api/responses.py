"""Answers serialized once, in the route's own thread.

A sync route that returns a model has FastAPI validate it against the route's
`response_model` again and serialize it, and for a sync route that validation
takes a second trip through the thread pool (`fastapi.routing.serialize_response`):
on a read that costs as much as its query. The busiest routes return
`model_response(...)` instead, which writes the same JSON (by alias, pydantic's
own serializer) from the model the route built and validated; `response_model`
stays on the route for the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi.responses import Response
from pydantic import BaseModel

JSON = "application/json"


def model_response(model: BaseModel, status_code: int = 200) -> Response:
    return Response(model.model_dump_json(by_alias=True).encode(), status_code=status_code, media_type=JSON)


def models_response(models: Sequence[BaseModel], status_code: int = 200) -> Response:
    body = b"[" + b",".join(model.model_dump_json(by_alias=True).encode() for model in models) + b"]"
    return Response(body, status_code=status_code, media_type=JSON)

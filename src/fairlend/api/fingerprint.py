"""What makes two requests "the same request" for an `Idempotency-Key`: their validated content.

A JSON body is validated against the route's own body schema (FastAPI's
`route.body_field`, the model the route declares) and reduced to a canonical
form: mappings by key, numbers by value (`Decimal` "1.0" == "1.00", the
Amount type's values), instants in UTC, strings exactly as sent ("007" is not
"7": a phone number or an id is text). Fields a client left out and the
schema fills with a default are the same as fields sent with that default;
fields the schema ignores do not count. A body the schema refuses is compared
by its parsed JSON (so reordering still does not matter), a form by its
fields (a file by its name, type and SHA-256), anything else by its bytes.
The query string counts too, as sorted pairs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Context, Decimal
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from pydantic import BaseModel
from starlette.datastructures import UploadFile

FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


async def request_fingerprint(request: Request, body: bytes) -> str:
    query = sorted(parse_qsl(request.url.query, keep_blank_values=True))
    content = await _body(request, body)
    document = json.dumps(["v2", query, content], ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(document.encode()).hexdigest()


async def _body(request: Request, body: bytes) -> Any:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            parsed = json.loads(body)
        except ValueError:
            return ["raw", hashlib.sha256(body).hexdigest()]
        field = getattr(request.scope.get("route"), "body_field", None)
        if field is not None:
            value, errors = field.validate(parsed, {}, loc=("body",))
            if not errors:
                return ["valid", canonical(value)]
        return ["json", canonical(parsed)]
    if media_type in FORMS:
        form = await request.form()  # FastAPI parsed it already for the route; this is its cached copy
        fields: list[Any] = []
        for name, value in form.multi_items():
            fields.append([name, await _form_value(value)])
        # By name, keeping the order of a name's repeated values (a list field's order is its value).
        return ["form", sorted(fields, key=lambda item: str(item[0]))]
    return ["raw", hashlib.sha256(body).hexdigest()]


async def _form_value(value: str | UploadFile) -> Any:
    if isinstance(value, str):
        return ["s", value]
    content = await value.read()
    await value.seek(0)  # the route reads the file after us
    return ["file", value.filename, value.content_type, hashlib.sha256(content).hexdigest()]


def canonical(value: Any) -> Any:
    """A JSON-able form in which equal validated values are equal, and unequal ones differ."""
    if isinstance(value, BaseModel):
        return canonical(value.model_dump(mode="python"))
    if isinstance(value, Mapping):
        return ["map", sorted([str(k), canonical(v)] for k, v in value.items())]
    if isinstance(value, (list, tuple)):
        return ["list", [canonical(v) for v in value]]
    if isinstance(value, (set, frozenset)):
        return ["set", sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))]
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Enum):
        return canonical(value.value)
    if isinstance(value, (int, float, Decimal)):
        return ["n", _number(value)]
    if isinstance(value, str):
        return ["s", value]
    if isinstance(value, (bytes, bytearray)):
        return ["x", hashlib.sha256(value).hexdigest()]
    if isinstance(value, datetime):
        return ["t", (value.astimezone(UTC) if value.tzinfo else value).isoformat()]
    if isinstance(value, (date, time)):
        return ["t", value.isoformat()]
    return ["s", str(value)]


def _number(value: int | float | Decimal) -> str:
    number = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
    if not number.is_finite():
        return str(number)
    # Exact: normalise under a precision that holds every digit, so no two values meet by rounding.
    return str(number.normalize(Context(prec=max(1, len(number.as_tuple().digits)))))

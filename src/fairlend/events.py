"""Domain events: what happened, as frozen data, ready for the outbox.

An event is a frozen dataclass with a class-level `event_type` (such as
`lending.LoanSettled`) and an `aggregate_id`. `to_payload` turns it into JSON
data: Money becomes {"minor", "currency"}, Decimals and dates become strings.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from fairlend.money import Money


class DomainEvent(Protocol):
    event_type: ClassVar[str]

    @property
    def aggregate_id(self) -> str: ...


# Each event class's field names, read once: `dataclasses.fields` per event cost more than the rest
# of turning it into JSON, and a repayment file writes thousands of events.
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def to_json_value(value: Any) -> Any:
    kind = type(value)
    if kind is int or kind is str or kind is bool or value is None:
        return value
    if kind is Money:
        return {"minor": value.minor, "currency": value.currency}
    names = _FIELD_NAMES.get(kind)
    if names is not None:
        return {name: to_json_value(getattr(value, name)) for name in names}
    if isinstance(value, Money):
        return {"minor": value.minor, "currency": value.currency}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
        return {name: to_json_value(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    return value


def to_payload(event: DomainEvent) -> dict[str, Any]:
    payload = to_json_value(event)
    assert isinstance(payload, dict)
    return payload

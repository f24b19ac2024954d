"""JSON in and out for frozen dataclasses of plain values (the bureau's wire format, origination's kept self-check).

Out: `fairlend.events.to_json_value` (Money -> {"minor", "currency"}, dates
ISO). In: `decode(cls, data)` walks the dataclass's type hints, so what is
read back has exactly the types that were written.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import date, datetime
from typing import Any, TypeVar

from fairlend.events import to_json_value
from fairlend.money import Money

T = TypeVar("T")

encode = to_json_value


def decode(cls: type[T], data: Any) -> T:
    return typing.cast(T, _decode(cls, data))


def _decode(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _decode(inner, value)
    if origin is tuple:
        return tuple(_decode(args[0], v) for v in value)
    if origin is list:
        return [_decode(args[0], v) for v in value]
    if hint is Money:
        return Money(int(value["minor"]), str(value["currency"]))
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        hints = typing.get_type_hints(hint)
        return hint(
            **{f.name: _decode(hints[f.name], value[f.name]) for f in dataclasses.fields(hint) if f.name in value}
        )
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if hint is bool:
        return bool(value)
    if hint is int:
        return int(value)
    if hint is str:
        return str(value)
    return value

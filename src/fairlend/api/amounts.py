"""Money in request bodies: major units written as decimal text ("916.80"), exact, ASCII digits only.

`Amount` is the one type every route declares for an amount of money. It takes a
JSON string in ASCII digits with an optional "-" and "." (`money.parse_major`) or a
JSON integer, and refuses everything else with a stable code in the 422 problem:
`amount_invalid` for full-width or other scripts' digits, exponents, "NaN", spaces
and JSON fractions (a JSON number with a fraction is a binary float by the time a
Python server reads it: "916.80" as text is exact, 916.8 as a number is not).
An amount finer than the currency's minor unit is refused when the route makes
`Money` of it (`amount_too_precise`): only the route knows the currency.

Validated amounts are `Decimal`s, so "1.0" and "1.00" are the same request to
the idempotency store, while strings such as phone numbers stay as they were sent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from fairlend.errors import Invalid
from fairlend.money import MAX_AMOUNT_TEXT, parse_major

# The key in a pydantic error's context that carries fairlend's stable code (api/problems.py).
CODE_CONTEXT = "fairlend_code"
AMOUNT_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


def _refusal(code: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(code, message, {CODE_CONTEXT: code})


def _amount(value: Any) -> Decimal:
    if isinstance(value, (bool, float)):
        raise _refusal("amount_invalid", 'give amounts as decimal text in major units, such as "916.80"')
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):  # built in Python (tests, other routes), not parsed from a request
        return value
    try:
        return parse_major(value)
    except Invalid as exc:
        raise _refusal(exc.code, exc.detail) from None


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": AMOUNT_PATTERN, "maxLength": MAX_AMOUNT_TEXT, "examples": ["916.80"]},
                {"type": "integer"},
            ],
            "description": 'major units as decimal text in ASCII digits ("916.80"), exact to the currency\'s '
            "smallest unit; finer amounts are refused (amount_too_precise), never rounded",
        }
    ),
]

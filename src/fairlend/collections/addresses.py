"""Numbers, zones and hours as collections takes them from outside: normalised, or refused.

A person is a number (P-8), so every number is brought to E.164 before it is
keyed: "138 1234 5678", "+86 138-1234-5678" and "008613812345678" are one
person and one key.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import time
from zoneinfo import ZoneInfoNotFoundError

from fairlend.collections.hours import zone
from fairlend.errors import Invalid


class NumberKeys:
    """A keyed hash of a phone number: groups and matches numbers without storing them in the log."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, number: str) -> str:
        normal = "".join(ch for ch in number if ch.isdigit() or ch == "+")
        return hmac.new(self._key, normal.encode(), hashlib.sha256).hexdigest()[:32]


def normalise_phone(raw: str, region: str) -> str:
    import phonenumbers

    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise Invalid("bad_phone", f"not a phone number: {raw!r}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise Invalid("bad_phone", f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def valid_zone(name: str) -> str:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("bad_timezone", f"not an IANA time zone: {name!r}") from None
    return name


def parse_hhmm(value: str) -> time:
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise Invalid("bad_time", f"expected HH:MM, got {value!r}") from None

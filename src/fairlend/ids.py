"""Sortable identifiers prefixed by their kind (`loan_…`, `brw_…`, `note_…`).

The body is a ULID-style value: 48 bits of milliseconds since the epoch and 80
bits that increase monotonically within a millisecond, in Crockford base32,
so ids sort by creation time as plain strings.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_PREFIX = re.compile(r"^[a-z][a-z0-9]{1,11}$")
_ID = re.compile(r"^([a-z][a-z0-9]{1,11})_([0-9a-hjkmnp-tv-z]{26})$")

_good_prefixes: set[str] = set()
_lock = threading.Lock()
_last_ms = -1
_last_random = 0


# Two base32 digits per lookup: ids are made on every hot path (a repayment, a
# planned task), and one digit at a time cost more than the rest of new_id.
_PAIRS = [high + low for high in _ALPHABET for low in _ALPHABET]


def _encode(value: int, length: int) -> str:
    """`value` as `length` base32 digits, most significant first."""
    if length % 2:
        return _ALPHABET[(value >> (5 * (length - 1))) & 31] + _encode(value, length - 1)
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in range(5 * (length - 2), -1, -10)])


def _next_value(span: int = 1) -> int:
    """The first of `span` consecutive values; the next call's values sort after all of them."""
    global _last_ms, _last_random
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            _last_random += 1
        else:
            _last_random = secrets.randbits(79)  # headroom so increments never overflow 80 bits
        _last_ms = ms
        first = _last_random
        _last_random += span - 1
        return (ms << 80) | first


def new_id(prefix: str) -> str:
    """A new id such as `loan_01jd3k…`; later calls sort after earlier ones."""
    if prefix not in _good_prefixes:
        if not _PREFIX.match(prefix):
            raise ValueError(f"bad id prefix {prefix!r}")
        _good_prefixes.add(prefix)
    return f"{prefix}_{_encode(_next_value(), 26)}"


BLOCK = 1 << 40  # ids one `IdBlock` can make: far more than a statement writes, far below the headroom


@dataclass(frozen=True, slots=True)
class IdBlock:
    """`BLOCK` consecutive ids for one set-based statement that makes them in SQL.

    The n-th id of the block (n from 0) is `head` followed by `low + n` as 16
    base32 digits: `head` is the prefix and the 10 digits of the millisecond,
    `low` the 80 random bits that follow. They are `new_id`'s form and order:
    the block's ids sort by n, and every later `new_id` sorts after them.
    """

    head: str
    low: int


def new_block(prefix: str) -> IdBlock:
    """A block of ids for SQL to number (`collections/plan_sql.py` writes the expression)."""
    if not _PREFIX.match(prefix):
        raise ValueError(f"bad id prefix {prefix!r}")
    value = _next_value(BLOCK)
    return IdBlock(f"{prefix}_{_encode(value >> 80, 10)}", value & ((1 << 80) - 1))


def prefix_of(value: str) -> str | None:
    match = _ID.match(value)
    return match.group(1) if match else None


def is_id(value: str, prefix: str) -> bool:
    return prefix_of(value) == prefix

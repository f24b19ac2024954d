"""A JSON Lines reporting file as records: each line parsed on its own, a bad one rejected with its number."""

from __future__ import annotations

import json
from typing import Any

from fairlend.bureau.documents import LineOutcome
from fairlend.bureau.records import Record, RecordError, parse_object, parse_record


def parse_lines(content: bytes) -> tuple[int, list[Record], list[LineOutcome]]:
    """The file's line count, its good records and its rejected lines."""
    rejected: list[LineOutcome] = []
    records: list[Record] = []
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
        rejected.append(LineOutcome(0, "", "not_utf8", "the file is not UTF-8 text"))
    # JSON Lines ends a line at "\n" only (a "\r" before it is dropped by the strip);
    # str.splitlines would also break at U+2028 or a form feed, which JSON allows inside a string.
    numbered = [(n, line) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]
    decoded = _decode_all(numbered)
    for index, (number, line) in enumerate(numbered):
        try:
            records.append(parse_record(line, number) if decoded is None else parse_object(decoded[index], number))
        except RecordError as exc:
            rejected.append(LineOutcome(number, _record_id_of(line), exc.code, exc.reason))
    return len(numbered), records, rejected


def _decode_all(numbered: list[tuple[int, str]]) -> list[Any] | None:
    """Every line's value when each line is valid JSON on its own; None: go line by line, naming each bad one.

    One `json.loads` over the lines joined into an array was a little faster,
    but lines that are each invalid (an unclosed string, an unclosed list) can
    join into valid JSON and move values between line numbers, so each line is
    decoded alone.
    """
    try:
        return [json.loads(line) for _, line in numbered]
    except ValueError:
        return None


def _record_id_of(line: str) -> str:
    try:
        data = json.loads(line)
    except ValueError:
        return ""
    value = data.get("record_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""

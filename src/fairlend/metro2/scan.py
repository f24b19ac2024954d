"""The first of two passes over a Metro 2 file: header, trailer and the trailer's totals, in constant memory.

A bureau must refuse a file whose trailer disagrees with its lines before it
applies any of them, and must not hold a whole month-end file's records in
memory to find out. So the file is read twice: this pass checks the header,
the trailer and every total, counted from each line's raw characters at the
layout's positions (what the sender's own software counted), keeping nothing
but the counts; the second (`file.read`, `check_totals=False`) decodes and
checks every field and hands the accounts on in chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import itemgetter

from fairlend.metro2.file import _COUNTED, Reading, check_trailer, numbered, read_header, read_trailer
from fairlend.metro2.layout import BASE, J1, J2, RECORD_LENGTH, SEGMENTS, TRAILER_STATUSES

_STATUS = {s.encode(): f"total_status_code_{s}" for s in TRAILER_STATUSES}
_SEGMENT_LENGTHS = {name.encode(): layout.length for name, layout in SEGMENTS.items()}
# (layout, offset in the line) -> its consumer fields' cutter, made on first use: a J1 or J2 sits at a few offsets.
_CUTS: dict[tuple[str, int], Callable[[bytes], tuple[bytes, bytes, bytes, bytes]]] = {}


def _slice(layout_field: tuple[int, int]) -> slice:
    return slice(layout_field[0] - 1, layout_field[0] - 1 + layout_field[1])


def _consumer_slices(layout_name: str, offset: int = 0) -> Callable[[bytes], tuple[bytes, bytes, bytes, bytes]]:
    """The consumer's SSN, birth date, telephone and ECOA code cut in one call, the layout at `offset`."""
    layout = {"base": BASE, "J1": J1, "J2": J2}[layout_name]
    names = ("social_security_number", "date_birth", "telephone_number", "ecoa_code")
    return itemgetter(*(_slice((layout.field(n).start + offset, layout.field(n).length)) for n in names))


def _count_consumer(raw: bytes, offset: int, where: str, counts: dict[str, int]) -> None:
    """Count the consumer of segment `where` (base, J1, J2) that starts at `offset` in the line."""
    cut = _CUTS.get((where, offset))
    if cut is None:
        cut = _CUTS[(where, offset)] = _consumer_slices(where, offset)
    ssn, born, phone, ecoa = cut(raw)
    if ecoa == b"Z":
        counts["total_ecoa_code_Z"] += 1
    if ssn.strip(b"0 "):
        counts["total_social_numbers_all_segments"] += 1
        counts[f"total_social_numbers_{where}_segments"] += 1
    if born.strip(b"0 "):
        counts["total_dates_birth_all_segments"] += 1
        counts[f"total_dates_birth_{where}_segments"] += 1
    if phone.strip(b"0 "):
        counts["total_telephone_numbers_all_segments"] += 1


def scan(lines: Iterable[bytes]) -> Reading:
    """The file's header and trailer, checked with every total; FileRefused when either is wrong."""
    reading = Reading()
    counts = dict.fromkeys(_COUNTED, 0)
    status_at = _slice((BASE.field("account_status").start, 2))
    last: bytes | None = None
    number = unreadable = 0
    for number, raw in numbered(lines):
        if number == 1:
            read_header(raw, reading)
            continue
        if last is not None:
            counts["total_base_records"] += 1
            if not last.isascii() or not last[:4].isdigit() or int(last[:4]) != len(last):
                # Its fields are not where the layout says: only the line counts; the second pass names it.
                unreadable += 1
                last = raw
                continue
            name = _STATUS.get(last[status_at])
            if name is not None:
                counts[name] += 1
            _count_consumer(last, 0, "base", counts)
            offset = RECORD_LENGTH
            while offset < len(last):
                ident = last[offset : offset + 2]
                length = _SEGMENT_LENGTHS.get(ident)
                if length is None:
                    break  # the second pass refuses the line with the segment's position
                if ident in (b"J1", b"J2"):
                    counts[f"total_consumer_segments_{ident.decode()}"] += 1
                    _count_consumer(last, offset, ident.decode(), counts)
                else:
                    key = {b"N1": "total_employment_segments", b"K2": "total_purchased_to_segments"}
                    counts[key.get(ident, "total_change_segments")] += 1
                offset += length
        last = raw
    read_trailer(last if number > 1 else None, number, reading)
    # With an unreadable line the sender's other totals cannot be recounted: the counts of lines are.
    check_trailer(reading, {**counts, "block_count": number}, every=not unreadable)
    return reading

"""The trailer's totals recounted from a Metro 2 file's raw lines, in constant memory.

A bureau must refuse a file whose trailer disagrees with its lines, and must
not hold a whole month-end file's records in memory to find out. `Tally`
counts every total from each line's raw characters at the layout's
positions (what the sender's own software counted), keeping nothing but the
counts. The bureau's reader (`bureau.metro2.parts`) counts each account
line as it decodes it, in the same pass, and checks the counts after the
trailer: a base segment alone that its cutter passed from the values just
cut (`add_base`), any other line from its raw characters (`add_line`).
`scan` is the same check alone: header, trailer and totals, nothing decoded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from operator import itemgetter

from fairlend.metro2.file import _COUNTED, Reading, check_trailer, numbered, read_header, read_trailer
from fairlend.metro2.layout import BASE, J1, J2, RECORD_LENGTH, SEGMENTS, TRAILER_STATUSES

_STATUS = {s.encode(): f"total_status_code_{s}" for s in TRAILER_STATUSES}
_STATUS_TEXT = {s: f"total_status_code_{s}" for s in TRAILER_STATUSES}
_SEGMENT_LENGTHS = {name.encode(): layout.length for name, layout in SEGMENTS.items()}
_STATUS_AT = slice(BASE.field("account_status").start - 1, BASE.field("account_status").start + 1)
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


class Tally:
    """The trailer's totals counted from the account lines, as they pass.

    `add` takes each line after the header and holds the last one back (it
    is the trailer, not an account); a reader that knows which lines are
    accounts counts them itself (`add_line`, `add_base`, `add_unreadable`).
    `check` compares the counts with the trailer once the reader has read it.
    """

    __slots__ = ("counts", "last", "unreadable")

    def __init__(self) -> None:
        self.counts = dict.fromkeys(_COUNTED, 0)
        self.last: bytes | None = None
        self.unreadable = 0

    def add(self, raw: bytes) -> None:
        last, self.last = self.last, raw
        if last is not None:
            self.add_line(last)

    def add_line(self, last: bytes) -> None:
        """Count one account line (never the trailer): what `add` does with the line before the last."""
        if not last.isascii() or not last[:4].isdigit() or int(last[:4]) != len(last):
            self.add_unreadable()
            return
        counts = self.counts
        counts["total_base_records"] += 1
        name = _STATUS.get(last[_STATUS_AT])
        if name is not None:
            counts[name] += 1
        _count_consumer(last, 0, "base", counts)
        offset = RECORD_LENGTH
        while offset < len(last):
            ident = last[offset : offset + 2]
            length = _SEGMENT_LENGTHS.get(ident)
            if length is None:
                break  # the reader refuses the line with the segment's position
            if ident in (b"J1", b"J2"):
                counts[f"total_consumer_segments_{ident.decode()}"] += 1
                _count_consumer(last, offset, ident.decode(), counts)
            else:
                key = {b"N1": "total_employment_segments", b"K2": "total_purchased_to_segments"}
                counts[key.get(ident, "total_change_segments")] += 1
            offset += length

    def add_unreadable(self) -> None:
        """A line whose fields are not where the layout says (not ASCII, or its RDW wrong): only the line counts."""
        self.counts["total_base_records"] += 1
        self.unreadable += 1

    def add_base(self, status: str, ssn: int, born: date | None, phone: int, ecoa: str) -> None:
        """Count a base segment alone that the cutter passed, from its cut values: `add_line`'s counts.

        The cutter passes only a line of the layout's length, printable ASCII,
        its numbers digits and its dates blank, zero or real: so its raw status
        is the stripped one when it is a status (two characters, no blank), an
        SSN or telephone number has a digit other than 0 when its int is not
        0, and a birth date one when it is not None.
        """
        counts = self.counts
        counts["total_base_records"] += 1
        name = _STATUS_TEXT.get(status)
        if name is not None:
            counts[name] += 1
        if ecoa == "Z":
            counts["total_ecoa_code_Z"] += 1
        if ssn:
            counts["total_social_numbers_all_segments"] += 1
            counts["total_social_numbers_base_segments"] += 1
        if born is not None:
            counts["total_dates_birth_all_segments"] += 1
            counts["total_dates_birth_base_segments"] += 1
        if phone:
            counts["total_telephone_numbers_all_segments"] += 1

    def check(self, reading: Reading) -> None:
        """FileRefused naming the first total the trailer (already read) gets wrong."""
        # With an unreadable line the sender's other totals cannot be recounted: the counts of lines are.
        check_trailer(reading, {**self.counts, "block_count": reading.records}, every=not self.unreadable)


def scan(lines: Iterable[bytes]) -> Reading:
    """The file's header and trailer, checked with every total; FileRefused when either is wrong."""
    reading = Reading()
    tally = Tally()
    number = 0
    for number, raw in numbered(lines):
        if number == 1:
            read_header(raw, reading)
            continue
        tally.add(raw)
    read_trailer(tally.last if number > 1 else None, number, reading)
    tally.check(reading)
    return reading

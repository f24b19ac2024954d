"""The accounts the bureau holds, as intake holds them while a file is applied.

`HeldAccount` is one account's state in memory, `Batch` everything one file's
records are applied to, between intake's bulk reads and its bulk writes; the
column layouts say in which order rows go to and come from the driver.
`blind_index` is how an account's person is found without their ID number.
The rules that change them are accounts.py's `RecordApplier`.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from datetime import date
from operator import itemgetter
from typing import Any

from fairlend.bureau.model import AccountState, SettledBy, month_index, normalise_id_number


def blind_index(key: bytes, id_number: str) -> str:
    """HMAC of the normalised ID number with the bureau's own key: a lookup key that reveals nothing.

    Every way in (intake, the API, the CLI, inquiries, disputes) finds a
    file through this function, so normalising here is what makes a dashed
    and an undashed SSN one file. Files keyed before it dropped separators
    are re-keyed and merged by `files.merge_duplicates`.
    """
    # hmac.digest is the one-shot C path: the same bytes as hmac.new(...).hexdigest(), at a fraction of the cost.
    return hmac.digest(key, normalise_id_number(id_number).encode(), "sha256").hex()


_STATES = {s.value: s for s in AccountState}
_SETTLED_BY = {s.value: s for s in SettledBy}
# And back: an enum's `.value` is a Python-level property, a dict lookup is not.
_STATE_VALUES = {s: s.value for s in AccountState}
_SETTLED_BY_VALUES = {s: s.value for s in SettledBy}

# A month row is a tuple in bureau_month's column order, its dates in the
# form the driver stores (see `Batch.dates`), so that it goes to the driver as
# it is: a dict per month row cost more than writing it. Intake never compares
# a month row's dates, it only carries them.
MONTH_COLUMNS = (
    "account_id",
    "month",
    "code",
    "worst",
    "account_status",
    "rating",
    "days_overdue",
    "balance",
    "amount_overdue",
    "as_of",
    "first_overdue_on",
    "cured_on",
    "suppressed",
)
_CODE, _WORST, _STATUS, _RATING = 2, 3, 4, 5
_FIRST_OVERDUE, _CURED, _SUPPRESSED = 10, 11, 12
# What a later record keeps of a stored month (the worst code, the cure, the
# suppression): all intake reads of it; the rest of the row is rewritten.
MONTH_KEPT = tuple(MONTH_COLUMNS[i] for i in (_CODE, _WORST, _STATUS, _RATING, _FIRST_OVERDUE, _CURED, _SUPPRESSED))

# The account columns a record can change, in the order intake writes them back.
ACCOUNT_STATE = (
    "state",
    "settled_by",
    "balance",
    "amount_overdue",
    "days_overdue",
    "as_of",
    "account_status",
    "rating",
    "codes",
    "first_negative_on",
    "notice_on",
    "closed_on",
    "special_comment",
    "modified_on",
)
# What intake reads of an account it holds, after the row's storage key
# (SQLite's rowid, else the id): the ids, the opening date and that state.
HELD_COLUMNS = ("id", "account_ref", "open_date", *ACCOUNT_STATE)
HELD_WIDTH = 1 + len(HELD_COLUMNS)
# The state columns a status or repayment changes; the rest (how it was settled, the notice, the closing,
# a plan) change rarely. An account whose rare ones are as stored is written with these alone: binding
# fewer values per row cost 2.1 µs a row instead of 3.6 in SQLite (docs/metro2.md).
STATUS_STATE = tuple(
    c for c in ACCOUNT_STATE if c not in ("settled_by", "notice_on", "closed_on", "special_comment", "modified_on")
)
_RARE = [ACCOUNT_STATE.index(c) for c in ACCOUNT_STATE if c not in STATUS_STATE]
rare_values = itemgetter(*_RARE)  # of `state_values`
rare_stored = itemgetter(*(4 + i for i in _RARE))  # of a stored row: key, id, ref, open date, then the state
status_values = itemgetter(*(ACCOUNT_STATE.index(c) for c in STATUS_STATE), len(ACCOUNT_STATE))  # and the key

_fromisoformat = date.fromisoformat


class HeldAccount:
    """An account's state while a file is applied."""

    __slots__ = (
        "account_status",
        "amount_overdue",
        "as_of",
        "balance",
        "closed_on",
        "codes",
        "days_overdue",
        "dirty",
        "first_negative_on",
        "id",
        "is_new",
        "key",
        "loaded",
        "modified_on",
        "notice_on",
        "open_date",
        "open_index",
        "rating",
        "row",
        "settled_by",
        "special_comment",
        "state",
    )

    def __init__(self, row: dict[str, Any]) -> None:
        """A new account, from the full row it will be inserted as."""
        self.row: dict[str, Any] | None = row
        self.loaded: Sequence[Any] = ()  # the row as stored, for a held account: what its writes compare with
        self.key: Any = None
        self.id: str = row["id"]
        self.open_date: date = row["open_date"]
        self.open_index = month_index(self.open_date)
        self.state = AccountState.OPEN
        self.settled_by = SettledBy.BORROWER
        self.balance: int = row["balance"]
        self.amount_overdue: int = row["amount_overdue"]
        self.days_overdue: int = row["days_overdue"]
        self.as_of: date = row["as_of"]
        self.account_status: str = row["account_status"]
        self.rating: str = row["rating"]
        self.codes: str = row["codes"]
        self.first_negative_on: date | None = None
        self.notice_on: date | None = None
        self.closed_on: date | None = None
        self.special_comment = ""
        self.modified_on: date | None = None
        self.is_new = True
        self.dirty = True

    @classmethod
    def stored(cls, row: Sequence[Any]) -> HeldAccount:
        """An account the bureau holds, from a row of its storage key and HELD_COLUMNS (more may follow)."""
        account = cls.__new__(cls)
        (
            account.key,
            account.id,
            _,
            open_date,
            state,
            settled_by,
            account.balance,
            account.amount_overdue,
            account.days_overdue,
            as_of,
            account.account_status,
            account.rating,
            account.codes,
            first_negative_on,
            notice_on,
            closed_on,
            account.special_comment,
            modified_on,
        ) = row[:HELD_WIDTH]
        account.row = None
        account.loaded = row
        # Dates come as ISO text from SQLite and as dates from PostgreSQL; parsed inline, not by a call each.
        parse = _fromisoformat
        account.open_date = open_date = parse(open_date) if type(open_date) is str else open_date
        account.open_index = open_date.year * 12 + open_date.month - 1
        # Dict lookups: calling the enum classes was the slowest part of loading an account.
        account.state = _STATES[state]
        account.settled_by = _SETTLED_BY[settled_by]
        account.as_of = parse(as_of) if type(as_of) is str else as_of
        account.first_negative_on = parse(first_negative_on) if type(first_negative_on) is str else first_negative_on
        account.notice_on = parse(notice_on) if type(notice_on) is str else notice_on
        account.closed_on = parse(closed_on) if type(closed_on) is str else closed_on
        account.modified_on = parse(modified_on) if type(modified_on) is str else modified_on
        account.is_new = False
        account.dirty = False
        return account

    def state_values(self, dates: Mapping[date, Any]) -> tuple[Any, ...]:
        """ACCOUNT_STATE's values in storage form, then the storage key: one row of intake's UPDATE."""
        first_negative_on, notice_on, closed_on = self.first_negative_on, self.notice_on, self.closed_on
        modified_on = self.modified_on
        return (
            _STATE_VALUES[self.state],
            _SETTLED_BY_VALUES[self.settled_by],
            self.balance,
            self.amount_overdue,
            self.days_overdue,
            dates[self.as_of],
            self.account_status,
            self.rating,
            self.codes,
            None if first_negative_on is None else dates[first_negative_on],
            None if notice_on is None else dates[notice_on],
            None if closed_on is None else dates[closed_on],
            self.special_comment,
            None if modified_on is None else dates[modified_on],
            self.key,
        )

    def values(self) -> dict[str, Any]:
        """The full row of a new account, with the state its records left it in."""
        assert self.row is not None, "only a new account is inserted"
        return {
            **self.row,
            "state": self.state.value,
            "settled_by": self.settled_by.value,
            "balance": self.balance,
            "amount_overdue": self.amount_overdue,
            "days_overdue": self.days_overdue,
            "as_of": self.as_of,
            "account_status": self.account_status,
            "rating": self.rating,
            "codes": self.codes,
            "first_negative_on": self.first_negative_on,
            "notice_on": self.notice_on,
            "closed_on": self.closed_on,
            "special_comment": self.special_comment,
            "modified_on": self.modified_on,
        }

    def reported_on(self, day: date) -> bool:
        """Whether a cycle status dated `day` is already applied: the account is reported as of a later day,
        or as of that day with that month's code set (an account just opened on `day` has none yet).

        A status record moves `as_of` to its day and codes its month; a later one never moves it back.
        """
        as_of = self.as_of
        if day != as_of:
            return day < as_of
        return len(self.codes) > day.year * 12 + day.month - 1 - self.open_index

    def set_code(self, month: int, code: str, unknown: str) -> None:
        """Put a month's code into the account's code string (one character per month since opening)."""
        position = (month // 100) * 12 + month % 100 - 1 - self.open_index
        if position < 0:
            return
        codes = self.codes
        if position < len(codes):
            self.codes = codes[:position] + code + codes[position + 1 :]
        else:
            self.codes = codes + unknown * (position - len(codes)) + code


class Batch:
    """What one file's records are applied to, held in memory between intake's reads and its writes."""

    __slots__ = ("accounts", "dates", "files", "institution_id", "months", "new_files", "resolved", "stored", "touched")

    def __init__(self, institution_id: str, dates: Mapping[date, Any]) -> None:
        self.institution_id = institution_id
        # date -> the form the driver stores it in, memoised: a file repeats a few dates thousands of times.
        self.dates = dates
        self.accounts: dict[str, HeldAccount] = {}  # by account_ref
        # Month rows by (account id, yyyymm): read from storage, or written by this file.
        self.months: dict[tuple[str, int], tuple[Any, ...]] = {}
        self.stored: set[tuple[str, int]] = set()  # months that may exist in storage: upserted, not inserted
        self.touched: set[tuple[str, int]] = set()  # months this file writes
        self.files: dict[str, str] = {}  # blind index -> credit file id
        self.new_files: dict[str, dict[str, Any]] = {}
        self.resolved: list[tuple[str, str]] = []  # (dispute id, account id) a correction answered

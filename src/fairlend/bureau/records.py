"""The reporting file's records: parsing and validating one line at a time.

Pure: a JSON Lines file is validated line by line so that a bad line is
rejected with its number and a reason while the good ones are applied.
The format is documented for integrators in docs/bureau-reporting.md.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from fairlend.bureau.model import SettledBy, normalise_id_number
from fairlend.jurisdiction.model import MODIFICATION_KINDS
from fairlend.money import CURRENCY_EXPONENTS


class RecordType(enum.StrEnum):
    ACCOUNT_OPENED = "account_opened"
    STATUS = "status"
    REPAYMENT = "repayment"
    SETTLEMENT = "settlement"
    CHARGE_OFF = "charge_off"
    CORRECTION = "correction"
    NEGATIVE_NOTICE = "negative_notice"
    MODIFICATION = "modification"


class PlanEvent(enum.StrEnum):
    """What a `modification` record says happened to the plan that modified the account."""

    STARTED = "started"  # the terms changed: the account shows the profile's code for the plan's kind
    REAGED = "reaged"  # the kept plan returned the account to current (the status record says so)
    BROKEN = "broken"  # the plan ended unkept: the code goes, the account's status follows its payments
    COMPLETED = "completed"  # every plan payment made


ACCOUNT_TYPES = frozenset({"loan", "credit_card", "mortgage", "auto", "other"})
MAX_REF = 80


# A refused value is echoed in the reason only when it cannot be a person's: a short token with a
# digit (a date, a month, an amount) and no run of seven digits. Acknowledgements are stored, and a
# lender's export that shifted its columns would otherwise put names and ID numbers in them.
_ECHOED = re.compile(r"[0-9A-Za-z.:/+_-]{1,16}")
_LONG_NUMBER = re.compile(r"[0-9]{7}")


def _shown(value: Any) -> str:
    text = str(value)
    if _ECHOED.fullmatch(text) and any(c.isdigit() for c in text) and not _LONG_NUMBER.search(text):
        return repr(value)
    return f"a {type(value).__name__} of {len(text)} characters"


class RecordError(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    id_number: str
    id_scheme: str


class Record(NamedTuple):
    """One validated line. Fields not used by a record type keep their defaults.

    Immutable like a frozen dataclass, but a named tuple: intake builds one
    per line, and a frozen dataclass's field-by-field `object.__setattr__`
    cost a dozen times the tuple's construction, most of parsing a line.
    """

    line: int
    record_id: str
    type: RecordType
    account_ref: str
    day: date
    # account_opened
    person: Person | None = None
    account_type: str = ""
    currency: str = ""
    amount: int = 0
    term_months: int = 0
    due_schedule: str = ""  # the schedule summary, as JSON text
    # status / repayment / correction
    balance: int | None = None
    amount_overdue: int = 0
    days_overdue: int | None = None
    status_code: str = ""
    payment_due: bool = True
    first_delinquency_date: date | None = None
    in_collection: bool = False
    month: int | None = None  # correction: yyyymm
    dispute_id: str = ""
    # settlement
    settled_by: SettledBy = SettledBy.BORROWER
    for_less: bool = False  # a settlement: paid in full for less than the full balance
    # modification
    kind: str = ""  # the plan's kind (payment_holiday, term_extension, ...): its code is the profile's
    plan_event: PlanEvent = PlanEvent.STARTED


def _str(data: dict[str, Any], key: str, *, required: bool = True, max_len: int = MAX_REF) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise RecordError("missing_field", f"{key} is required")
        return ""
    if not isinstance(value, str) or not value.strip():
        raise RecordError("invalid_field", f"{key} must be a non-empty string")
    if len(value) > max_len:
        raise RecordError("invalid_field", f"{key} is longer than {max_len} characters")
    return value


def _id_number(person: dict[str, Any]) -> str:
    """The person's ID number as the bureau keys it (`123-45-6789` is `123456789`): one person, one file."""
    number = normalise_id_number(_str(person, "id_number", max_len=40))
    if not number:
        raise RecordError("invalid_field", "id_number must hold more than blanks and dashes")
    return number


def _int(data: dict[str, Any], key: str, *, required: bool = True, minimum: int = 0) -> int | None:
    value = data.get(key)
    if value is None:
        if required:
            raise RecordError("missing_field", f"{key} is required")
        return None
    # bool is an int in Python; amounts are whole minor units, never floats.
    if type(value) is not int:
        raise RecordError("invalid_field", f"{key} must be a whole number (minor units / days), got {_shown(value)}")
    if value < minimum:
        raise RecordError("invalid_field", f"{key} must be at least {minimum}")
    return value


def _date(data: dict[str, Any], key: str, *, required: bool = True) -> date | None:
    value = data.get(key)
    if value is None:
        if required:
            raise RecordError("missing_field", f"{key} is required")
        return None
    if not isinstance(value, str):
        raise RecordError("invalid_field", f"{key} must be a date like 2026-03-01")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RecordError("invalid_field", f"{key} must be a date like 2026-03-01, got {_shown(value)}") from None


def _bool(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise RecordError("invalid_field", f"{key} must be true or false")
    return value


def parse_month(value: Any) -> int:
    if not isinstance(value, str) or len(value) != 7 or value[4] != "-":
        raise RecordError("invalid_field", f"month must look like 2026-03, got {_shown(value)}")
    try:
        year, month = int(value[:4]), int(value[5:])
    except ValueError:
        raise RecordError("invalid_field", f"month must look like 2026-03, got {_shown(value)}") from None
    if not 1 <= month <= 12:
        raise RecordError("invalid_field", f"month must look like 2026-03, got {_shown(value)}")
    return year * 100 + month


def parse_record(text: str, line: int) -> Record:
    """Validate one line of a reporting file; raise RecordError with a reason."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise RecordError("not_json", f"not a JSON object: {exc.args[0] if exc.args else exc}") from None
    return parse_object(data, line)


_STATUS_KEYS = frozenset({"record_id", "type", "account_ref", "date", "balance", "amount_overdue", "days_overdue"})


def _plain_status(data: dict[str, Any], line: int) -> Record | None:
    """The common month-end status line, checked inline: most of a file, so worth a fast path.

    Returns None for anything unusual, which then takes the general path (and its messages).
    """
    # Exactly the status keys: seven entries, "type" among them (the caller checked it), and the other six.
    if len(data) != len(_STATUS_KEYS):
        return None
    try:
        record_id, account_ref, day = data["record_id"], data["account_ref"], data["date"]
        balance, overdue, days = data["balance"], data["amount_overdue"], data["days_overdue"]
    except KeyError:
        return None
    if not (
        type(record_id) is str
        and type(account_ref) is str
        and type(day) is str
        and type(balance) is int
        and type(overdue) is int
        and type(days) is int
        and 0 < len(record_id) <= MAX_REF
        and 0 < len(account_ref) <= MAX_REF
        and record_id.strip()
        and account_ref.strip()
        and balance >= 0
        and overdue >= 0
        and days >= 0
        and (overdue > 0 or days == 0)
    ):
        return None
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        return None
    # Every field in order, straight to tuple.__new__: the named tuple's own __new__ is a Python call.
    return _new_record(
        Record, (line, record_id, _STATUS, account_ref, parsed, *_STATUS_MIDDLE, balance, overdue, days, *_STATUS_TAIL)
    )


_new_record = tuple.__new__
_STATUS = RecordType.STATUS
# The defaults of the fields around a plain status line's own values (person .. due_schedule; status_code ..).
_STATUS_MIDDLE = (None, "", "", 0, 0, "")
_STATUS_TAIL = ("", True, None, False, None, "", SettledBy.BORROWER, False, "", PlanEvent.STARTED)


def parse_object(data: Any, line: int) -> Record:
    if not isinstance(data, dict):
        raise RecordError("not_json", "each line must be a JSON object")
    if data.get("type") == "status":
        fast = _plain_status(data, line)
        if fast is not None:
            return fast
    kind = data.get("type")
    try:
        record_type = RecordType(str(kind))
    except ValueError:
        raise RecordError("unknown_type", f"unknown record type {_shown(kind)}") from None
    base: dict[str, Any] = {
        "line": line,
        "record_id": _str(data, "record_id"),
        "type": record_type,
        "account_ref": _str(data, "account_ref"),
        "day": _date(data, "date"),
    }
    if record_type is RecordType.ACCOUNT_OPENED:
        person = data.get("person")
        if not isinstance(person, dict):
            raise RecordError("missing_field", "person {name, id_number} is required")
        account_type = _str(data, "account_type")
        if account_type not in ACCOUNT_TYPES:
            raise RecordError("invalid_field", f"account_type must be one of {', '.join(sorted(ACCOUNT_TYPES))}")
        currency = _str(data, "currency")
        if currency not in CURRENCY_EXPONENTS:
            raise RecordError("invalid_field", f"unknown currency {_shown(currency)}")
        schedule = data.get("due_schedule", {})
        if not isinstance(schedule, dict):
            raise RecordError("invalid_field", "due_schedule must be an object")
        return Record(
            **base,
            person=Person(
                _str(person, "name", max_len=120),
                _id_number(person),
                _str(person, "id_scheme", required=False) or "",
            ),
            account_type=account_type,
            currency=currency,
            amount=_int(data, "amount", minimum=1) or 0,
            term_months=_int(data, "term_months") or 0,
            due_schedule=json.dumps(schedule, ensure_ascii=False) if schedule else "{}",
        )
    if record_type is RecordType.STATUS:
        balance = _int(data, "balance")
        overdue = _int(data, "amount_overdue", required=False) or 0
        days = _int(data, "days_overdue")
        if days and not overdue:
            raise RecordError("inconsistent", "days_overdue > 0 needs amount_overdue > 0")
        return Record(
            **base,
            balance=balance,
            amount_overdue=overdue,
            days_overdue=days,
            status_code=_str(data, "status_code", required=False, max_len=3),
            payment_due=_bool(data, "payment_due", True),
            first_delinquency_date=_date(data, "first_delinquency_date", required=False),
            in_collection=_bool(data, "in_collection", False),
        )
    if record_type is RecordType.REPAYMENT:
        return Record(
            **base,
            amount=_int(data, "amount", minimum=1) or 0,
            balance=_int(data, "balance", required=False),
            amount_overdue=_int(data, "amount_overdue", required=False) or 0,
            days_overdue=_int(data, "days_overdue", required=False),
        )
    if record_type is RecordType.SETTLEMENT:
        by = data.get("settled_by", "borrower")
        try:
            settled_by = SettledBy(by)
        except ValueError:
            raise RecordError("invalid_field", "settled_by must be borrower, guarantor or assets") from None
        return Record(**base, settled_by=settled_by, balance=0, for_less=_bool(data, "for_less", False))
    if record_type is RecordType.MODIFICATION:
        event = data.get("event", "started")
        try:
            plan_event = PlanEvent(event)
        except ValueError:
            raise RecordError("invalid_field", f"event must be one of {', '.join(PlanEvent)}") from None
        kind = _str(data, "kind", required=plan_event is PlanEvent.STARTED, max_len=40)
        if kind and kind not in MODIFICATION_KINDS:
            raise RecordError("invalid_field", f"kind must be one of {', '.join(sorted(MODIFICATION_KINDS))}")
        return Record(**base, kind=kind, plan_event=plan_event)
    if record_type is RecordType.CHARGE_OFF:
        return Record(**base, amount=_int(data, "amount") or 0)
    if record_type is RecordType.CORRECTION:
        balance = _int(data, "balance")
        overdue = _int(data, "amount_overdue") or 0
        days = _int(data, "days_overdue")
        if days and not overdue:
            raise RecordError("inconsistent", "days_overdue > 0 needs amount_overdue > 0")
        return Record(
            **base,
            month=parse_month(data.get("month")),
            balance=balance,
            amount_overdue=overdue,
            days_overdue=days,
            dispute_id=_str(data, "dispute_id", required=False),
        )
    return Record(**base)  # negative_notice: the date the borrower was told

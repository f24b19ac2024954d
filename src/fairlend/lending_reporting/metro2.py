"""The furnisher's Metro 2 base segment for each account, from the records fairlend already reports (pure).

fairlend's reporting records (model.py, plans.py; docs/bureau-reporting.md)
are the facts; `fold` replays an account's records into what Metro 2 asks
of it on a day, and `base_segment` writes that as the CRRG's fields. So a
Metro 2 file says exactly what the JSON files said, in the other format.
Every rule names its source: RULES.md CR-2/CR-4/CR-5/CR-6, or the CRRG as
moov-io/metro2 implements it. Fields fairlend has no fact for stay blank
(docs/metro2.md says which and why).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from fairlend.jurisdiction.model import ModificationCodes
from fairlend.metro2 import codes
from fairlend.metro2.file import Account


@dataclass(frozen=True, slots=True)
class Consumer:
    """The person an account reports on: names as the CRRG splits them, the SSN, the birth date if known."""

    surname: str
    first_name: str
    ssn: str
    birth_date: date | None = None

    @classmethod
    def from_name(cls, name: str, ssn: str, birth_date: date | None = None) -> Consumer:
        """fairlend keeps one name string: the last word is the surname (CRRG: surname and first name apart)."""
        parts = name.split()
        if len(parts) < 2:
            return cls(_ascii(name), "", _digits(ssn), birth_date)
        return cls(_ascii(parts[-1]), _ascii(" ".join(parts[:-1])), _digits(ssn), birth_date)


def _ascii(text: str) -> str:
    """Metro 2 is ASCII upper case: letters outside it become blanks rather than breaking the file."""
    return "".join(c if c.isascii() and c.isprintable() else " " for c in text.upper()).strip()


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


@dataclass
class Furnished:
    """One account as its records so far describe it."""

    ref: str
    opened: date
    amount: int  # minor units
    term_months: int
    installment: int
    borrower: Mapping[str, Any]
    balance: int = 0
    past_due: int = 0
    days_past_due: int = 0
    delinquent_since: date | None = None  # CR-5: first day of the delinquency that led to the status
    state: str = "open"  # open, paid, charged_off
    closed_on: date | None = None
    charge_off: int = 0
    rating_at_close: str = "0"
    last_payment_on: date | None = None
    paid_in_month: dict[int, int] = field(default_factory=dict)
    months: dict[int, str] = field(default_factory=dict)  # month_key -> worst profile character
    special_comment: str = ""
    as_of: date | None = None

    def _mark(self, day: date, character: str) -> None:
        key = codes.month_key(day)
        self.months[key] = codes.worse(self.months.get(key, "0"), character)

    def _days(self, day: date, days: int, first: date | None) -> None:
        # CR-5 as the CRRG defines the date of first delinquency: it starts with a delinquency, stays while
        # the account is delinquent (a partial catch-up keeps it), and goes when the account is brought
        # current; a later delinquency starts a new date.
        if days <= 0:
            self.delinquent_since = None
        elif self.delinquent_since is None:
            self.delinquent_since = first or day - timedelta(days=days - 1)
        self.days_past_due = max(days, 0)
        self._mark(day, codes.rating_for(self.days_past_due))


def fold(
    records: Iterable[Mapping[str, Any]],
    modification_codes: ModificationCodes,
    accounts: dict[str, Furnished] | None = None,
) -> dict[str, Furnished]:
    """Every account's state after its records, in file order (the order fairlend reported them).

    `accounts`, when given, are the states before these records (account_state.py keeps them between
    days) and are changed in place: folding a file's records onto the states after the files before it
    gives what folding all of them from the first would.
    """
    accounts = {} if accounts is None else accounts
    for record in records:
        kind, ref = record["type"], record["account_ref"]
        day = date.fromisoformat(record["date"])
        if kind == "account_opened":
            schedule = record.get("due_schedule") or {}
            accounts[ref] = Furnished(
                ref=ref,
                opened=day,
                amount=int(record["amount"]),
                term_months=int(record["term_months"]),
                installment=int(schedule.get("installment_amount") or 0),
                borrower=record["person"],
                balance=int(record["amount"]),
                as_of=day,
            )
            continue
        account = accounts.get(ref)
        if account is None:
            continue  # an account opened before the records given: nothing to say about it here
        account.as_of = max(account.as_of or day, day)
        if kind == "status":
            account.balance = int(record["balance"])
            _new_terms(account, record.get("due_schedule"))
            account.past_due = int(record.get("amount_overdue") or 0)
            first = record.get("first_delinquency_date")
            account._days(day, int(record["days_overdue"]), date.fromisoformat(first) if first else None)
        elif kind == "repayment":
            key = codes.month_key(day)
            account.paid_in_month[key] = account.paid_in_month.get(key, 0) + int(record["amount"])
            account.last_payment_on = day
            if record.get("balance") is not None:
                account.balance = int(record["balance"])
            if record.get("days_overdue") is not None:
                account.past_due = int(record.get("amount_overdue") or 0)
                account._days(day, int(record["days_overdue"]), None)
        elif kind == "settlement":
            # CRRG: a paid account reports status 13, zero balance and nothing past due, with the rating of
            # the delinquency the payment ended (docs/bureau-reporting.md, "settlement").
            account.rating_at_close = codes.rating_for(account.days_past_due)
            account.state, account.closed_on = "paid", day
            account.balance = account.past_due = account.days_past_due = 0
            if account.rating_at_close == "0":
                account.delinquent_since = None  # CR-5: a payoff of a current account has no delinquency
            account.months.setdefault(codes.month_key(day), "0")
            if record.get("for_less"):
                account.special_comment = modification_codes.settled_for_less
            elif account.special_comment != modification_codes.settled_for_less:
                account.special_comment = ""
        elif kind == "charge_off":
            # CRRG: status 97 with the original charge-off amount; the balance still owed is past due.
            account.state, account.closed_on = "charged_off", day
            account.charge_off = int(record["amount"])
            account.balance = account.past_due = account.charge_off
            account._mark(day, "L")
        elif kind == "modification":
            event = record.get("event", "started")
            if event == "started":
                account.special_comment = modification_codes.for_kind(str(record.get("kind"))) or ""
            elif event == "broken":
                account.special_comment = ""
    return accounts


def _new_terms(account: Furnished, terms: Mapping[str, Any] | None) -> None:
    """A lender's change inside the schedule (plans.py `changed_terms`): the CRRG's scheduled monthly payment
    and terms duration are the account's current terms, so they follow the change."""
    if not terms:
        return
    if terms.get("installment_amount") is not None:
        account.installment = int(terms["installment_amount"])
    if terms.get("maturity_date"):
        maturity = date.fromisoformat(str(terms["maturity_date"]))
        account.term_months = max(0, (maturity.year - account.opened.year) * 12 + maturity.month - account.opened.month)


def base_segment(
    account: Furnished, as_of: date, consumer: Consumer, *, compliance: str = "", identification: str = ""
) -> Account:
    """The account's base segment on `as_of` (its date of account information)."""
    c = codes
    if account.state == "paid":
        status, rating = c.PAID, account.rating_at_close
    elif account.state == "charged_off":
        status, rating = c.CHARGED_OFF, ""
    else:
        # CRRG: the payment rating goes only with 05, 13, 65, 88, 89, 94, 95; an open account's status says it.
        status, rating = c.status_for(account.days_past_due), ""
    delinquent = status in c.DELINQUENT_STATUSES or status == c.CHARGED_OFF or (status == c.PAID and rating != "0")
    profile_months = dict(account.months)
    if account.state == "open" and account.balance == 0:
        profile_months.setdefault(c.month_key(as_of), "E")
    values: dict[str, Any] = {
        "processing_indicator": 1,
        "identification_number": identification,
        "consumer_account_number": account.ref[:30],
        "portfolio_type": "I",  # installment (CRRG portfolio types C, I, M, O, R)
        "account_type": "01",  # unsecured loan
        "date_opened": account.opened,
        "highest_credit": c.whole_dollars(account.amount),
        "terms_duration": str(account.term_months).rjust(3, "0")[-3:],
        "terms_frequency": "M",
        "scheduled_monthly_payment_amount": c.whole_dollars(account.installment),
        "actual_payment_amount": c.whole_dollars(account.paid_in_month.get(c.month_key(as_of), 0)),
        "account_status": status,
        "payment_rating": rating,
        "payment_history_profile": c.history_profile(profile_months, as_of, account.opened),
        "special_comment": account.special_comment,
        "compliance_condition_code": compliance,
        "current_balance": c.whole_dollars(account.balance),
        "amount_past_due": c.whole_dollars(account.past_due),
        "original_charge_off_amount": c.whole_dollars(account.charge_off),
        "date_account_information": as_of,
        # CR-5: reported with a delinquent status, a charge-off, or a payoff that ended a delinquency.
        "date_first_delinquency": account.delinquent_since if delinquent else None,
        "date_closed": account.closed_on,
        "date_last_payment": account.last_payment_on,
        "surname": consumer.surname[:25],
        "first_name": consumer.first_name[:20],
        "social_security_number": int(consumer.ssn) if consumer.ssn else 0,
        "date_birth": consumer.birth_date,
        "ecoa_code": c.ECOA_INDIVIDUAL,
    }
    return Account(values)


def day_accounts(records: Iterable[Mapping[str, Any]], day: date) -> list[str]:
    """The accounts a day's reporting records name, in first-named order: that day's base segments."""
    seen: dict[str, None] = {}
    for record in records:
        if record["date"] == day.isoformat():
            seen.setdefault(record["account_ref"], None)
    return list(seen)

"""What a demo run made: `DemoReport`, filled step by step by demo.py, book.py, market.py and secondary.py."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from fairlend.money import Money
from fairlend.sim.episodes import ContactPerson
from fairlend.sim.market import DemoInvestor
from fairlend.sim.people import SimBorrower


@dataclass(frozen=True, slots=True)
class OperatorLogin:
    username: str
    role: str
    password: str
    totp_secret: str


@dataclass(frozen=True, slots=True)
class DemoBorrower:
    person_id: str
    phone: str
    name: str
    loan_id: str
    behaviour: str
    amount: Money
    term: int


@dataclass
class DemoReport:
    start: date
    end: date
    seed: int
    operators: list[OperatorLogin] = field(default_factory=list)
    borrowers: list[DemoBorrower] = field(default_factory=list)
    investors: list[DemoInvestor] = field(default_factory=list)
    funded_by: Counter[str] = field(default_factory=Counter)  # "investors", "partner and platform"
    not_funded: int = 0  # offers no investor took up by the end
    certificates: Counter[str] = field(default_factory=Counter)
    repayments: int = 0
    eod_days: int = 0
    loan_states: Counter[str] = field(default_factory=Counter)
    delinquent: int = 0
    charged_off: list[str] = field(default_factory=list)  # loans the lender charged off, in order
    recoveries: int = 0  # payments received on charged-off loans
    orders: Counter[str] = field(default_factory=Counter)  # sale orders: placed, bought, cancelled, refused
    trades: list[str] = field(default_factory=list)  # the secondary market's trades, in order
    contacts: Counter[str] = field(default_factory=Counter)
    settled_borrower_id: str = ""
    settled_loan_id: str = ""
    blocked_rules: tuple[str, ...] = ()
    other_lender: str = ""
    bureau_records: int = 0
    reported_by_other_lender: list[str] = field(default_factory=list)  # their phones
    notes: list[str] = field(default_factory=list)
    # Everyone the run made, with the numbers a raw scan of the database must not find in clear.
    people: list[SimBorrower] = field(default_factory=list)
    contact_persons: list[ContactPerson] = field(default_factory=list)
    third_party_numbers: list[str] = field(default_factory=list)
    complaint_id: str = ""
    dispute_id: str = ""
    self_checks: int = 0
    applications: int = 0
    # Hardship plans (sim/hardship.py): requested, declined, accepted:<kind>, approved_by_a_second_operator.
    hardship: Counter[str] = field(default_factory=Counter)
    plans: list[str] = field(default_factory=list)  # the plans accepted, in order

"""`seed_demo`: fill an empty database with a believable lending book, through the services only.

The story, in business days from `start` (the container's business date minus
`days`): operators are created; borrowers sign up with the development message
sender's one-time codes, prove their identity and bind a test-range card, give
consent, and some upload an income certificate that the underwriter reviews;
a product is defined; each borrower applies for a loan within the first
weeks and accepts the offer, which the market funds (sim/market.py: the
funding partner and the platform under `cn`, the demo's investors under
`us`); then every day the borrowers who pay, pay (on time, late, or
never), one settles early, a collector works the overdue book through the
contact gateway, and end-of-day closes the date. A few days after the early
settlement the collector still calls that borrower: the gateway blocks it
(P-2) and the borrower sees it on "contacts about me", then complains.
Episodes that leave people's own words and files behind (a contact person,
the complaint, credit checks, another lender and a dispute) are in
episodes.py.

Nothing here reads or writes a table: every step is a context's service, so
the demo exercises exactly what a user would. Each step commits on its own,
which is why the caller must hand over an empty database (the CLI checks).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fairlend.bootstrap import Container
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import Medium, RecipientKind
from fairlend.errors import Conflict
from fairlend.identity.model import CertificateKind, ConsentPurpose, OtpPurpose, Role
from fairlend.identity.ports import DevMessageSender
from fairlend.lending.eod import set_clock_date
from fairlend.lending.model import DayCount, Frequency, LoanState, Method, Product
from fairlend.money import Money
from fairlend.sim import episodes, market
from fairlend.sim.episodes import ContactPerson, Enrolled
from fairlend.sim.market import DemoInvestor
from fairlend.sim.people import Behaviour, SimBorrower, make_borrowers, phone_number

PRODUCT_CODE = "demo-cash"
# Development passwords: printed so a person can log in; the demo refuses production (no dev sender).
OPERATORS: tuple[tuple[str, Role], ...] = (
    ("admin", Role.ADMIN),
    ("underwriter", Role.UNDERWRITER),
    ("collector", Role.COLLECTOR),
    ("compliance", Role.COMPLIANCE),
)
# 10:00 where the profile's debtors live: inside its contact window on every simulated day.
CONTACT_HOUR = time(10, 0)
INVESTORS = 6  # under a profile with retail investors on
SETTLED_CALL_AFTER = 3  # days after the early settlement the collector still calls


def contact_instant(day: date, timezone: str) -> datetime:
    """10:00 on `day` in the profile's time zone, as a UTC instant (02:00 UTC in Shanghai)."""
    return datetime.combine(day, CONTACT_HOUR, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def dev_password(username: str) -> str:
    return f"demo-{username}-password"


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


Progress = Callable[[str, int, int], None]


def seed_demo(
    container: Container,
    *,
    borrowers: int = 40,
    days: int = 90,
    seed: int = 7,
    progress: Progress | None = None,
) -> DemoReport:
    """Seed an empty database; the business date ends `days` after it starts, on the container's date."""
    if borrowers < 1 or days < 1:
        raise Conflict("demo_size_invalid", "the demo needs at least one borrower and one day")
    identity = container.identity
    if identity.accounts.has_people():
        raise Conflict("demo_database_not_empty", "the database already holds people; the demo seeds an empty one")
    sender = identity.sender
    if not isinstance(sender, DevMessageSender):
        raise Conflict("demo_needs_dev_sender", "the demo signs people up with the development message sender")
    end = container.eod.business_date()
    start = end - timedelta(days=days)
    _move_to(container, start)
    report = DemoReport(start=start, end=end, seed=seed)
    tick = progress or (lambda _stage, _done, _total: None)

    ops = _operators(container, report)
    scheme = container.profile.id_number_scheme
    people = make_borrowers(borrowers, seed, start, open_within=min(20, max(1, days // 3)), scheme=scheme)
    report.people = people
    enrolled = _enrol(container, sender, people, ops, report, tick)
    report.investors = market.enrol_investors(container, sender, seed, INVESTORS)
    _define_product(container)
    never = [e for e in enrolled if e.sim.behaviour is Behaviour.NEVER]
    contact = episodes.name_contact_person(container, sender, (never or enrolled)[0], seed)
    if contact is not None:
        report.contact_persons.append(contact)
    book = _Book(container, report, enrolled, ops, seed)
    for offset in range(days):
        today = start + timedelta(days=offset)
        _move_to(container, today)
        book.day(offset, today)
        container.eod.run_day(today)
        report.eod_days += 1
        tick("days", offset + 1, days)
    report.not_funded = len(book.listed)
    other = episodes.report_other_lender(container, enrolled, seed, end)
    if other is not None:
        report.other_lender, report.bureau_records = other.name, other.records_applied
        report.reported_by_other_lender = [e.sim.phone for e in other.reported]
        report.notes.extend(other.rejected)
        report.dispute_id = other.dispute_id
    report.self_checks, report.applications = episodes.check_credit(container, enrolled)
    for b in report.borrowers:
        report.loan_states[container.lending.loan_facts(b.loan_id).state.value] += 1
    report.delinquent = len(container.lending.delinquent_loans(1))
    if report.settled_loan_id == "":
        report.notes.append("too few days for the early settlement: no P-2 block was shown")
    return report


# -- the clock -------------------------------------------------------------------------------


def _move_to(container: Container, day: date) -> None:
    """The business date (and, on a clock that can be set, the instant: 10:00 local) of `day`."""
    set_clock_date(container.clock, day)
    setter = getattr(container.clock, "set", None)
    if callable(setter):
        setter(contact_instant(day, container.profile.timezone))


def _advance(container: Container, minutes: int) -> None:
    setter = getattr(container.clock, "set", None)
    if callable(setter):
        setter(container.clock.now() + timedelta(minutes=minutes))


# -- people ----------------------------------------------------------------------------------


def _operators(container: Container, report: DemoReport) -> dict[str, str]:
    ids: dict[str, str] = {}
    for username, role in OPERATORS:
        made = container.identity.accounts.create_operator(username, dev_password(username), role)
        ids[username] = made.operator.operator_id
        report.operators.append(OperatorLogin(username, role.value, dev_password(username), made.totp_secret))
    return ids


def _enrol(
    container: Container,
    sender: DevMessageSender,
    people: list[SimBorrower],
    ops: dict[str, str],
    report: DemoReport,
    tick: Progress,
) -> list[Enrolled]:
    identity = container.identity
    enrolled: list[Enrolled] = []
    for n, p in enumerate(people):
        number = identity.otp.phone(p.phone)
        identity.otp.send_code(p.phone, OtpPurpose.SIGN_UP)
        code = sender.last_code(number.e164, OtpPurpose.SIGN_UP.value)
        if code is None:
            raise Conflict("demo_code_missing", f"the development sender kept no code for {number.masked}")
        who = identity.accounts.sign_up(p.phone, code, Role.BORROWER)
        identity.kyc.verify_identity(who.subject_id, p.name, p.id_number, p.birth_date)
        identity.kyc.bind_bank_card(who.subject_id, p.card_number)
        identity.consents.give(who.subject_id, ConsentPurpose.DATA_PROCESSING, "data-processing/v1")
        identity.consents.give(who.subject_id, ConsentPurpose.CREDIT_INQUIRY, "credit-inquiry/v1", "fairlend")
        if n % 5 == 0:
            income = Money.of(8_000 + 1_000 * (n % 7), container.profile.currency)
            cert = identity.certificates.upload(
                who.subject_id, CertificateKind.SALARY_FLOW, income, episodes.payslip(p), filename="payslip.pdf"
            )
            # One in three of these is unreadable, so the review queue shows a rejection with its reason.
            approve = n % 15 != 10
            identity.certificates.review(
                who.subject_id,
                cert.certificate_id,
                approve=approve,
                reason="" if approve else "the employer's stamp is unreadable; please upload a clearer copy",
                reviewer_id=ops["underwriter"],
            )
            report.certificates["approved" if approve else "rejected"] += 1
        enrolled.append(Enrolled(p, who.subject_id))
        tick("borrowers", n + 1, len(people))
    return enrolled


def _define_product(container: Container) -> None:
    container.lending.products.define(
        Product(
            code=PRODUCT_CODE,
            name="Demo cash loan",
            currency=container.profile.currency,
            method=Method.EQUAL_INSTALLMENT,
            frequency=Frequency.MONTHLY,
            rate=Decimal("0.18"),
            term=12,
            day_count=DayCount.THIRTY_360,
            installment_rounding=1,
            grace_days=1,
            penalty_rate=Decimal("0.18"),
            late_fee=5_000,
            min_amount=100_000,
        )
    )


# -- the daily book ----------------------------------------------------------------------------


class _Book:
    """What the simulated people do on each business date before end-of-day closes it."""

    def __init__(
        self, container: Container, report: DemoReport, enrolled: list[Enrolled], ops: dict[str, str], seed: int
    ) -> None:
        self.c = container
        self.report = report
        self.collector_id = ops["collector"]
        self.compliance_id = ops["compliance"]
        self.enrolled = {e.person_id: e for e in enrolled}
        self.rng = random.Random(seed * 31 + 1)
        self.by_open: dict[int, list[Enrolled]] = {}
        for e in enrolled:
            self.by_open.setdefault(e.sim.open_offset, []).append(e)
        self.behaviour: dict[str, Behaviour] = {}
        self.lag: dict[str, int] = {}
        self.borrower_of: dict[str, str] = {}
        self.prepay_loan = ""
        self.settled_on: date | None = None
        self.contacted: set[str] = set()
        self.listed: dict[str, Enrolled] = {}  # listings the investors have not funded yet
        self.turn = 0

    def day(self, offset: int, today: date) -> None:
        for e in self.by_open.get(offset, []):
            self._book(e)
        self._repayments(today)
        self._collect(today)

    def _book(self, e: Enrolled) -> None:
        if self.c.origination is None or self.c.market is None:
            amount = Money.of(e.sim.amount_yuan, self.c.profile.currency)
            self._booked(e, self.c.lending.book_loan(e.person_id, PRODUCT_CODE, amount, term=e.sim.term), amount)
            return
        funded = market.apply_and_accept(self.c, e.person_id, e.sim)
        if funded.loan_id is not None and funded.amount is not None:  # funded at once (or by auto-invest)
            self.report.funded_by["investors" if market.retail(self.c) else "partner and platform"] += 1
            self._booked(e, funded.loan_id, funded.amount)
        elif funded.listing_id is not None:
            self.turn += 1
            loan_id = market.fund_listing(self.c, funded.listing_id, self.report.investors, self.turn)
            if loan_id is None:
                self.listed[funded.listing_id] = e  # the deadline decides
            else:
                self.report.funded_by["investors"] += 1
                self._booked(e, loan_id, self.c.lending.loan_facts(loan_id).outstanding_principal)

    def _booked(self, e: Enrolled, loan_id: str, amount: Money) -> None:
        self.behaviour[loan_id] = e.sim.behaviour
        self.lag[loan_id] = e.sim.late_lag
        self.borrower_of[loan_id] = e.person_id
        if e.sim.behaviour is Behaviour.PREPAY:
            self.prepay_loan = loan_id
        self.report.borrowers.append(
            DemoBorrower(e.person_id, e.sim.phone, e.sim.name, loan_id, e.sim.behaviour.value, amount, e.sim.term)
        )

    def _repayments(self, today: date) -> None:
        lending = self.c.lending
        # On time: whatever falls due today, paid today (the prepayer too, until it settles).
        for due in lending.due_soon(today):
            kind = self.behaviour.get(due.loan_id)
            if kind in (Behaviour.ON_TIME, Behaviour.PREPAY) and due.amount.minor > 0:
                lending.repay(due.loan_id, due.amount, reference=f"demo:{today}")
                self.report.repayments += 1
        # Late: each installment paid some days after its due date, with the penalty and late fee it earned.
        for lag in sorted({v for v in self.lag.values() if v}):
            for due in lending.due_soon(today - timedelta(days=lag)):
                if self.behaviour.get(due.loan_id) is Behaviour.LATE and self.lag[due.loan_id] == lag:
                    detail = lending.loan_detail(due.loan_id)
                    owed = due.amount + detail.penalty_due + detail.fees_due
                    lending.repay(due.loan_id, owed, reference=f"demo:{today}")
                    self.report.repayments += 1
        # Early settlement: once the prepayer has paid an installment, the whole loan is paid off.
        loan_id = self.prepay_loan
        if loan_id and self.settled_on is None:
            facts = lending.loan_facts(loan_id)
            detail = lending.loan_detail(loan_id)
            if any(i.status == "paid" for i in detail.schedule) and facts.state is LoanState.ACTIVE:
                lending.settle_early(loan_id, reference="demo:early-settlement")
                self.report.repayments += 1
                self.settled_on = today
                self.report.settled_loan_id = loan_id
                self.report.settled_borrower_id = self.borrower_of[loan_id]

    def _collect(self, today: date) -> None:
        gateway = self._gateway()
        if gateway is None:
            return
        # The motivating case: the loan is repaid, yet a collector still calls, then tries the address book.
        if self.settled_on is not None and today == self.settled_on + timedelta(days=SETTLED_CALL_AFTER):
            loan_id = self.prepay_loan
            call = gateway.attempt(ContactRequest(loan_id, Medium.CALL, collector_id=self.collector_id))
            self._count(call.outcome.value)
            self.report.blocked_rules = call.rules
            _advance(self.c, 5)
            friend_number = self._friend_number()
            self.report.third_party_numbers.append(friend_number)
            friend = gateway.attempt(
                ContactRequest(
                    loan_id,
                    Medium.SMS,
                    recipient_kind=RecipientKind.THIRD_PARTY,
                    third_party_number=friend_number,
                    collector_id=self.collector_id,
                )
            )
            self._count(friend.outcome.value)
            _advance(self.c, 5)
            borrower = self.enrolled[self.borrower_of[loan_id]]
            self.report.complaint_id = episodes.complain(self.c, borrower, loan_id, self.compliance_id)
            _advance(self.c, 5)
        # A collector reaches a few overdue debtors, by text first and by phone a week later.
        if today.weekday() not in (1, 3):  # Tuesdays and Thursdays: a few contacts, never a barrage
            return
        overdue = [d for d in self.c.lending.delinquent_loans(4) if d.loan_id not in self.contacted]
        for d in overdue[:2]:
            decision = gateway.attempt(ContactRequest(d.loan_id, Medium.SMS, collector_id=self.collector_id))
            self._count(decision.outcome.value)
            self.contacted.add(d.loan_id)
            _advance(self.c, 3)
        if today.weekday() == 3:
            for d in self.c.lending.delinquent_loans(15)[:2]:
                decision = gateway.attempt(ContactRequest(d.loan_id, Medium.CALL, collector_id=self.collector_id))
                self._count(decision.outcome.value)
                _advance(self.c, 3)

    def _friend_number(self) -> str:
        """A number from the settled borrower's address book: nobody the demo signed up."""
        scheme = self.c.profile.id_number_scheme
        if scheme == "us.ssn":
            return phone_number(self.report.seed, 4_000 + self.rng.randrange(1_000), scheme)
        return f"1380013{self.rng.randrange(10_000):04d}"

    def _gateway(self) -> Any:
        c = self.c.collections
        return None if c is None else c.gateway

    def _count(self, outcome: str) -> None:
        self.report.contacts[outcome] += 1

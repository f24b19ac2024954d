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
episodes.py; what happens each day in book.py, with charge-offs and
recoveries, and, under `us`, the investors' trades on market days
(secondary.py).

Nothing here reads or writes a table: every step is a context's service, so
the demo exercises exactly what a user would. Each step commits on its own,
which is why the caller must hand over an empty database (the CLI checks).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from fairlend.bootstrap import Container
from fairlend.errors import Conflict
from fairlend.identity.model import CertificateKind, ConsentPurpose, OtpPurpose, Role
from fairlend.identity.ports import DevMessageSender
from fairlend.lending.eod import set_clock_date
from fairlend.lending.model import DayCount, Frequency, Method, Product
from fairlend.money import Money
from fairlend.sim import episodes, market
from fairlend.sim.book import PRODUCT_CODE, Book
from fairlend.sim.episodes import Enrolled
from fairlend.sim.people import Behaviour, SimBorrower, make_borrowers
from fairlend.sim.report import DemoReport, OperatorLogin

# Development passwords: printed so a person can log in; the demo refuses production (no dev sender).
OPERATORS: tuple[tuple[str, Role], ...] = (
    ("admin", Role.ADMIN),
    ("underwriter", Role.UNDERWRITER),
    ("collector", Role.COLLECTOR),
    ("compliance", Role.COMPLIANCE),
    ("finance", Role.FINANCE),
)
# 10:00 where the profile's debtors live: inside its contact window on every simulated day.
CONTACT_HOUR = time(10, 0)
INVESTORS = 6  # under a profile with retail investors on


def contact_instant(day: date, timezone: str) -> datetime:
    """10:00 on `day` in the profile's time zone, as a UTC instant (02:00 UTC in Shanghai)."""
    return datetime.combine(day, CONTACT_HOUR, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def dev_password(username: str) -> str:
    return f"demo-{username}-password"


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
    book = Book(container, report, enrolled, ops, seed, days)
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

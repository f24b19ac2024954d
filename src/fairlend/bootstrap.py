"""Wire the platform together: one place builds every service.

`bootstrap(settings)` makes the engine, the unit-of-work factory, the clock,
the jurisdiction profile and each context's services. Nothing happens at
import time; the API, the web pages and the CLI each call this once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from fairlend.analytics.service import AnalyticsService
from fairlend.batch.dispatch import CeleryDispatcher
from fairlend.bureau.client import BureauAdmin, InProcessBureau, OwnInstitution
from fairlend.bureau.sealing import BureauSealer
from fairlend.bureau.service import BureauService, derive_blind_key
from fairlend.clock import Clock, StoredBusinessDate, SystemClock
from fairlend.config import Settings
from fairlend.db.engine import make_engine
from fairlend.db.idempotency import IdempotencyStore
from fairlend.db.uow import EventBus, UnitOfWorkFactory, uow_factory
from fairlend.finance.credit_loss import GradeRisk
from fairlend.finance.service import FinanceService
from fairlend.finance.wiring import wire_finance
from fairlend.hardship.model import PlanStatus
from fairlend.hardship.plans import HardshipPlans, HardshipStep
from fairlend.identity.model import Principal
from fairlend.identity.pii import parse_keys
from fairlend.identity.service import IdentityService
from fairlend.identity.wiring import build_identity
from fairlend.jurisdiction.loader import load_profile
from fairlend.jurisdiction.model import Profile, StatusCodeSet
from fairlend.ledger.service import Discrepancy, Ledger
from fairlend.market.adapters import IdentityFacts, OriginationOffers
from fairlend.market.loan_standing import LendingLoans as NoteLoans
from fairlend.market.ports import rail_for
from fairlend.market.service import MarketService
from fairlend.market.wiring import wire_market_steps
from fairlend.origination.adapters import BureauAdapter, IdentityAdapter
from fairlend.origination.lending_adapter import PERSONAL_LOAN, LendingAdapter
from fairlend.origination.model import GRADES, CreditPolicy, rate_for
from fairlend.origination.service import OriginationService
from fairlend.scoring.comprehensive import ComprehensiveScorer, load_default_model, retention_of
from fairlend.scoring.scorecard import Scaling
from fairlend.scoring.service import ScoringService

if TYPE_CHECKING:
    from fairlend.collections.wiring import Collections
from fairlend.lending.eod import EndOfDay, business_date_reader, restore_business_date
from fairlend.lending.grades import PricedGrade
from fairlend.lending.service import LendingService
from fairlend.lending_reporting.metro2_export import Metro2Export, Reporter
from fairlend.lending_reporting.service import BureauReportingStep, ReportingFileSubmitter


class Authenticator(Protocol):
    def authenticate(self, token: str) -> Principal | None: ...

    def pending(self, token: str) -> Callable[[Connection], Principal | None] | None: ...


FAIRLEND_INSTITUTION_ID = "inst_fairlend"


# A check that `fairlend verify` runs: returns what it found wrong.
Verifier = Callable[[], list[Discrepancy]]


@dataclass
class Container:
    settings: Settings
    profile: Profile
    engine: Engine
    clock: Clock
    uow: UnitOfWorkFactory
    bus: EventBus
    ledger: Ledger
    lending: LendingService
    eod: EndOfDay
    # Checks bearer tokens (identity's token service); None until wired.
    authenticator: Authenticator | None = None
    # The credit bureau's back office; other contexts use `bureau.client_for(...)` (bureau.client port).
    bureau: BureauAdmin | None = None
    bureau_access: OwnInstitution | None = None
    # Set by bootstrap: accounts, KYC, certificates, consent, personal data (identity/service.py).
    identity: IdentityService = field(default=None)  # type: ignore[assignment]
    # Idempotency keys of the API and the web's money forms; answers sealed with identity's vault.
    idempotency: IdempotencyStore = field(default=None)  # type: ignore[assignment]
    verifiers: dict[str, Verifier] = field(default_factory=dict)
    scoring: ScoringService | None = None
    origination: OriginationService | None = None
    collections: Collections | None = None
    # Investors, listings, notes and funding (market/service.py); origination funds through it.
    market: MarketService = field(default=None)  # type: ignore[assignment]
    # Hardship requests, proposals and plans (hardship/service.py, plans.py).
    hardship: HardshipPlans = field(default=None)  # type: ignore[assignment]
    # Statements, classification, provisions, period close, export (finance/service.py).
    finance: FinanceService = field(default=None)  # type: ignore[assignment]
    # Portfolio measures, read-only (analytics/service.py): the console's analytics page and `fairlend report`.
    analytics: AnalyticsService = field(default=None)  # type: ignore[assignment]
    # fairlend as a Metro 2 furnisher (lending_reporting/metro2_export.py).
    metro2: Metro2Export = field(default=None)  # type: ignore[assignment]

    def verify(self) -> list[Discrepancy]:
        found: list[Discrepancy] = []
        for check in self.verifiers.values():
            found.extend(check())
        return found

    def database_problem(self) -> str | None:
        """None when the database answers, else what went wrong."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            return type(exc).__name__
        return None

    def close(self) -> None:
        self.engine.dispose()


def _in_plan(hardship: HardshipPlans, loan_id: str) -> bool:
    """Whether a hardship plan is in force on the loan: the market's note standing asks (market imports no hardship)."""
    return any(plan.status is PlanStatus.ACTIVE for plan in hardship.plans_of_loan(loan_id))


def price_ladder(policy: CreditPolicy) -> list[PricedGrade]:
    """Each grade at its nominal rate: how lending grades a loan that no offer graded (lending/grades.py)."""
    return [PricedGrade(grade, rate_for(grade, policy)) for grade in GRADES]


def grade_risks(policy: CreditPolicy, scaling: Scaling) -> list[GradeRisk]:
    """Each grade's price and 12-month PD: the score's calibrated probability of bad at the grade's middle score.

    The scorecard's "bad" is 90+ days past due within a year (scoring/synthetic.py), so its probability
    is a 12-month PD. A1 is open upwards and the last grade downwards: their middles are taken one band
    in from the edge.
    """
    risks = []
    for i, grade in enumerate(GRADES):
        low = policy.grade_top - i * policy.grade_step
        middle = low + (policy.grade_step - 1) / 2 if i else policy.grade_top + policy.grade_step / 2
        pd = Decimal(str(round(scaling.probability_of_bad(middle), 6)))
        risks.append(GradeRisk(grade, pd))
    return risks


def bootstrap(settings: Settings, *, clock: Clock | None = None, engine: Engine | None = None) -> Container:
    profile = load_profile(settings.jurisdiction)
    engine = engine or make_engine(settings.database_url, echo=settings.echo_sql)
    if clock is None:
        # The stored business date, re-read now and then: `fairlend eod` in another process moves it.
        clock = StoredBusinessDate(
            SystemClock(), business_date_reader(engine), refresh_seconds=settings.business_date_refresh_seconds
        )
    else:
        # A clock the caller supplied (tests, the simulator) moves only when told; it starts on the stored date.
        restore_business_date(engine, clock)
    bus = EventBus()
    uow = uow_factory(engine, clock, bus)
    ledger = Ledger(uow)
    # One credit policy: origination grades and prices by it, lending grades a loan booked without an offer by it.
    policy = CreditPolicy()
    lending = LendingService(uow, ledger, profile, price_ladder(policy))
    eod = EndOfDay(
        uow,
        ledger,
        profile,
        clock,
        settle_timeout=settings.eod_settle_seconds,
        partitions=settings.eod_partition_count,
        single_below=settings.eod_single_below,
    )
    if settings.broker_url:
        # Partitions go to `fairlend worker` processes through the broker; the Celery app is built lazily.
        eod.use_dispatcher(CeleryDispatcher(settings, eod))
    container = Container(
        settings=settings,
        profile=profile,
        engine=engine,
        clock=clock,
        uow=uow,
        bus=bus,
        ledger=ledger,
        lending=lending,
        eod=eod,
    )
    container.verifiers["ledger"] = ledger.verify
    container.verifiers["lending"] = lending.verify
    # The bureau's keys are its own, derived from the platform's (bureau/sealing.py): it imports no identity code.
    bureau = BureauService(
        uow,
        profile,
        clock,
        derive_blind_key(settings.blind_index_key.get_secret_value()),
        BureauSealer.derived_from(parse_keys(settings.pii_keys.get_secret_value())),
    )
    bureau_admin = InProcessBureau(bureau)
    container.bureau = bureau_admin
    # fairlend as a lender: its own institution at the bureau, reached only through the client.
    container.bureau_access = OwnInstitution(bureau_admin, FAIRLEND_INSTITUTION_ID, "fairlend")
    container.verifiers["bureau"] = lambda: [Discrepancy("bureau", s, d) for s, d in bureau.verify()]
    container.identity = build_identity(settings, profile, uow, clock)
    container.authenticator = container.identity.tokens
    container.verifiers["identity"] = container.identity.maintenance.verify
    container.verifiers["identity_audit"] = container.identity.audit.verify
    # db imports no identity code: the vault is handed to the store as its sealer.
    idempotency = IdempotencyStore(
        uow, clock, container.identity.vault, lease=timedelta(seconds=settings.idempotency_lease_seconds)
    )
    container.idempotency = idempotency
    container.verifiers["idempotency"] = lambda: [
        Discrepancy("idempotency.body", p.scope_key, p.detail) for p in idempotency.verify()
    ]
    score_model = load_default_model()
    container.scoring = ScoringService(uow, ComprehensiveScorer(score_model, retention_of(profile)))
    # Every accepted offer is funded through the market's notes: listed for investors, or (retail
    # off, or the platform alone) booked at once. Origination is built with the market's funding
    # port; the market reaches origination's offers back through a lazy adapter.
    offers = OriginationOffers()
    container.market = MarketService(
        uow,
        ledger,
        profile,
        lending,
        rail_for(settings.payment_rail, settings.environment == "production"),
        IdentityFacts(container.identity),
        offers,
        PERSONAL_LOAN,
        # A note's standing on the secondary market says whether its loan is in a hardship plan (built below).
        loans=NoteLoans(lending, in_plan=lambda loan_id: _in_plan(container.hardship, loan_id)),
    )
    container.origination = OriginationService(
        uow,
        clock,
        profile,
        container.scoring,
        IdentityAdapter(container.identity),
        BureauAdapter(container.bureau_access),
        LendingAdapter(lending, profile.currency),
        policy=policy,
        funding=container.market.funding,
    )
    offers.origination = container.origination
    container.verifiers["market"] = container.market.verify
    container.verifiers["origination"] = container.origination.verify
    # Hardship plans: keeping, breaking and re-aging run after lending's steps and before collections
    # planning and the bureau file, so both see today's plans (hardship/plans.py).
    # Evidence files go through identity's certificate checks, vault and audit log (hardship imports no identity).
    container.hardship = HardshipPlans(uow, clock, profile, lending, evidence=container.identity.files)
    eod.register(HardshipStep(container.hardship))
    container.verifiers["hardship_evidence"] = lambda: [
        Discrepancy("hardship.decrypt", s, d) for s, d in container.hardship.evidence.unreadable()
    ]
    from fairlend.collections.adapters import BureauDisputes, LendingLoans
    from fairlend.collections.wiring import wire_collections

    # Registers collections planning as an end-of-day step, and its in-transaction
    # reaction to LoanSettled (P-2).
    collections = wire_collections(
        container, lending=LendingLoans(lending), disputes=BureauDisputes(container.bureau_access)
    )
    # T+1 (CN-16): the day's lending events become tomorrow's reporting file, built in the
    # day's transaction and sent to the bureau once the day has committed.
    # Listings at their deadline are originated or cancelled before the day's bureau file is built.
    # The deadline, then the day's receipts shared among notes; both follow `container.market`.
    wire_market_steps(container)
    eod.register(BureauReportingStep(collections.service))
    container.metro2 = Metro2Export(
        uow,
        clock,
        profile.bureau.modification_codes,
        container.identity,
        container.identity.vault,
        Reporter(
            settings.metro2_identification_number,
            settings.metro2_reporter_name,
            settings.metro2_reporter_address,
            settings.metro2_reporter_telephone,
            settings.metro2_equifax_program,
            settings.metro2_experian_program,
            settings.metro2_transunion_program,
            settings.metro2_innovis_program,
        ),
        client=container.bureau_access,
    )
    metro2 = container.metro2
    container.verifiers["lending_reporting_metro2"] = lambda: [
        Discrepancy("lending_reporting.decrypt", s, d) for s, d in metro2.unreadable()
    ]
    furnish = settings.bureau_file_format if profile.bureau.status_codes is StatusCodeSet.METRO2 else "json"
    if furnish != "json":
        # Before the submitter: in `metro2` mode the file it sends is this one.
        eod.register_after_day("bureau_metro2", container.metro2.run)
    eod.register_after_day(
        "bureau_submit",
        ReportingFileSubmitter(
            uow,
            clock,
            container.bureau_access,
            container.identity,
            metro2=container.metro2.stored if furnish == "metro2" else None,
        ),
    )
    eod.register_after_day("bureau_daily", lambda day: len(bureau_admin.run_daily(day).removed))
    retention = timedelta(days=settings.idempotency_retention_days)
    eod.register_after_day("idempotency_prune", lambda day: idempotency.prune(retention))
    # A kept self-check is read only on its own business date; the day closed, it goes.
    eod.register_after_day("self_check_prune", container.origination.prune_self_checks)
    # Finance last: the day's days past due, plans and re-ages are final when the book is classified.
    container.finance = FinanceService(
        uow, ledger, profile, grade_risks(container.origination.policy, score_model.scaling)
    )
    wire_finance(container)
    market = container.market
    container.analytics = AnalyticsService(
        uow,
        currency=profile.currency,
        buckets=tuple(b.name for b in profile.delinquency_buckets),
        pd_of=score_model.scaling.probability_of_bad,
        nar_of=lambda investor_id: market.portfolios.portfolio(investor_id).nar,
    )
    # Last of end-of-day's steps: on a month's last day, the analytics page's month-end snapshot of the
    # book as every other step left it (analytics/snapshot.py).
    eod.register(container.analytics.month_end_step())
    return container

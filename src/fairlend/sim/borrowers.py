"""The simulated borrowers' day: sign up, prove who they are, apply, pay, fall behind, cure or default.

On their sign-up day a borrower receives a code from the development sender,
signs up, verifies identity and a bank card, consents, perhaps uploads a
salary certificate (the underwriter reviews it), names a contact person and
checks their own credit; some apply at other lenders on the same day
(sim/lenders.py: a hard inquiry each); then they apply here and accept the
offer, which the market funds (sim/investors.py under `us`, the funding
partner under `cn`). Every day after, each borrower with a loan may lose
their job (a daily hazard) or find one again; what falls due is paid on the
day when money and discipline allow, otherwise later, sooner after a
collector's contact; out of work and behind, some ask for a hardship plan
(sim/plans.py). The lender charges a loan off at `CHARGE_OFF_DPD`.

Each agent draws from its own generator (sim/traits.py) and lists from the
services are walked in booking order, so the same seed makes the same book.
"""

from __future__ import annotations

from datetime import date

from fairlend.errors import Conflict, DomainError
from fairlend.identity.model import CertificateKind, ConsentPurpose, OtpPurpose, Role
from fairlend.identity.ports import DevMessageSender
from fairlend.lending.model import LoanState
from fairlend.money import Money
from fairlend.sim.book import CHARGE_OFF_DPD
from fairlend.sim.episodes import payslip
from fairlend.sim.investors import Investors
from fairlend.sim.lenders import OtherLenders
from fairlend.sim.plans import PlanDesk
from fairlend.sim.traits import SimAgent, agent_rng, sim_phone
from fairlend.sim.world import World

CONTACT_EFFECT_DAYS = 3  # a contact makes a late payer more likely to pay within this many days
BASE_CURE = 0.04  # a late payer in work pays what is overdue on a given day with this chance
PREPAY_AFTER = 1  # installments a prepayer pays before settling the whole loan


class Agent:
    """One borrower's identity in the platform and the state its traits act on."""

    __slots__ = ("behind", "contact_person_id", "employed", "loan_id", "paid", "person_id", "rng", "sim")

    def __init__(self, sim: SimAgent, seed: int) -> None:
        self.sim = sim
        self.rng = agent_rng(seed, "borrower-days", sim.person.index)
        self.person_id = ""
        self.loan_id = ""
        self.contact_person_id = ""
        self.employed = True
        self.paid = 0
        self.behind = False

    def in_work(self) -> bool:
        return self.employed


class Borrowers:
    def __init__(
        self,
        world: World,
        sender: DevMessageSender,
        agents: list[SimAgent],
        seed: int,
        *,
        lenders: OtherLenders,
        investors: Investors,
        plans: PlanDesk,
    ) -> None:
        self.w = world
        self.lenders, self.investors, self.plans = lenders, investors, plans
        self.sender = sender
        self.seed = seed
        self.agents = [Agent(a, seed) for a in agents]
        self.by_signup: dict[int, list[Agent]] = {}
        for a in self.agents:
            self.by_signup.setdefault(a.sim.signup_offset, []).append(a)
        self.by_loan: dict[str, Agent] = {}  # loans still open (not settled, not charged off)
        self.settled: list[str] = []  # loans settled early, in order
        self.listed: dict[str, Agent] = {}  # listings not funded by the end of their day

    # -- the day ----------------------------------------------------------------------------------

    def sign_ups(self, offset: int, today: date) -> None:
        for agent in self.by_signup.get(offset, []):
            self._enrol(agent)
            self.lenders.shop(agent.person_id, agent.sim, agent.rng, agent.in_work)
            self._apply(agent)

    def shocks(self) -> None:
        """Jobs lost and found: one draw per borrower with a loan, in booking order."""
        for agent in self.by_loan.values():
            t = agent.sim.traits
            if agent.employed and agent.rng.random() < t.job_loss_hazard:
                agent.employed = False
                self.w.report.job_losses += 1
            elif not agent.employed and agent.rng.random() < t.rehire_hazard:
                agent.employed = True

    def repay(self, today: date) -> None:
        lending, report = self.w.lending, self.w.report
        dues = sorted(
            (d for d in lending.due_soon(today) if d.loan_id in self.by_loan), key=lambda d: self.w.order[d.loan_id]
        )
        for due in dues:
            agent = self.by_loan[due.loan_id]
            if due.amount.minor <= 0 or agent.behind:
                continue
            in_plan = self.plans.in_plan(due.loan_id)
            discipline = max(0.9, agent.sim.traits.discipline) if in_plan else agent.sim.traits.discipline
            able = agent.employed or (in_plan and agent.rng.random() < 0.6)  # a plan is sized to be affordable
            if able and agent.rng.random() < discipline:
                lending.repay(due.loan_id, due.amount, reference=f"sim:{today}")
                agent.paid += 1
                report.repayments += 1
            else:
                agent.behind = True
        for agent in [a for a in self.by_loan.values() if a.sim.traits.prepays and a.paid >= PREPAY_AFTER]:
            facts = lending.loan_facts(agent.loan_id)
            if facts.state is LoanState.ACTIVE and facts.days_past_due == 0:
                lending.settle_early(agent.loan_id, reference=f"sim:settle:{today}")
                report.settled_early += 1
                self.settled.append(agent.loan_id)
                del self.by_loan[agent.loan_id]

    def catch_up(self, today: date) -> None:
        """Behind and in work: some pay what is overdue (sooner after a contact); out of work, some ask for a plan."""
        lending = self.w.lending
        late = sorted(
            (d for d in lending.delinquent_loans(1) if d.loan_id in self.by_loan), key=lambda d: self.w.order[d.loan_id]
        )
        still_behind: set[str] = set()
        for d in late:
            agent = self.by_loan[d.loan_id]
            t = agent.sim.traits
            contacted = self.w.contacted.get(d.loan_id)
            nudged = contacted is not None and (today - contacted).days <= CONTACT_EFFECT_DAYS
            chance = BASE_CURE + (t.answers_reminders * 0.4 if nudged else 0.0)
            if agent.employed and agent.rng.random() < chance:
                detail = lending.loan_detail(d.loan_id)
                owed = d.overdue_amount + detail.penalty_due + detail.fees_due
                if owed.minor > 0:
                    lending.repay(d.loan_id, owed, reference=f"sim:cure:{today}")
                    self.w.report.repayments += 1
                    self.w.report.cures += 1
                    agent.paid += 1
                    continue
            still_behind.add(d.loan_id)
            if not agent.employed and d.days_past_due >= 10 and agent.rng.random() < t.asks_hardship / 10:
                self.plans.ask(agent.person_id, d.loan_id, today)
        for loan_id, agent in self.by_loan.items():
            agent.behind = loan_id in still_behind

    def charge_offs(self) -> None:
        lending = self.w.lending
        due = sorted(
            (d.loan_id for d in lending.delinquent_loans(CHARGE_OFF_DPD) if d.loan_id in self.by_loan),
            key=lambda loan_id: self.w.order[loan_id],
        )
        for loan_id in due:
            lending.charge_off(loan_id)
            self.w.report.defaults[self.w.grade_of[loan_id]] += 1
            del self.by_loan[loan_id]

    # -- signing up and applying ---------------------------------------------------------------

    def _enrol(self, agent: Agent) -> None:
        identity, p, t = self.w.identity, agent.sim.person, agent.sim.traits
        identity.otp.send_code(p.phone, OtpPurpose.SIGN_UP)
        code = self.sender.last_code(identity.otp.phone(p.phone).e164, OtpPurpose.SIGN_UP.value)
        if code is None:
            raise Conflict("demo_code_missing", "the development sender kept no sign-up code")
        who = identity.accounts.sign_up(p.phone, code, Role.BORROWER)
        agent.person_id = who.subject_id
        self.w.report.borrower_ids.append(who.subject_id)
        identity.kyc.verify_identity(who.subject_id, p.name, p.id_number, p.birth_date)
        identity.kyc.bind_bank_card(who.subject_id, p.card_number)
        identity.consents.give(who.subject_id, ConsentPurpose.DATA_PROCESSING, "data-processing/v1")
        identity.consents.give(who.subject_id, ConsentPurpose.CREDIT_INQUIRY, "credit-inquiry/v1", "fairlend")
        identity.consents.give(who.subject_id, ConsentPurpose.CREDIT_SELF_CHECK, "credit-self-check/v1", "fairlend")
        self.w.report.signed_up += 1
        if t.uploads_certificate:
            income = Money.of(t.monthly_income, self.w.profile.currency)
            cert = identity.certificates.upload(
                who.subject_id, CertificateKind.SALARY_FLOW, income, payslip(p), filename="payslip.pdf"
            )
            approve = agent.rng.random() < 0.85
            identity.certificates.review(
                who.subject_id,
                cert.certificate_id,
                approve=approve,
                reason="" if approve else "the employer's stamp is unreadable; please upload a clearer copy",
                reviewer_id=self.w.ops["underwriter"],
            )
            self.w.report.certificates["approved" if approve else "rejected"] += 1
        if t.names_contact:
            self._name_contact(agent)
        if t.self_checks:
            self.w.origination.self_check(who.subject_id)
            self.w.report.inquiries["self"] += 1

    def _name_contact(self, agent: Agent) -> None:
        p = agent.sim.person
        phone = sim_phone(self.seed, "contact", p.index, self.w.scheme)
        relation = "sibling" if self.w.scheme == "us.ssn" else "兄弟"
        named = self.w.collections.service.name_contact_person(agent.person_id, f"{p.name} Jr", relation, phone)
        code = self.sender.last_code(self.w.identity.otp.phone(phone).e164, "confirm_contact")
        if code is not None:
            self.w.collections.service.confirm_contact_person(named.id, code)
            agent.contact_person_id = named.id

    def _apply(self, agent: Agent) -> None:
        origination, p, report = self.w.origination, agent.sim.person, self.w.report
        currency = self.w.profile.currency
        origination.inquiry_disclosure(agent.person_id)
        try:
            application = origination.apply(
                agent.person_id,
                Money.of(p.amount_yuan, currency),
                p.term,
                inquiry_disclosure_acknowledged=True,
                stated_monthly_income=Money.of(agent.sim.traits.monthly_income, currency),
            )
        except DomainError as refused:
            report.applications[f"refused:{refused.code}"] += 1
            return
        report.applications[application.decision] += 1
        if application.offer_id is None:
            return
        offer = origination.accept(agent.person_id, application.offer_id, agreed=True, partial_ok=True)
        grade = application.grade or "?"
        if offer.loan_id is not None:
            self._booked(agent, offer.loan_id, offer.quote.amount, grade)
        elif offer.listing_id is not None:
            loan_id = self.investors.fund(offer.listing_id)
            if loan_id is None:
                self.listed[offer.listing_id] = agent
                report.not_funded += 1
            else:
                self._booked(agent, loan_id, self.w.lending.loan_facts(loan_id).outstanding_principal, grade)

    def _booked(self, agent: Agent, loan_id: str, amount: Money, grade: str) -> None:
        agent.loan_id = loan_id
        self.by_loan[loan_id] = agent
        self.w.booked(loan_id, grade)
        self.w.report.originations[grade[:1]] += 1
        self.w.report.originated_minor[grade[:1]] += amount.minor

"""A simulated year under `us` with investors: `fairlend verify` finds nothing and the market's books agree.

The demo's simulator runs 365 business days: investors fund every loan (auto-invest rules and by hand),
repayments are distributed to the notes, loans 120 days past due are charged off (one recovers a third),
notes change hands on twelve market days. Then every verifier is clean, each loan's notes sum to its
outstanding principal, each investor's statement for the year reconciles to the ledger and to the
market's own records (wallet, deposits, investments, trades, distributions), and the platform's statements
of every month reconcile with the journal.
"""

from __future__ import annotations

import pytest

from fairlend.bootstrap import Container
from fairlend.db import outbox
from fairlend.finance.model import FundingSource, months_between
from fairlend.hardship.model import Kind, PlanStatus
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.lending.model import LoanState, RepaymentKind
from fairlend.market.model import CommitmentStatus, MovementKind, MovementStatus
from fairlend.market.returns import PURCHASE_KIND, SALE_KIND
from fairlend.market.secondary import SaleStatus
from fairlend.sim.demo import seed_demo
from tests.finance.reconciled import assert_reconciled

# Fewer borrowers, not fewer days: 20 give two that never pay (charged off), late payers and a prepayer.
YEAR = {"borrowers": 20, "days": 365, "seed": 7}


@pytest.mark.slow
def test_a_simulated_year_with_investors_leaves_verify_clean_and_every_statement_reconciled(
    us_container: Container,
) -> None:
    report = seed_demo(us_container, **YEAR)
    market, lending, ledger = us_container.market, us_container.lending, us_container.ledger
    assert market is not None

    assert us_container.verify() == []
    # Every month's statements reconcile with the journal, the investors' notes a funding source of their own.
    for period in months_between(report.start, report.end):
        st = assert_reconciled(us_container, period, "USD")
        assert {r.source for r in st.trial_balance.rows if r.type is AccountType.NOTES_PAYABLE} == {
            FundingSource.INVESTORS
        }

    # The year did what the checks below need, so they are not vacuous.
    assert report.eod_days == 365 and report.funded_by["investors"] == len(report.borrowers) == 20
    auto = {i.person_id for i in report.investors if i.auto}
    by_hand = {i.person_id for i in report.investors} - auto
    assert auto and all(market.autoinvest.rules.investments(i) for i in auto)
    assert by_hand and all(market.commitments.of_investor(i) for i in by_hand)
    assert {"settled", "active", "charged_off"} <= set(report.loan_states)
    assert len(report.charged_off) == report.loan_states["charged_off"] >= 2 and report.recoveries >= 1
    trades = [market.trades.trade(t) for t in report.trades]
    assert len(trades) >= 20 and not any(k.startswith("refused") for k in report.orders)
    assert any(t.status is SaleStatus.LATE_31_PLUS for t in trades)
    # A buyer held a note of a loan that was later charged off: the write-down followed the holder.
    assert {t.loan_id for t in trades} & set(report.charged_off)

    # Each loan's notes sum to its outstanding principal now plus the principal units the loan holds until
    # its epoch ends (fewer than its notes: docs/market.md, "the guarantee changed with market_0008"), and
    # to its principal with what was repaid and written down. A loan paid off or charged off holds nothing:
    # its notes and the loan then agree to the unit (nothing outstanding on either side when charged off).
    for b in report.borrowers:
        notes = market.notes.of_loan(b.loan_id)
        facts = lending.loan_facts(b.loan_id)
        assert facts is not None
        held = sum(n.outstanding.minor for n in notes) - facts.outstanding_principal.minor
        assert 0 <= held < len(notes), (b.loan_id, held, len(notes))
        if facts.state is not LoanState.ACTIVE:
            assert held == 0, (b.loan_id, facts.state, held)
        assert sum(n.principal.minor for n in notes) == b.amount.minor

    written_down = 0
    recovered = 0
    for investor in report.investors:
        who = investor.person_id
        statement = market.portfolios.statement(who, report.start, report.end)
        portfolio = market.portfolios.portfolio(who)
        cash = AccountKey(AccountType.INVESTOR_CASH, "USD", who)
        payable = AccountKey(AccountType.NOTES_PAYABLE, "USD", who)
        # The statement runs from nothing to the ledger's balance, line by line.
        assert statement.opening.minor == 0 and statement.notes_opening.minor == 0
        running = 0
        for line in statement.lines:
            running += line.amount.minor
            assert line.balance.minor == running
        assert (
            running == statement.closing.minor == -ledger.balance(cash).minor == market.wallets.wallet(who).cash.minor
        )
        held = sum(n.outstanding.minor for n in market.notes.of_holder(who))
        assert statement.notes_closing.minor == -ledger.balance(payable).minor == held == portfolio.outstanding.minor
        # Each kind of line equals the market's own record of it.
        deposits = sum(
            m.amount.minor
            for m in market.wallets.movements(who)
            if m.kind is MovementKind.DEPOSIT and m.status is MovementStatus.SETTLED
        )
        funded = sum(c.amount.minor for c in market.commitments.of_investor(who) if c.status is CommitmentStatus.FUNDED)
        mine = market.trades.of_investor(who)
        expected = {
            "investor_deposit": deposits,
            "loan_disbursement": -funded,
            "market_distribution": sum(n.received.minor for n in portfolio.notes),
            PURCHASE_KIND: -sum(t.price.minor for t in mine if t.buyer_id == who),
            SALE_KIND: sum(t.price.minor for t in mine if t.seller_id == who),
        }
        assert {k: v.minor for k, v in statement.totals.items()} == {k: v for k, v in expected.items() if v}
        assert deposits == investor.deposited.minor
        written_down += portfolio.charged_off.minor
        recovered += portfolio.recoveries_received.minor
    # The investors bore the charge-offs (what the borrowers had not repaid of the principal) and received the
    # recoveries whole: no servicing fee on money received more than 15 days after its due date.
    unpaid = recoveries = 0
    for loan_id in report.charged_off:
        paid = lending.repayments_of(loan_id)
        unpaid += sum(n.principal.minor for n in market.notes.of_loan(loan_id))
        unpaid -= sum(r.principal.minor for r in paid if r.kind is not RepaymentKind.RECOVERY)
        recoveries += sum(r.amount.minor - r.refunded.minor for r in paid if r.kind is RepaymentKind.RECOVERY)
    assert written_down == unpaid > 0 and recovered == recoveries > 0

    # Delinquent borrowers asked for hardship plans (sim/hardship.py): kept, completed, broken, declined.
    plans = [us_container.hardship.plan(p) for p in report.plans]
    assert {PlanStatus.COMPLETED, PlanStatus.BROKEN} <= {p.status for p in plans}
    assert report.hardship["declined"] >= 1 and report.hardship["approved_by_a_second_operator"] >= 1
    # A discounted settlement's principal written off was borne by the investors, apart from charge-offs.
    assert any(p.kind is Kind.DISCOUNTED_SETTLEMENT and p.status is PlanStatus.COMPLETED for p in plans)
    with us_container.uow(read_only=True) as uow:
        modified = [e.payload for e in outbox.read_after(uow.conn, outbox.START, types=["lending.LoanModified"])]
    written_off = sum(int(m["written_off_principal"]["minor"]) for m in modified)
    borne = sum(market.portfolios.portfolio(i.person_id).written_down.minor for i in report.investors)
    assert written_off == borne > 0


@pytest.mark.slow
def test_a_simulated_cn_year_in_which_borrowers_keep_and_break_hardship_plans_leaves_verify_clean(
    container: Container,
) -> None:
    """Under `cn` (the funding partner and the platform hold the notes): requests, a plan re-aged and kept,
    a discounted settlement paid, a plan broken and its loan charged off, a request declined; the collector's
    tries about loans in a request or a kept plan blocked under P-10; the bureau showing each plan's code."""
    report = seed_demo(container, **YEAR)
    assert container.verify() == []

    plans = {container.hardship.plan(p).loan_id: container.hardship.plan(p) for p in report.plans}
    statuses = {p.status for p in plans.values()}
    assert PlanStatus.BROKEN in statuses and PlanStatus.COMPLETED in statuses and report.hardship["declined"] == 1
    kept = [p for p in plans.values() if p.status is PlanStatus.ACTIVE and p.reaged_on is not None]
    broken = [p for p in plans.values() if p.status is PlanStatus.BROKEN]
    settled = [p for p in plans.values() if p.kind is Kind.DISCOUNTED_SETTLEMENT and p.status is PlanStatus.COMPLETED]
    assert kept and broken and settled
    # The broken plan's loan went back to the ladder and on to its charge-off; the kept one's did not.
    assert {p.loan_id for p in broken} <= set(report.charged_off)
    assert not {p.loan_id for p in kept} & set(report.charged_off)
    assert container.collections is not None
    per_rule, _ = container.collections.service.blocked_summary()
    assert per_rule.get("P-10", 0) >= 1

    # The bureau: the kept plan's code on its account, the paid settlement settled for less.
    codes = container.profile.bureau.modification_codes
    phone_of = {b.loan_id: b.phone for b in report.borrowers}
    id_of = {p.phone: p.id_number for p in report.people}
    assert container.bureau is not None
    for plan, code in ((kept[0], codes.for_kind(kept[0].kind.value)), (settled[0], codes.settled_for_less)):
        accounts = container.bureau.counter_report(id_of[phone_of[plan.loan_id]]).accounts
        (account,) = [a for a in accounts if a.account_ref == plan.loan_id]
        assert account.special_comment == code

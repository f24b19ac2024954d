"""Notes of a loan under a hardship plan (issue #15): the secondary market discloses `in_hardship` on a sale
order while the plan is in force, and the portfolio, NAR and statements count the principal a plan wrote off
as a loss, apart from charge-offs.
"""

from __future__ import annotations

from datetime import timedelta

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.hardship.model import Kind, PlanStatus, Reason, Terms
from fairlend.market.secondary import SaleStatus
from tests.hardship.helpers import CONSENT, settlement
from tests.market.support import Market, build, yuan
from tests.market.trading_support import notes_of_loan

STAKES = {"inv_ann": 6_000, "inv_bob": 3_000, "inv_cat": 1_000}


def _funded_and_late(container: Container, clock: FixedClock) -> tuple[Market, str, str]:
    """Three investors fund a ¥10,000 loan; its first installment is missed (40 days on)."""
    # The container's own note standing, which asks hardship whether a plan is in force (bootstrap); its
    # end-of-day (distribution among them) follows the market `build` puts in the container.
    world = build(container, loans=container.market.loans)
    listing = world.offer(amount=10_000)
    loan_id = ""
    for investor, stake in STAKES.items():
        world.investor(investor, cash=stake)
        loan_id = world.market.commitments.invest(investor, listing, yuan(stake)).loan_id or loan_id
    container.eod.run(through=clock.business_date() + timedelta(days=40))
    return world, loan_id, container.lending.loan_facts(loan_id).borrower_id


def _accept(container: Container, borrower: str, loan_id: str, kind: Kind, terms: Terms) -> str:
    request = container.hardship.file_request(borrower, loan_id, kind, Reason.INCOME_DROP)
    proposal = container.hardship.propose(request.request_id, terms, "op_maker")
    if proposal.needs_approval:
        container.hardship.approve(proposal.proposal_id, "op_checker")
    offer = container.hardship.request(request.request_id).offer
    assert offer is not None
    return container.hardship.accept(offer.proposal_id, borrower, offer.outcome.fingerprint, CONSENT).plan_id


def test_a_sale_order_discloses_the_plan_while_it_is_in_force_and_not_after_it_breaks(
    container: Container, clock: FixedClock
) -> None:
    world, loan_id, borrower = _funded_and_late(container, clock)
    market = world.market
    note = next(n.id for n in market.notes.of_holder("inv_bob") if n.loan_id == loan_id)
    assert market.loans.standing(loan_id).in_hardship is False  # late, not in a plan: the oracle bites
    plan_id = _accept(container, borrower, loan_id, Kind.INTEREST_STOP, Terms(Kind.INTEREST_STOP, periods=12))
    assert market.loans.standing(loan_id).in_hardship is True
    order = market.orders.place("inv_bob", note, yuan(1_000), -300)
    assert order.status_at_listing is SaleStatus.HARDSHIP and order.status_at_listing.disclosed
    market.orders.cancel("inv_bob", order.id)
    # Every plan payment missed: the plan breaks, and the note is simply late again.
    container.eod.run(through=clock.business_date() + timedelta(days=75))
    assert container.hardship.plan(plan_id).status is PlanStatus.BROKEN
    again = market.orders.place("inv_bob", note, yuan(1_000), -300)
    assert again.status_at_listing is SaleStatus.LATE_31_PLUS
    assert container.verify() == []


def test_the_portfolio_counts_principal_a_plan_wrote_off_as_a_loss_not_a_charge_off(
    container: Container, clock: FixedClock
) -> None:
    world, loan_id, borrower = _funded_and_late(container, clock)
    started = clock.business_date()
    before = world.market.portfolios.portfolio("inv_ann")
    assert before.nar is None or before.nar >= 0
    terms = settlement(container, loan_id, forgiven=350_000)
    _accept(container, borrower, loan_id, Kind.DISCOUNTED_SETTLEMENT, terms)
    written = {holder: w for holder, (_p, _o, _c, w) in notes_of_loan_with_written(container, loan_id).items()}
    assert sum(written.values()) > 0
    for investor in STAKES:
        view = world.market.portfolios.portfolio(investor)
        assert view.written_down.minor == written[investor] and view.charged_off.minor == 0
        # What is still out is what went in, less principal repaid and written off.
        assert view.outstanding.minor == view.invested.minor - view.principal_received.minor - written[investor]
        month = next(m for m in view.months if m.month == f"{started:%Y-%m}")
        assert month.written_down.minor == written[investor] and month.charged_off.minor == 0
        (grade,) = view.grades
        assert grade.written_down.minor == written[investor]
        # A third of the principal lost in the month: the return is a loss, the grade's as the whole's.
        assert view.nar is not None and view.nar < 0 and grade.nar is not None and grade.nar < 0
        statement = world.market.portfolios.statement(investor, started, started)
        assert statement.notes_opening.minor - statement.notes_closing.minor == written[investor]
    assert container.verify() == []


def notes_of_loan_with_written(container: Container, loan_id: str) -> dict[str, tuple[int, int, int, int]]:
    """Per holder: principal, outstanding, charged off and written down by a plan."""
    from sqlalchemy import func, select

    from fairlend.market.positions import positions

    market_note = positions()  # amounts as they are now

    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(
            select(
                market_note.c.holder_id,
                func.sum(market_note.c.principal_minor),
                func.sum(market_note.c.outstanding_minor),
                func.sum(market_note.c.charged_off_minor),
                func.sum(market_note.c.written_down_minor),
            )
            .where(market_note.c.loan_id == loan_id)
            .group_by(market_note.c.holder_id)
        ).all()
    assert notes_of_loan  # the module's own helper sums the same rows without the plan's column
    return {h: (int(p), int(o), int(c), int(w)) for h, p, o, c, w in rows}

"""Investors' notes follow a modified loan: principal written off is borne pro rata, then repayments as ever.

A plan's new schedule needs nothing of the market: distribution shares what
is received, whatever the schedule. Principal written off (a discounted
settlement) is written down on the notes pro rata in the acceptance's own
transaction, through the charge-off's path (notes payable against credit loss).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.hardship.model import Kind, Reason
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.lending.model import LoanState
from fairlend.market.distribution import DistributionStep
from fairlend.market.positions import positions
from fairlend.money import Money
from tests.hardship.helpers import CONSENT, settlement
from tests.market.support import build, yuan

STAKES = {"inv_ann": 6_000, "inv_bob": 3_000, "inv_cat": 1_000}


def _notes(container: Container, loan_id: str) -> dict[str, tuple[int, int]]:
    n = positions()  # outstanding principal as it is now (derived from the loan's cumulative row)
    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(
            select(n.c.holder_id, n.c.outstanding_minor, n.c.written_down_minor).where(n.c.loan_id == loan_id)
        ).all()
    return {h: (o, w) for h, o, w in rows}


def _payable(container: Container, holder: str) -> int:
    return -container.ledger.balance(AccountKey(AccountType.NOTES_PAYABLE, "CNY", holder)).minor


def test_principal_written_off_by_a_settlement_is_borne_by_the_notes_pro_rata(
    container: Container, clock: FixedClock
) -> None:
    world = build(container)  # retail on: three investors fund the loan
    container.eod.register(DistributionStep(container.market.distribution))
    listing = world.offer(amount=10_000)
    loan_id = ""
    for investor, stake in STAKES.items():
        world.investor(investor, cash=stake)
        loan_id = world.market.commitments.invest(investor, listing, yuan(stake)).loan_id or loan_id
    container.eod.run(through=clock.business_date() + timedelta(days=40))  # the first installment missed
    borrower = container.lending.loan_facts(loan_id).borrower_id
    request = container.hardship.file_request(borrower, loan_id, Kind.DISCOUNTED_SETTLEMENT, Reason.INCOME_DROP)
    terms = settlement(container, loan_id, forgiven=350_000)
    proposal = container.hardship.propose(request.request_id, terms, "op_maker")
    container.hardship.approve(proposal.proposal_id, "op_checker")
    offer = container.hardship.request(request.request_id).offer
    assert offer is not None
    written_off = offer.outcome.concessions.principal
    assert written_off > 0
    before = {h: _payable(container, h) for h in STAKES}
    container.hardship.accept(offer.proposal_id, borrower, offer.outcome.fingerprint, CONSENT)
    notes = _notes(container, loan_id)
    assert sum(w for _, w in notes.values()) == written_off
    assert sum(o for o, _ in notes.values()) == container.lending.loan_facts(loan_id).outstanding_principal.minor
    for holder, stake in STAKES.items():
        assert abs(notes[holder][1] - written_off * stake / 10_000) < 1  # pro rata, within a fen
        assert before[holder] - _payable(container, holder) == notes[holder][1]
    assert container.verify() == []
    # The lump sum paid: every note ends at exactly zero, and the books still balance.
    container.lending.repay(loan_id, Money(terms.amount, "CNY"))
    assert container.lending.loan_facts(loan_id).state is LoanState.SETTLED
    container.eod.run()
    assert all(o == 0 for o, _ in _notes(container, loan_id).values())
    assert all(_payable(container, h) == 0 for h in STAKES)
    assert container.verify() == []

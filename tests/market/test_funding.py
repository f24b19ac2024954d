"""Listings, investing and funding: notes always sum to the loan, refusals write nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.db.tables import outbox
from fairlend.errors import DomainError
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.market.model import ListingStatus
from fairlend.origination.lending_adapter import PERSONAL_LOAN
from tests.market.support import build, p2p, yuan


def _later(clock: FixedClock, days: int) -> None:
    clock.advance(timedelta(days=days))
    clock.set_business_date(clock.business_date() + timedelta(days=days))


def _state(world: object, listing: str, investor: str) -> tuple[object, ...]:
    m = world.market  # type: ignore[attr-defined]
    view = m.listings.get(listing)
    return (view.funded, view.status, m.wallets.wallet(investor), len(m.commitments.of_investor(investor)))


def test_a_listing_shows_terms_and_bands_but_nothing_that_names_the_borrower(container: Container) -> None:
    world = build(container)
    listing = world.market.listings.get(world.offer())
    assert listing.status is ListingStatus.OPEN and listing.amount == yuan(10_000) and listing.grade
    assert set(listing.borrower) == {
        "income_band",
        "dti_band",
        "credit_history",
        "identity_verified",
        "bank_card_verified",
        "income_verified",
        "inquiries_6_months",
    }
    assert "brw_solid" not in repr(listing)
    offer = world.origination.offer("brw_solid", _offer_id(world))
    assert offer.status == "listed" and offer.listing_id == listing.id and offer.loan_id is None


def _offer_id(world: object) -> str:
    from sqlalchemy import select

    from fairlend.origination.tables import loan_offer

    with world.container.uow(read_only=True) as uow:  # type: ignore[attr-defined]
        return str(uow.conn.execute(select(loan_offer.c.id)).scalar())


def test_full_funding_books_the_loan_notes_and_cash_in_one_go(container: Container) -> None:
    world = build(container)
    listing = world.offer()
    ann, bob = world.investor("inv_ann", cash=8_000), world.investor("inv_bob", cash=5_000)
    first = world.market.commitments.invest(ann, listing, yuan(6_000))
    assert first.loan_id is None and world.market.wallets.wallet(ann).committed == yuan(6_000)
    last = world.market.commitments.invest(bob, listing, yuan(4_000))
    assert last.loan_id
    notes = world.market.notes.of_loan(last.loan_id)
    assert [(n.holder_id, n.principal) for n in notes] == [(ann, yuan(6_000)), (bob, yuan(4_000))]
    loan = container.lending.loan_detail(last.loan_id)
    assert sum(n.principal.minor for n in notes) == loan.principal.minor == yuan(10_000).minor
    assert world.market.wallets.wallet(ann).cash == yuan(2_000)
    assert world.market.wallets.wallet(ann).committed == yuan(0)
    assert container.ledger.balance(AccountKey(AccountType.NOTES_PAYABLE, "CNY", bob)) == -yuan(4_000)
    offer = world.origination.offer("brw_solid", _offer_id(world))
    assert offer.status == "accepted" and offer.loan_id == last.loan_id
    assert loan.grade == offer.grade != ""  # the loan keeps the grade it was listed at
    assert world.market.listings.get(listing).status is ListingStatus.FUNDED
    assert container.verify() == []


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("120", "not_multiple_of_note"),
        ("10050", "over_remainder"),
        ("5000", "insufficient_cash"),
        ("-50", "amount_not_positive"),
        ("0", "amount_not_positive"),
        ("100000000000000", "amount_out_of_range"),
    ],
)
def test_a_bad_investment_is_refused_with_a_stable_code_and_writes_nothing(
    container: Container, amount: str, code: str
) -> None:
    world = build(container)
    listing = world.offer()
    ann = world.investor("inv_ann", cash=1_000)
    before = _state(world, listing, ann)
    with pytest.raises(DomainError) as refused:
        world.market.commitments.invest(ann, listing, yuan(amount))
    assert refused.value.code == code and 400 <= refused.value.status < 500
    assert _state(world, listing, ann) == before


def test_nobody_invests_in_their_own_loan_nor_in_a_closed_or_expired_listing(
    container: Container, clock: FixedClock
) -> None:
    world = build(container)
    listing = world.offer()
    ann = world.investor("inv_ann", cash=1_000)
    world.people.same.add(frozenset((ann, "brw_solid")))
    with pytest.raises(DomainError) as own:
        world.market.commitments.invest(ann, listing, yuan(100))
    assert own.value.code == "own_loan" and own.value.status == 403
    bob = world.investor("inv_bob", cash=1_000)
    _later(clock, 15)
    with pytest.raises(DomainError) as expired:
        world.market.commitments.invest(bob, listing, yuan(100))
    assert expired.value.code == "listing_expired"
    world.market.funding.close(listing)
    with pytest.raises(DomainError) as closed:
        world.market.commitments.invest(bob, listing, yuan(100))
    assert closed.value.code == "listing_not_open"
    assert world.market.wallets.wallet(bob).committed == yuan(0)


def test_at_the_deadline_a_listing_funded_past_the_threshold_originates_for_what_was_funded(
    container: Container, clock: FixedClock
) -> None:
    world = build(container)
    listing = world.offer(partial_ok=True)
    ann = world.investor("inv_ann", cash=8_000)
    world.market.commitments.invest(ann, listing, yuan(7_500))
    _later(clock, 14)
    report = world.market.funding.deadline()
    assert report.partial == (listing,)
    view = world.market.listings.get(listing)
    assert view.status is ListingStatus.FUNDED and view.loan_id
    assert container.lending.loan_detail(view.loan_id).principal == yuan(7_500)
    assert [n.principal for n in world.market.notes.of_loan(view.loan_id)] == [yuan(7_500)]
    assert world.market.wallets.wallet(ann).cash == yuan(500)
    assert container.verify() == []
    # Consumers are told what was lent, not what the offer asked.
    with container.engine.connect() as conn:
        accepted = conn.execute(
            sa.select(outbox.c.payload).where(outbox.c.event_type == "origination.OfferAccepted")
        ).scalar_one()
    detail = container.lending.loan_detail(view.loan_id)
    assert accepted["amount"]["minor"] == yuan(7_500).minor
    assert accepted["fee"]["minor"] == detail.origination_fee.minor


@pytest.mark.parametrize(("partial_ok", "invested"), [(False, 9_000), (True, 6_000)])
def test_at_the_deadline_a_listing_short_of_what_the_borrower_agreed_is_cancelled_and_cash_released(
    container: Container, clock: FixedClock, partial_ok: bool, invested: int
) -> None:
    world = build(container)
    listing = world.offer(partial_ok=partial_ok)
    ann = world.investor("inv_ann", cash=10_000)
    world.market.commitments.invest(ann, listing, yuan(invested))
    _later(clock, 14)
    assert world.market.funding.deadline().cancelled == (listing,)
    assert world.market.wallets.wallet(ann).committed == yuan(0)
    assert world.origination.offer("brw_solid", _offer_id(world)).status == "not_funded"
    assert container.verify() == []


def test_at_the_deadline_the_platform_takes_the_remainder_when_the_profile_says_so(
    container: Container, clock: FixedClock
) -> None:
    world = build(container, profile=p2p(container.profile, platform_takes_remainder=True))
    listing = world.offer()
    ann = world.investor("inv_ann", cash=3_000)
    world.market.commitments.invest(ann, listing, yuan(3_000))
    _later(clock, 14)
    assert world.market.funding.deadline().originated == (listing,)
    loan_id = world.market.listings.get(listing).loan_id
    assert loan_id
    notes = world.market.notes.of_loan(loan_id)
    assert sorted((n.holder_id, n.principal) for n in notes) == [("inv_ann", yuan(3_000)), ("platform", yuan(7_000))]
    assert container.verify() == []


def test_under_cn_the_partner_bank_and_the_platform_fund_each_loan_at_once(container: Container) -> None:
    world = build(container, profile=container.profile)
    loan_id = world.offer(amount=10_001)
    notes = {n.holder_id: n.principal for n in world.market.notes.of_loan(loan_id)}
    assert notes == {"inv_partner_bank": yuan("7000.70"), "platform": yuan("3000.30")}
    assert notes["platform"].minor >= container.profile.marketplace.platform_min_share * yuan(10_001).minor  # MK-2
    assert container.lending.loan_detail(loan_id).principal == yuan(10_001)
    assert container.ledger.balance(AccountKey(AccountType.NOTES_PAYABLE, "CNY", "inv_partner_bank")) == -yuan(
        "7000.70"
    )
    assert container.verify() == []


def test_platform_only_funding_gives_the_same_loan_schedule_and_ledger_as_booking_directly(
    container: Container,
) -> None:
    alone = replace(container.profile, marketplace=replace(container.profile.marketplace, funding_partners=()))
    world = build(container, profile=alone)
    funded = world.offer()
    loan = container.lending.loan_detail(funded)
    fee = world.origination.offer("brw_solid", _offer_id(world)).quote.fee
    direct = container.lending.book_loan(
        "brw_other", PERSONAL_LOAN, loan.principal, rate=loan.rate, term=loan.term, fee=fee
    )
    twin = container.lending.loan_detail(direct)
    assert [n.holder_id for n in world.market.notes.of_loan(funded)] == ["platform"]
    assert _terms(loan) == _terms(twin)
    assert _postings(container, funded) == _postings(container, direct)


def _terms(loan: object) -> tuple[object, ...]:
    keep = ("principal", "rate", "apr", "term", "installment", "open_date", "maturity_date", "schedule")
    return tuple(getattr(loan, k) for k in keep)


def _postings(container: Container, loan_id: str) -> list[tuple[str, str, int]]:
    from sqlalchemy import select

    from fairlend.ledger.tables import ledger_account, ledger_entry, ledger_posting

    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(
            select(ledger_entry.c.kind, ledger_account.c.type, ledger_posting.c.amount)
            .select_from(
                ledger_posting.join(ledger_entry, ledger_entry.c.id == ledger_posting.c.entry_id).join(
                    ledger_account, ledger_account.c.id == ledger_posting.c.account_id
                )
            )
            .where(ledger_entry.c.reference == loan_id)
        ).all()
    return sorted((k, t, a) for k, t, a in rows)


def test_a_failure_while_booking_leaves_neither_the_cash_reserved_nor_a_note(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build(container)
    listing = world.offer()
    ann = world.investor("inv_ann", cash=10_000)
    before = _state(world, listing, ann)

    def crash(*args: object, **kwargs: object) -> str:
        raise RuntimeError("the process dies between the reservation and the note")

    monkeypatch.setattr(container.lending, "book_loan_in", crash)
    with pytest.raises(RuntimeError):
        world.market.commitments.invest(ann, listing, yuan(10_000))
    assert _state(world, listing, ann) == before
    assert world.market.notes.of_holder(ann) == []

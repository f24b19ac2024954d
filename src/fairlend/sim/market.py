"""The marketplace in the demo: who funds the borrowers' loans.

Every demo loan starts as an application and an accepted offer (origination),
which the market funds as it would any other:

- retail off (`cn`, MK-1): at once, by the funding partner and the platform
  (MK-2), through the same notes;
- retail on (`us`, MK-5): the offer is listed and the demo's investors, who
  signed up, verified their identity, bound a card, accepted the investor
  agreement with their net worth and deposited cash, fund it: every other
  investor keeps an auto-invest rule, served in its rotation when the listing
  opens, and the rest invest by hand in note-sized steps, taking turns, until
  the listing is funded and the loan booked.

Every step is a context's service, as in demo.py.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fairlend.bootstrap import Container
from fairlend.errors import Conflict, DomainError
from fairlend.identity.model import ConsentPurpose, OtpPurpose, Role
from fairlend.identity.ports import DevMessageSender
from fairlend.market.autoinvest_model import GRADE_LETTERS, RuleTerms
from fairlend.money import Money
from fairlend.sim.people import SimBorrower, card_number, id_number, person_name, phone_number, ssn_number

AGREEMENT = "investor-agreement/v1"
# Investors' phones use indexes far above any borrower's (the demo takes at most 2,000).
INVESTOR_INDEX = 5_000
DEPOSIT_MAJOR = 60_000  # each investor's first deposit, in the profile's major unit
NET_WORTH_MAJOR = 2_000_000  # declared net worth: the MK-5 suitability limit stays well above the deposit


@dataclass(frozen=True, slots=True)
class DemoInvestor:
    person_id: str
    phone: str
    name: str
    deposited: Money
    auto: bool = False  # keeps an auto-invest rule


@dataclass(frozen=True, slots=True)
class Funded:
    """What an accepted offer became: a loan (funded now, or by investors today), or nothing yet."""

    loan_id: str | None
    amount: Money | None
    listing_id: str | None


def retail(container: Container) -> bool:
    return container.profile.marketplace.retail


def enrol_investors(container: Container, sender: DevMessageSender, seed: int, count: int) -> list[DemoInvestor]:
    """Investors sign up as borrowers do, accept the agreement and deposit through the payment rail."""
    market = container.market
    if market is None or not retail(container) or count <= 0:
        return []
    identity = container.identity
    scheme = container.profile.id_number_scheme
    rng = random.Random(seed * 17 + 5)
    made: list[DemoInvestor] = []
    for n in range(count):
        index = INVESTOR_INDEX + n
        phone = phone_number(seed, index, scheme)
        name = person_name(rng, scheme)
        born = date(1960 + rng.randrange(30), 1 + rng.randrange(12), 1 + rng.randrange(28))
        number = ssn_number(rng) if scheme == "us.ssn" else id_number("110105", born, 500 + n)
        identity.otp.send_code(phone, OtpPurpose.SIGN_UP)
        code = sender.last_code(identity.otp.phone(phone).e164, OtpPurpose.SIGN_UP.value)
        if code is None:
            raise Conflict("demo_code_missing", "the development sender kept no code for an investor")
        who = identity.accounts.sign_up(phone, code, Role.INVESTOR)
        identity.kyc.verify_identity(who.subject_id, name, number, born)
        identity.kyc.bind_bank_card(who.subject_id, card_number(seed % 1000 * 1_000_000 + index))
        identity.consents.give(who.subject_id, ConsentPurpose.DATA_PROCESSING, "data-processing/v1")
        currency = container.profile.currency
        market.wallets.register(
            who.subject_id, agreement_version=AGREEMENT, net_worth=Money.of(NET_WORTH_MAJOR, currency)
        )
        deposit = Money.of(DEPOSIT_MAJOR + 10_000 * (n % 3), currency)
        market.wallets.deposit(who.subject_id, deposit)
        if n % 2 == 1:  # every other investor lets auto-invest take one note of each listing
            market.autoinvest.rules.create(who.subject_id, auto_rule(container))
        made.append(DemoInvestor(who.subject_id, phone, name, deposit, auto=n % 2 == 1))
    return made


def auto_rule(container: Container) -> RuleTerms:
    """Any grade and term at any rate, a note a turn, at most 0.5 % of the portfolio in one borrower (a few
    notes of each listing: the rest is left to investors who pick by hand), 1,000 kept back."""
    currency = container.profile.currency
    return RuleTerms(
        grades=GRADE_LETTERS,
        terms=(3, 6, 12),
        min_rate=Decimal("0"),
        max_rate=Decimal("0.36"),
        amount=Money(container.profile.marketplace.note_minimum_minor, currency),
        borrower_share=Decimal("0.005"),
        reserve=Money.of(1_000, currency),
    )


def apply_and_accept(container: Container, person_id: str, sim: SimBorrower) -> Funded:
    """The borrower applies for the loan they want (stating their income) and accepts the offer made."""
    origination = container.origination
    if origination is None:
        raise Conflict("demo_needs_origination", "the demo's loans are applied for through origination")
    currency = container.profile.currency
    container.identity.consents.give(person_id, ConsentPurpose.CREDIT_SELF_CHECK, "credit-self-check/v1", "fairlend")
    origination.inquiry_disclosure(person_id)
    application = origination.apply(
        person_id,
        Money.of(sim.amount_yuan, currency),
        sim.term,
        inquiry_disclosure_acknowledged=True,
        stated_monthly_income=Money.of(6_000 + 1_000 * (sim.index % 9), currency),
    )
    if application.offer_id is None:
        return Funded(None, None, None)
    offer = origination.accept(person_id, application.offer_id, agreed=True, partial_ok=True)
    return Funded(offer.loan_id, offer.quote.amount, offer.listing_id)


def fund_listing(container: Container, listing_id: str, investors: list[DemoInvestor], turn: int) -> str | None:
    """Investors take turns putting one to four notes into the listing until it is funded; the loan's id."""
    market = container.market
    if market is None or not investors:
        return None
    note = Money(container.profile.marketplace.note_minimum_minor, container.profile.currency)
    rng = random.Random(turn)
    refused_in_a_row = 0
    n = turn
    while refused_in_a_row < len(investors):
        listing = market.listings.get(listing_id)
        if listing.loan_id is not None or listing.remaining.minor <= 0:
            return listing.loan_id
        investor = investors[n % len(investors)]
        n += 1
        steps = min(listing.remaining.minor // note.minor, 1 + rng.randrange(4))
        try:
            market.commitments.invest(investor.person_id, listing_id, Money(note.minor * steps, note.currency))
            refused_in_a_row = 0
        except DomainError:
            refused_in_a_row += 1  # out of cash or over a limit: the next investor's turn
    return market.listings.get(listing_id).loan_id

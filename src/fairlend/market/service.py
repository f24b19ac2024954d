"""`MarketService`: the marketplace's entry point, and `fairlend verify`'s market checks.

The use cases live by concept: `wallet.py` (investors, deposits, withdrawals),
`listing.py` (browse), `commitment.py` (investing), `autoinvest.py` and
`autoinvest_rules.py` (auto-invest), `funding.py` (listing, originating, the
deadline), `note.py` (who owns a loan), `orders.py` and `trading.py` (the
secondary market).
"""

from __future__ import annotations

from sqlalchemy import func, select

from fairlend.db.uow import UnitOfWorkFactory
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.model import AccountType
from fairlend.ledger.service import Discrepancy, Ledger
from fairlend.lending.service import LendingService
from fairlend.market.autoinvest import AutoInvest
from fairlend.market.autoinvest_rules import AutoInvestRules
from fairlend.market.batch_audit import holder_batch_discrepancies
from fairlend.market.commitment import Commitments
from fairlend.market.distribution import Distribution
from fairlend.market.funding import Funding
from fairlend.market.listing import Listings
from fairlend.market.loan_standing import LendingLoans
from fairlend.market.model import CommitmentStatus, HolderKind, ListingStatus
from fairlend.market.note import Notes
from fairlend.market.orders import SaleOrders
from fairlend.market.portfolio import Portfolios
from fairlend.market.ports import InvestorIdentity, NoteLoans, OfferOutcomes, PaymentRail
from fairlend.market.positions import positions
from fairlend.market.reconcile import distribution_discrepancies
from fairlend.market.safeguards import Safeguards
from fairlend.market.tables import market_commitment, market_listing, market_note, market_wallet
from fairlend.market.trading import Trades, trade_discrepancies
from fairlend.market.wallet import Wallets


class MarketService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        ledger: Ledger,
        profile: Profile,
        lending: LendingService,
        rail: PaymentRail,
        identity: InvestorIdentity,
        offers: OfferOutcomes,
        product_code: str,
        loans: NoteLoans | None = None,
    ) -> None:
        self._uow = uow
        self._ledger = ledger
        self.profile = profile
        self.wallets = Wallets(uow, ledger, profile, rail, identity)
        self.listings = Listings(uow, profile)
        self.funding = Funding(uow, profile, lending, self.listings, offers, product_code)
        self.commitments = Commitments(uow, profile, self.wallets, identity, self.funding)
        self.safeguards = Safeguards(uow, profile)
        self.autoinvest = AutoInvest(
            uow, profile, AutoInvestRules(uow, profile, self.wallets), self.commitments, self.funding, identity
        )
        # A new listing meets the auto-investors just after the acceptance that listed it commits.
        self.funding.when_listed.append(self.autoinvest.after_listing_opened)
        self.notes = Notes(uow)
        self.distribution = Distribution(uow, ledger, profile.marketplace)
        self.portfolios = Portfolios(uow, ledger, self.wallets, lending)
        # Lending's view of a loan for pricing its notes; a test may hand in a fake (hardship plans).
        self.loans: NoteLoans = loans or LendingLoans(lending)
        self.orders = SaleOrders(uow, profile, self.wallets, self.loans)
        self.trades = Trades(uow, ledger, profile, self.wallets, identity, self.loans)

    def verify(self) -> list[Discrepancy]:
        """Wallets equal the ledger and their commitments; notes sum to their loan; no listing over-funded."""
        found: list[Discrepancy] = []
        owed = {
            (b.key.type, b.key.owner_id): -b.balance.minor
            for b in self._ledger.balances()
            if b.key.type in (AccountType.INVESTOR_CASH, AccountType.NOTES_PAYABLE)
        }
        with self._uow(read_only=True) as uow:
            conn = uow.conn
            reserved = dict(
                conn.execute(
                    select(market_commitment.c.investor_id, func.sum(market_commitment.c.amount_minor))
                    .where(market_commitment.c.status == CommitmentStatus.RESERVED.value)
                    .group_by(market_commitment.c.investor_id)
                ).all()
            )
            for w in conn.execute(select(market_wallet).order_by(market_wallet.c.investor_id)):
                ledger_cash = owed.get((AccountType.INVESTOR_CASH, w.investor_id), 0)
                if w.cash_minor != ledger_cash:
                    found.append(
                        Discrepancy("market.wallet_cash", w.investor_id, f"wallet {w.cash_minor}, ledger {ledger_cash}")
                    )
                held = int(reserved.get(w.investor_id, 0))
                if w.committed_minor != held:
                    found.append(
                        Discrepancy(
                            "market.committed", w.investor_id, f"wallet {w.committed_minor}, commitments {held}"
                        )
                    )
            note_sums = (
                select(market_note.c.loan_id, func.sum(market_note.c.principal_minor).label("total"))
                .group_by(market_note.c.loan_id)
                .subquery()
            )
            for listing_id, loan_id, principal, total in conn.execute(
                select(
                    market_listing.c.id, market_listing.c.loan_id, market_listing.c.loan_amount_minor, note_sums.c.total
                )
                .select_from(market_listing.outerjoin(note_sums, note_sums.c.loan_id == market_listing.c.loan_id))
                .where(market_listing.c.status == ListingStatus.FUNDED.value)
                .order_by(market_listing.c.id)
            ):
                if total != principal:
                    found.append(
                        Discrepancy("market.notes_sum", loan_id or listing_id, f"notes {total}, principal {principal}")
                    )
            for listing_id, funded, amount in conn.execute(
                select(market_listing.c.id, market_listing.c.funded_minor, market_listing.c.amount_minor).where(
                    market_listing.c.funded_minor > market_listing.c.amount_minor
                )
            ):
                found.append(Discrepancy("market.overfunded", listing_id, f"funded {funded} of {amount}"))
            p = positions()
            holders = conn.execute(
                select(p.c.holder_id, func.sum(p.c.outstanding_minor))
                .where(p.c.holder_kind != HolderKind.PLATFORM.value)
                .group_by(p.c.holder_id)
            ).all()
        for holder_id, outstanding in holders:
            booked = owed.get((AccountType.NOTES_PAYABLE, holder_id), 0)
            if int(outstanding) != booked:
                found.append(Discrepancy("market.notes_payable", holder_id, f"notes {outstanding}, ledger {booked}"))
        found += distribution_discrepancies(self._uow, self._ledger)
        with self._uow(read_only=True) as uow:
            found += holder_batch_discrepancies(uow.conn)
        found += trade_discrepancies(self._uow, self._ledger)
        return found

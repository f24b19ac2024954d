"""What the marketplace needs from outside: a payment rail, identity's facts, origination's offers, loans' standing.

Ports are Protocols; the adapters next to them are the development rail
(settles at once), a failing one for trying the failure paths, and the
production stand-in that refuses until a real rail is wired (503, like SMS).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from fairlend.db.uow import UnitOfWork
from fairlend.errors import DomainError
from fairlend.ids import new_id
from fairlend.market.secondary import LoanStanding
from fairlend.money import Money


class RailUnavailable(DomainError):
    status = 503
    title = "Service unavailable"


@dataclass(frozen=True, slots=True)
class RailReceipt:
    reference: str  # the rail's own id of the movement, for reconciliation


class PaymentRail(Protocol):
    def collect(self, investor_id: str, amount: Money, reference: str) -> RailReceipt:
        """Pull a deposit from the investor's bound bank card; raises RailUnavailable when it fails."""
        ...

    def pay_out(self, investor_id: str, amount: Money, reference: str) -> RailReceipt:
        """Pay a withdrawal to the investor's bound bank card; raises RailUnavailable when it fails."""
        ...


class DevRail:
    """Development: every movement settles at once."""

    def collect(self, investor_id: str, amount: Money, reference: str) -> RailReceipt:
        return RailReceipt(new_id("rail"))

    def pay_out(self, investor_id: str, amount: Money, reference: str) -> RailReceipt:
        return RailReceipt(new_id("rail"))


class FailingDevRail:
    """FAIRLEND_PAYMENT_RAIL=dev-failing: every movement fails, as a bank that is down would."""

    def collect(self, investor_id: str, amount: Money, reference: str) -> RailReceipt:
        raise RailUnavailable("payment_rail_failed", "the payment rail refused the deposit; nothing was moved")

    def pay_out(self, investor_id: str, amount: Money, reference: str) -> RailReceipt:
        raise RailUnavailable("payment_rail_failed", "the payment rail refused the withdrawal; nothing was moved")


class UnwiredRail:
    """Production until a real rail is connected: refuses rather than pretend money moved."""

    def _fail(self) -> RailUnavailable:
        return RailUnavailable("payment_rail_not_wired", "no payment rail is connected on this deployment")

    def collect(self, investor_id: str, amount: Money, reference: str) -> RailReceipt:
        raise self._fail()

    def pay_out(self, investor_id: str, amount: Money, reference: str) -> RailReceipt:
        raise self._fail()


def rail_for(setting: str | None, production: bool) -> PaymentRail:
    chosen = setting or ("none" if production else "dev")
    if chosen == "dev":
        return DevRail()
    if chosen == "dev-failing":
        return FailingDevRail()
    return UnwiredRail()


class InvestorIdentity(Protocol):
    def verified(self, person_id: str) -> bool:
        """The person reached the identity level investors need (identity_verified)."""
        ...

    def same_person(self, a: str, b: str) -> bool:
        """Two accounts (an investor's and a borrower's) belong to one person."""
        ...

    def verified_among(self, person_ids: Collection[str]) -> frozenset[str]:
        """`verified` for a set, in one read (auto-invest seats every matching rule at once)."""
        ...

    def same_person_among(self, person_id: str, others: Collection[str]) -> frozenset[str]:
        """Which of `others` are one person with `person_id` (`same_person` for a set)."""
        ...


class OfferOutcomes(Protocol):
    """Origination's side of a listing's end: its offer becomes accepted (with the loan) or not funded."""

    def listing_funded(
        self, uow: UnitOfWork, borrower_id: str, offer_id: str, loan_id: str, principal: Money, fee: Money
    ) -> None:
        """`principal` and `fee` are the loan's: less than the offer's when partly funded."""
        ...

    def listing_not_funded(self, uow: UnitOfWork, borrower_id: str, offer_id: str) -> None: ...


class NoteLoans(Protocol):
    """What the secondary market reads of a loan to price and show its notes (lending, through an adapter)."""

    def standing(self, loan_id: str) -> LoanStanding:
        """State, days past due, hardship, rate, accrued interest and the unpaid schedule; `loan_not_found`."""
        ...

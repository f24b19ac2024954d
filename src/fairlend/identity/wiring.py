"""Builds `IdentityService` with the adapters the settings call for."""

from __future__ import annotations

from fairlend.clock import Clock
from fairlend.config import Settings
from fairlend.db.uow import UnitOfWorkFactory
from fairlend.identity.dev_messages import SharedDevMessageSender
from fairlend.identity.otp import SendBudgets
from fairlend.identity.pii import PiiVault
from fairlend.identity.ports import BankVerifier, DevBankVerifier, MessageSender, NoMessageSender
from fairlend.identity.service import IdentityService
from fairlend.identity.tokens import TokenService
from fairlend.jurisdiction.model import Profile


def build_identity(
    settings: Settings,
    profile: Profile,
    uow: UnitOfWorkFactory,
    clock: Clock,
    *,
    sender: MessageSender | None = None,
    bank_verifier: BankVerifier | None = None,
) -> IdentityService:
    vault = PiiVault(settings.pii_keys.get_secret_value(), settings.blind_index_key.get_secret_value())
    production = settings.environment == "production"
    # Production has no SMS gateway or bank adapter yet: it refuses rather than pretend.
    # Development's sender keeps what it "sent" in the database: every server process lists the same.
    chosen_sender = sender or (NoMessageSender() if production else SharedDevMessageSender(clock, uow, vault))
    chosen_verifier = bank_verifier or (RefusingBankVerifier() if production else DevBankVerifier())
    budgets = SendBudgets(
        per_client_hour=settings.otp_client_sends_per_hour,
        per_client_day=settings.otp_client_sends_per_day,
        platform_hour=settings.otp_sends_per_hour,
    )
    return IdentityService(
        uow,
        vault,
        profile,
        chosen_sender,
        chosen_verifier,
        TokenService(settings.secret_key.get_secret_value(), clock, uow),
        budgets=budgets,
    )


class RefusingBankVerifier:
    def verify(self, *, name: str, id_number: str, card_number: str, phone_e164: str) -> bool:
        return False

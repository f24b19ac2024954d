"""Ports to the outside world, with the development adapters.

`MessageSender` sends a text to a mobile number (an SMS gateway in production).
`BankVerifier` checks the "four elements" (name, ID number, card number, phone)
with the card's bank. The development adapters never leave the process: the
sender keeps what it sent where a tester can read it, the verifier accepts a
documented test range of cards (identity/README.md).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from fairlend.clock import Clock
from fairlend.errors import DomainError

log = logging.getLogger("fairlend.identity")


class MessageSender(Protocol):
    def send(self, phone_e164: str, text: str, *, code: str, purpose: str) -> None:
        """Deliver `text` (which contains `code`) to the number, or raise."""
        ...


class BankVerifier(Protocol):
    def verify(self, *, name: str, id_number: str, card_number: str, phone_e164: str) -> bool:
        """True when the bank confirms that the card belongs to this person with this phone."""
        ...


@dataclass(frozen=True, slots=True)
class SentMessage:
    phone_e164: str
    masked_phone: str
    code: str
    purpose: str
    text: str
    sent_at: datetime


def masked(phone_e164: str) -> str:
    return phone_e164[:-8] + "****" + phone_e164[-4:] if len(phone_e164) > 8 else phone_e164


class DevMessageSender:
    """Development and test only: logs each code and keeps the last ones for the dev page, in this process.

    A server wires `dev_messages.SharedDevMessageSender` instead, which keeps them in the
    database so that every worker process lists the same ones.
    """

    def __init__(self, clock: Clock, keep: int = 200) -> None:
        self._sent: deque[SentMessage] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._clock = clock

    def send(self, phone_e164: str, text: str, *, code: str, purpose: str) -> None:
        hidden = masked(phone_e164)
        with self._lock:
            self._sent.append(SentMessage(phone_e164, hidden, code, purpose, text, self._clock.now()))
        # The development log is where a tester reads codes; production never uses this adapter.
        log.info("development one-time code %s for %s (%s)", code, hidden, purpose)

    def sent(self) -> list[SentMessage]:
        with self._lock:
            return list(reversed(self._sent))

    def last_code(self, phone_e164: str, purpose: str | None = None) -> str | None:
        for message in self.sent():
            if message.phone_e164 == phone_e164 and (purpose is None or message.purpose == purpose):
                return message.code
        return None


class NoMessageSender:
    """Production without a configured SMS gateway: refuses instead of pretending to send."""

    def send(self, phone_e164: str, text: str, *, code: str, purpose: str) -> None:
        raise MessageGatewayMissing("sms_gateway_missing", "no SMS gateway is configured on this deployment")


class MessageGatewayMissing(DomainError):
    status = 503
    title = "Service unavailable"


# Development test range (identity/README.md): Luhn-valid cards whose number starts
# with one of these prefixes pass four-element verification; every other card fails.
DEV_TEST_CARD_PREFIXES = ("62220000", "40000000")


class DevBankVerifier:
    def verify(self, *, name: str, id_number: str, card_number: str, phone_e164: str) -> bool:
        return card_number.startswith(DEV_TEST_CARD_PREFIXES)

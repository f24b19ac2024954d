"""The development message sender, shared by every server process through the database.

`DevMessageSender` (ports.py) keeps what it sent in its own process's memory:
with `fairlend serve --workers N` a code texted by one worker would be missing
from the development page another worker answers, and a tester would see codes
come and go. `SharedDevMessageSender` keeps them in `identity_dev_message`,
sealed by the PII vault (a raw scan of the database finds no number or code),
looked up by the number's blind index, the newest `keep` of them. Each send is
its own short transaction: senders are called after the code's own transaction
commits (otp.py, the contact gateway's dispatch), never inside one.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import delete, insert, select

from fairlend.clock import Clock
from fairlend.db.uow import UnitOfWorkFactory
from fairlend.identity.pii import PiiVault, VaultError
from fairlend.identity.ports import DevMessageSender, SentMessage, masked
from fairlend.identity.tables import identity_dev_message

log = logging.getLogger("fairlend.identity")
_PURPOSE = "dev_message"
_INDEX = "dev_message_phone"
PRUNE_EVERY = 50  # sends between two prunes: the table holds at most `keep` + this many


class SharedDevMessageSender(DevMessageSender):
    """Development and test only: what was "sent", kept in the database for every process to list."""

    def __init__(self, clock: Clock, uow: UnitOfWorkFactory, vault: PiiVault, keep: int = 200) -> None:
        super().__init__(clock, keep)
        self._uow = uow
        self._vault = vault
        self._keep = keep
        self._next_prune = 0  # a process's first send prunes

    def send(self, phone_e164: str, text: str, *, code: str, purpose: str) -> None:
        sealed = self._vault.encrypt(json.dumps({"phone": phone_e164, "code": code, "text": text}), _PURPOSE)
        with self._uow() as uow:
            newest = uow.conn.execute(
                insert(identity_dev_message)
                .values(
                    phone_index=self._vault.blind_index(phone_e164, _INDEX),
                    masked_phone=masked(phone_e164),
                    purpose=purpose,
                    sealed=sealed,
                    sent_at=self._clock.now(),
                )
                .returning(identity_dev_message.c.id)
            ).scalar_one()
            if newest >= self._next_prune:
                # Pruned every PRUNE_EVERY sends, not every send: readers take the newest `keep`
                # anyway, so the few older rows kept meanwhile are never listed.
                uow.conn.execute(delete(identity_dev_message).where(identity_dev_message.c.id <= newest - self._keep))
                self._next_prune = newest + PRUNE_EVERY
            uow.commit()
        log.info("development one-time code %s for %s (%s)", code, masked(phone_e164), purpose)

    def sent(self) -> list[SentMessage]:
        return self._read(None)

    def last_code(self, phone_e164: str, purpose: str | None = None) -> str | None:
        for message in self._read(phone_e164):
            if purpose is None or message.purpose == purpose:
                return message.code
        return None

    def _read(self, phone_e164: str | None) -> list[SentMessage]:
        query = select(identity_dev_message).order_by(identity_dev_message.c.id.desc()).limit(self._keep)
        if phone_e164 is not None:
            query = query.where(identity_dev_message.c.phone_index == self._vault.blind_index(phone_e164, _INDEX))
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(query).all()
        messages = []
        for r in rows:
            try:
                opened = json.loads(self._vault.decrypt(r.sealed, _PURPOSE))
            except VaultError:  # sealed under a key since retired: a development code long gone
                continue
            messages.append(
                SentMessage(opened["phone"], r.masked_phone, opened["code"], r.purpose, opened["text"], r.sent_at)
            )
        return messages

"""One-time codes to a mobile number: sign-up, log-in, and confirming a contact person.

A code is 6 digits, valid 5 minutes, and locks after 5 wrong tries. A number
gets at most 1 code a minute and 10 in any 24 hours, whatever the purpose. Only
a keyed hash of the code is stored. Other contexts use `send_code` /
`verify_code` (collections confirms a borrower's emergency contact with them).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, update

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Invalid, RateLimited
from fairlend.identity.checks import Phone, normalise_phone
from fairlend.identity.model import OtpPurpose
from fairlend.identity.pii import PiiVault
from fairlend.identity.ports import MessageSender
from fairlend.identity.tables import identity_otp
from fairlend.ids import new_id

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=5)
MAX_WRONG_ATTEMPTS = 5
SENDS_PER_MINUTE = 1
SENDS_PER_DAY = 10

MESSAGES = {
    OtpPurpose.SIGN_UP: "【fairlend】您的注册验证码是 {code}，5分钟内有效。Your fairlend sign-up code is {code}.",
    OtpPurpose.LOG_IN: "【fairlend】您的登录验证码是 {code}，5分钟内有效。Your fairlend log-in code is {code}.",
    OtpPurpose.CONFIRM_CONTACT: "【fairlend】验证码 {code}：确认您同意成为紧急联系人。Code {code}: confirm you agree to be a contact person.",
}


@dataclass(frozen=True, slots=True)
class OtpSent:
    masked_phone: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A code made under every limit but not sent: the caller delivers it (collections' gateway)."""

    code: str
    masked_phone: str
    expires_at: datetime


class OtpService:
    def __init__(self, uow: UnitOfWorkFactory, vault: PiiVault, sender: MessageSender, region: str) -> None:
        self._uow = uow
        self._vault = vault
        self._sender = sender
        self._region = region

    def phone(self, raw: str) -> Phone:
        return normalise_phone(raw, self._region)

    def phone_index(self, phone: Phone) -> str:
        return self._vault.blind_index(phone.e164, "phone")

    def send_code(self, phone: str, purpose: OtpPurpose | str) -> OtpSent:
        issued = self._issue(phone, purpose, deliver=True)
        return OtpSent(issued.masked_phone, issued.expires_at)

    def issue_code(self, phone: str, purpose: OtpPurpose | str) -> IssuedCode:
        """A code under the same limits as `send_code`, committed and returned unsent."""
        return self._issue(phone, purpose, deliver=False)

    def _issue(self, phone: str, purpose: OtpPurpose | str, *, deliver: bool) -> IssuedCode:
        kind = _purpose(purpose)
        number = self.phone(phone)
        index = self.phone_index(number)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        with self._uow() as uow:
            now = uow.clock.now()
            if uow.dialect == "postgresql":
                # Serialise sends per number so two at once cannot both pass the limits
                # (SQLite already serialises every write transaction).
                uow.conn.execute(select(func.pg_advisory_xact_lock(int(index[:15], 16))))
            # Rows older than the daily window no longer count for anything.
            uow.conn.execute(
                delete(identity_otp).where(
                    identity_otp.c.phone_index == index, identity_otp.c.created_at < now - timedelta(days=1)
                )
            )
            self._check_send_limits(uow, index, now)
            uow.conn.execute(
                update(identity_otp)
                .where(identity_otp.c.phone_index == index, identity_otp.c.purpose == kind.value)
                .where(identity_otp.c.state == "active")
                .values(state="superseded")
            )
            challenge_id = new_id("otp")
            expires_at = now + CODE_TTL
            uow.conn.execute(
                insert(identity_otp).values(
                    id=challenge_id,
                    phone_index=index,
                    purpose=kind.value,
                    code_hash=self._vault.keyed_hash("otp", challenge_id, code),
                    created_at=now,
                    expires_at=expires_at,
                    wrong_attempts=0,
                    state="active",
                )
            )
            if deliver:
                # Send before committing: a gateway failure leaves no code and no count behind.
                self._sender.send(number.e164, MESSAGES[kind].format(code=code), code=code, purpose=kind.value)
            uow.commit()
        return IssuedCode(code, number.masked, expires_at)

    def _check_send_limits(self, uow: UnitOfWork, index: str, now: datetime) -> None:
        def sent_since(since: datetime) -> int:
            query = select(func.count()).where(identity_otp.c.phone_index == index, identity_otp.c.created_at > since)
            return int(uow.conn.execute(query).scalar_one())

        if sent_since(now - timedelta(minutes=1)) >= SENDS_PER_MINUTE:
            raise RateLimited(
                "code_send_rate_limited", "a code was sent to this number less than a minute ago", retry_after=60
            )
        if sent_since(now - timedelta(days=1)) >= SENDS_PER_DAY:
            raise RateLimited(
                "code_send_daily_limit", f"at most {SENDS_PER_DAY} codes a day go to one number", retry_after=86400
            )

    def verify_code(self, phone: str, code: str, purpose: OtpPurpose | str) -> Phone:
        """Check and use up a code; returns the normalised number. Wrong tries are counted."""
        kind = _purpose(purpose)
        number = self.phone(phone)
        with self._uow() as uow:
            self.consume(uow, number, code, kind)
            uow.commit()
        return number

    def consume(self, uow: UnitOfWork, number: Phone, code: str, purpose: OtpPurpose) -> None:
        """Use up the code inside the caller's transaction (committed with the caller's work).

        Call it before any other write: a wrong code is counted and the
        transaction committed before the error is raised, so the count holds
        (and nothing else can have been written yet).
        """
        index = self.phone_index(number)
        code = code.strip()
        now = uow.clock.now()
        row = uow.conn.execute(
            select(identity_otp)
            .where(identity_otp.c.phone_index == index, identity_otp.c.purpose == purpose.value)
            .where(identity_otp.c.state.in_(("active", "locked")))
            .order_by(identity_otp.c.created_at.desc(), identity_otp.c.id.desc())
            .limit(1)
        ).first()
        if row is None or row.expires_at <= now:
            raise Invalid("code_expired", "this code has expired or was never sent; request a new one")
        if row.state == "locked":
            raise RateLimited("code_locked", "too many wrong codes; request a new one")
        if not code.isascii() or not secrets.compare_digest(self._vault.keyed_hash("otp", row.id, code), row.code_hash):
            # Counted in SQL, not from the value read, so concurrent guesses all count.
            attempts = uow.conn.execute(
                update(identity_otp)
                .where(identity_otp.c.id == row.id)
                .values(wrong_attempts=identity_otp.c.wrong_attempts + 1)
                .returning(identity_otp.c.wrong_attempts)
            ).scalar_one()
            locked = attempts >= MAX_WRONG_ATTEMPTS
            if locked:
                uow.conn.execute(update(identity_otp).where(identity_otp.c.id == row.id).values(state="locked"))
            uow.commit()
            if locked:
                raise RateLimited("code_locked", "too many wrong codes; request a new one")
            raise Invalid("code_wrong", "the code is wrong", attempts_left=MAX_WRONG_ATTEMPTS - attempts)
        # Only one caller can use a code: the state guard makes a concurrent second use miss.
        used = uow.conn.execute(
            update(identity_otp)
            .where(identity_otp.c.id == row.id, identity_otp.c.state == "active")
            .where(identity_otp.c.wrong_attempts < MAX_WRONG_ATTEMPTS)
            .values(state="used")
        ).rowcount
        if used != 1:
            raise Invalid("code_expired", "this code was just used or locked; request a new one")


def _purpose(purpose: OtpPurpose | str) -> OtpPurpose:
    try:
        return OtpPurpose(purpose)
    except ValueError:
        raise Invalid("unknown_code_purpose", f"no one-time code purpose {purpose!r}") from None

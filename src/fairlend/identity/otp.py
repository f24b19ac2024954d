"""One-time codes to a mobile number: sign-up, log-in, and confirming a contact person.

A code is 6 digits, valid 5 minutes, and locks after 5 wrong tries. A number
gets at most 1 code a minute and 10 in any 24 hours, whatever the purpose. Only
a keyed hash of the code is stored.

Every code also spends from send budgets (`SendBudgets`), because a text costs
money and anyone can ask for one: one client (the address a request came from)
may have at most 10 codes sent an hour and 30 a day, to any numbers (one client
asked for codes to 15 numbers at once: SMS pumping), and the platform as a
whole at most `FAIRLEND_OTP_SENDS_PER_HOUR`. The budgets live in the database
(they count `identity_otp` rows), so every API process sees the same ones.
Codes the platform issues itself (`client=None`: the demo, a command) spend
only from the platform's.

`issue_code` creates a code under every limit and budget and commits without
sending it (collections delivers the contact-person consent code through its
own contact gateway); `send_code` is `issue_code` and then the `MessageSender`.
Other contexts check a code with `verify_code`.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, insert, or_, select, update

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import DomainError, Invalid, RateLimited
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
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# Advisory-lock key of the platform-wide budget (PostgreSQL); numbers and clients use their index.
_PLATFORM_LOCK = 0x0F417_BAD6E7

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
    """A code created and committed but not sent: the caller delivers it (and must not log it)."""

    code: str
    phone_e164: str
    masked_phone: str
    purpose: OtpPurpose
    expires_at: datetime
    challenge_id: str


@dataclass(frozen=True, slots=True)
class SendBudgets:
    """How many codes one client, and the whole platform, may have sent (each text costs money)."""

    per_client_hour: int = 10
    per_client_day: int = 30
    platform_hour: int = 10_000


class SendBudgetSpent(DomainError):
    """The platform's own budget is spent: nobody's fault in particular, so 503 and when to come back."""

    status = 503
    title = "Service unavailable"


class OtpService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        vault: PiiVault,
        sender: MessageSender,
        region: str,
        budgets: SendBudgets | None = None,
    ) -> None:
        self._uow = uow
        self._vault = vault
        self._sender = sender
        self._region = region
        self._budgets = budgets or SendBudgets()

    @property
    def budgets(self) -> SendBudgets:
        return self._budgets

    def phone(self, raw: str) -> Phone:
        return normalise_phone(raw, self._region)

    def phone_index(self, phone: Phone) -> str:
        return self._vault.blind_index(phone.e164, "phone")

    def issue_code(self, phone: str, purpose: OtpPurpose | str, *, client: str | None = None) -> IssuedCode:
        """Create a code under every limit and budget and commit it, without sending it.

        `client` names who asked (the API and the pages pass the request's address, "ip:…";
        collections passes the borrower it acts for): its budget is spent. None is the platform
        itself, which spends only from the platform-wide budget.
        """
        kind = _purpose(purpose)
        number = self.phone(phone)
        index = self.phone_index(number)
        client_index = None if client is None else self._vault.blind_index(client, "otp_client")
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        with self._uow() as uow:
            now = uow.clock.now()
            if uow.dialect == "postgresql":
                # Serialise issuing so two at once cannot both pass a limit (SQLite already serialises
                # every write transaction); always in this order: platform, client, number.
                locks = [_PLATFORM_LOCK, *([int(client_index[:15], 16)] if client_index else []), int(index[:15], 16)]
                for key in locks:
                    uow.conn.execute(select(func.pg_advisory_xact_lock(key)))
            # Rows older than the daily window no longer count for anything.
            uow.conn.execute(delete(identity_otp).where(identity_otp.c.created_at < now - DAY))
            self._check_limits(uow, index, client_index, now)
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
                    client_index=client_index,
                )
            )
            uow.commit()
        return IssuedCode(code, number.e164, number.masked, kind, expires_at, challenge_id)

    def send_code(self, phone: str, purpose: OtpPurpose | str, *, client: str | None = None) -> OtpSent:
        """Issue a code (`issue_code`) and text it through the `MessageSender`.

        The code is committed before it is sent, never sent from inside a transaction; if the
        gateway refuses, the code is withdrawn again, so a failed send leaves no code and spends
        no limit or budget.
        """
        if _purpose(purpose) is OtpPurpose.CONFIRM_CONTACT:
            # A contact person is a third person: their code goes through collections' contact
            # gateway (hours, cease requests, the borrower's contact log), never straight from here.
            raise Invalid("contact_code_through_gateway", "a contact person's code is sent by the contact gateway")
        issued = self.issue_code(phone, purpose, client=client)
        try:
            self._sender.send(
                issued.phone_e164,
                MESSAGES[issued.purpose].format(code=issued.code),
                code=issued.code,
                purpose=issued.purpose.value,
            )
        except BaseException:
            with self._uow() as uow:
                uow.conn.execute(delete(identity_otp).where(identity_otp.c.id == issued.challenge_id))
                uow.commit()
            raise
        return OtpSent(issued.masked_phone, issued.expires_at)

    def _check_limits(self, uow: UnitOfWork, index: str, client_index: str | None, now: datetime) -> None:
        """The number's limits, then the client's budgets, then the platform's, counted in one read.

        One statement with a filtered count per window (each window ends now), where five round
        trips each counted one: the rows read are those of the last day that are this number's or
        this client's, and every row of the last hour (the platform's budget).
        """
        t = identity_otp.c
        minute, hour, day = now - timedelta(minutes=1), now - HOUR, now - DAY
        number, client = t.phone_index == index, t.client_index == client_index
        mine = or_(number, t.created_at > hour) if client_index is None else or_(number, client, t.created_at > hour)
        row = uow.conn.execute(
            select(
                func.count().filter(and_(number, t.created_at > minute)),
                func.count().filter(number),
                func.count().filter(and_(client, t.created_at > hour)),
                func.min(t.created_at).filter(and_(client, t.created_at > hour)),
                func.count().filter(client),
                func.min(t.created_at).filter(client),
                func.count().filter(t.created_at > hour),
                func.min(t.created_at).filter(t.created_at > hour),
            ).where(t.created_at > day, mine)
        ).one()
        number_minute, number_day, client_hour, client_hour_oldest, client_day, client_day_oldest = row[:6]
        platform_hour, platform_oldest = row[6:]
        if number_minute >= SENDS_PER_MINUTE:
            raise RateLimited(
                "code_send_rate_limited", "a code was sent to this number less than a minute ago", retry_after=60
            )
        if number_day >= SENDS_PER_DAY:
            raise RateLimited(
                "code_send_daily_limit", f"at most {SENDS_PER_DAY} codes a day go to one number", retry_after=86400
            )
        budgets = self._budgets
        if client_index is not None:
            for window, limit, count, oldest in (
                (HOUR, budgets.per_client_hour, client_hour, client_hour_oldest),
                (DAY, budgets.per_client_day, client_day, client_day_oldest),
            ):
                if count >= limit:
                    raise RateLimited(
                        "code_send_client_budget",
                        f"at most {limit} codes in {_window_name(window)} are sent at one client's request",
                        retry_after=_until(oldest, window, now),
                    )
        if platform_hour >= budgets.platform_hour:
            raise SendBudgetSpent(
                "code_send_platform_budget",
                "the platform has sent as many codes as it may this hour; try again later",
                retry_after=_until(platform_oldest, HOUR, now),
            )

    def resend_in(self, uow: UnitOfWork, index: str, now: datetime) -> int:
        """Seconds until a new code may be sent to this number (at least 1)."""
        latest, oldest, today = uow.conn.execute(
            select(func.max(identity_otp.c.created_at), func.min(identity_otp.c.created_at), func.count()).where(
                identity_otp.c.phone_index == index, identity_otp.c.created_at > now - DAY
            )
        ).one()
        wait = _until(latest, timedelta(minutes=1), now)
        if today >= SENDS_PER_DAY:
            wait = max(wait, _until(oldest, DAY, now))
        return wait

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
            raise self._locked(uow, index, now)
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
                raise self._locked(uow, index, now)
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

    def _locked(self, uow: UnitOfWork, index: str, now: datetime) -> RateLimited:
        return RateLimited(
            "code_locked", "too many wrong codes; request a new one", retry_after=self.resend_in(uow, index, now)
        )


def _until(oldest: datetime | None, window: timedelta, now: datetime) -> int:
    """Seconds until `oldest` leaves a window that ends now (at least 1)."""
    if oldest is None:
        return 1
    return max(1, math.ceil((oldest + window - now).total_seconds()))


def _window_name(window: timedelta) -> str:
    return "an hour" if window == HOUR else "a day"


def _purpose(purpose: OtpPurpose | str) -> OtpPurpose:
    try:
        return OtpPurpose(purpose)
    except ValueError:
        raise Invalid("unknown_code_purpose", f"no one-time code purpose {purpose!r}") from None

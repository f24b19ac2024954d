"""Accounts: borrowers and investors (mobile number + one-time code) and operators
(argon2 password + TOTP, with log-in throttling: `login_throttle.py`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Executable

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, Invalid, NotFound, Unauthorized
from fairlend.identity.events import (
    KycLevelReached,
    OperatorCreated,
    OperatorDisabled,
    PersonRegistered,
    TimezoneChanged,
)
from fairlend.identity.login_throttle import LoginAttempt, forget_failures, record_failure, throttle
from fairlend.identity.model import (
    OPERATOR_ROLES,
    PERSON_ROLES,
    KycLevel,
    KycMethod,
    Operator,
    OtpPurpose,
    Principal,
    Role,
)
from fairlend.identity.otp import OtpService
from fairlend.identity.pii import PiiVault
from fairlend.identity.sessions import OPERATOR_DISABLED, end_sessions
from fairlend.identity.tables import identity_kyc, identity_operator, identity_person
from fairlend.ids import new_id

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
MIN_PASSWORD_LENGTH = 12
TOTP_STEP_SECONDS = 30


@dataclass(frozen=True, slots=True)
class NewOperator:
    operator: Operator
    totp_secret: str  # shown once, to enrol an authenticator app
    provisioning_uri: str


def person_role(role: Role | str) -> Role:
    try:
        parsed = Role(role)
    except ValueError:
        raise Invalid("invalid_role", f"no role {role!r}") from None
    if parsed not in PERSON_ROLES:
        raise Invalid("invalid_role", "people sign up as a borrower or an investor")
    return parsed


def execute_unique(uow: UnitOfWork, clash: Conflict, statement: Executable) -> None:
    """Run a write whose unique constraint a concurrent request may have just taken.

    No savepoint around it: every caller lets the clash end its unit of work, which rolls the
    whole transaction back (PostgreSQL's, aborted by the failed write, included), so nothing
    needs the transaction to survive the error, and a savepoint cost two statements a write.
    """
    try:
        uow.conn.execute(statement)
    except IntegrityError:
        raise clash from None


def load_person(uow: UnitOfWork, person_id: str) -> Row[tuple[object, ...]]:
    row = uow.conn.execute(select(identity_person).where(identity_person.c.id == person_id)).first()
    if row is None:
        raise NotFound("person_not_found", f"no person {person_id}")
    return row


class Accounts:
    def __init__(self, uow: UnitOfWorkFactory, vault: PiiVault, otp: OtpService, timezone: str) -> None:
        self._uow = uow
        self._vault = vault
        self._otp = otp
        self._timezone = timezone
        self._hasher = PasswordHasher()

    # ---- people -------------------------------------------------------------

    def sign_up(self, phone: str, code: str, role: Role | str) -> Principal:
        """Open an account for a confirmed mobile number; the number is its first KYC level."""
        kind = person_role(role)
        number = self._otp.phone(phone)
        index = self._otp.phone_index(number)
        with self._uow() as uow:
            self._otp.consume(uow, number, code, OtpPurpose.SIGN_UP)
            now = uow.clock.now()
            person_id = new_id(kind.id_prefix)
            # The same number may hold one borrower and one investor account: the unique key
            # (role, phone_index) refuses a second of one role, read first or not.
            execute_unique(
                uow,
                Conflict("phone_already_registered", f"this mobile number already has a {kind.value} account"),
                insert(identity_person).values(
                    id=person_id,
                    role=kind.value,
                    phone_cipher=self._vault.encrypt(number.e164, "phone"),
                    phone_index=index,
                    phone_masked=number.masked,
                    name_masked="",
                    id_number_masked="",
                    id_scheme="",
                    timezone=self._timezone,
                    created_at=now,
                ),
            )
            uow.conn.execute(
                insert(identity_kyc).values(
                    person_id=person_id,
                    level=KycLevel.PHONE_VERIFIED.value,
                    method=KycMethod.ONE_TIME_CODE.value,
                    verified_at=now,
                )
            )
            today = uow.clock.business_date()
            uow.publish_many(
                [
                    PersonRegistered(person_id, kind, today),
                    KycLevelReached(person_id, KycLevel.PHONE_VERIFIED, KycMethod.ONE_TIME_CODE, today),
                ]
            )
            uow.commit()
        return Principal(person_id, kind)

    def log_in(self, phone: str, code: str, role: Role | str) -> Principal:
        kind = person_role(role)
        number = self._otp.phone(phone)
        index = self._otp.phone_index(number)
        with self._uow() as uow:
            self._otp.consume(uow, number, code, OtpPurpose.LOG_IN)
            row = uow.conn.execute(
                select(identity_person.c.id)
                .where(identity_person.c.role == kind.value)
                .where(identity_person.c.phone_index == index)
            ).first()
            if row is None:
                raise NotFound("account_not_found", f"no {kind.value} account for this mobile number; sign up first")
            uow.commit()
        return Principal(row.id, kind)

    def set_timezone(self, person_id: str, timezone: str) -> str:
        """The person's own time zone, which contact windows are read in (IANA name)."""
        name = timezone.strip()
        try:
            if not name or "." in name:
                raise ValueError(name)
            ZoneInfo(name)
        except (ValueError, ZoneInfoNotFoundError):
            raise Invalid("invalid_timezone", f"{timezone!r} is not an IANA time zone such as Asia/Shanghai") from None
        with self._uow() as uow:
            load_person(uow, person_id)
            uow.conn.execute(update(identity_person).where(identity_person.c.id == person_id).values(timezone=name))
            uow.publish(TimezoneChanged(person_id, name, uow.clock.business_date()))
            uow.commit()
        return name

    # ---- operators ----------------------------------------------------------

    def create_operator(self, username: str, password: str, role: Role | str) -> NewOperator:
        try:
            kind = Role(role)
        except ValueError:
            raise Invalid("invalid_role", f"no role {role!r}") from None
        if kind not in OPERATOR_ROLES:
            raise Invalid("invalid_role", "operators are underwriter, collector, compliance or admin")
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise Invalid("invalid_username", "a username has 3-60 characters: a-z, 0-9, '.', '_' or '-'")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise Invalid("password_too_short", f"an operator password has at least {MIN_PASSWORD_LENGTH} characters")
        secret = pyotp.random_base32()
        operator_id = new_id("op")
        with self._uow() as uow:
            if uow.conn.execute(select(identity_operator.c.id).where(identity_operator.c.username == username)).first():
                raise Conflict("username_taken", f"an operator {username!r} already exists")
            uow.conn.execute(
                insert(identity_operator).values(
                    id=operator_id,
                    username=username,
                    role=kind.value,
                    password_hash=self._hasher.hash(password),
                    totp_cipher=self._vault.encrypt(secret, "totp"),
                    totp_last_step=0,
                    active=True,
                    created_at=uow.clock.now(),
                )
            )
            uow.publish(OperatorCreated(operator_id, kind, uow.clock.business_date()))
            uow.commit()
        uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="fairlend")
        return NewOperator(Operator(operator_id, username, kind, True), secret, str(uri))

    def disable_operator(self, operator_id: str, by: Principal) -> Operator:
        """Refuse the operator's log-ins and end every session they have, in one transaction.

        Disabling again ends any session again and changes nothing else. An admin
        cannot disable themselves, so the last admin cannot lock everyone out.
        """
        if operator_id == by.subject_id:
            raise Conflict("cannot_disable_self", "an operator cannot disable their own account")
        with self._uow() as uow:
            row = uow.conn.execute(select(identity_operator).where(identity_operator.c.id == operator_id)).first()
            if row is None:
                raise NotFound("operator_not_found", f"no operator {operator_id}")
            if row.active:
                uow.conn.execute(
                    update(identity_operator).where(identity_operator.c.id == operator_id).values(active=False)
                )
                uow.publish(OperatorDisabled(operator_id, by.subject_id, uow.clock.business_date()))
            end_sessions(uow, operator_id, actor_id=by.subject_id, actor_role=by.role.value, purpose=OPERATOR_DISABLED)
            uow.commit()
        return Operator(row.id, row.username, Role(row.role), False)

    def operator_log_in(self, username: str, password: str, totp_code: str, *, client: str | None = None) -> Principal:
        """Password and TOTP; every failure reads the same, so nothing tells which part was wrong.

        Guessing is throttled, never by locking the account (anyone who knows the admin's name
        could lock the admin out): a client that keeps failing is refused for a while, by name
        and overall, and while a name is under attack from many clients only the clients that
        failed on it wait (`login_throttle.py`). `client` is the request's address ("ip:…").
        """
        refused = Unauthorized("operator_login_failed", "username, password or authenticator code is wrong")
        name = username.strip().lower()
        attempt = LoginAttempt(
            self._vault.blind_index(name, "operator_name"), self._vault.blind_index(client or "", "login_client")
        )
        with self._uow() as uow:
            now = uow.clock.now()
            throttle(uow, attempt, now)
            row = uow.conn.execute(select(identity_operator).where(identity_operator.c.username == name)).first()
            step: int | None = None
            if row is not None and row.active:
                try:
                    self._hasher.verify(row.password_hash, password)
                    secret = self._vault.decrypt(row.totp_cipher, "totp")
                    step = self._matching_step(secret, totp_code, now.timestamp())
                except (VerificationError, InvalidHashError):
                    step = None
            if row is None or step is None or step <= row.totp_last_step:
                record_failure(uow, attempt, now)
                uow.commit()
                raise refused
            values: dict[str, object] = {"totp_last_step": step}
            if self._hasher.check_needs_rehash(row.password_hash):
                values["password_hash"] = self._hasher.hash(password)
            uow.conn.execute(update(identity_operator).where(identity_operator.c.id == row.id).values(**values))
            forget_failures(uow, attempt)
            uow.commit()
        return Principal(row.id, Role(row.role))

    @staticmethod
    def _matching_step(secret: str, code: str, now: float) -> int | None:
        """The TOTP time step the code belongs to (one step of clock drift either way)."""
        totp = pyotp.TOTP(secret)
        current = int(now // TOTP_STEP_SECONDS)
        for step in (current - 1, current, current + 1):
            if pyotp.utils.strings_equal(totp.at(step * TOTP_STEP_SECONDS), code.strip()):
                return step
        return None

    def has_people(self) -> bool:
        """Whether any borrower, investor or operator exists (the demo seeds only an empty database)."""
        with self._uow(read_only=True) as uow:
            person = uow.conn.execute(select(identity_person.c.id).limit(1)).first()
            operator = uow.conn.execute(select(identity_operator.c.id).limit(1)).first()
        return person is not None or operator is not None

    def operators(self) -> list[Operator]:
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(select(identity_operator).order_by(identity_operator.c.id)).all()
        return [Operator(r.id, r.username, Role(r.role), bool(r.active)) for r in rows]

    def operator(self, operator_id: str) -> Operator:
        with self._uow(read_only=True) as uow:
            r = uow.conn.execute(select(identity_operator).where(identity_operator.c.id == operator_id)).first()
        if r is None:
            raise NotFound("operator_not_found", f"no operator {operator_id}")
        return Operator(r.id, r.username, Role(r.role), bool(r.active))

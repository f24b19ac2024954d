"""Bearer tokens for the API and the web session cookie.

A token is signed claims (HMAC-SHA256 via itsdangerous, `FAIRLEND_SECRET_KEY`):
`sub` and `role` (the principal), `jti` (the token's own id, `tok_…`), `iat`
(when it was issued, in microseconds since the epoch) and `exp` (expiry, in
seconds). `authenticate` checks the signature and the expiry against the
platform clock, then asks `identity_session_revocation` with one probe of its
primary key whether the token was logged out or issued before every session of
its subject was revoked (sessions.py).

`iat` is in microseconds, the resolution of the clock and of both databases,
because a revoke-all refuses every token issued *at or before* its instant: in
whole seconds a token issued a moment before a revoke in the same second would
either survive it (compared strictly) or a fresh log-in just after it would be
refused (compared inclusively). At microseconds the only tie left is a token
issued at the very instant of the revoke (a `FixedClock` in tests), and that one
is refused: a revocation never lets an earlier session through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Connection, bindparam, select

from fairlend.clock import Clock
from fairlend.db.uow import UnitOfWorkFactory
from fairlend.identity.model import Principal, Role
from fairlend.identity.tables import identity_session_revocation as revocation
from fairlend.ids import is_id, new_id

API_TOKEN_TTL = timedelta(hours=1)
WEB_SESSION_TTL = timedelta(hours=8)
# No token lives longer: a revoke-all row is kept this long, then every token it refuses has expired.
MAX_TOKEN_TTL = max(API_TOKEN_TTL, WEB_SESSION_TTL)
TOKEN_ID_PREFIX = "tok"
# The `token_id` of a subject's revoke-all row (never a token's id: those are `tok_…`).
ALL_SESSIONS = "*"

# Tokens whose signature and claims were checked already, at most this many (then the memo starts over).
VERIFIED_MEMO_SIZE = 4096
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

# Built once: every authenticated request runs it. One probe of the primary key (subject_id, token_id).
_REVOCATIONS = select(revocation.c.token_id, revocation.c.revoked_at).where(
    revocation.c.subject_id == bindparam("subject_id"),
    revocation.c.token_id.in_([bindparam("token_id"), ALL_SESSIONS]),
)


def microseconds(instant: datetime) -> int:
    """Microseconds since the epoch, exactly (no float rounding)."""
    return (instant - _EPOCH) // _MICROSECOND


@dataclass(frozen=True, slots=True)
class TokenClaims:
    principal: Principal
    token_id: str
    issued_at_us: int
    expires_at: datetime


def refused(claims: TokenClaims, revocations: Iterable[tuple[str, datetime]]) -> bool:
    """Whether these revocation rows (token_id, revoked_at) of the token's subject end the token."""
    for token_id, revoked_at in revocations:
        if token_id == claims.token_id:
            return True
        if token_id == ALL_SESSIONS and claims.issued_at_us <= microseconds(revoked_at):
            return True
    return False


def is_revoked(conn: Connection, claims: TokenClaims) -> bool:
    """Whether the token was logged out or its subject's sessions were revoked after it was issued."""
    rows = conn.execute(_REVOCATIONS, {"subject_id": claims.principal.subject_id, "token_id": claims.token_id})
    return refused(claims, ((r.token_id, r.revoked_at) for r in rows))


class TokenService:
    """Implements the API's `Authenticator` port."""

    def __init__(self, secret_key: str, clock: Clock, uow: UnitOfWorkFactory) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt="fairlend.bearer-token")
        self._clock = clock
        self._uow = uow
        # A token's signature and claims never change: a client sends the same token with every request,
        # and checking the HMAC and parsing the claims again each time was about a tenth of an
        # authenticated read's CPU (docs/performance.md). Only well-signed tokens are kept (a forger
        # cannot fill it), the expiry is still compared on every request, and so is the revocation.
        self._verified: dict[str, TokenClaims] = {}

    def issue(self, principal: Principal, ttl: timedelta = API_TOKEN_TTL) -> tuple[str, datetime]:
        if not timedelta(0) < ttl <= MAX_TOKEN_TTL:
            # A longer token would outlive the revoke-all row that must refuse it.
            raise ValueError(f"a token lives more than 0 and at most {MAX_TOKEN_TTL}")
        now = self._clock.now()
        expires_at = now + ttl
        token = self._serializer.dumps(
            {
                "sub": principal.subject_id,
                "role": principal.role.value,
                "jti": new_id(TOKEN_ID_PREFIX),
                "iat": microseconds(now),
                "exp": int(expires_at.timestamp()),
            }
        )
        return str(token), expires_at

    def read(self, token: str) -> TokenClaims | None:
        """The claims of a well-signed, unexpired token; revocation is not checked here.

        A token issued before revocation existed has no `jti` or `iat` and is
        refused: every session from before that deploy signs in once more.
        Accepting such tokens until they expire (up to 8 hours) would leave
        exactly the sessions revocation exists to end - a stolen one, or a
        let-go collector's - out of reach of log-out and revoke-all.
        """
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify(token)
            if claims is None:
                return None
            if len(self._verified) >= VERIFIED_MEMO_SIZE:
                self._verified.clear()  # bounded; dict operations are atomic, so threads may share it
            self._verified[token] = claims
        return claims if claims.expires_at.timestamp() > self._clock.now().timestamp() else None

    def _verify(self, token: str) -> TokenClaims | None:
        """The claims of a well-signed token with well-formed claims, whatever its expiry."""
        try:
            claims = self._serializer.loads(token)
        except BadSignature:
            return None
        if not isinstance(claims, dict):
            return None
        try:
            subject, token_id = claims["sub"], claims["jti"]
            expires, issued = claims["exp"], claims["iat"]
            if not (isinstance(subject, str) and isinstance(token_id, str) and is_id(token_id, TOKEN_ID_PREFIX)):
                return None
            if not (type(expires) is int and type(issued) is int):
                return None
            return TokenClaims(
                Principal(subject, Role(claims["role"])), token_id, issued, datetime.fromtimestamp(expires, UTC)
            )
        except (KeyError, ValueError, TypeError, OverflowError, OSError):
            return None

    def pending(self, token: str) -> Callable[[Connection], Principal | None] | None:
        """`authenticate` in two halves: the signature and the expiry now (no I/O; None if either fails),
        and the returned check, which probes the revocations on a connection the caller has open.

        The API's busiest reads run the check as the first statement of their own read transaction
        (`api.auth.hot_read`): one transaction a request instead of authentication's own
        beside the route's. The probe is the same as `authenticate`'s and reads the database, so
        a revocation committed by any process refuses the token on its next request.
        """
        claims = self.read(token)
        if claims is None:
            return None

        def principal_in(conn: Connection) -> Principal | None:
            return None if is_revoked(conn, claims) else claims.principal

        return principal_in

    def authenticate(self, token: str) -> Principal | None:
        claims = self.read(token)
        if claims is None:
            return None
        with self._uow(read_only=True) as uow:
            if is_revoked(uow.conn, claims):
                return None
        return claims.principal

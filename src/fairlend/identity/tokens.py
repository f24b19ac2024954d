"""Bearer tokens for the API and the web session cookie.

A token is the principal and an expiry, signed (HMAC-SHA256 via itsdangerous)
with `FAIRLEND_SECRET_KEY`. Expiry is checked against the platform clock, so a
test can move time forward. Tokens are stateless: they end when they expire.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from fairlend.clock import Clock
from fairlend.identity.model import Principal, Role

API_TOKEN_TTL = timedelta(hours=1)
WEB_SESSION_TTL = timedelta(hours=8)


class TokenService:
    """Implements the API's `Authenticator` port."""

    def __init__(self, secret_key: str, clock: Clock) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt="fairlend.bearer-token")
        self._clock = clock

    def issue(self, principal: Principal, ttl: timedelta = API_TOKEN_TTL) -> tuple[str, datetime]:
        expires_at = self._clock.now() + ttl
        token = self._serializer.dumps(
            {"sub": principal.subject_id, "role": principal.role.value, "exp": int(expires_at.timestamp())}
        )
        return str(token), expires_at

    def authenticate(self, token: str) -> Principal | None:
        try:
            claims = self._serializer.loads(token)
        except BadSignature:
            return None
        if not isinstance(claims, dict):
            return None
        try:
            if int(claims["exp"]) <= self._clock.now().timestamp():
                return None
            return Principal(str(claims["sub"]), Role(claims["role"]))
        except (KeyError, ValueError, TypeError):
            return None

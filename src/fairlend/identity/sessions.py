"""Ending sessions before their tokens expire: log-out, and every session of a subject.

A log-out revokes the one token presented; `revoke_all` (an admin, the CLI, or
disabling an operator) refuses every token of the subject issued at or before
that instant, while a log-in after it works. Both write `identity_session_revocation`
(tables.py), which `TokenService.authenticate` reads with one primary-key probe,
and the audit log (who ended whose sessions, and why).

Pruning runs on write: every revocation first deletes the rows whose tokens
have all expired (a log-out's row at the token's expiry, a revoke-all's row
`MAX_TOKEN_TTL` after it). The table grows only when something is revoked, so
pruning there bounds it by the revocations of the last 8 hours without an
end-of-day step, and reading a token never writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import NotFound
from fairlend.identity import audit
from fairlend.identity.model import Principal
from fairlend.identity.tables import identity_operator, identity_person
from fairlend.identity.tables import identity_session_revocation as revocation
from fairlend.identity.tokens import ALL_SESSIONS, MAX_TOKEN_TTL, TokenService, is_revoked

# What the audit log's `fields` column says for a revocation (model.AuditAction reads them back), and its purposes.
SESSION, SESSIONS = "session", "sessions"
LOGOUT = "logout"
REVOKED = "sessions_revoked"
OPERATOR_DISABLED = "operator_disabled"
# The actor the audit log names when the command line revokes (whoever holds the shell is not known).
CLI = "cli"


@dataclass(frozen=True, slots=True)
class SessionsRevoked:
    subject_id: str
    revoked_at: datetime  # every token of the subject issued at or before this instant is refused


def _insert(uow: UnitOfWork) -> postgresql.Insert | sqlite.Insert:
    return postgresql.insert(revocation) if uow.dialect == "postgresql" else sqlite.insert(revocation)


def prune(uow: UnitOfWork, now: datetime) -> int:
    """Forget revocations whose tokens have all expired (expired tokens are refused anyway)."""
    return uow.conn.execute(delete(revocation).where(revocation.c.expires_at <= now)).rowcount


def end_sessions(uow: UnitOfWork, subject_id: str, *, actor_id: str, actor_role: str, purpose: str) -> SessionsRevoked:
    """Refuse, from now on, every token of `subject_id` issued until now; in the caller's transaction.

    Whatever ends an operator's access (disabling them; a password or TOTP reset
    when one exists) calls this in the same transaction, so the change and the
    end of the sessions commit together.
    """
    now = uow.clock.now()
    prune(uow, now)
    stmt = _insert(uow).values(
        subject_id=subject_id, token_id=ALL_SESSIONS, revoked_at=now, expires_at=now + MAX_TOKEN_TTL
    )
    later = stmt.excluded.revoked_at > revocation.c.revoked_at
    uow.conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[revocation.c.subject_id, revocation.c.token_id],
            # The later of two revoke-alls wins: a revocation never lets an earlier token back in.
            set_={
                "revoked_at": case((later, stmt.excluded.revoked_at), else_=revocation.c.revoked_at),
                "expires_at": case((later, stmt.excluded.expires_at), else_=revocation.c.expires_at),
            },
        )
    )
    audit.record(uow, actor_id=actor_id, actor_role=actor_role, person_id=subject_id, fields=SESSIONS, purpose=purpose)
    return SessionsRevoked(subject_id, now)


class Sessions:
    def __init__(self, uow: UnitOfWorkFactory, tokens: TokenService) -> None:
        self._uow = uow
        self._tokens = tokens

    def log_out(self, token: str) -> bool:
        """End the session this token stands for; False (nothing written) when it had ended already."""
        claims = self._tokens.read(token)
        if claims is None:
            return False
        subject = claims.principal.subject_id
        with self._uow() as uow:
            now = uow.clock.now()
            if is_revoked(uow.conn, claims):
                return False
            prune(uow, now)
            uow.conn.execute(
                _insert(uow)
                .values(subject_id=subject, token_id=claims.token_id, revoked_at=now, expires_at=claims.expires_at)
                .on_conflict_do_nothing(index_elements=[revocation.c.subject_id, revocation.c.token_id])
            )
            audit.record(
                uow,
                actor_id=subject,
                actor_role=claims.principal.role.value,
                person_id=subject,
                fields=SESSION,
                purpose=LOGOUT,
            )
            uow.commit()
        return True

    def revoke_all(self, subject_id: str, by: Principal | None = None) -> SessionsRevoked:
        """End every session of a person or an operator; `by` None means the command line."""
        with self._uow() as uow:
            if not _subject_exists(uow, subject_id):
                raise NotFound("subject_not_found", f"no person or operator {subject_id}")
            done = end_sessions(
                uow,
                subject_id,
                actor_id=by.subject_id if by else CLI,
                actor_role=by.role.value if by else audit.SYSTEM,
                purpose=REVOKED,
            )
            uow.commit()
        return done


def _subject_exists(uow: UnitOfWork, subject_id: str) -> bool:
    for table in (identity_person, identity_operator):
        if uow.conn.execute(select(table.c.id).where(table.c.id == subject_id)).first() is not None:
            return True
    return False

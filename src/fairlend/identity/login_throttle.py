"""Throttling operator log-ins by client and by name, without ever locking an account.

Locking an account after N failures lets anyone who knows an operator's name
lock that operator out (12 wrong passwords for "admin" did, for 15 minutes).
Instead each failure is kept for `WINDOW` (15 minutes) with the name tried and
the client that tried it (both as blind indexes), and an attempt is refused
with `429 operator_login_throttled` (and `Retry-After`) when, within the window:

- this client failed `PER_CLIENT_AND_NAME` (5) times on this name; or
- this client failed `PER_CLIENT` (20) times on any names (spraying); or
- the name failed `PER_NAME` (30) times from all clients - it is under attack -
  and this client is one of them.

A client that has not failed on a name is never refused for it, so the real
admin signs in while someone else hammers the name. The refusal comes before
the password is checked and reads the same whether the name exists or not.
A successful log-in forgets that client's failures on that name. On
PostgreSQL, attempts on one name queue on an advisory lock so parallel
guesses cannot slip past a limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, insert, select

from fairlend.db.uow import UnitOfWork
from fairlend.errors import RateLimited
from fairlend.identity.tables import identity_login_failure

WINDOW = timedelta(minutes=15)
PER_CLIENT_AND_NAME = 5
PER_CLIENT = 20
PER_NAME = 30


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    name_index: str
    client_index: str


def throttle(uow: UnitOfWork, attempt: LoginAttempt, now: datetime) -> None:
    """Refuse the attempt if its client has failed too often (see the module docstring)."""
    if uow.dialect == "postgresql":
        uow.conn.execute(select(func.pg_advisory_xact_lock(int(attempt.name_index[:15], 16))))
    since = now - WINDOW
    uow.conn.execute(delete(identity_login_failure).where(identity_login_failure.c.at <= since))
    failures = identity_login_failure.c
    pair, pair_oldest = _failures(
        uow, since, failures.name_index == attempt.name_index, failures.client_index == attempt.client_index
    )
    if pair >= PER_CLIENT_AND_NAME:
        raise _throttled(pair_oldest, now)
    client, client_oldest = _failures(uow, since, failures.client_index == attempt.client_index)
    if client >= PER_CLIENT:
        raise _throttled(client_oldest, now)
    if pair:
        name, _ = _failures(uow, since, failures.name_index == attempt.name_index)
        if name >= PER_NAME:
            raise _throttled(pair_oldest, now)


def record_failure(uow: UnitOfWork, attempt: LoginAttempt, now: datetime) -> None:
    uow.conn.execute(
        insert(identity_login_failure).values(name_index=attempt.name_index, client_index=attempt.client_index, at=now)
    )


def forget_failures(uow: UnitOfWork, attempt: LoginAttempt) -> None:
    uow.conn.execute(
        delete(identity_login_failure)
        .where(identity_login_failure.c.name_index == attempt.name_index)
        .where(identity_login_failure.c.client_index == attempt.client_index)
    )


def _failures(uow: UnitOfWork, since: datetime, *where: ColumnElement[bool]) -> tuple[int, datetime | None]:
    row = uow.conn.execute(
        select(func.count(), func.min(identity_login_failure.c.at)).where(identity_login_failure.c.at > since, *where)
    ).one()
    return int(row[0]), row[1]


def _throttled(oldest: datetime | None, now: datetime) -> RateLimited:
    wait = 1 if oldest is None else max(1, math.ceil((oldest + WINDOW - now).total_seconds()))
    return RateLimited(
        "operator_login_throttled", "too many failed log-ins from here; try again later", retry_after=wait
    )

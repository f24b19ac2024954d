"""Identity: the audit log becomes tamper-evident (a hash chain per person, and its heads).

Rows written before this revision are chained here, in the order they were
written (row id), so `fairlend verify` checks them like every later row.
The serialisation below is a frozen copy of `fairlend.identity.audit_chain`
(version 1): a later change there must not change what this revision wrote.

Revision ID: identity_0004
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "identity_0004"
down_revision: str | Sequence[str] | None = "identity_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
BATCH = 2000


def _hash(row: sa.Row[Any], seq: int, prev: str) -> str:
    at: datetime = row.at
    day: date = row.business_date
    body = {
        "person_id": row.person_id,
        "seq": seq,
        "actor_id": row.actor_id,
        "actor_role": row.actor_role,
        "fields": row.fields,
        "purpose": row.purpose,
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "business_date": day.isoformat(),
        "prev_hash": prev,
    }
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


def upgrade() -> None:
    op.add_column("identity_audit", sa.Column("seq", sa.Integer, nullable=False, server_default="0"))
    op.add_column("identity_audit", sa.Column("prev_hash", sa.String(64), nullable=False, server_default=""))
    op.add_column("identity_audit", sa.Column("hash", sa.String(64), nullable=False, server_default=""))
    op.create_table(
        "identity_audit_head",
        sa.Column("person_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name="pk_identity_audit_head"),
    )
    audit = sa.table(
        "identity_audit",
        sa.column("id", sa.BigInteger),
        sa.column("person_id", sa.String),
        sa.column("actor_id", sa.String),
        sa.column("actor_role", sa.String),
        sa.column("fields", sa.String),
        sa.column("purpose", sa.String),
        sa.column("at", UtcDateTime),
        sa.column("business_date", sa.Date),
        sa.column("seq", sa.Integer),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
    )
    heads = sa.table("identity_audit_head", sa.column("person_id"), sa.column("seq"), sa.column("hash"))
    conn = op.get_bind()
    chains: dict[str, tuple[int, str]] = {}
    after = 0
    while True:
        rows = conn.execute(sa.select(audit).where(audit.c.id > after).order_by(audit.c.id).limit(BATCH)).all()
        if not rows:
            break
        updates = []
        for row in rows:
            seq, prev = chains.get(row.person_id, (0, GENESIS))
            seq += 1
            digest = _hash(row, seq, prev)
            chains[row.person_id] = (seq, digest)
            updates.append({"row_id": row.id, "new_seq": seq, "new_prev": prev, "new_hash": digest})
        conn.execute(
            audit.update()
            .where(audit.c.id == sa.bindparam("row_id"))
            .values(seq=sa.bindparam("new_seq"), prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash")),
            updates,
        )
        after = rows[-1].id
    if chains:
        conn.execute(heads.insert(), [{"person_id": p, "seq": s, "hash": h} for p, (s, h) in sorted(chains.items())])
    op.create_index("uq_identity_audit_person_seq", "identity_audit", ["person_id", "seq"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_identity_audit_person_seq", table_name="identity_audit")
    op.drop_table("identity_audit_head")
    with op.batch_alter_table("identity_audit") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")

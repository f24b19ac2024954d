"""Identity: people, KYC levels, bank cards, certificates, consent, one-time codes,
operators and the personal-data audit log.

Revision ID: identity_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import BigIntPK, UtcDateTime

revision: str = "identity_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("identity",)
depends_on: str | Sequence[str] | None = "foundation_0001"

ID = sa.String(40)


def upgrade() -> None:
    op.create_table(
        "identity_person",
        sa.Column("id", ID, nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("phone_cipher", sa.Text, nullable=False),
        sa.Column("phone_index", sa.String(64), nullable=False),
        sa.Column("phone_masked", sa.String(32), nullable=False),
        sa.Column("name_cipher", sa.Text, nullable=True),
        sa.Column("name_masked", sa.String(120), nullable=False, server_default=""),
        sa.Column("id_number_cipher", sa.Text, nullable=True),
        sa.Column("id_number_index", sa.String(64), nullable=True),
        sa.Column("id_number_masked", sa.String(32), nullable=False, server_default=""),
        sa.Column("id_scheme", sa.String(20), nullable=False, server_default=""),
        sa.Column("timezone", sa.String(60), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_identity_person"),
        sa.UniqueConstraint("role", "phone_index", name="uq_identity_person_role_phone"),
        sa.UniqueConstraint("role", "id_number_index", name="uq_identity_person_role_id_number"),
    )
    op.create_table(
        "identity_kyc",
        sa.Column("person_id", ID, nullable=False),
        sa.Column("level", sa.String(30), nullable=False),
        sa.Column("method", sa.String(30), nullable=False),
        sa.Column("verified_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("person_id", "level", name="pk_identity_kyc"),
    )
    op.create_table(
        "identity_bank_card",
        sa.Column("person_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("card_cipher", sa.Text, nullable=False),
        sa.Column("card_index", sa.String(64), nullable=False),
        sa.Column("card_masked", sa.String(32), nullable=False),
        sa.Column("verified_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("person_id", "id", name="pk_identity_bank_card"),
        sa.UniqueConstraint("person_id", "card_index", name="uq_identity_bank_card_person_card"),
    )
    op.create_table(
        "identity_certificate",
        sa.Column("person_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("uploaded_at", UtcDateTime, nullable=False),
        sa.Column("reviewed_at", UtcDateTime, nullable=True),
        sa.Column("reviewed_by", sa.String(40), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("person_id", "id", name="pk_identity_certificate"),
    )
    op.create_index("ix_identity_certificate_status", "identity_certificate", ["status"])
    op.create_table(
        "identity_certificate_file",
        sa.Column("person_id", ID, nullable=False),
        sa.Column("certificate_id", ID, nullable=False),
        sa.Column("key_id", sa.String(20), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("person_id", "certificate_id", name="pk_identity_certificate_file"),
    )
    op.create_table(
        "identity_consent",
        sa.Column("person_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("purpose", sa.String(30), nullable=False),
        sa.Column("institution", sa.String(120), nullable=False, server_default=""),
        sa.Column("text_version", sa.String(60), nullable=False),
        sa.Column("given_at", UtcDateTime, nullable=False),
        sa.Column("revoked_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("person_id", "id", name="pk_identity_consent"),
    )
    op.create_table(
        "identity_otp",
        sa.Column("id", ID, nullable=False),
        sa.Column("phone_index", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(30), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("wrong_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("state", sa.String(12), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_identity_otp"),
    )
    op.create_index("ix_identity_otp_phone_index", "identity_otp", ["phone_index"])
    op.create_table(
        "identity_operator",
        sa.Column("id", ID, nullable=False),
        sa.Column("username", sa.String(60), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("totp_cipher", sa.Text, nullable=False),
        sa.Column("totp_last_step", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", UtcDateTime, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_identity_operator"),
        sa.UniqueConstraint("username", name="uq_identity_operator_username"),
    )
    op.create_table(
        "identity_audit",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("actor_id", sa.String(40), nullable=False),
        sa.Column("actor_role", sa.String(20), nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("fields", sa.String(120), nullable=False),
        sa.Column("purpose", sa.String(60), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_identity_audit"),
    )
    op.create_index("ix_identity_audit_person_id", "identity_audit", ["person_id"])


def downgrade() -> None:
    for table in (
        "identity_audit",
        "identity_operator",
        "identity_otp",
        "identity_consent",
        "identity_certificate_file",
        "identity_certificate",
        "identity_bank_card",
        "identity_kyc",
        "identity_person",
    ):
        op.drop_table(table)

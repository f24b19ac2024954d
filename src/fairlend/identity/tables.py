"""Identity's tables. Personal data is stored only as `*_cipher` (AES-GCM, see
pii.py), `*_index` (keyed blind index) and `*_masked` columns: never in clear.
Person-owned tables carry `person_id` first in their primary key (DESIGN 7)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    FetchedValue,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

from fairlend.db.metadata import metadata
from fairlend.db.types import BigIntPK, UtcDateTime, id_column_type

identity_person = Table(
    "identity_person",
    metadata,
    Column("id", id_column_type(), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("phone_cipher", Text, nullable=False),
    Column("phone_index", String(64), nullable=False),
    Column("phone_masked", String(32), nullable=False),
    Column("name_cipher", Text, nullable=True),
    Column("name_masked", String(120), nullable=False, server_default=""),
    Column("id_number_cipher", Text, nullable=True),
    Column("id_number_index", String(64), nullable=True),
    Column("id_number_masked", String(32), nullable=False, server_default=""),
    Column("id_scheme", String(20), nullable=False, server_default=""),
    Column("timezone", String(60), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # One account per mobile number and per ID number, for each kind of person.
    UniqueConstraint("role", "phone_index", name="uq_identity_person_role_phone"),
    UniqueConstraint("role", "id_number_index", name="uq_identity_person_role_id_number"),
)

identity_kyc = Table(
    "identity_kyc",
    metadata,
    Column("person_id", id_column_type(), nullable=False),
    Column("level", String(30), nullable=False),
    Column("method", String(30), nullable=False),
    Column("verified_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("person_id", "level", name="pk_identity_kyc"),
)

identity_bank_card = Table(
    "identity_bank_card",
    metadata,
    Column("person_id", id_column_type(), nullable=False),
    Column("id", id_column_type(), nullable=False),
    Column("card_cipher", Text, nullable=False),
    Column("card_index", String(64), nullable=False),
    Column("card_masked", String(32), nullable=False),
    Column("verified_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("person_id", "id", name="pk_identity_bank_card"),
    UniqueConstraint("person_id", "card_index", name="uq_identity_bank_card_person_card"),
)

identity_certificate = Table(
    "identity_certificate",
    metadata,
    Column("person_id", id_column_type(), nullable=False),
    Column("id", id_column_type(), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("content_type", String(40), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("status", String(12), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("uploaded_at", UtcDateTime, nullable=False),
    Column("reviewed_at", UtcDateTime, nullable=True),
    Column("reviewed_by", String(40), nullable=False, server_default=""),
    PrimaryKeyConstraint("person_id", "id", name="pk_identity_certificate"),
    Index("ix_identity_certificate_status", "status"),
)

# The file itself, encrypted, in its own table so listing certificates never reads blobs.
identity_certificate_file = Table(
    "identity_certificate_file",
    metadata,
    Column("person_id", id_column_type(), nullable=False),
    Column("certificate_id", id_column_type(), nullable=False),
    Column("key_id", String(20), nullable=False),
    Column("content", LargeBinary, nullable=False),
    PrimaryKeyConstraint("person_id", "certificate_id", name="pk_identity_certificate_file"),
)

identity_consent = Table(
    "identity_consent",
    metadata,
    Column("person_id", id_column_type(), nullable=False),
    Column("id", id_column_type(), nullable=False),
    Column("purpose", String(30), nullable=False),
    Column("institution", String(120), nullable=False, server_default=""),
    Column("text_version", String(60), nullable=False),
    Column("given_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    PrimaryKeyConstraint("person_id", "id", name="pk_identity_consent"),
)

identity_otp = Table(
    "identity_otp",
    metadata,
    Column("id", id_column_type(), primary_key=True),
    Column("phone_index", String(64), nullable=False),
    Column("purpose", String(30), nullable=False),
    # Keyed hash of the code: the platform can check a code but never read one back.
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("wrong_attempts", Integer, nullable=False, server_default="0"),
    Column("state", String(12), nullable=False),  # active | used | locked | superseded
    # Blind index of the client that asked (its address); NULL when the platform itself issued it.
    Column("client_index", String(64), nullable=True),
    Index("ix_identity_otp_phone_index", "phone_index"),
    # The send budgets count by client and platform-wide over the last hour or day (otp.py).
    Index("ix_identity_otp_client_created", "client_index", "created_at"),
    Index("ix_identity_otp_created", "created_at"),
)

# Failed operator log-ins of the last 15 minutes, by name and by client: the throttle
# (accounts.py) reads them; nothing locks an account, so nobody can lock the admin out.
identity_login_failure = Table(
    "identity_login_failure",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("name_index", String(64), nullable=False),
    Column("client_index", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_identity_login_failure_name", "name_index", "at"),
    Index("ix_identity_login_failure_client", "client_index", "at"),
    Index("ix_identity_login_failure_at", "at"),
)

identity_operator = Table(
    "identity_operator",
    metadata,
    Column("id", id_column_type(), primary_key=True),
    Column("username", String(60), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("totp_cipher", Text, nullable=False),
    # The last TOTP time step used, so a code cannot be replayed within its window.
    Column("totp_last_step", BigInteger, nullable=False, server_default="0"),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("created_at", UtcDateTime, nullable=False),
)

# Every view of personal data in clear: by an operator, or by the system for a stated purpose.
identity_audit = Table(
    "identity_audit",
    metadata,
    # Keyed by (person_id, id) (identity_0007): a person's chain stays on one shard. The id orders the
    # log across people; PostgreSQL's sequence gives it, SQLite's writer takes the next one (audit.py).
    Column("id", BigIntPK, nullable=False, autoincrement=False, server_default=FetchedValue()),
    Column("actor_id", String(40), nullable=False),
    Column("actor_role", String(20), nullable=False),
    Column("person_id", id_column_type(), nullable=False, index=True),
    Column("fields", String(120), nullable=False),
    Column("purpose", String(60), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("business_date", Date, nullable=False),
    # The row's place in its person's hash chain (audit_chain.py); the defaults only serve rows
    # written before the chain existed, until migration identity_0004 chains them.
    Column("seq", Integer, nullable=False, server_default="0"),
    Column("prev_hash", String(64), nullable=False, server_default=""),
    Column("hash", String(64), nullable=False, server_default=""),
    # The compliance page filters by actor and by date, newest first (audit.py).
    Index("ix_identity_audit_actor_id", "actor_id", "id"),
    Index("ix_identity_audit_at", "at"),
    Index("ix_identity_audit_id", "id"),  # the pages, newest first, across people
    PrimaryKeyConstraint("person_id", "id", name="pk_identity_audit"),
    # One row per place in a chain: two writers can never both append the same seq.
    Index("uq_identity_audit_person_seq", "person_id", "seq", unique=True),
)

# The last row of each person's audit chain: appends lock it, `fairlend verify` compares the chain's end with it.
identity_audit_head = Table(
    "identity_audit_head",
    metadata,
    Column("person_id", id_column_type(), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

# Sessions ended before their tokens expire (sessions.py). A row with `token_id` "*" ends every
# token of the subject issued at or before `revoked_at` (revoke-all); any other row ends that one
# token (log-out). The key is (subject, token) so that checking a token is one probe of the
# primary key: `subject_id = :sub AND token_id IN (:jti, '*')`. A row matters only until every
# token it can refuse has expired (`expires_at`); each revocation then deletes it.
identity_session_revocation = Table(
    "identity_session_revocation",
    metadata,
    Column("subject_id", id_column_type(), nullable=False),
    Column("token_id", id_column_type(), nullable=False),
    Column("revoked_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("subject_id", "token_id", name="pk_identity_session_revocation"),
    Index("ix_identity_session_revocation_expires_at", "expires_at"),
)

# Development and test only: what the development message sender "sent", so that every server
# process (`fairlend serve --workers N`) lists the same codes on the development page. Sealed like
# any personal data; the newest few hundred are kept.
identity_dev_message = Table(
    "identity_dev_message",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("phone_index", String(64), nullable=False),
    Column("masked_phone", String(32), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("sealed", Text, nullable=False),  # {"phone", "code", "text"}, sealed by the PII vault
    Column("sent_at", UtcDateTime, nullable=False),
    Index("ix_identity_dev_message_phone_index", "phone_index"),
)

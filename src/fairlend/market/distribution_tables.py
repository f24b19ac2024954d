"""The marketplace's distribution tables: how each repayment reaches the notes of its loan.

A loan's notes share its money in epochs (market_0008): while an epoch lasts each
note's part is a floor of the cumulative amounts by its weight, written once per loan
per batch and summed per holder; the units the floors leave are paid by largest
remainder when the epoch ends. docs/market.md explains the arithmetic.
"""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
)

from fairlend.db.metadata import metadata
from fairlend.db.types import UtcDateTime

# A loan's distribution in its current epoch (market_0008): the weight of its notes when the
# epoch began (their outstanding principal, or the principal written down for recoveries) and the
# cumulative amounts the epoch has distributed. A note's part of each is floor(C * w / W): monotone,
# so no batch takes a unit back; the units the floors leave (fewer than the notes) are held by the
# loan until the epoch ends (payoff, charge-off, a concession, a sale), then paid by largest remainder.
market_loan_share = Table(
    "market_loan_share",
    metadata,
    Column("loan_id", String(40), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("weight_minor", BigInteger, nullable=False),
    Column("principal_minor", BigInteger, nullable=False, server_default="0"),
    Column("fee_minor", BigInteger, nullable=False, server_default="0"),
    Column("net_minor", BigInteger, nullable=False, server_default="0"),
    Column("recovery_fee_minor", BigInteger, nullable=False, server_default="0"),
    Column("recovery_net_minor", BigInteger, nullable=False, server_default="0"),
    CheckConstraint(
        "weight_minor >= 0 AND principal_minor >= 0 AND fee_minor >= 0 AND net_minor >= 0 "
        "AND recovery_fee_minor >= 0 AND recovery_net_minor >= 0",
        name="ck_market_loan_share_amounts",
    ),
)

# What one batch distributed of one loan: its cumulative amounts of the batch's kind before and
# after, in the epoch and over the weight they were shared by. A note's share of the batch is
# floor(after * w / W) - floor(before * w / W): written once per loan, read per holder.
market_loan_batch = Table(
    "market_loan_batch",
    metadata,
    Column("batch_id", String(40), primary_key=True),
    Column("loan_id", String(40), primary_key=True),
    Column("epoch", Integer, nullable=False),
    Column("kind", String(10), nullable=False),  # repayment | recovery
    Column("currency", String(3), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("weight_minor", BigInteger, nullable=False),
    Column("principal_before", BigInteger, nullable=False),
    Column("fee_before", BigInteger, nullable=False),
    Column("net_before", BigInteger, nullable=False),
    Column("principal_after", BigInteger, nullable=False),
    Column("fee_after", BigInteger, nullable=False),
    Column("net_after", BigInteger, nullable=False),
    Index("ix_market_loan_batch_loan", "loan_id", "epoch"),
)

# What each holder received of one batch, per currency (market_0009): a running total per holder,
# summed note by note from the batch's floor shares (`distribution_sql.HOLDER_TOTALS`), plus the held
# units an epoch's end paid them in it. The wallets and the ledger entry are paid from these rows.
market_holder_batch = Table(
    "market_holder_batch",
    metadata,
    Column("batch_id", String(40), primary_key=True),
    Column("holder_id", String(40), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("holder_kind", String(10), nullable=False),  # investor | partner (the platform is paid nothing)
    Column("principal_minor", BigInteger, nullable=False),
    Column("fee_minor", BigInteger, nullable=False),
    Column("net_minor", BigInteger, nullable=False),
    Column("recovery_fee_minor", BigInteger, nullable=False),
    Column("recovery_net_minor", BigInteger, nullable=False),
)

# A note's weight in an epoch that has ended, and the held units it was paid when it ended
# (largest remainder): the history of a note (`positions.note_shares`) reads past epochs here.
market_note_epoch = Table(
    "market_note_epoch",
    metadata,
    Column("loan_id", String(40), primary_key=True),
    Column("epoch", Integer, primary_key=True),
    Column("holder_id", String(40), primary_key=True),
    Column("note_id", String(40), primary_key=True),
    Column("weight_minor", BigInteger, nullable=False),
    Column("batch_id", String(40), nullable=False),  # the batch (or event) that ended the epoch
    Column("business_date", Date, nullable=False),
    Column("principal_minor", BigInteger, nullable=False),  # held units released to the note
    Column("fee_minor", BigInteger, nullable=False),
    Column("net_minor", BigInteger, nullable=False),
    Column("recovery_fee_minor", BigInteger, nullable=False),
    Column("recovery_net_minor", BigInteger, nullable=False),
)

# What a loan paid that its notes are owed: one row per repayment or recovery (lending's
# RepaymentPosted, recorded in the repayment's own transaction). `amount_minor` is what the
# holders share (principal and interest; a recovery's whole amount), less nothing yet: the
# servicing fee is worked out when the money comes in (`fee_minor`) and taken at distribution.
# End-of-day gives the day's receipts a batch and distributes them set-based.
market_receipt = Table(
    "market_receipt",
    metadata,
    Column("id", String(40), primary_key=True),  # the repayment's id
    Column("loan_id", String(40), nullable=False, index=True),
    Column("kind", String(10), nullable=False),  # repayment | recovery
    Column("business_date", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("principal_minor", BigInteger, nullable=False),
    Column("fee_minor", BigInteger, nullable=False),
    Column("received_days_past_due", Integer, nullable=False),
    Column("batch_id", String(40), nullable=True, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint(
        "amount_minor > 0 AND principal_minor >= 0 AND principal_minor <= amount_minor "
        "AND fee_minor >= 0 AND fee_minor <= amount_minor",
        name="ck_market_receipt_amounts",
    ),
)

# One distribution run: the receipts it took, what it shared, and its single ledger entry.
market_distribution_batch = Table(
    "market_distribution_batch",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("business_date", Date, nullable=False, index=True),
    Column("receipts", Integer, nullable=False),
    Column("shares", Integer, nullable=False),
    Column("entry_ids", String(400), nullable=False, server_default=""),  # one entry per currency
    Column("created_at", UtcDateTime, nullable=False),
)

# What each note got of a batch before market_0008, when a row per note per batch was written:
# kept, read-only, as the history of those batches (`positions.note_shares` reads it with the
# derived shares of later ones). gross = net + fee.
market_distribution = Table(
    "market_distribution",
    metadata,
    # The batch first: a batch's rows are written together and read together (no second index to
    # maintain on the hot insert); the holder stays in the key for distribution by holder (DESIGN §7).
    Column("batch_id", String(40), primary_key=True),
    Column("holder_id", String(40), primary_key=True),
    Column("note_id", String(40), primary_key=True),
    Column("holder_kind", String(10), nullable=False),
    Column("loan_id", String(40), nullable=False),
    Column("kind", String(10), nullable=False),  # repayment | recovery
    Column("currency", String(3), nullable=False),
    Column("principal_minor", BigInteger, nullable=False),
    Column("fee_minor", BigInteger, nullable=False),
    Column("net_minor", BigInteger, nullable=False),
    Column("business_date", Date, nullable=False),
)

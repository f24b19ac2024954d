"""The marketplace's tables: investors, wallets and cash movements, listings, commitments, auto-invest,
notes and the secondary market (distribution's tables are in distribution_tables.py).

Investor-owned rows carry the investor in their primary key (DESIGN.md §7).
The database guards what the conditional UPDATEs promise: no wallet below
zero or committing more than it holds, no listing funded past its amount.
"""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    text,
)

from fairlend.db.metadata import metadata
from fairlend.db.types import Rate, UtcDateTime

# An investor's standing on the market: the agreement they accepted and, under MK-5, their net worth.
market_investor = Table(
    "market_investor",
    metadata,
    Column("investor_id", String(40), primary_key=True),
    Column("kind", String(10), nullable=False),  # investor | partner
    Column("agreement_version", String(60), nullable=False),
    Column("agreed_at", UtcDateTime, nullable=False),
    Column("net_worth_minor", BigInteger, nullable=True),
    Column("currency", String(3), nullable=False),
    # MK-4 (ecsp.py): the entry test's last score, when it was passed, the loss-bearing simulation's figures
    Column("ecsp_test_score", Integer, nullable=True),
    Column("ecsp_test_passed_at", UtcDateTime, nullable=True),
    Column("ecsp_net_worth_minor", BigInteger, nullable=True),
    Column("ecsp_loss_capacity_minor", BigInteger, nullable=True),
)

# Cash is the investor's uninvested money (a cache of the ledger's investor_cash account);
# committed is the part reserved for listings not yet funded.
market_wallet = Table(
    "market_wallet",
    metadata,
    Column("investor_id", String(40), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("cash_minor", BigInteger, nullable=False, server_default="0"),
    Column("committed_minor", BigInteger, nullable=False, server_default="0"),
    CheckConstraint("committed_minor >= 0 AND cash_minor >= committed_minor", name="ck_market_wallet_covered"),
)

market_cash_movement = Table(
    "market_cash_movement",
    metadata,
    Column("investor_id", String(40), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("kind", String(12), nullable=False),  # deposit | withdrawal
    Column("status", String(10), nullable=False),  # pending | settled | failed
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("rail_reference", String(80), nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("settled_at", UtcDateTime, nullable=True),
)

# What investors see of a loan asked for: terms and an anonymous borrower profile, never personal data (MK-6).
market_listing = Table(
    "market_listing",
    metadata,
    # Keyed by (borrower_id, id) (market_0007): a listing is a borrower's row, on the borrower's shard.
    Column("id", String(40), nullable=False),
    Column("offer_id", String(40), nullable=False),
    Column("borrower_id", String(40), nullable=False),
    Column("contract_id", String(40), nullable=False),
    Column("status", String(10), nullable=False),  # open | funded | cancelled
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("funded_minor", BigInteger, nullable=False, server_default="0"),
    Column("fee_minor", BigInteger, nullable=False),
    Column("term_months", Integer, nullable=False),
    Column("grade", String(2), nullable=False),
    Column("nominal_rate", Rate, nullable=False),
    # the rate in millionths, for filtering: the Rate column is text on SQLite and would compare as text
    Column("rate_e6", BigInteger, nullable=False),
    Column("apr", Rate, nullable=False),
    Column("purpose", String(20), nullable=False),
    Column("profile", JSON, nullable=False),
    Column("partial_ok", Boolean, nullable=False),
    Column("deadline", Date, nullable=False),
    Column("listed_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("loan_id", String(40), nullable=True),
    Column("loan_amount_minor", BigInteger, nullable=True),
    CheckConstraint("funded_minor >= 0 AND funded_minor <= amount_minor", name="ck_market_listing_not_overfunded"),
    Index("ix_market_listing_status_deadline", "status", "deadline"),
    PrimaryKeyConstraint("borrower_id", "id", name="pk_market_listing"),
    UniqueConstraint("offer_id", "borrower_id", name="uq_market_listing_offer_id"),  # one listing per offer
    Index("ix_market_listing_id", "id"),  # investors name a listing by its id alone (unique by construction)
)

market_commitment = Table(
    "market_commitment",
    metadata,
    Column("investor_id", String(40), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("listing_id", String(40), nullable=False, index=True),
    Column("status", String(10), nullable=False),  # reserved | funded | released | revoked
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("amount_minor > 0", name="ck_market_commitment_positive"),
)

# Auto-invest (autoinvest.py): an investor's rules, their place in the rotation, and what auto-invest did.
# The rates are kept exactly (Rate) and in millionths (to pick rules for a listing in SQL, as listings do).
market_autoinvest_rule = Table(
    "market_autoinvest_rule",
    metadata,
    Column("investor_id", String(40), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("grades", JSON, nullable=False),  # ["A", "B3"]
    Column("terms", JSON, nullable=False),  # [12, 24]
    Column("min_rate", Rate, nullable=False),
    Column("max_rate", Rate, nullable=False),
    Column("min_rate_e6", BigInteger, nullable=False),
    Column("max_rate_e6", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("borrower_share", Rate, nullable=False),
    Column("reserve_minor", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint(
        "amount_minor > 0 AND reserve_minor >= 0 AND min_rate_e6 <= max_rate_e6",
        name="ck_market_autoinvest_rule_amounts",
    ),
)

# The rotation: each investor's last turn (a running count across all listings). Served least recently first.
market_autoinvest_cursor = Table(
    "market_autoinvest_cursor",
    metadata,
    Column("investor_id", String(40), primary_key=True),
    Column("last_turn", BigInteger, nullable=False),
    Column("served_at", UtcDateTime, nullable=False),
    Index("ix_market_autoinvest_cursor_last_turn", "last_turn"),
)

# What one pass put into a listing for one investor: the commitment it made (same id) and its turns.
market_autoinvest_investment = Table(
    "market_autoinvest_investment",
    metadata,
    Column("investor_id", String(40), primary_key=True),
    Column("id", String(40), primary_key=True),  # the commitment's id
    Column("listing_id", String(40), nullable=False, index=True),
    Column("rule_id", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("turns", Integer, nullable=False),
    Column("first_turn", BigInteger, nullable=False),
    Column("last_turn", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# A loan is owned by its notes (DESIGN.md §5): they sum to its principal. Distribution
# (a later step) shares each repayment among a loan's notes set-based, by loan_id.
market_note = Table(
    "market_note",
    metadata,
    Column("holder_id", String(40), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("holder_kind", String(10), nullable=False),  # investor | partner | platform
    Column("loan_id", String(40), nullable=False, index=True),
    Column("listing_id", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("principal_minor", BigInteger, nullable=False),
    Column("outstanding_minor", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # The principal written down when the loan was charged off: recoveries are shared by it.
    Column("charged_off_minor", BigInteger, nullable=False, server_default="0"),
    # The principal written off by a concession while the loan stays active (a hardship plan's
    # discounted settlement): the holders bear it pro rata; it never weighs in later shares.
    Column("written_down_minor", BigInteger, nullable=False, server_default="0"),
    # A note sold whole keeps its row (and its history) with its holder at principal = what it was
    # repaid and written down, which is zero when it was sold before any repayment (market_0004).
    # What the note received before its loan's current epoch began (market_0008, `epochs.py`):
    # repayments (principal, fee, net) and recoveries (fee, net). `outstanding_minor` and
    # `charged_off_minor` are as at the epoch's start too; their sum is the note's weight in it.
    # What the note has now is derived from its loan's cumulative row (`positions.py`).
    Column("paid_principal_minor", BigInteger, nullable=False, server_default="0"),
    Column("paid_fee_minor", BigInteger, nullable=False, server_default="0"),
    Column("paid_net_minor", BigInteger, nullable=False, server_default="0"),
    Column("recovered_fee_minor", BigInteger, nullable=False, server_default="0"),
    Column("recovered_net_minor", BigInteger, nullable=False, server_default="0"),
    CheckConstraint("principal_minor >= 0 AND outstanding_minor >= 0", name="ck_market_note_amounts"),
)

# The secondary market (market/orders.py, market/trading.py). A holder's offer to sell a note, or a
# part of it (`amount_minor`; null: the whole note, whatever is outstanding when it is bought), at a
# premium (negative: a discount) in basis points to principal plus accrued interest. One open order
# per note, so the same principal is never offered twice; a buyer or the seller's cancel closes it
# with one conditional UPDATE (status = 'open'), so exactly one of them wins.
market_sale_order = Table(
    "market_sale_order",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("seller_id", String(40), nullable=False, index=True),
    Column("note_id", String(40), nullable=False),
    Column("loan_id", String(40), nullable=False),
    Column("listing_id", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=True),
    Column("premium_bps", Integer, nullable=False),
    Column("status", String(10), nullable=False),  # open | filled | cancelled
    Column("status_at_listing", String(20), nullable=False),  # the note's standing when it was listed
    Column("listed_on", Date, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("buyer_id", String(40), nullable=True),
    CheckConstraint("amount_minor IS NULL OR amount_minor > 0", name="ck_market_sale_order_amount"),
    Index("ix_market_sale_order_status", "status", "id"),
    Index(
        "uq_market_sale_order_open_note",
        "note_id",
        unique=True,
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
)

# A filled order: what changed hands, at what price, and the one journal entry that moved the
# cash (buyer's investor_cash to the seller's) and the notes payable (seller's to the buyer's).
market_trade = Table(
    "market_trade",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), nullable=False, unique=True),
    Column("loan_id", String(40), nullable=False),
    Column("seller_id", String(40), nullable=False, index=True),
    Column("buyer_id", String(40), nullable=False, index=True),
    Column("note_id", String(40), nullable=False),  # the seller's note: it keeps its history
    Column("buyer_note_id", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("principal_minor", BigInteger, nullable=False),  # outstanding principal moved (notes payable)
    Column("charged_off_minor", BigInteger, nullable=False),  # principal written down moved (recoveries)
    Column("accrued_minor", BigInteger, nullable=False),
    Column("premium_bps", Integer, nullable=False),
    Column("price_minor", BigInteger, nullable=False),
    Column("sale_status", String(20), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("entry_id", String(40), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint(
        "price_minor > 0 AND principal_minor >= 0 AND charged_off_minor >= 0 "
        "AND principal_minor + charged_off_minor > 0",
        name="ck_market_trade_amounts",
    ),
)

"""The statements of set-based distribution (`distribution.py`): per loan and per holder, never per note.

A batch writes one row per loan (`market_loan_batch`: its cumulative amounts
before and after) and advances the loan's cumulative row; the notes joined to
those rows give each note's share, floor(after * w / W) - floor(before * w / W)
(monotone: never negative), added to its holder's row of the batch
(`market_holder_batch`, one per holder). Plain SQL text that reads the same on
SQLite and PostgreSQL, but for how the holders' rows are summed.
"""

from __future__ import annotations

from sqlalchemy import TextClause, bindparam, text

from fairlend.market.distribution_tables import market_loan_batch

# A loan's notes may predate its cumulative row (notes inserted before market_0008 was written
# to at funding): the row is made from them, in epoch 0, before the batch reads it.
OPEN_LOANS = text(
    """
    INSERT INTO market_loan_share (loan_id, currency, epoch, weight_minor, principal_minor, fee_minor, net_minor,
                                   recovery_fee_minor, recovery_net_minor)
    SELECT n.loan_id, MIN(n.currency), 0, SUM(n.outstanding_minor + n.charged_off_minor), 0, 0, 0, 0, 0
      FROM market_note n
     WHERE n.loan_id IN (
         SELECT r.loan_id FROM market_receipt r
          WHERE r.batch_id = :batch_id
            AND NOT EXISTS (SELECT 1 FROM market_loan_share s WHERE s.loan_id = r.loan_id))
     GROUP BY n.loan_id
    """
)

# The batch's row per loan: the day's receipts summed (net of the fee, the fee, the principal)
# and added to the loan's cumulative amounts of that kind (a recovery's principal is none).
_BATCH_ROWS = """
INSERT INTO market_loan_batch (batch_id, loan_id, epoch, kind, currency, business_date, weight_minor,
                               principal_before, fee_before, net_before, principal_after, fee_after, net_after)
WITH r AS (
    SELECT loan_id, MAX(kind) AS kind, SUM(amount_minor - fee_minor) AS m, SUM(fee_minor) AS f,
           SUM(principal_minor) AS p
      FROM market_receipt WHERE batch_id = :batch_id GROUP BY loan_id
), b AS (
    SELECT s.loan_id, s.epoch, r.kind, s.currency, s.weight_minor,
           CASE WHEN r.kind = 'recovery' THEN 0 ELSE s.principal_minor END AS p0,
           CASE WHEN r.kind = 'recovery' THEN s.recovery_fee_minor ELSE s.fee_minor END AS f0,
           CASE WHEN r.kind = 'recovery' THEN s.recovery_net_minor ELSE s.net_minor END AS n0,
           CASE WHEN r.kind = 'recovery' THEN 0 ELSE r.p END AS p, r.f, r.m
      FROM r JOIN market_loan_share s ON s.loan_id = r.loan_id
)
SELECT :batch_id, loan_id, epoch, kind, currency, :business_date, weight_minor,
       p0, f0, n0, p0 + p, f0 + f, n0 + m
  FROM b
"""
BATCH_ROWS = text(_BATCH_ROWS).bindparams(bindparam("business_date", type_=market_loan_batch.c.business_date.type))

# The loans' cumulative rows advanced to the batch's "after" (one row per loan).
ADVANCE_LOANS = text(
    """
    UPDATE market_loan_share
       SET principal_minor = CASE WHEN b.kind = 'recovery' THEN market_loan_share.principal_minor
                                  ELSE b.principal_after END,
           fee_minor = CASE WHEN b.kind = 'recovery' THEN market_loan_share.fee_minor ELSE b.fee_after END,
           net_minor = CASE WHEN b.kind = 'recovery' THEN market_loan_share.net_minor ELSE b.net_after END,
           recovery_fee_minor = CASE WHEN b.kind = 'recovery' THEN b.fee_after
                                     ELSE market_loan_share.recovery_fee_minor END,
           recovery_net_minor = CASE WHEN b.kind = 'recovery' THEN b.net_after
                                     ELSE market_loan_share.recovery_net_minor END
      FROM market_loan_batch b
     WHERE b.batch_id = :batch_id AND b.loan_id = market_loan_share.loan_id
    """
)

# Products stay within 64 bits when W < 3e9 minor units (floor(C*w/W) is computed as (C/W)*w + (C%W)*w/W).
TOO_HEAVY = text("SELECT loan_id FROM market_loan_batch WHERE batch_id = :batch_id AND weight_minor >= 3000000000")


# A note's share of a cumulative amount C is floor(C * w / W). With C = q * W + r (per loan, once),
# floor(C * w / W) = q * w + floor(r * w / W): one division a note where the plain form takes two and a
# remainder, and the difference of two floors is (q_after - q_before) * w plus the remainders' floors.
# The loans' quotients and remainders are worked out once each, in a materialized `b`, not per note.
def _per_loan(x: str) -> str:
    return (
        f"{x}_after / weight_minor - {x}_before / weight_minor AS {x}_q, "
        f"{x}_after % weight_minor AS {x}_ra, {x}_before % weight_minor AS {x}_rb"
    )


def _delta(x: str) -> str:
    return f"b.{x}_q * n.w + (b.{x}_ra * n.w) / b.weight_minor - (b.{x}_rb * n.w) / b.weight_minor"


def _note_shares_x(materialized: bool) -> str:
    """Each non-platform note's share of each loan of the batch, the difference of its floors."""
    # SQLite works the loans' quotients out once only in a MATERIALIZED `b`; PostgreSQL inlines it,
    # or it would guess one row for the batch's fresh loans and sort a million notes to group them
    # (1.9 s against 1.0 s at the bench's size) instead of hashing them.
    how = "MATERIALIZED " if materialized else ""
    return f"""WITH b AS {how}(
        SELECT loan_id, currency, kind, weight_minor, {_per_loan("principal")}, {_per_loan("fee")},
               {_per_loan("net")}
          FROM market_loan_batch WHERE batch_id = :batch_id AND weight_minor > 0
    ), x AS (
        SELECT n.holder_id, n.holder_kind, b.currency, b.kind,
               {_delta("principal")} AS p, {_delta("fee")} AS f, {_delta("net")} AS m
          FROM b
          JOIN (SELECT holder_id, holder_kind, loan_id, outstanding_minor + charged_off_minor AS w
                  FROM market_note WHERE holder_kind <> 'platform') n ON n.loan_id = b.loan_id
         WHERE n.w > 0
    )"""


def _note_shares(materialized: bool) -> str:
    """The shares with their repayment and recovery parts apart (a loan's batch row is one or the other)."""
    return f"""{_note_shares_x(materialized)}, y AS (
        SELECT holder_id, holder_kind, currency,
               CASE WHEN kind = 'recovery' THEN 0 ELSE p END AS p,
               CASE WHEN kind = 'recovery' THEN 0 ELSE f END AS f,
               CASE WHEN kind = 'recovery' THEN 0 ELSE m END AS m,
               CASE WHEN kind = 'recovery' THEN f ELSE 0 END AS rf,
               CASE WHEN kind = 'recovery' THEN m ELSE 0 END AS rm
          FROM x
    )"""


def _repayment_shares(materialized: bool) -> str:
    """A batch without a recovery (the usual day) skips the five CASEs per note: its shares are repayments."""
    x = _note_shares_x(materialized)
    return f"""{x}, y AS (SELECT holder_id, holder_kind, currency, p, f, m, 0 AS rf, 0 AS rm FROM x)"""


_AMOUNTS = ("principal_minor", "fee_minor", "net_minor", "recovery_fee_minor", "recovery_net_minor")
_HOLDER_COLUMNS = f"batch_id, holder_id, currency, holder_kind, {', '.join(_AMOUNTS)}"
_ADD = ", ".join(f"{c} = market_holder_batch.{c} + excluded.{c}" for c in _AMOUNTS)
# A holder's row of the batch made or added to (a new row, or the running total grown).
ADD_TO_HOLDER = f"ON CONFLICT (batch_id, holder_id, currency) DO UPDATE SET {_ADD}"

# SQLite: each holder's running total of the batch, note by note, in a connection's TEMP table keyed
# by holder alone (in memory, no journal in the database file, no batch id to compare at every step
# of the key): one B-tree lookup among the batch's holders per note, about 40 % cheaper than the same
# upsert into `market_holder_batch` (a `GROUP BY holder` sorted all the batch's notes first, dearer
# still). Then one INSERT ... SELECT moves the totals, in holder order, into the batch's rows.
FOLD_TABLE = text(
    f"""
    CREATE TEMP TABLE IF NOT EXISTS market_holder_fold (
        holder_id TEXT NOT NULL, currency TEXT NOT NULL, holder_kind TEXT NOT NULL,
        {", ".join(f"{c} INTEGER NOT NULL" for c in _AMOUNTS)},
        PRIMARY KEY (holder_id, currency)
    ) WITHOUT ROWID
    """
)
CLEAR_FOLD = text("DELETE FROM temp.market_holder_fold")


def _fold(shares: str, amounts: tuple[str, ...]) -> TextClause:
    """Fold each note's share into its holder's row; only `amounts` are added on a holder's later notes."""
    add = ", ".join(f"{c} = market_holder_fold.{c} + excluded.{c}" for c in amounts)
    # `WHERE true` tells SQLite's parser the ON CONFLICT belongs to the INSERT.
    return text(
        f"""
        INSERT INTO temp.market_holder_fold (holder_id, currency, holder_kind, {", ".join(_AMOUNTS)})
        {shares}
        SELECT holder_id, currency, holder_kind, p, f, m, rf, rm FROM y WHERE true
        ON CONFLICT (holder_id, currency) DO UPDATE SET {add}
        """
    )


FOLD_BY_NOTE = _fold(_note_shares(materialized=True), _AMOUNTS)
# No recovery in the batch: the recovery columns stay the zero a holder's first note wrote.
FOLD_REPAYMENTS_BY_NOTE = _fold(_repayment_shares(materialized=True), _AMOUNTS[:3])
FOLDED = text(
    f"""
    INSERT INTO market_holder_batch ({_HOLDER_COLUMNS})
    SELECT :batch_id, holder_id, currency, holder_kind, {", ".join(_AMOUNTS)} FROM temp.market_holder_fold
    """
)


def _grouped(shares: str) -> TextClause:
    return text(
        f"""
        INSERT INTO market_holder_batch ({_HOLDER_COLUMNS})
        {shares}
        SELECT :batch_id, holder_id, currency, MIN(holder_kind), SUM(p), SUM(f), SUM(m), SUM(rf), SUM(rm)
          FROM y GROUP BY holder_id, currency
        """
    )


# PostgreSQL: the same totals grouped, then inserted (it hashes a GROUP BY, and refuses an upsert
# that meets one row twice in a statement).
HOLDER_TOTALS_GROUPED = _grouped(_note_shares(materialized=False))
REPAYMENT_TOTALS_GROUPED = _grouped(_repayment_shares(materialized=False))
# One holder's row of a batch added to (the held units an epoch's end paid them).
ADD_HOLDER_TOTAL = text(
    f"""
    INSERT INTO market_holder_batch ({_HOLDER_COLUMNS})
    VALUES (:batch_id, :holder_id, :currency, :holder_kind, :principal, :fee, :net, :recovery_fee, :recovery_net)
    {ADD_TO_HOLDER}
    """
)
# The batch's holders' totals, in holder order (the wallets are credited in that order).
HOLDER_TOTALS = text(
    """
    SELECT holder_id, holder_kind, currency, principal_minor AS principal, fee_minor AS fee, net_minor AS net,
           recovery_fee_minor AS recovery_fee, recovery_net_minor AS recovery_net
      FROM market_holder_batch WHERE batch_id = :batch_id
     ORDER BY holder_id, currency
    """
)

# Loans the batch shared a recovery of: a charged-off loan's notes no longer change, so its epoch ends at
# once and the recovery's held units go out with it (no later event would end it for them).
RECOVERED = text(
    """
    SELECT DISTINCT loan_id FROM market_loan_batch
     WHERE batch_id = :batch_id AND kind = 'recovery' AND weight_minor > 0
     ORDER BY loan_id
    """
)

# Loans the batch paid off: their principal's floors are now exact, their epoch ends (held units paid).
PAID_OFF = text(
    """
    SELECT loan_id FROM market_loan_batch
     WHERE batch_id = :batch_id AND kind <> 'recovery' AND weight_minor > 0 AND principal_after >= weight_minor
     ORDER BY loan_id
    """
)

"""The statements of set-based distribution (`distribution.py`): per loan and per holder, never per note.

A batch writes one row per loan (`market_loan_batch`: its cumulative amounts
before and after) and advances the loan's cumulative row; the holders' totals
are a read of the notes joined to those rows, each note's share being
floor(after * w / W) - floor(before * w / W) (monotone: never negative). Plain
SQL text that reads the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import bindparam, text

from fairlend.market.tables import market_loan_batch

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


def _part(x: str) -> str:
    return f"((b.{x} / b.weight_minor) * w + ((b.{x} % b.weight_minor) * w) / b.weight_minor)"


def _delta(x: str) -> str:
    return f"{_part(x + '_after')} - {_part(x + '_before')}"


# Each non-platform holder's share of each loan of the batch: the difference of its floors.
_BATCH_SHARES = f"""WITH x AS (
        SELECT n.holder_id, n.holder_kind, b.currency, b.kind,
               {_delta("principal")} AS p, {_delta("fee")} AS f, {_delta("net")} AS m
          FROM market_loan_batch b
          JOIN (SELECT holder_id, holder_kind, loan_id, outstanding_minor + charged_off_minor AS w
                  FROM market_note WHERE holder_kind <> 'platform') n ON n.loan_id = b.loan_id
         WHERE b.batch_id = :batch_id AND b.weight_minor > 0 AND n.w > 0
    )"""

# Each non-platform holder's totals of the batch, by kind: the notes of the batch's loans joined to
# their loan's row, each note's share the difference of its floors, summed per holder (`currency <>
# other` flags the rare holder paid in two currencies in one batch: HOLDER_TOTALS_BY_CURRENCY).
HOLDER_TOTALS = text(
    f"""
    {_BATCH_SHARES}
    SELECT holder_id, MIN(holder_kind) AS holder_kind, MIN(currency) AS currency, MAX(currency) AS other,
           SUM(CASE WHEN kind = 'recovery' THEN 0 ELSE p END) AS principal,
           SUM(CASE WHEN kind = 'recovery' THEN 0 ELSE f END) AS fee,
           SUM(CASE WHEN kind = 'recovery' THEN 0 ELSE m END) AS net,
           SUM(CASE WHEN kind = 'recovery' THEN f ELSE 0 END) AS recovery_fee,
           SUM(CASE WHEN kind = 'recovery' THEN m ELSE 0 END) AS recovery_net
      FROM x GROUP BY holder_id
    """
)
HOLDER_TOTALS_BY_CURRENCY = text(
    f"""
    {_BATCH_SHARES}
    SELECT holder_id, holder_kind, currency, kind, SUM(p) AS principal, SUM(f) AS fee, SUM(m) AS net
      FROM x GROUP BY holder_id, holder_kind, currency, kind
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

"""The statements of set-based distribution (`distribution.py`): the share INSERT, the notes, the totals.

Plain SQL text: the window functions and `UPDATE ... FROM` read the same on
SQLite and PostgreSQL (only the collation of the tie-break differs).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, text

from fairlend.market.tables import market_distribution

# The day's receipts per loan; the notes' weights; each of three amounts (net, fee, principal)
# split by largest remainder: floor shares, then one unit each to the largest remainders, ties
# to the smaller note id (byte order: "C" collation on PostgreSQL), exactly as shares.split.
_SHARE_SQL = """
INSERT INTO market_distribution (holder_id, batch_id, note_id, holder_kind, loan_id, kind, currency,
                                 principal_minor, fee_minor, net_minor, business_date)
WITH r AS (
    SELECT loan_id, MAX(kind) AS kind, CAST(SUM(amount_minor - fee_minor) AS BIGINT) AS m,
           CAST(SUM(fee_minor) AS BIGINT) AS f, CAST(SUM(principal_minor) AS BIGINT) AS p
      FROM market_receipt WHERE batch_id = :batch_id GROUP BY loan_id
), n AS (
    SELECT n.holder_id, n.id AS note_id, n.holder_kind, n.loan_id, n.currency, r.kind, r.m, r.f, r.p,
           n.outstanding_minor + n.charged_off_minor AS w,
           CAST(SUM(n.outstanding_minor + n.charged_off_minor) OVER (PARTITION BY n.loan_id) AS BIGINT) AS tw
      FROM market_note n JOIN r ON r.loan_id = n.loan_id
), q AS (
    SELECT holder_id, note_id, holder_kind, loan_id, currency, kind, m, f, p, tw,
           m * w / tw AS mb, m * w % tw AS mr, f * w / tw AS fb, f * w % tw AS fr, p * w / tw AS pb, p * w % tw AS pr
      FROM n WHERE tw > 0 AND w > 0 {big}
), s AS (
    SELECT q.*,
           m - SUM(mb) OVER l AS ml, f - SUM(fb) OVER l AS fl, p - SUM(pb) OVER l AS pl,
           ROW_NUMBER() OVER (PARTITION BY loan_id ORDER BY mr DESC, note_id{collate}) AS mk,
           ROW_NUMBER() OVER (PARTITION BY loan_id ORDER BY fr DESC, note_id{collate}) AS fk,
           ROW_NUMBER() OVER (PARTITION BY loan_id ORDER BY pr DESC, note_id{collate}) AS pk
      FROM q WINDOW l AS (PARTITION BY loan_id)
)
SELECT holder_id, :batch_id, note_id, holder_kind, loan_id, kind, currency,
       pb + CASE WHEN pk <= pl THEN 1 ELSE 0 END,
       fb + CASE WHEN fk <= fl THEN 1 ELSE 0 END,
       mb + CASE WHEN mk <= ml THEN 1 ELSE 0 END,
       :business_date
  FROM s
"""


def _share_statement(dialect: str, big: bool) -> Any:
    sql = _SHARE_SQL.format(
        collate=' COLLATE "C"' if dialect == "postgresql" else "",
        big="AND loan_id NOT IN (SELECT value FROM big_loans)" if big else "",
    )
    return text(sql).bindparams(bindparam("business_date", type_=market_distribution.c.business_date.type))


SHARE = {d: _share_statement(d, False) for d in ("sqlite", "postgresql")}


def share_excluding(dialect: str, big: list[str]) -> tuple[Any, dict[str, str]]:
    """Rare (enormous loans): the share statement with those loans left out, as a VALUES list."""
    values = ", ".join(f"(:big_{i})" for i in range(len(big)))
    sql = _SHARE_SQL.format(
        collate=' COLLATE "C"' if dialect == "postgresql" else "",
        big="AND loan_id NOT IN (SELECT value FROM big_loans)",
    ).replace("WITH r AS (", f"WITH big_loans(value) AS (VALUES {values}), r AS (", 1)
    stmt = text(sql).bindparams(bindparam("business_date", type_=market_distribution.c.business_date.type))
    return stmt, {f"big_{i}": loan for i, loan in enumerate(big)}


# The notes' outstanding principal, lowered by what the batch repaid them.
REPAY_NOTES = text(
    """
    UPDATE market_note SET outstanding_minor = market_note.outstanding_minor - d.principal_minor
      FROM market_distribution d
     WHERE d.batch_id = :batch_id AND d.principal_minor > 0
       AND d.holder_id = market_note.holder_id AND d.note_id = market_note.id
    """
)

# Each holder's totals of the batch, by kind, in ONE pass over its share rows: grouped by the
# holder alone, which the share rows' key (batch, holder, note) already orders, so neither
# database sorts the batch (a holder's kind never changes; `currency <> other` flags the rare
# holder paid in two currencies in one batch, for whom HOLDER_TOTALS_BY_CURRENCY is read).
# The same totals credit the wallets and make the ledger entry.
HOLDER_TOTALS = text(
    """
    SELECT holder_id, MIN(holder_kind) AS holder_kind, MIN(currency) AS currency, MAX(currency) AS other,
           SUM(CASE WHEN kind = 'recovery' THEN 0 ELSE principal_minor END) AS principal,
           SUM(CASE WHEN kind = 'recovery' THEN 0 ELSE fee_minor END) AS fee,
           SUM(CASE WHEN kind = 'recovery' THEN 0 ELSE net_minor END) AS net,
           SUM(CASE WHEN kind = 'recovery' THEN principal_minor ELSE 0 END) AS recovery_principal,
           SUM(CASE WHEN kind = 'recovery' THEN fee_minor ELSE 0 END) AS recovery_fee,
           SUM(CASE WHEN kind = 'recovery' THEN net_minor ELSE 0 END) AS recovery_net
      FROM market_distribution
     WHERE batch_id = :batch_id AND holder_kind <> 'platform'
     GROUP BY holder_id
    """
)
HOLDER_TOTALS_BY_CURRENCY = text(
    """
    SELECT holder_id, holder_kind, currency, kind,
           SUM(principal_minor) AS principal, SUM(fee_minor) AS fee, SUM(net_minor) AS net
      FROM market_distribution
     WHERE batch_id = :batch_id AND holder_kind <> 'platform'
     GROUP BY holder_id, holder_kind, currency, kind
    """
)
# Investors' wallets (the cache of their ledger cash) credited with their net shares, one row each.
CREDIT_WALLET = text("UPDATE market_wallet SET cash_minor = cash_minor + :net WHERE investor_id = :holder")

BIG_LOANS = text(
    """
    SELECT r.loan_id FROM (
        SELECT loan_id, SUM(amount_minor) AS a FROM market_receipt WHERE batch_id = :batch_id GROUP BY loan_id
    ) r JOIN (
        SELECT loan_id, SUM(outstanding_minor + charged_off_minor) AS tw FROM market_note
         WHERE loan_id IN (SELECT loan_id FROM market_receipt WHERE batch_id = :batch_id) GROUP BY loan_id
    ) t ON t.loan_id = r.loan_id
     WHERE t.tw > 0 AND r.a >= :limit / t.tw
    """
)

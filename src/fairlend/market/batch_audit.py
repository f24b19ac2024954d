"""`fairlend verify`'s per-batch checks: each holder's row of a batch against its notes and against the journal.

A distribution batch pays holders from their rows in `market_holder_batch`
(`payout.py`); the rows are sums, so a lost or doubled fen in them would pass
every check that only reads totals over all time in one direction. Each row is
held against both sides, batch by batch:

- the notes (`market.holder_batch_notes`): derived again from the loans' batch
  rows (`market_loan_batch`) and the notes' weights in the batch's epoch (the
  note rows for the loan's current epoch, `market_note_epoch` for an ended
  one), floor(after * w / W) - floor(before * w / W) per note, plus the held
  units an epoch's end paid the note in that batch;
- the journal (`market.holder_batch_ledger`): the batch's `market_distribution`
  entries, account by account, are what `payout.post` derives from the rows:
  each holder's notes payable and an investor's cash, and the control accounts
  (interest income, credit loss, servicing fee income, custody and platform cash).

Batches before market_0009 wrote no holder rows; a batch is checked when it has
one (the all-time checks of `reconcile.py` cover the older ones).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Connection, text

from fairlend.ledger.model import AccountType
from fairlend.ledger.published import kind_lines
from fairlend.ledger.service import Discrepancy
from fairlend.market.model import HolderKind
from fairlend.market.reconcile import DISTRIBUTION_KIND

_ZERO = (0, 0, 0, 0, 0)


def _part(x: str) -> str:
    return f"((b.{x} / b.weight_minor) * w.w + ((b.{x} % b.weight_minor) * w.w) / b.weight_minor)"


def _delta(x: str) -> str:
    return f"({_part(x + '_after')} - {_part(x + '_before')})"


# Every non-platform holder's shares per batch, derived from the notes alone (no holder row read).
_DERIVED = text(
    f"""
    WITH w AS (
        SELECT n.loan_id, s.epoch, n.holder_id, n.holder_kind, n.outstanding_minor + n.charged_off_minor AS w
          FROM market_note n JOIN market_loan_share s ON s.loan_id = n.loan_id
        UNION ALL
        SELECT e.loan_id, e.epoch, e.holder_id, n.holder_kind, e.weight_minor
          FROM market_note_epoch e JOIN market_note n ON n.holder_id = e.holder_id AND n.id = e.note_id
    ), x AS (
        SELECT b.batch_id, w.holder_id, b.currency,
               CASE WHEN b.kind = 'recovery' THEN 0 ELSE {_delta("principal")} END AS p,
               CASE WHEN b.kind = 'recovery' THEN 0 ELSE {_delta("fee")} END AS f,
               CASE WHEN b.kind = 'recovery' THEN 0 ELSE {_delta("net")} END AS m,
               CASE WHEN b.kind = 'recovery' THEN {_delta("fee")} ELSE 0 END AS rf,
               CASE WHEN b.kind = 'recovery' THEN {_delta("net")} ELSE 0 END AS rm
          FROM market_loan_batch b JOIN w ON w.loan_id = b.loan_id AND w.epoch = b.epoch
         WHERE b.weight_minor > 0 AND w.w > 0 AND w.holder_kind <> 'platform'
        UNION ALL
        SELECT e.batch_id, e.holder_id, n.currency, e.principal_minor, e.fee_minor, e.net_minor,
               e.recovery_fee_minor, e.recovery_net_minor
          FROM market_note_epoch e JOIN market_note n ON n.holder_id = e.holder_id AND n.id = e.note_id
         WHERE n.holder_kind <> 'platform'
    )
    SELECT batch_id, holder_id, currency, SUM(p), SUM(f), SUM(m), SUM(rf), SUM(rm)
      FROM x GROUP BY batch_id, holder_id, currency
    """
)

_STORED = text(
    """
    SELECT batch_id, holder_id, currency, holder_kind, principal_minor, fee_minor, net_minor,
           recovery_fee_minor, recovery_net_minor
      FROM market_holder_batch
    """
)


def holder_batch_discrepancies(conn: Connection) -> list[Discrepancy]:
    """Every holder row of a batch against the notes' shares of it and against the batch's journal lines."""
    stored: dict[tuple[str, str, str], tuple[int, ...]] = {}
    kinds: dict[str, str] = {}
    for batch, holder, currency, kind, *amounts in conn.execute(_STORED):
        stored[(batch, holder, currency)] = tuple(int(a) for a in amounts)
        kinds[holder] = kind
    batches = {batch for batch, _, _ in stored}
    derived = {
        (batch, holder, currency): tuple(int(a) for a in amounts)
        for batch, holder, currency, *amounts in conn.execute(_DERIVED)
        if batch in batches
    }
    found = []
    for key in sorted(set(stored) | set(derived)):
        row, notes = stored.get(key, _ZERO), derived.get(key, _ZERO)
        if row != notes:
            batch, holder, currency = key
            found.append(
                Discrepancy(
                    "market.holder_batch_notes",
                    f"{batch} {holder} {currency}",
                    f"holder row (principal, fee, net, recovery fee, recovery net) {row}, notes {notes}",
                )
            )
    booked: dict[tuple[str, str, str, str], int] = {}
    for reference, type_, currency, owner, amount in conn.execute(kind_lines(DISTRIBUTION_KIND)):
        if reference in batches and amount:
            booked[(reference, type_, currency, owner)] = int(amount)
    expected = _expected_lines(stored, kinds)
    for line in sorted(set(expected) | set(booked)):
        want, got = expected.get(line, 0), booked.get(line, 0)
        if want != got:
            batch, type_, currency, owner = line
            account = f"{type_}:{currency}:{owner}" if owner else f"{type_}:{currency}"
            found.append(
                Discrepancy("market.holder_batch_ledger", f"{batch} {account}", f"holder rows {want}, ledger {got}")
            )
    return found


def _expected_lines(
    stored: dict[tuple[str, str, str], tuple[int, ...]], kinds: dict[str, str]
) -> dict[tuple[str, str, str, str], int]:
    """The journal lines `payout.post` writes for the rows, per (batch, account type, currency, owner)."""
    lines: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for (batch, holder, cur), (principal, fee, net, recovery_fee, recovery_net) in stored.items():

        def add(account: AccountType, minor: int, owner: str = "", *, c: str = cur, b: str = batch) -> None:
            lines[(b, account.value, c, owner)] += minor

        paid = net + recovery_net
        add(AccountType.NOTES_PAYABLE, principal, holder)
        add(AccountType.INTEREST_INCOME, net + fee - principal)
        add(AccountType.CREDIT_LOSS, recovery_net + recovery_fee)
        add(AccountType.SERVICING_FEE_INCOME, -(fee + recovery_fee))
        add(AccountType.PLATFORM_CASH, -paid)
        if kinds[holder] == HolderKind.INVESTOR.value:
            add(AccountType.INVESTOR_CASH, -paid, holder)
            add(AccountType.CUSTODY_CASH, paid)
    return {key: minor for key, minor in lines.items() if minor}

"""An investor's portfolio and statements, read from the ledger (issue #13 item 7).

The ledger is the source: the investor's `investor_cash` account (deposits,
withdrawals, money paid into notes, distributions) and `notes_payable` account
(principal issued, repaid, written down) give every total and every statement
line. The notes and distribution rows add only what the ledger aggregates away:
the split of a distribution into principal, interest, fee and recovery, the
grade of each note, and each note's status. `reconcile` checks the two agree.

The values it returns and NAR are pure, in market/returns.py.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from fairlend.db.uow import UnitOfWorkFactory
from fairlend.errors import Invalid
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.ledger.service import AccountPosting, Ledger
from fairlend.lending.service import LendingService
from fairlend.market.distribution import CONCESSION_KIND
from fairlend.market.positions import note_shares, positions
from fairlend.market.reconcile import DISTRIBUTION_KIND, TRADE_KIND
from fairlend.market.returns import (
    NOTE_STATUSES,
    PURCHASE_KIND,
    SALE_KIND,
    Flow,
    GradeReturn,
    MonthFlows,
    NoteLine,
    PortfolioView,
    Statement,
    StatementLine,
    TradeLeg,
    month_of,
    months_between,
    nar,
    note_flows,
    note_status,
)
from fairlend.market.tables import market_listing, market_trade
from fairlend.market.wallet import Wallets
from fairlend.money import Money

DISBURSEMENT_KIND = "loan_disbursement"
WRITE_DOWN_KIND = "market_note_write_down"
MAX_STATEMENT_DAYS = 3_660  # ten years: past that a statement is a typo, not a period


def _owed(p: AccountPosting) -> int:
    """A liability's posting as the investor sees it: a credit (negative raw) is money for them."""
    return -p.amount.minor


class Portfolios:
    def __init__(self, uow: UnitOfWorkFactory, ledger: Ledger, wallets: Wallets, lending: LendingService) -> None:
        self._uow = uow
        self._ledger = ledger
        self._wallets = wallets
        self._lending = lending

    def _keys(self, investor_id: str, currency: str) -> tuple[AccountKey, AccountKey]:
        return (
            AccountKey(AccountType.INVESTOR_CASH, currency, investor_id),
            AccountKey(AccountType.NOTES_PAYABLE, currency, investor_id),
        )

    def portfolio(self, investor_id: str) -> PortfolioView:
        wallet = self._wallets.wallet(investor_id)
        currency = wallet.cash.currency
        cash_key, notes_key = self._keys(investor_id, currency)
        cash_lines = self._ledger.postings_of(cash_key)
        note_lines = self._ledger.postings_of(notes_key)
        today = self._lending_today()

        def total(lines: list[AccountPosting], kind: str, sign: int) -> int:
            return sum(_owed(p) for p in lines if p.kind == kind and _owed(p) * sign > 0) * sign

        invested = total(note_lines, DISBURSEMENT_KIND, 1)
        principal = -sum(_owed(p) for p in note_lines if p.kind == DISTRIBUTION_KIND)
        charged = -sum(_owed(p) for p in note_lines if p.kind == WRITE_DOWN_KIND)
        conceded = -sum(_owed(p) for p in note_lines if p.kind == CONCESSION_KIND)
        net = sum(_owed(p) for p in cash_lines if p.kind == DISTRIBUTION_KIND)
        bought = -sum(_owed(p) for p in cash_lines if p.kind == TRADE_KIND and _owed(p) < 0)
        sold = sum(_owed(p) for p in cash_lines if p.kind == TRADE_KIND and _owed(p) > 0)
        flows = [Flow(p.business_date, principal=_owed(p)) for p in note_lines]
        flows += [Flow(p.business_date, x=_owed(p)) for p in cash_lines if p.kind in (DISTRIBUTION_KIND, TRADE_KIND)]
        flows += [
            Flow(p.business_date, x=_owed(p))
            for p in note_lines
            if p.kind in (DISTRIBUTION_KIND, WRITE_DOWN_KIND, CONCESSION_KIND, TRADE_KIND)
        ]
        # x above: distribution cash (net) less its principal (the notes_payable debit), less write-downs
        # (a charge-off's, and a hardship plan's principal written off);
        # a trade's price less the principal that moved (a gain or loss to the seller, a cost to the buyer).

        notes, shares = self._notes(investor_id)
        acquired, sales = self._trades(investor_id)
        fees = sum(s[1] for rows in shares.values() for s in rows)
        recoveries = sum(s[2] + s[1] for rows in shares.values() for s in rows if s[3] == "recovery")
        interest_gross = net + fees - principal - recoveries

        def m(minor: int) -> Money:
            return Money(minor, currency)

        by_status: dict[str, list[int]] = {s: [0, 0] for s in NOTE_STATUSES}
        lines = []
        states = self._lending.loan_states({n.loan_id for n in notes if n.outstanding_minor > 0})  # one read
        for n in notes:
            status = note_status(n.outstanding_minor, n.charged_off_minor, states.get(n.loan_id), sold=n.id in sales)
            by_status[status][0] += 1
            by_status[status][1] += n.outstanding_minor
            received = sum(s[2] for s in shares.get(n.id, []))
            lines.append(
                NoteLine(
                    n.id,
                    n.loan_id,
                    n.grade,
                    n.term_months,
                    n.nominal_rate,
                    m(n.principal_minor),
                    m(n.outstanding_minor),
                    m(received),
                    status,
                )
            )
        return PortfolioView(
            investor_id=investor_id,
            currency=currency,
            as_of=today,
            cash=wallet.cash,
            committed=wallet.committed,
            available=wallet.available,
            outstanding=m(-sum(p.amount.minor for p in note_lines)),
            invested=m(invested),
            bought=m(bought),
            sold=m(sold),
            principal_received=m(principal),
            interest_received=m(interest_gross),
            fees_paid=m(fees),
            recoveries_received=m(recoveries),
            charged_off=m(charged),
            written_down=m(conceded),
            net_received=m(net),
            nar=nar(flows, today),
            notes_by_status={s: (c, m(o)) for s, (c, o) in by_status.items()},
            months=_month_flows(cash_lines, note_lines, currency),
            grades=self._grades(notes, shares, (acquired, sales), note_lines, currency, today),
            notes=lines,
        )

    def statement(self, investor_id: str, start: date, end: date) -> Statement:
        """Every movement of the investor's cash in [start, end], opening and closing balances from the ledger."""
        if end < start:
            raise Invalid("statement_period_invalid", "the period ends before it starts")
        if (end - start).days > MAX_STATEMENT_DAYS:
            raise Invalid("statement_period_too_long", "a statement covers at most ten years")
        currency = self._wallets.wallet(investor_id).cash.currency
        cash_key, notes_key = self._keys(investor_id, currency)
        before = start - timedelta(days=1)
        opening = -self._ledger.balance(cash_key, as_of=before).minor
        parts = self._batch_parts(investor_id)
        balance = opening
        lines: list[StatementLine] = []
        totals: dict[str, int] = defaultdict(int)
        for p in self._ledger.postings_of(cash_key, start, end):
            amount = _owed(p)
            balance += amount
            got = parts.get(p.reference) if p.kind == DISTRIBUTION_KIND else None
            kind = p.kind if p.kind != TRADE_KIND else (PURCHASE_KIND if amount < 0 else SALE_KIND)
            totals[kind] += amount
            lines.append(
                StatementLine(
                    p.business_date,
                    kind,
                    p.reference,
                    Money(amount, currency),
                    Money(balance, currency),
                    *((Money(got[0], currency), Money(got[1], currency), Money(got[2], currency)) if got else ()),
                )
            )
        return Statement(
            investor_id,
            start,
            end,
            Money(opening, currency),
            lines,
            Money(-self._ledger.balance(cash_key, as_of=end).minor, currency),
            Money(-self._ledger.balance(notes_key, as_of=before).minor, currency),
            Money(-self._ledger.balance(notes_key, as_of=end).minor, currency),
            {k: Money(v, currency) for k, v in sorted(totals.items())},
        )

    # -- what the ledger aggregates away ---------------------------------------------------------

    def _notes(self, investor_id: str) -> tuple[list[Any], dict[str, list[tuple[int, int, int, str, date, str]]]]:
        """The investor's notes with their listing's terms, and per note its distribution rows."""
        n, listing = positions(), market_listing
        with self._uow(read_only=True) as uow:
            notes = uow.conn.execute(
                select(
                    n.c.id,
                    n.c.loan_id,
                    n.c.principal_minor,
                    n.c.outstanding_minor,
                    n.c.charged_off_minor,
                    listing.c.grade,
                    listing.c.term_months,
                    listing.c.nominal_rate,
                )
                .select_from(n.join(listing, listing.c.id == n.c.listing_id))
                .where(n.c.holder_id == investor_id)
                .order_by(n.c.created_at, n.c.id)
            ).all()
            rows = note_shares(uow, holder_id=investor_id)
        shares: dict[str, list[tuple[int, int, int, str, date, str]]] = defaultdict(list)
        for r in rows:
            shares[r.note_id].append((r.principal, r.fee, r.net, r.kind, r.business_date, r.batch_id))
        return list(notes), shares

    def _batch_parts(self, investor_id: str) -> dict[str, tuple[int, int, int]]:
        """Per distribution batch: the principal, interest (gross) and fee of the investor's share."""
        _, shares = self._notes(investor_id)
        parts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for rows in shares.values():
            for principal, fee, net, _kind, _day, batch in rows:
                got = parts[batch]
                got[0] += principal
                got[1] += net + fee - principal
                got[2] += fee
        return {b: (p[0], p[1], p[2]) for b, p in parts.items()}

    def _grades(
        self,
        notes: list[Any],
        shares: dict[str, list[tuple[int, int, int, str, date, str]]],
        trades: tuple[dict[str, TradeLeg], dict[str, list[TradeLeg]]],
        note_lines: list[AccountPosting],
        currency: str,
        today: date,
    ) -> list[GradeReturn]:
        acquired, sales = trades
        issued = {p.reference: p.business_date for p in note_lines if p.kind == DISBURSEMENT_KIND}
        written = {p.reference: p.business_date for p in note_lines if p.kind == WRITE_DOWN_KIND}
        # A plan's write-off is the holder's per loan (one entry line per loan and holder), whatever notes.
        conceded: dict[str, list[tuple[date, int]]] = defaultdict(list)
        for p in note_lines:
            if p.kind == CONCESSION_KIND:
                conceded[p.reference].append((p.business_date, -_owed(p)))
        by_grade: dict[str, list[Any]] = defaultdict(list)
        for n in notes:
            by_grade[n.grade].append(n)
        out = []
        for grade, group in sorted(by_grade.items()):
            flows: list[Flow] = []
            interest = 0
            for n in group:
                got = [(day, principal, net) for principal, _fee, net, _kind, day, _batch in shares.get(n.id, [])]
                interest += sum(net - principal for _day, principal, net in got)
                flows += note_flows(
                    issued.get(n.loan_id, today),
                    n.principal_minor,
                    n.charged_off_minor,
                    acquired.get(n.id),
                    sales.get(n.id, []),
                    got,
                    written.get(n.loan_id),
                )
            loans = sorted({n.loan_id for n in group})
            lost = [(day, minor) for loan in loans for day, minor in conceded.get(loan, [])]
            flows += [Flow(day, principal=-minor, x=-minor) for day, minor in lost]
            out.append(
                GradeReturn(
                    grade,
                    len(group),
                    Money(sum(n.principal_minor + sum(s.part for s in sales.get(n.id, [])) for n in group), currency),
                    Money(sum(n.outstanding_minor for n in group), currency),
                    Money(interest, currency),
                    Money(sum(n.charged_off_minor for n in group), currency),
                    nar(flows, today),
                    Money(sum(minor for _day, minor in lost), currency),
                )
            )
        return out

    def _trades(self, investor_id: str) -> tuple[dict[str, TradeLeg], dict[str, list[TradeLeg]]]:
        """The investor's notes bought (by the note they got) and the parts sold (by the note they came from)."""
        t = market_trade
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(t).where((t.c.buyer_id == investor_id) | (t.c.seller_id == investor_id)).order_by(t.c.id)
            ).all()
        acquired: dict[str, TradeLeg] = {}
        sales: dict[str, list[TradeLeg]] = defaultdict(list)
        for r in rows:
            leg = TradeLeg(r.business_date, r.principal_minor, r.charged_off_minor, r.price_minor)
            if r.buyer_id == investor_id:
                acquired[r.buyer_note_id] = leg
            if r.seller_id == investor_id:
                sales[r.note_id].append(leg)
        return acquired, dict(sales)

    def _lending_today(self) -> date:
        with self._uow(read_only=True) as uow:
            return uow.clock.business_date()


def _month_flows(cash_lines: list[AccountPosting], note_lines: list[AccountPosting], currency: str) -> list[MonthFlows]:
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for p in cash_lines:
        month, amount = month_of(p.business_date), _owed(p)
        if p.kind == "investor_deposit":
            sums[month]["deposits"] += amount
        elif p.kind.startswith("investor_withdrawal"):
            sums[month]["withdrawals"] -= amount  # a failed withdrawal's credit takes it back
        elif p.kind == DISBURSEMENT_KIND:
            sums[month]["invested"] -= amount
        elif p.kind == DISTRIBUTION_KIND:
            sums[month]["interest"] += amount
        elif p.kind == TRADE_KIND:
            sums[month]["bought" if amount < 0 else "sold"] += abs(amount)
    for p in note_lines:
        month = month_of(p.business_date)
        if p.kind == DISTRIBUTION_KIND:
            sums[month]["principal"] -= _owed(p)
            sums[month]["interest"] += _owed(p)  # the net less its principal
        elif p.kind == WRITE_DOWN_KIND:
            sums[month]["charged_off"] -= _owed(p)
        elif p.kind == CONCESSION_KIND:
            sums[month]["written_down"] -= _owed(p)
    if not sums:
        return []
    names = (
        "deposits",
        "withdrawals",
        "invested",
        "principal",
        "interest",
        "charged_off",
        "bought",
        "sold",
        "written_down",
    )
    return [
        MonthFlows(month, *(Money(sums[month][k] if month in sums else 0, currency) for k in names))
        for month in months_between(min(sums), max(sums))
    ]

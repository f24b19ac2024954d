from datetime import date

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.ledger.model import AccountKey, AccountType, credit, debit, entry
from fairlend.ledger.service import account_id
from fairlend.ledger.tables import ledger_account
from fairlend.money import Money

CAPITAL = AccountKey(AccountType.PLATFORM_CAPITAL, "CNY")
CASH = AccountKey(AccountType.PLATFORM_CASH, "CNY")
LOANS = AccountKey(AccountType.LOAN_PRINCIPAL, "CNY")


def _post(container: Container, day: date, amount: int, dr: AccountKey = CASH, cr: AccountKey = CAPITAL) -> str:
    with container.uow() as uow:
        entry_id = container.ledger.post(
            uow, entry(day, "test", debit(dr, Money(amount, "CNY")), credit(cr, Money(amount, "CNY")))
        )
        uow.commit()
    return entry_id


def test_posting_moves_balances_and_history_is_kept_by_business_date(container: Container) -> None:
    _post(container, date(2026, 3, 1), 100_000)
    _post(container, date(2026, 3, 2), 40_000, dr=LOANS, cr=CASH)
    assert container.ledger.balance(CASH) == Money(60_000, "CNY")
    assert container.ledger.balance(CASH, as_of=date(2026, 3, 1)) == Money(100_000, "CNY")
    assert container.ledger.balance(LOANS, as_of=date(2026, 2, 28)) == Money(0, "CNY")
    as_of_first = {b.key: b.balance for b in container.ledger.balances(as_of=date(2026, 3, 1))}
    assert as_of_first == {CASH: Money(100_000, "CNY"), CAPITAL: Money(-100_000, "CNY")}
    assert sum(b.balance.minor for b in container.ledger.balances()) == 0
    assert container.verify() == []


def test_a_rolled_back_posting_leaves_nothing(container: Container) -> None:
    with container.uow() as uow:
        container.ledger.post(
            uow, entry(date(2026, 3, 2), "test", debit(CASH, Money(5, "CNY")), credit(CAPITAL, Money(5, "CNY")))
        )
    assert container.ledger.balances() == []


def test_verify_finds_a_drifted_cached_balance(container: Container) -> None:
    _post(container, date(2026, 3, 2), 100)
    with container.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE ledger_account SET balance = balance + 1 WHERE id = :id"), {"id": account_id(CASH)}
        )
    found = container.verify()
    assert [d.check for d in found] == ["account_balance"]
    assert account_id(CASH) in found[0].subject


@pytest.mark.backends("sqlite")  # PostgreSQL refuses it at commit: see below
def test_verify_finds_an_unbalanced_entry_on_sqlite(container: Container) -> None:
    entry_id = _post(container, date(2026, 3, 2), 100)
    with container.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE ledger_posting SET amount = amount + 1 WHERE entry_id = :e AND amount > 0"), {"e": entry_id}
        )
        conn.execute(
            sa.text("UPDATE ledger_account SET balance = balance + 1 WHERE id = :id"), {"id": account_id(CASH)}
        )
    assert [(d.check, d.subject) for d in container.verify()] == [("entry_balances", entry_id)]


@pytest.mark.backends("postgresql")
def test_postgresql_rejects_an_unbalanced_entry_inserted_by_raw_sql_at_commit(container: Container) -> None:
    _post(container, date(2026, 3, 2), 100)  # make sure both accounts exist
    conn = container.engine.connect()
    trans = conn.begin()
    conn.execute(
        sa.text(
            "INSERT INTO ledger_entry (id, business_date, kind, reference, description, posted_at) VALUES ('je_raw', '2026-03-02', 'raw', '', '', now())"
        )
    )
    conn.execute(
        sa.text(
            "INSERT INTO ledger_posting (entry_id, account_id, currency, amount) VALUES ('je_raw', :a, 'CNY', 100)"
        ),
        {"a": account_id(CASH)},
    )
    conn.execute(
        sa.text(
            "INSERT INTO ledger_posting (entry_id, account_id, currency, amount) VALUES ('je_raw', :a, 'CNY', -99)"
        ),
        {"a": account_id(CAPITAL)},
    )
    # Each statement succeeded: the check waits for the commit.
    with pytest.raises(sa.exc.IntegrityError, match="does not balance"):
        trans.commit()
    conn.close()
    with container.engine.connect() as check:
        assert check.execute(sa.text("SELECT count(*) FROM ledger_entry WHERE id = 'je_raw'")).scalar() == 0


@pytest.mark.backends("postgresql")
def test_the_balance_check_leaves_no_setting_per_entry_on_a_pooled_connection(container: Container) -> None:
    """It remembers the last entry found balanced in one setting: a name per entry would pile up for the
    connection's whole life."""
    _post(container, date(2026, 3, 2), 100)
    with container.engine.connect() as conn:
        for n in range(30):
            with conn.begin():
                conn.execute(
                    sa.text(
                        "INSERT INTO ledger_entry (id, business_date, kind, reference, description, posted_at) "
                        "VALUES (:id, '2026-03-02', 'raw', '', '', now())"
                    ),
                    {"id": f"je_many_{n}"},
                )
                for account, amount in ((CASH, 5), (CAPITAL, -5)):
                    conn.execute(
                        sa.text(
                            "INSERT INTO ledger_posting (entry_id, account_id, currency, amount) "
                            "VALUES (:id, :a, 'CNY', :m)"
                        ),
                        {"id": f"je_many_{n}", "a": account_id(account), "m": amount},
                    )
        # A custom setting, once set, stays defined for the session (hidden from pg_settings; current_setting
        # answers '' instead of NULL): the earlier check's per-entry names were such settings.
        left = conn.execute(
            sa.text(
                "SELECT count(*) FROM generate_series(0, 29) n "
                "WHERE current_setting('fairlend_balanced.je_many_' || n, true) IS NOT NULL"
            )
        ).scalar()
        remembered = conn.execute(sa.text("SELECT current_setting('fairlend.balanced_entry', true)")).scalar()
    assert left == 0
    assert remembered is not None  # the one setting the check does use


@pytest.mark.backends("postgresql")
def test_postgresql_rejects_an_entry_without_postings_at_commit(container: Container) -> None:
    with pytest.raises(sa.exc.IntegrityError, match="needs at least 2"), container.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO ledger_entry (id, business_date, kind, reference, description, posted_at) VALUES ('je_empty', '2026-03-02', 'raw', '', '', now())"
            )
        )


@pytest.mark.backends("postgresql")
def test_control_account_balances_spread_over_shards_read_as_one_balance(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    shards = iter(range(100))
    monkeypatch.setattr("fairlend.ledger.service._pick_shard", lambda: next(shards) % 4)
    for _ in range(8):
        _post(container, date(2026, 3, 2), 250)
    with container.engine.connect() as conn:
        own_row = conn.execute(
            sa.text("SELECT balance FROM ledger_account WHERE id = :id"), {"id": account_id(CASH)}
        ).scalar()
        shard_rows = conn.execute(
            sa.text("SELECT shard, balance FROM ledger_balance_shard WHERE account_id = :id ORDER BY shard"),
            {"id": account_id(CASH)},
        ).all()
    assert own_row == 0
    assert [tuple(r) for r in shard_rows] == [(0, 500), (1, 500), (2, 500), (3, 500)]
    assert container.ledger.balance(CASH) == Money(2_000, "CNY")
    assert {b.key: b.balance for b in container.ledger.balances()}[CASH] == Money(2_000, "CNY")
    assert container.verify() == []


@pytest.mark.backends("postgresql")
def test_verify_finds_a_drifted_shard_row(container: Container) -> None:
    _post(container, date(2026, 3, 2), 100)
    with container.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE ledger_balance_shard SET balance = balance + 1 WHERE account_id = :id"),
            {"id": account_id(CASH)},
        )
    found = container.verify()
    assert [d.check for d in found] == ["account_balance"]
    assert "cached 101, journal says 100" in found[0].detail


@pytest.mark.backends("postgresql")
def test_two_posts_on_the_same_control_accounts_do_not_wait_for_each_other(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    _post(container, date(2026, 3, 1), 1_000)  # the accounts exist before the race
    shards = iter([0, 1])
    monkeypatch.setattr("fairlend.ledger.service._pick_shard", lambda: next(shards))
    first = container.uow()
    with first as uow:
        container.ledger.post(
            uow, entry(date(2026, 3, 2), "test", debit(CASH, Money(5, "CNY")), credit(CAPITAL, Money(5, "CNY")))
        )
        # The first post holds its rows until commit; the second must not need any of them.
        with container.uow() as other:
            other.conn.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
            container.ledger.post(
                other,
                entry(date(2026, 3, 2), "test", debit(CASH, Money(7, "CNY")), credit(CAPITAL, Money(7, "CNY"))),
            )
            other.commit()
        uow.commit()
    assert container.ledger.balance(CASH) == Money(1_012, "CNY")
    assert container.verify() == []


def test_an_entry_of_summed_totals_posts_thousands_of_postings_and_refuses_to_unbalance(container: Container) -> None:
    from fairlend.errors import DomainError

    totals = [(AccountKey(AccountType.INVESTOR_CASH, "CNY", f"inv_{i:05d}"), -(i + 1)) for i in range(3_000)]
    totals.append((AccountKey(AccountType.PLATFORM_CASH, "CNY"), sum(i + 1 for i in range(3_000))))
    with container.uow() as uow:
        container.ledger.post_totals(uow, container.clock.business_date(), "test_bulk", "ref", totals)
        uow.commit()
    assert container.ledger.balance(AccountKey(AccountType.INVESTOR_CASH, "CNY", "inv_02999")).minor == -3_000
    assert container.ledger.verify() == []
    for bad, code in (
        (totals[:-1], "entry_unbalanced"),
        ([*totals[:2], (totals[0][0], 3)], "posting_repeated"),
        ([(totals[0][0], 0), totals[1]], "posting_zero"),
    ):
        with container.uow() as uow, pytest.raises(DomainError) as refused:
            container.ledger.post_totals(uow, container.clock.business_date(), "test_bulk", "ref2", bad)
        assert refused.value.code == code


def test_an_account_opened_by_a_posting_keeps_its_creation_instant_as_every_other_row_does(
    container: Container,
) -> None:
    entry_id = _post(container, date(2026, 3, 2), 100)
    with container.engine.connect() as conn:
        created_at = conn.execute(
            sa.select(ledger_account.c.created_at).where(ledger_account.c.id == account_id(CASH))
        ).scalar_one()
        # Stored as SQLAlchemy stores any instant, so it reads back, sorts and compares like the entry's.
        raw = conn.execute(
            sa.text(
                "SELECT a.created_at = e.posted_at FROM ledger_account a, ledger_entry e WHERE a.id = :a AND e.id = :e"
            ),
            {"a": account_id(CASH), "e": entry_id},
        ).scalar_one()
    assert created_at == container.clock.now()
    assert raw

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairlend.errors import Invalid
from fairlend.ledger.model import AccountKey, AccountType, JournalEntry, Posting, credit, debit, entry, normal_balance
from fairlend.money import Money

DAY = date(2026, 3, 2)
CASH = AccountKey(AccountType.PLATFORM_CASH, "CNY")
LOANS = AccountKey(AccountType.LOAN_PRINCIPAL, "CNY")
USD_CASH = AccountKey(AccountType.PLATFORM_CASH, "USD")
USD_CAPITAL = AccountKey(AccountType.PLATFORM_CAPITAL, "USD")

postings = st.lists(
    st.builds(
        Posting,
        st.sampled_from([CASH, LOANS]),
        st.integers(-(10**9), 10**9).filter(bool).map(lambda m: Money(m, "CNY")),
    )
    | st.builds(
        Posting,
        st.sampled_from([USD_CASH, USD_CAPITAL]),
        st.integers(-(10**9), 10**9).filter(bool).map(lambda m: Money(m, "USD")),
    ),
    min_size=0,
    max_size=8,
)


@given(postings)
def test_every_journal_entry_that_exists_balances(candidate: list[Posting]) -> None:
    try:
        made = JournalEntry(DAY, "test", tuple(candidate))
    except Invalid:
        totals: dict[str, int] = {}
        for p in candidate:
            totals[p.amount.currency] = totals.get(p.amount.currency, 0) + p.amount.minor
        assert len(candidate) < 2 or any(totals.values())
        return
    for currency in {p.amount.currency for p in made.postings}:
        assert sum(p.amount.minor for p in made.postings if p.amount.currency == currency) == 0


def test_an_unbalanced_entry_refuses_to_exist() -> None:
    with pytest.raises(Invalid, match="CNY off by 1"):
        entry(DAY, "disburse", debit(LOANS, Money(1001, "CNY")), credit(CASH, Money(1000, "CNY")))


def test_an_entry_balances_per_currency_not_in_total() -> None:
    with pytest.raises(Invalid, match="does not balance"):
        entry(DAY, "fx", debit(CASH, Money(100, "CNY")), credit(USD_CASH, Money(100, "USD")))


def test_a_posting_must_match_its_account_currency_and_move_something() -> None:
    with pytest.raises(Invalid, match="posting_currency_mismatch|cannot go"):
        Posting(CASH, Money(1, "USD"))
    with pytest.raises(Invalid):
        Posting(CASH, Money(0, "CNY"))


def test_normal_balance_reads_like_an_accountant() -> None:
    assert normal_balance(AccountType.LOAN_PRINCIPAL, Money(500, "CNY")) == Money(500, "CNY")
    assert normal_balance(AccountType.INTEREST_INCOME, Money(-500, "CNY")) == Money(500, "CNY")
    assert normal_balance(AccountType.INVESTOR_CASH, Money(-7, "CNY")) == Money(7, "CNY")


def test_every_account_type_has_a_category() -> None:
    assert all(t.category for t in AccountType)


@pytest.mark.parametrize(
    ("make", "code", "detail"),
    [
        (
            lambda: Posting(CASH, Money(1, "USD")),
            "posting_currency_mismatch",
            "a USD posting cannot go to a CNY account",
        ),
        (lambda: Posting(CASH, Money(0, "CNY")), "posting_zero", "a posting of zero moves nothing; leave it out"),
        (
            lambda: entry(DAY, "x", debit(CASH, Money(5, "CNY"))),
            "entry_too_few_postings",
            "a journal entry needs at least two postings",
        ),
        (lambda: entry(DAY, "x"), "entry_too_few_postings", "a journal entry needs at least two postings"),
        (
            lambda: entry(
                DAY, "x", debit(USD_CASH, Money(3, "USD")), debit(CASH, Money(2, "CNY")), credit(LOANS, Money(1, "CNY"))
            ),
            "entry_unbalanced",
            "journal entry does not balance: CNY off by 1, USD off by 3",
        ),
    ],
)
def test_every_refusal_has_its_stable_code_and_says_why(make: object, code: str, detail: str) -> None:
    with pytest.raises(Invalid) as refused:
        make()  # type: ignore[operator]
    assert (refused.value.code, refused.value.detail) == (code, detail)


def test_an_entry_keeps_its_reference_and_description_and_its_zero_totals() -> None:
    plain = entry(DAY, "disburse", debit(LOANS, Money(7, "CNY")), credit(CASH, Money(7, "CNY")))
    assert (plain.reference, plain.description) == ("", "")
    assert plain.totals == {"CNY": 0}
    named = entry(
        DAY,
        "fx",
        debit(CASH, Money(7, "CNY")),
        credit(LOANS, Money(7, "CNY")),
        debit(USD_CASH, Money(1, "USD")),
        credit(USD_CAPITAL, Money(1, "USD")),
        reference="loan_1",
        description="two currencies",
    )
    assert (named.reference, named.description, named.kind) == ("loan_1", "two currencies", "fx")
    assert named.totals == {"CNY": 0, "USD": 0}
    assert [p.amount.minor for p in named.postings] == [7, -7, 1, -1]

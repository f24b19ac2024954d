"""Chart of accounts and journal entries, as pure data.

Sign convention: a posting's amount is positive for a debit and negative for
a credit, so an entry balances when its postings sum to zero per currency.
An account's balance is the plain sum of its postings; `normal_balance`
shows it the way an accountant reads it (assets and expenses debit-positive,
liabilities, income and equity credit-positive).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from fairlend.errors import Invalid
from fairlend.money import Money


class Category(enum.StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def debit_normal(self) -> bool:
        return self in (Category.ASSET, Category.EXPENSE)


class AccountType(enum.StrEnum):
    """The chart of accounts of a lending platform.

    Loan-level detail lives in the lending subledger (each loan's balances);
    these accounts are the control accounts, and `fairlend verify` checks that
    each equals the sum of its subledger. Investor cash is kept per investor.
    """

    # Assets
    PLATFORM_CASH = "platform_cash"  # the platform's own bank account
    CUSTODY_CASH = "custody_cash"  # money held for investors and borrowers at the custodian bank
    REPAYMENT_CLEARING = "repayment_clearing"  # money received, not yet applied to a loan
    LOAN_PRINCIPAL = "loan_principal"  # principal receivable
    INTEREST_RECEIVABLE = "interest_receivable"  # billed (due) interest
    ACCRUED_INTEREST = "accrued_interest"  # earned, not yet billed
    PENALTY_RECEIVABLE = "penalty_receivable"
    FEE_RECEIVABLE = "fee_receivable"
    # Contra-asset: the allowance for expected credit losses (owner = the portfolio segment), credit-side;
    # finance's month-end moves it (docs/finance.md).
    ALLOWANCE = "allowance"
    # Contra-asset: interest earned on non-accrual loans and not received, kept out of income (FN-5).
    INTEREST_SUSPENSE = "interest_suspense"
    # Liabilities
    INVESTOR_CASH = "investor_cash"  # owed to one investor (owner = investor id)
    # Principal owed to one note holder (owner = holder id), payable as the borrower repays: the
    # member-payment-dependent notes of LendingClub and Prosper. The platform's own notes have none.
    NOTES_PAYABLE = "notes_payable"
    BORROWER_CREDIT = "borrower_credit"  # over-payments owed back to one borrower
    DISBURSEMENT_PAYABLE = "disbursement_payable"  # loan proceeds not yet paid out
    SUSPENSE = "suspense"  # money that cannot be matched yet
    # Equity
    PLATFORM_CAPITAL = "platform_capital"
    # Income
    INTEREST_INCOME = "interest_income"
    PENALTY_INCOME = "penalty_income"
    FEE_INCOME = "fee_income"  # origination, late and prepayment fees
    SERVICING_FEE_INCOME = "servicing_fee_income"  # the platform's cut of investor receipts
    RECOVERY_INCOME = "recovery_income"  # money recovered after a write-off
    # Contra-income (debit-side): recoveries credited back to the allowance at month-end, so that
    # recovery income stays what lending booked and the allowance rolls forward (docs/finance.md).
    RECOVERY_TO_ALLOWANCE = "recovery_to_allowance"
    # Expenses
    CREDIT_LOSS = "credit_loss"  # charge-offs and write-offs
    PROVISION_EXPENSE = "provision_expense"  # the change in the allowance a month-end charges or releases

    @property
    def category(self) -> Category:
        return _CATEGORIES[self]


_CATEGORIES: dict[AccountType, Category] = {
    AccountType.PLATFORM_CASH: Category.ASSET,
    AccountType.CUSTODY_CASH: Category.ASSET,
    AccountType.REPAYMENT_CLEARING: Category.ASSET,
    AccountType.LOAN_PRINCIPAL: Category.ASSET,
    AccountType.INTEREST_RECEIVABLE: Category.ASSET,
    AccountType.ACCRUED_INTEREST: Category.ASSET,
    AccountType.PENALTY_RECEIVABLE: Category.ASSET,
    AccountType.FEE_RECEIVABLE: Category.ASSET,
    AccountType.ALLOWANCE: Category.ASSET,
    AccountType.INTEREST_SUSPENSE: Category.ASSET,
    AccountType.INVESTOR_CASH: Category.LIABILITY,
    AccountType.NOTES_PAYABLE: Category.LIABILITY,
    AccountType.BORROWER_CREDIT: Category.LIABILITY,
    AccountType.DISBURSEMENT_PAYABLE: Category.LIABILITY,
    AccountType.SUSPENSE: Category.LIABILITY,
    AccountType.PLATFORM_CAPITAL: Category.EQUITY,
    AccountType.INTEREST_INCOME: Category.INCOME,
    AccountType.PENALTY_INCOME: Category.INCOME,
    AccountType.FEE_INCOME: Category.INCOME,
    AccountType.SERVICING_FEE_INCOME: Category.INCOME,
    AccountType.RECOVERY_INCOME: Category.INCOME,
    AccountType.RECOVERY_TO_ALLOWANCE: Category.INCOME,
    AccountType.CREDIT_LOSS: Category.EXPENSE,
    AccountType.PROVISION_EXPENSE: Category.EXPENSE,
}


@dataclass(frozen=True, slots=True)
class AccountKey:
    """Which account: its type, currency and, for per-party accounts, the owner."""

    type: AccountType
    currency: str
    owner_id: str = ""


@dataclass(frozen=True, slots=True)
class Posting:
    account: AccountKey
    amount: Money  # debit positive, credit negative

    def __post_init__(self) -> None:
        if self.amount.currency != self.account.currency:
            raise Invalid(
                "posting_currency_mismatch",
                f"a {self.amount.currency} posting cannot go to a {self.account.currency} account",
            )
        if self.amount.is_zero:
            raise Invalid("posting_zero", "a posting of zero moves nothing; leave it out")


def debit(account: AccountKey, amount: Money) -> Posting:
    return Posting(account, abs(amount))


def credit(account: AccountKey, amount: Money) -> Posting:
    return Posting(account, -abs(amount))


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One money movement. It refuses to exist unless it balances per currency."""

    business_date: date
    kind: str
    postings: tuple[Posting, ...]
    reference: str = ""
    description: str = ""
    totals: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.postings) < 2:
            raise Invalid("entry_too_few_postings", "a journal entry needs at least two postings")
        totals: dict[str, int] = defaultdict(int)
        for posting in self.postings:
            totals[posting.amount.currency] += posting.amount.minor
        unbalanced = {currency: total for currency, total in totals.items() if total != 0}
        if unbalanced:
            raise Invalid(
                "entry_unbalanced",
                "journal entry does not balance: "
                + ", ".join(f"{c} off by {t}" for c, t in sorted(unbalanced.items())),
            )
        object.__setattr__(self, "totals", dict(totals))


def entry(
    business_date: date, kind: str, *postings: Posting, reference: str = "", description: str = ""
) -> JournalEntry:
    return JournalEntry(business_date, kind, tuple(postings), reference, description)


def normal_balance(account_type: AccountType, raw: Money) -> Money:
    """The balance as an accountant reads it: positive on the account's normal side."""
    return raw if account_type.category.debit_normal else -raw

"""The schema stays ready to shard by owner (docs/scale-out.md §4), checked over the declared metadata.

A table holding a borrower's, a person's or an investor's data carries that key
in its primary key and in every unique index, and its foreign keys to other
owned tables include the key (no row joins two owners). Every other table is
declared here as a reference table (every shard needs it) or a coordinator
table (work across owners). A break, or a table that nobody classified, fails;
`KNOWN` (empty) would name a break a planned migration fixes, and fails once it is fixed.
"""

from __future__ import annotations

from sqlalchemy import Index, Table, UniqueConstraint

from fairlend.db.schema import load_all

OWNER_KEYS = ("borrower_id", "person_id", "investor_id")

# Small tables every shard reads: `create_reference_table`.
REFERENCE = {"loan_product", "platform_business_date", "outbox_consumer", "finance_grade_risk"}

# Work across owners, kept on the coordinator (or a later migration: docs/scale-out.md §4 names it).
COORDINATOR = {
    "eod_run": "end-of-day's bookkeeping",
    "eod_partition": "end-of-day's bookkeeping",
    "collection_plan_run": "one row per planned date",
    "lending_reporting_file": "the T+1 file, across borrowers",
    "lending_reporting_metro2": "the day's Metro 2 file, across borrowers",
    "lending_reporting_account": "keyed by loan ref alone: the export's read model, across borrowers",
    "lending_reporting_compliance": "keyed by loan id alone: the accounts last furnished as disputed (few)",
    "lending_reporting_plan": "keyed by loan id alone: needs borrower_id (migration named in scale-out.md)",
    "idempotency_key": "per request, not per owner",
    "outbox": "one global position sequence: per-shard outboxes planned",
    "ledger_account": "the ledger: owner_key on accounts, entries and postings planned",
    "ledger_entry": "the ledger",
    "ledger_posting": "the ledger",
    "ledger_balance_shard": "the ledger's control-account shards",
    "market_distribution": "across investors and borrowers by nature",
    "market_distribution_batch": "across investors and borrowers by nature",
    "market_note": "joins an investor (holder_id) to a borrower's loan",
    "market_loan_share": "a loan's distribution to its notes' holders, across investors",
    "market_loan_batch": "a loan's distribution to its notes' holders, across investors",
    "market_holder_batch": "a batch's running totals per holder (investor), across borrowers' loans",
    "market_note_epoch": "joins an investor (holder_id) to a borrower's loan, as market_note",
    "market_receipt": "a borrower's repayment shared among investors",
    "market_sale_order": "the secondary market, between investors",
    "market_trade": "the secondary market, between investors",
    "repayment_file": "a processor's file, across borrowers",
    "repayment_file_line": "a processor's file, across borrowers",
    "identity_person": "keyed by its id, which is the person key itself",
    "identity_operator": "staff, not customers",
    "identity_otp": "per phone number before a person exists",
    "identity_login_failure": "per address, before a person is known",
    "identity_dev_message": "development only",
    "identity_session_revocation": "per token",
    "finance_period_close": "the books' month close, across the whole book",
    "finance_provision_segment": "the allowance per portfolio segment, across borrowers",
    "finance_reopen_request": "the books' month close, across the whole book",
    "ledger_period_lock": "the ledger's closed periods",
    "ledger_month_activity": "the ledger's closed months, summed (4.3)",
    "analytics_snapshot_month": "which month-ends of the whole book analytics has written",
    "analytics_attempt_month": "the whole book's contact attempts per month, by rule and collector",
    "analytics_attempt_snapshot": "which months of the whole book's contact attempts analytics has written",
    "analytics_loan_snapshot": "the day through which analytics' per-loan read model holds the whole book",
}
# The bureau is another institution with its own database (bureau/): not part of the lender's shards.
BUREAU_PREFIX = "bureau_"

# What breaks the rule, each named: nothing since finance_0004, collections_0006, hardship_0003,
# identity_0007, lending_0007 and market_0007 (docs/scale-out.md §4). A new owned table keys its rows
# by (owner, …) and names the owner in every unique key; listing a break here is for a migration
# already planned, never for a table that could be keyed right.
KNOWN: set[str] = set()


def _owner_key(table: Table) -> str | None:
    return next((k for k in OWNER_KEYS if k in table.c), None)


def _unique_column_sets(table: Table) -> list[set[str]]:
    found = [{c.name for c in table.primary_key.columns}]
    for index in table.indexes:
        if isinstance(index, Index) and index.unique:
            found.append({c.name for c in index.columns})
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            found.append({c.name for c in constraint.columns})
    return found


def _breaks(table: Table) -> list[str]:
    key = _owner_key(table)
    assert key is not None
    primary, *uniques = _unique_column_sets(table)
    problems = [f"{table.name}: keyed by {sorted(primary)} without {key}"] if key not in primary else []
    problems += [f"{table.name}: a unique key {sorted(cols)} without {key}" for cols in uniques if key not in cols]
    for fk in table.foreign_key_constraints:
        target = fk.referred_table
        if _owner_key(target) == key and key not in {c.name for c in fk.columns}:
            problems.append(f"{table.name}: a foreign key to {target.name} without {key}")
    return problems


def _all_breaks() -> set[str]:
    found: set[str] = set()
    for table in load_all().sorted_tables:
        if not table.name.startswith(BUREAU_PREFIX) and _owner_key(table) and table.name not in COORDINATOR:
            found.update(_breaks(table))
    return found


def test_every_table_holding_an_owners_data_carries_the_key_in_every_unique_key() -> None:
    assert sorted(_all_breaks() - KNOWN) == []


def test_every_table_is_owned_or_declared_reference_or_coordinator() -> None:
    unclassified = [
        t.name
        for t in load_all().sorted_tables
        if not t.name.startswith(BUREAU_PREFIX)
        and _owner_key(t) is None
        and t.name not in REFERENCE | COORDINATOR.keys()
    ]
    assert unclassified == []


def test_the_known_breaks_still_break_the_rule_so_the_list_cannot_rot() -> None:
    assert sorted(KNOWN - _all_breaks()) == [], "fixed: drop these from KNOWN"


def test_the_check_finds_a_new_table_that_keys_a_borrowers_rows_by_id_alone() -> None:
    from sqlalchemy import Column, MetaData, String

    careless = Table(
        "new_borrower_thing",
        MetaData(),
        Column("id", String(40), primary_key=True),
        Column("borrower_id", String(40), nullable=False),
    )
    assert _breaks(careless) == ["new_borrower_thing: keyed by ['id'] without borrower_id"]

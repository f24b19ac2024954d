"""The schema stays ready to shard by owner (docs/scale-out.md §4), checked over the declared metadata.

A table holding a borrower's, a person's or an investor's data carries that key
in its primary key and in every unique index, and its foreign keys to other
owned tables include the key (no row joins two owners). Every other table is
declared here as a reference table (every shard needs it) or a coordinator
table (work across owners). Today's breaks are listed one by one; a NEW break,
or a table that nobody classified, fails, and so does a listed break once fixed.
"""

from __future__ import annotations

from sqlalchemy import Index, Table, UniqueConstraint

from fairlend.db.schema import load_all

OWNER_KEYS = ("borrower_id", "person_id", "investor_id")

# Small tables every shard reads: `create_reference_table`.
REFERENCE = {"loan_product", "platform_business_date", "outbox_consumer"}

# Work across owners, kept on the coordinator (or a later migration: docs/scale-out.md §4 names it).
COORDINATOR = {
    "eod_run": "end-of-day's bookkeeping",
    "eod_partition": "end-of-day's bookkeeping",
    "collection_plan_run": "one row per planned date",
    "lending_reporting_file": "the T+1 file, across borrowers",
    "lending_reporting_metro2": "the day's Metro 2 file, across borrowers",
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
}
# The bureau is another institution with its own database (bureau/): not part of the lender's shards.
BUREAU_PREFIX = "bureau_"

# What breaks the rule today, each named; the migration that fixes them (docs/scale-out.md §4) turns
# the unique look-ups by id alone into (owner, id) or plain indexes, and keys the two tables by owner.
# Ids are globally unique (sortable random ids), so none of these lets two owners' rows clash today.
KNOWN = {
    "finance_loan_class: a unique key ['loan_id'] without borrower_id",
    "finance_non_accrual: a unique key ['loan_id'] without borrower_id",
    "identity_audit: keyed by ['id'] without person_id",
    "market_listing: keyed by ['id'] without borrower_id",
    "market_listing: a unique key ['offer_id'] without borrower_id",
    "loan: a unique key ['id'] without borrower_id",
    "call_outcome: a unique key ['log_id'] without borrower_id",
    "collection_task: a unique key ['business_date', 'loan_id', 'step'] without borrower_id",
    "complaint: a unique key ['id'] without borrower_id",
    "contact_log: a unique key ['id'] without borrower_id",
    "contact_person: a unique key ['id'] without borrower_id",
    "hardship_plan: a unique key ['id'] without borrower_id",
    "hardship_plan: a unique key ['active_loan_id'] without borrower_id",
    "hardship_proposal: a unique key ['id'] without borrower_id",
    "hardship_request: a unique key ['open_loan_id'] without borrower_id",
    "hardship_request: a unique key ['id'] without borrower_id",
    "hardship_evidence: a unique key ['id'] without borrower_id",
    "promise_to_pay: a unique key ['loan_id'] without borrower_id",
}


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

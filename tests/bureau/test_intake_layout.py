"""Intake hands rows to the driver as tuples: their layout must be the tables' own."""

from fairlend.bureau.held import ACCOUNT_STATE, HELD_COLUMNS, MONTH_COLUMNS
from fairlend.bureau.tables import bureau_account, bureau_month


def test_month_rows_are_held_in_the_month_tables_column_order() -> None:
    assert tuple(c.name for c in bureau_month.columns) == MONTH_COLUMNS


def test_the_account_columns_intake_reads_and_writes_are_the_account_tables() -> None:
    names = {c.name for c in bureau_account.columns}
    assert set(HELD_COLUMNS) <= names and set(ACCOUNT_STATE) <= set(HELD_COLUMNS)

"""Bureau: no personal data in clear at rest.

A credit file keeps the name masked only (`name_masked`, computed here from
the stored name, which is then dropped). Reporting files as received,
disputes and outcome notices get a `key_id`: their values are sealed under
the bureau's keys from now on (bureau/sealed.py). A migration holds no key,
so rows written before it get `key_id = ""` (stored in clear) and keep their
values until `fairlend users rotate-pii-keys` seals them; `fairlend verify`
names each one until then.

Revision ID: bureau_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bureau_0002"
down_revision: str | Sequence[str] | None = "bureau_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEALED_TABLES = ("bureau_submission", "bureau_dispute", "bureau_outcome_notice")


def _mask_name(name: str) -> str:
    # A copy of bureau.documents.mask_name as it was at this revision: a migration must not change with the code.
    name = name.strip()
    if not name:
        return ""
    if all(ord(ch) > 0x2E7F for ch in name):
        return name[0] + "*" * (len(name) - 1)
    return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column("bureau_file", sa.Column("name_masked", sa.String(length=120), nullable=False, server_default=""))
    files = sa.table("bureau_file", sa.column("id", sa.String), sa.column("name", sa.String), sa.column("name_masked"))
    rows = [{"file_id": r.id, "masked": _mask_name(r.name)} for r in conn.execute(sa.select(files.c.id, files.c.name))]
    if rows:
        conn.execute(
            files.update().where(files.c.id == sa.bindparam("file_id")).values(name_masked=sa.bindparam("masked")),
            rows,
        )
    with op.batch_alter_table("bureau_file") as batch:
        batch.alter_column("name_masked", server_default=None)
        batch.drop_column("name")
    for table in SEALED_TABLES:
        op.add_column(table, sa.Column("key_id", sa.String(length=40), nullable=False, server_default=""))
        # No default from here on: a row that forgot its key must fail, not pass as "in clear".
        with op.batch_alter_table(table) as batch:
            batch.alter_column("key_id", server_default=None)


def downgrade() -> None:
    conn = op.get_bind()
    for table in SEALED_TABLES:
        sealed = conn.execute(sa.text(f"SELECT COUNT(*) FROM {table} WHERE key_id <> ''")).scalar()
        if sealed:
            # bureau_0001 reads these values as clear text: dropping the key id would leave them unreadable.
            raise RuntimeError(f"{table} holds {sealed} sealed rows; bureau_0001 cannot read them")
    for table in SEALED_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("key_id")
    # The clear names are gone: bureau_0001's column gets the masked ones.
    op.add_column("bureau_file", sa.Column("name", sa.String(length=120), nullable=False, server_default=""))
    conn.execute(sa.text("UPDATE bureau_file SET name = name_masked"))
    with op.batch_alter_table("bureau_file") as batch:
        batch.alter_column("name", server_default=None)
        batch.drop_column("name_masked")

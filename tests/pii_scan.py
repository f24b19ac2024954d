"""Scanning a database's raw bytes for people's names, ID numbers, phones and cards.

A `Secret` is one person's value of one kind; `forms()` are the byte strings
it can be stored as: UTF-8, JSON's `\\uXXXX` escapes (names), the common
spellings of a number (E.164, national, grouped) and, for each, its hex
(PostgreSQL dumps `bytea` as hex). A source is split into parts named by the
table they belong to, so every hit names its table:

- `row_dump`: every column of every table, read through SQLAlchemy (both backends);
- `sqlite_files`: the database file, its `-wal` and `-shm` as bytes, each page
  attributed to its table or index through SQLite's `dbstat` (a WAL frame by
  the page number in its header; a page in no b-tree is a free page);
- `pg_dump`: `pg_dump`'s plain output, split at its `COPY ... FROM stdin` sections.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from fairlend.db.schema import load_all

FREE = "(free page)"
OUTSIDE = "(outside any table)"


@dataclass(frozen=True, slots=True)
class Secret:
    owner: str  # who it belongs to, for the failure message ("borrower 3", "contact person 1")
    kind: str  # name | id_number | phone | card
    value: str

    def forms(self) -> frozenset[bytes]:
        text = {self.value}
        if self.kind == "id_number":
            text |= {self.value.upper(), self.value.lower()}
        elif self.kind == "phone":
            national = self.value
            text |= {"+86" + national, f"+86 {national[:3]} {national[3:7]} {national[7:]}"}
        elif self.kind == "card":
            text.add(" ".join(self.value[i : i + 4] for i in range(0, len(self.value), 4)))
        raw = {t.encode() for t in text}
        if self.kind == "name":
            escaped = json.dumps(self.value).strip('"')  # "\u738b\u4f1f", as json.dumps stores it
            raw |= {escaped.encode(), escaped.replace("\\", "\\\\").encode()}  # and as COPY writes that
        return frozenset(raw | {r.hex().encode() for r in raw})

    def __str__(self) -> str:
        return f"{self.owner}'s {self.kind}"


# Source -> part (a table, an index's table, a free page ...) -> bytes.
Parts = dict[str, bytes]


@dataclass
class Scan:
    """Which secrets each part of each source holds."""

    hits: dict[str, dict[str, set[Secret]]]  # source -> table -> secrets

    @classmethod
    def of(cls, sources: Mapping[str, Parts], secrets: Iterable[Secret]) -> Scan:
        forms = [(form, s) for s in secrets for form in s.forms()]
        hits: dict[str, dict[str, set[Secret]]] = {}
        for source, parts in sources.items():
            whole = b"\x00".join(parts.values())
            # One pass over the whole source; only the forms found there are looked for part by part.
            found = [(form, s) for form, s in forms if form in whole]
            by_part: dict[str, set[Secret]] = defaultdict(set)
            for part, content in parts.items():
                for form, s in found:
                    if form in content:
                        by_part[part].add(s)
            hits[source] = dict(by_part)
        return cls(hits)

    def found(self, tables: Iterable[str], *, inside: bool) -> dict[str, dict[str, list[str]]]:
        """Source -> part -> secrets, for the parts whose table is (`inside`) or is not among `tables`."""
        chosen = set(tables)
        result: dict[str, dict[str, list[str]]] = {}
        for source, per_part in self.hits.items():
            kept = {
                part: sorted(str(s) for s in secrets)
                for part, secrets in per_part.items()
                if (part.split(".", 1)[0] in chosen) == inside  # a row dump's part is "table.column"
            }
            if kept:
                result[source] = kept
        return result


def describe(hits: Mapping[str, Mapping[str, list[str]]]) -> str:
    """One line per source and part: how many values, and whose."""
    lines = []
    for source, per_part in sorted(hits.items()):
        for part, secrets in sorted(per_part.items()):
            more = " ..." if len(secrets) > 4 else ""
            lines.append(f"{source}: {part}: {len(secrets)} values ({', '.join(secrets[:4])}{more})")
    return "\n".join(lines) or "none"


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False).encode()
    return str(value).encode()


def row_dump(engine: sa.Engine) -> Parts:
    """Every value of every table, one part per `table.column`."""
    parts: dict[str, list[bytes]] = defaultdict(list)
    with engine.connect() as conn:
        for table in load_all().sorted_tables:
            for row in conn.execute(sa.select(table)):
                for column, value in zip(table.columns, row, strict=True):
                    if value is not None:
                        parts[f"{table.name}.{column.name}"].append(_as_bytes(value))
    return {part: b"\x00".join(values) for part, values in parts.items()}


def sqlite_files(engine: sa.Engine, database: Path) -> tuple[dict[str, Parts], dict[str, int]]:
    """The file, its WAL and shared memory, read as they are now (call it before the last connection closes).

    Returns the parts per file and each file's size. The bytes are read
    first, then `dbstat` says which b-tree owns each page.
    """
    raw = {suffix: Path(str(database) + suffix).read_bytes() for suffix in ("", "-wal", "-shm")}
    with engine.connect() as conn:
        page_size = int(conn.exec_driver_sql("PRAGMA page_size").scalar_one())
        table_of = {
            str(name): str(table) for name, table in conn.exec_driver_sql("SELECT name, tbl_name FROM sqlite_schema")
        }
        owner = {
            int(page): table_of.get(str(name), str(name))
            for name, page in conn.exec_driver_sql("SELECT name, pageno FROM dbstat")
        }
    files: dict[str, Parts] = {}
    main: dict[str, list[bytes]] = defaultdict(list)
    for offset in range(0, len(raw[""]), page_size):
        main[owner.get(offset // page_size + 1, FREE)].append(raw[""][offset : offset + page_size])
    files["sqlite file"] = {t: b"".join(pages) for t, pages in main.items()}
    wal: dict[str, list[bytes]] = defaultdict(list)
    frame = 24 + page_size
    for offset in range(32, len(raw["-wal"]) - frame + 1, frame):
        page = int.from_bytes(raw["-wal"][offset : offset + 4], "big")
        wal[owner.get(page, FREE)].append(raw["-wal"][offset + 24 : offset + frame])
    files["sqlite -wal"] = {t: b"".join(pages) for t, pages in wal.items()}
    files["sqlite -shm"] = {OUTSIDE: raw["-shm"]}  # page-number hash tables: no row content belongs to a table
    return files, {name or "file": len(content) for name, content in raw.items()}


def pg_dump(url: str) -> Parts:
    """`pg_dump`'s plain output, one part per table's COPY section."""
    libpq = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    dumped = subprocess.run(["pg_dump", "--no-owner", "--dbname", libpq], capture_output=True, check=True).stdout
    parts: dict[str, list[bytes]] = defaultdict(list)
    table = OUTSIDE
    for line in dumped.split(b"\n"):
        if line.startswith(b"COPY "):
            table = line.split()[1].decode().removeprefix("public.").strip('"')
            continue
        if line == b"\\.":
            table = OUTSIDE
            continue
        parts[table].append(line)
    return {t: b"\n".join(lines) for t, lines in parts.items()}

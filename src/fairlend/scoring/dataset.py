"""Training data from CSV into NumPy columns (no pandas in the scoring path)."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fairlend.errors import Invalid

MISSING_TOKENS = frozenset({"", "na", "nan", "null", "none"})


def read_csv(path: Path, categorical: Iterable[str] = ()) -> dict[str, NDArray[Any]]:
    """Columns by header: numeric columns as float64 (NaN = missing), the rest as object arrays (None = missing).

    A file that cannot be read whole is refused with a stable code naming the line (and the column) at
    fault: not UTF-8, broken CSV quoting or a NUL byte, a row of the wrong width, a header with a
    duplicate or empty name, no rows, an infinite number. Nothing is returned from a refused file.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Invalid("unreadable_csv", f"cannot read {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise Invalid("csv_not_utf8", f"{path}:{line}: byte {exc.start} is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header:
            raise Invalid("empty_csv", f"{path} has no header row")
        _check_header(path, header)
        raw: list[list[str]] = [[] for _ in header]
        for row in reader:
            if len(row) != len(header):
                raise Invalid(
                    "ragged_csv", f"{path}:{reader.line_num}: {len(row)} fields, the header has {len(header)}"
                )
            for i, value in enumerate(row):
                raw[i].append(value.strip())
    except csv.Error as exc:
        raise Invalid("malformed_csv", f"{path}:{reader.line_num}: {exc}") from None
    if not raw[0]:
        raise Invalid("no_rows", f"{path} has a header and no rows")
    forced = set(categorical)
    columns: dict[str, NDArray[Any]] = {}
    for name, values in zip(header, raw, strict=True):
        columns[name] = _column(values, as_category=name in forced)
        if columns[name].dtype == np.float64 and np.isinf(columns[name]).any():
            row_no = int(np.flatnonzero(np.isinf(columns[name]))[0])
            raise Invalid(
                "non_finite_value",
                f"{path}: column {name!r} holds {values[row_no]!r} (row {row_no + 1}): not a finite number",
            )
    return columns


def _check_header(path: Path, header: list[str]) -> None:
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name.strip():
            raise Invalid("unnamed_column", f"{path}:1: column {position} has no name")
        if name in seen:
            raise Invalid("duplicate_column", f"{path}:1: column {name!r} appears twice")
        seen.add(name)


def _column(values: list[str], *, as_category: bool) -> NDArray[Any]:
    if not as_category:
        try:
            return np.array([math.nan if v.lower() in MISSING_TOKENS else float(v) for v in values], dtype=np.float64)
        except ValueError:
            pass
    # in a category column only an empty field is missing: "none" is a real label ("no guarantor")
    return np.array([None if v == "" else v for v in values], dtype=object)


def target_of(column: NDArray[Any], bad: str) -> NDArray[np.int64]:
    """1 where the row is bad. `bad` names the bad label ("1", "bad", ...); both outcomes must occur."""
    if column.dtype == np.float64:
        if np.isnan(column).any():
            raise Invalid("target_missing", "the target column has missing values")
        try:
            bad_value = float(bad)
        except ValueError:
            raise Invalid(
                "target_label_unknown", f"the target column is numeric; the bad label {bad!r} is not"
            ) from None
        flags: NDArray[np.int64] = (column == bad_value).astype(np.int64)
    else:
        if any(v is None for v in column):
            raise Invalid("target_missing", "the target column has missing values")
        flags = np.array([str(v) == bad for v in column], dtype=np.int64)
    if flags.min() == flags.max():
        which = "bad" if flags[0] else "good"
        raise Invalid("target_one_class", f"every row is {which} (bad = {bad!r}): training needs both outcomes")
    return flags


def write_csv(path: Path, columns: Mapping[str, NDArray[Any]], target: NDArray[Any], target_name: str) -> None:
    names = list(columns)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*names, target_name])
        n = len(target)
        for i in range(n):
            writer.writerow([_fmt(columns[c][i]) for c in names] + [int(target[i])])


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        return "" if math.isnan(value) else repr(float(value))
    return str(value)

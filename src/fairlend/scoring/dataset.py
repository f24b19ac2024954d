"""Training data from CSV into NumPy columns (no pandas in the scoring path)."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fairlend.errors import Invalid

MISSING_TOKENS = frozenset({"", "na", "nan", "null", "none"})


def read_csv(path: Path, categorical: Iterable[str] = ()) -> dict[str, NDArray[Any]]:
    """Columns by header: numeric columns as float64 (NaN = missing), the rest as object arrays (None = missing)."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header:
                raise Invalid("empty_csv", f"{path} has no header row")
            raw: list[list[str]] = [[] for _ in header]
            for line_no, row in enumerate(reader, start=2):
                if len(row) != len(header):
                    raise Invalid("ragged_csv", f"{path}:{line_no}: {len(row)} fields, the header has {len(header)}")
                for i, value in enumerate(row):
                    raw[i].append(value.strip())
    except OSError as exc:
        raise Invalid("unreadable_csv", f"cannot read {path}: {exc.strerror}") from None
    forced = set(categorical)
    columns: dict[str, NDArray[Any]] = {}
    for name, values in zip(header, raw, strict=True):
        columns[name] = _column(values, as_category=name in forced)
    return columns


def _column(values: list[str], *, as_category: bool) -> NDArray[Any]:
    if not as_category:
        try:
            return np.array([math.nan if v.lower() in MISSING_TOKENS else float(v) for v in values], dtype=np.float64)
        except ValueError:
            pass
    # in a category column only an empty field is missing: "none" is a real label ("no guarantor")
    return np.array([None if v == "" else v for v in values], dtype=object)


def target_of(column: NDArray[Any], bad: str) -> NDArray[np.int64]:
    """1 where the row is bad. `bad` names the bad label ("1", "bad", ...)."""
    if column.dtype == np.float64:
        if np.isnan(column).any():
            raise Invalid("target_missing", "the target column has missing values")
        flags: NDArray[np.int64] = (column == float(bad)).astype(np.int64)
        return flags
    if any(v is None for v in column):
        raise Invalid("target_missing", "the target column has missing values")
    return np.array([str(v) == bad for v in column], dtype=np.int64)


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

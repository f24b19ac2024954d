"""Supervised binning and weight of evidence, in NumPy.

Sign convention (GLOSSARY, the only one in fairlend):
    WoE(bin) = ln( (goods in bin / all goods) / (bads in bin / all bads) )
so a bin richer in goods than average has a POSITIVE WoE, and
    IV = sum over bins of (share of goods - share of bads) * WoE  (always >= 0).
Counts are smoothed by half an observation so that a pure bin has a finite WoE.

A numeric feature is cut into contiguous intervals `[edge_i, edge_{i+1})`;
a categorical one into groups of categories. Missing values, declared special
values and (for categories) values never seen in training follow an explicit
`ValuePolicy`: their own bin when training saw enough of them, else the worst
bin (the conservative choice: an unknown never earns points).

Monotonic constraint: `Direction.INCREASING` means WoE (and so points) never
falls as the value rises; `DECREASING` the reverse; `AUTO` fits both and keeps
the one with the larger IV, which is then enforced like a declared one.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

SMOOTHING = 0.5

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class Direction(enum.StrEnum):
    INCREASING = "increasing"
    DECREASING = "decreasing"
    AUTO = "auto"
    NONE = "none"  # categorical: groups ordered by WoE, no order on values


class ValuePolicy(enum.StrEnum):
    """Where a missing, special or unseen value goes."""

    OWN_BIN_OR_WORST = "own_bin_or_worst"  # its own bin if training saw >= min share, else the worst bin
    WORST = "worst"  # always the worst regular bin


@dataclass(frozen=True, slots=True)
class BinningSettings:
    min_bin_share: float = 0.05
    max_bins: int = 8
    prebins: int = 20
    missing: ValuePolicy = ValuePolicy.OWN_BIN_OR_WORST
    special: ValuePolicy = ValuePolicy.OWN_BIN_OR_WORST
    unseen: ValuePolicy = ValuePolicy.WORST


DEFAULT_BINNING = BinningSettings()


@dataclass(frozen=True, slots=True)
class Bin:
    label: str
    goods: int
    bads: int
    woe: float


@dataclass(frozen=True, slots=True)
class FeatureBinning:
    """A fitted binning. Slots: the regular bins, then missing, then one per special value.

    `slot_of_missing` and `slot_of_special` point into `bins` (possibly at a
    regular bin when the policy sent them to the worst one).
    """

    name: str
    kind: str  # "numeric" | "categorical"
    direction: Direction
    edges: tuple[float, ...]  # numeric: len(regular bins) - 1 inner cut points
    categories: tuple[str, ...]  # categorical: every category seen in training
    category_slot: tuple[int, ...]  # categorical: slot of each category
    special_values: tuple[float, ...]
    slot_of_special: tuple[int, ...]
    slot_of_missing: int
    slot_of_unseen: int
    bins: tuple[Bin, ...]
    iv: float
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    _edges_ext: FloatArray = field(default_factory=lambda: np.zeros(0), compare=False, repr=False)
    _slot_map: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), compare=False, repr=False)

    def __post_init__(self) -> None:
        ext = np.array((*self.edges, math.nan), dtype=np.float64)
        slot_map = np.array((*range(len(self.edges) + 1), self.slot_of_missing), dtype=np.int64)
        # frozen: set the caches once, as construction does
        object.__setattr__(self, "_edges_ext", ext)
        object.__setattr__(self, "_slot_map", slot_map)
        if self.kind == "categorical":
            self._index.update(dict(zip(self.categories, self.category_slot, strict=True)))

    @property
    def search_edges(self) -> FloatArray:
        """The edges plus a NaN sentinel: `searchsorted(..., side="right")` sends NaN one past the top bin."""
        return self._edges_ext

    @property
    def search_slots(self) -> IntArray:
        """Slot of each `searchsorted` position over `search_edges` (the last one: missing)."""
        return self._slot_map

    @property
    def regular_bins(self) -> int:
        return len(self.edges) + 1 if self.kind == "numeric" else len(self.bins)

    def slot(self, value: Any) -> int:
        """The slot of one raw value (the per-applicant path; mirrors `slots`)."""
        if value is None:
            return self.slot_of_missing
        if self.kind == "categorical":
            return self._index.get(str(value), self.slot_of_unseen)
        x = float(value)
        if math.isnan(x):
            return self.slot_of_missing
        for special, slot in zip(self.special_values, self.slot_of_special, strict=True):
            if x == special:
                return slot
        # bisect_right over the edges, unrolled for the few edges a feature has
        lo = 0
        for edge in self.edges:
            if x >= edge:
                lo += 1
            else:
                break
        return lo

    def slots(self, values: NDArray[Any]) -> IntArray:
        """The slots of a column: floats (NaN = missing), strings, or category codes."""
        if self.kind == "categorical":
            return self._categorical_slots(values)
        x = np.asarray(values, dtype=np.float64)
        # NaN sorts after +inf, so with a NaN sentinel edge a missing value lands one past the top bin
        out = self._slot_map[np.searchsorted(self._edges_ext, x, side="right")]
        for special, slot in zip(self.special_values, self.slot_of_special, strict=True):
            out[x == special] = slot
        return out

    def _categorical_slots(self, values: NDArray[Any]) -> IntArray:
        arr = np.asarray(values)
        # codes index this table: categories, then unseen, then missing (code -1)
        table = np.asarray((*self.category_slot, self.slot_of_unseen, self.slot_of_missing), dtype=np.int64)
        if arr.dtype.kind in "iu":
            # codes into `categories`: -1 = missing, anything past the end = unseen
            codes = arr.astype(np.int64)
            codes = np.where(codes < 0, len(self.categories) + 1, np.minimum(codes, len(self.categories)))
        else:
            codes = self.codes(arr)
            codes[codes < 0] = len(self.categories) + 1
        out: IntArray = table[codes]
        return out

    def codes(self, values: NDArray[Any]) -> IntArray:
        """Category codes for a string column (None/NaN = -1, unseen = len(categories))."""
        lookup: dict[Any, int] = {c: i for i, c in enumerate(self.categories)}
        lookup[None] = -1
        unseen = len(self.categories)
        items = np.asarray(values, dtype=object).tolist()
        # one dict probe per row; non-str values (numbers in a category column) go through str()
        return np.fromiter(
            (lookup.get(v, unseen) if v is None or type(v) is str else _code_of(v, lookup, unseen) for v in items),
            dtype=np.int64,
            count=len(items),
        )


def _code_of(value: Any, lookup: dict[Any, int], unseen: int) -> int:
    if isinstance(value, float) and math.isnan(value):
        return -1
    return lookup.get(str(value), unseen)

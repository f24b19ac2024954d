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
import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fairlend.errors import Invalid

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


def woe_of(goods: NDArray[Any], bads: NDArray[Any], total_goods: float, total_bads: float) -> FloatArray:
    g = (np.asarray(goods, dtype=np.float64) + SMOOTHING) / (total_goods + SMOOTHING)
    b = (np.asarray(bads, dtype=np.float64) + SMOOTHING) / (total_bads + SMOOTHING)
    return np.log(g / b)


def information_value(goods: NDArray[Any], bads: NDArray[Any]) -> float:
    goods = np.asarray(goods, dtype=np.float64)
    bads = np.asarray(bads, dtype=np.float64)
    tg, tb = float(goods.sum()), float(bads.sum())
    if tg == 0 or tb == 0:
        return 0.0
    woe = woe_of(goods, bads, tg, tb)
    return float(np.sum((goods / tg - bads / tb) * woe))


def _merge(goods: list[float], bads: list[float], groups: list[list[int]], i: int) -> None:
    """Merge bin i+1 into bin i."""
    goods[i] += goods.pop(i + 1)
    bads[i] += bads.pop(i + 1)
    groups[i].extend(groups.pop(i + 1))


def _constrain(
    goods: list[float],
    bads: list[float],
    groups: list[list[int]],
    *,
    sign: int,
    min_count: float,
    max_bins: int,
    total_goods: float,
    total_bads: float,
) -> None:
    """Merge adjacent bins until each is big enough, WoE is monotonic (sign != 0) and few enough.

    Bins are few (the prebins), so a plain loop is cheaper than anything clever.
    """
    while len(goods) > 1:
        woe = woe_of(np.array(goods), np.array(bads), total_goods, total_bads)
        sizes = np.array(goods) + np.array(bads)
        small = np.flatnonzero(sizes < min_count)
        if small.size:
            i = int(small[np.argmin(sizes[small])])
            if i == 0:
                j = 0
            elif i == len(goods) - 1:
                j = i - 1
            else:  # join the neighbour whose WoE is nearer
                j = i - 1 if abs(woe[i] - woe[i - 1]) <= abs(woe[i + 1] - woe[i]) else i
            _merge(goods, bads, groups, j)
            continue
        diffs = np.diff(woe)
        if sign != 0:
            violations = np.flatnonzero(diffs * sign < 0)
            if violations.size:
                # the worst violation first: fewest merges to reach monotonicity
                j = int(violations[np.argmin(diffs[violations] * sign)])
                _merge(goods, bads, groups, j)
                continue
        if len(goods) > max_bins:
            _merge(goods, bads, groups, int(np.argmin(np.abs(diffs))))
            continue
        break


def _numeric_prebins(x: FloatArray, prebins: int) -> FloatArray:
    qs = np.quantile(x, np.linspace(0, 1, prebins + 1)[1:-1])
    lowest = x.min()
    above = x[x > lowest]
    # a mass at the lowest value (no debt, no inquiry) keeps a bin of its own
    extra = [above.min()] if above.size else []
    edges: FloatArray = np.unique(np.concatenate([qs, extra]))
    # an edge equal to the minimum cuts nothing off
    kept: FloatArray = edges[edges > lowest]
    return kept


def _policy_slot(count: float, min_count: float, policy: ValuePolicy, own: int, worst: int) -> int:
    if policy is ValuePolicy.OWN_BIN_OR_WORST and count >= min_count and count > 0:
        return own
    return worst


def fit_numeric(
    name: str,
    values: NDArray[Any],
    target: NDArray[Any],
    *,
    direction: Direction = Direction.AUTO,
    special_values: tuple[float, ...] = (),
    settings: BinningSettings = DEFAULT_BINNING,
) -> FeatureBinning:
    """Bin a numeric column against a 0/1 target (1 = bad)."""
    x = np.asarray(values, dtype=np.float64)
    y = np.asarray(target, dtype=np.int64)
    total_bads = float(y.sum())
    total_goods = float(y.size - total_bads)
    min_count = settings.min_bin_share * y.size
    missing = np.isnan(x)
    special_masks = [x == s for s in special_values]
    regular = ~missing
    for mask in special_masks:
        regular &= ~mask
    xr, yr = x[regular], y[regular]
    if xr.size == 0:
        raise Invalid("feature_no_values", f"feature {name!r} has no value that is not missing or special")
    pre_edges = _numeric_prebins(xr, settings.prebins)
    idx = np.searchsorted(pre_edges, xr, side="right")
    n_pre = pre_edges.size + 1
    bads_pre = np.bincount(idx, weights=yr, minlength=n_pre)
    all_pre = np.bincount(idx, minlength=n_pre).astype(np.float64)
    goods_pre = all_pre - bads_pre

    candidates: list[tuple[float, Direction, list[float], list[float], list[list[int]]]] = []
    wanted = [Direction.INCREASING, Direction.DECREASING] if direction is Direction.AUTO else [direction]
    for d in wanted:
        g, b = list(goods_pre), list(bads_pre)
        groups = [[i] for i in range(n_pre)]
        sign = {Direction.INCREASING: 1, Direction.DECREASING: -1}.get(d, 0)
        _constrain(
            g,
            b,
            groups,
            sign=sign,
            min_count=min_count,
            max_bins=settings.max_bins,
            total_goods=total_goods,
            total_bads=total_bads,
        )
        candidates.append((information_value(np.array(g), np.array(b)), d, g, b, groups))
    _iv, chosen, g, b, groups = max(candidates, key=lambda c: c[0])
    edges = tuple(float(pre_edges[grp[0] - 1]) for grp in groups[1:])

    bin_goods, bin_bads = list(g), list(b)
    labels = _interval_labels(edges)
    regular_woe = woe_of(np.array(bin_goods), np.array(bin_bads), total_goods, total_bads)
    worst = int(np.argmin(regular_woe))

    n_missing = float(missing.sum())
    slot_of_missing = _policy_slot(n_missing, min_count, settings.missing, len(bin_goods), worst)
    if slot_of_missing == len(bin_goods):
        bad_m = float(y[missing].sum())
        bin_goods.append(n_missing - bad_m)
        bin_bads.append(bad_m)
        labels.append("missing")
    slot_of_special: list[int] = []
    for s, mask in zip(special_values, special_masks, strict=True):
        n_s = float(mask.sum())
        slot = _policy_slot(n_s, min_count, settings.special, len(bin_goods), worst)
        if slot == len(bin_goods):
            bad_s = float(y[mask].sum())
            bin_goods.append(n_s - bad_s)
            bin_bads.append(bad_s)
            labels.append(f"special {s:g}")
        slot_of_special.append(slot)
    return _finish(
        name,
        "numeric",
        chosen,
        edges,
        (),
        (),
        tuple(special_values),
        tuple(slot_of_special),
        slot_of_missing,
        worst,
        labels,
        bin_goods,
        bin_bads,
        total_goods,
        total_bads,
    )


def fit_categorical(
    name: str,
    values: NDArray[Any],
    target: NDArray[Any],
    *,
    settings: BinningSettings = DEFAULT_BINNING,
) -> FeatureBinning:
    """Group categories by WoE: rare ones pooled first, then adjacent groups merged."""
    items = np.asarray(values, dtype=object).tolist()
    y = np.asarray(target, dtype=np.int64)
    total_bads = float(y.sum())
    total_goods = float(y.size - total_bads)
    min_count = settings.min_bin_share * y.size
    seen: dict[str, int] = {}
    raw_codes = np.fromiter(
        (
            -1
            if v is None or (isinstance(v, float) and math.isnan(v))
            else seen.setdefault(v if type(v) is str else str(v), len(seen))
            for v in items
        ),
        dtype=np.int64,
        count=len(items),
    )
    missing = raw_codes < 0
    # categories in sorted order, so the model file does not depend on row order
    cats = np.array(sorted(seen), dtype=object)
    remap = np.empty(len(seen), dtype=np.int64)
    for new_code, cat in enumerate(cats):
        remap[seen[cat]] = new_code
    inverse = remap[raw_codes[~missing]]
    yp = y[~missing]
    bads_c = np.bincount(inverse, weights=yp, minlength=cats.size)
    all_c = np.bincount(inverse, minlength=cats.size).astype(np.float64)
    goods_c = all_c - bads_c
    order = np.argsort(woe_of(goods_c, bads_c, total_goods, total_bads), kind="stable")
    g = [float(goods_c[i]) for i in order]
    b = [float(bads_c[i]) for i in order]
    groups = [[int(i)] for i in order]
    # sorted by WoE, so sign=+1 keeps the groups ordered after every merge
    _constrain(
        g,
        b,
        groups,
        sign=1,
        min_count=min_count,
        max_bins=settings.max_bins,
        total_goods=total_goods,
        total_bads=total_bads,
    )
    category_slot = [0] * cats.size
    for slot, grp in enumerate(groups):
        for c in grp:
            category_slot[c] = slot
    labels = [",".join(str(cats[c]) for c in sorted(grp)) for grp in groups]
    woe = woe_of(np.array(g), np.array(b), total_goods, total_bads)
    worst = int(np.argmin(woe))
    bin_goods, bin_bads = list(g), list(b)
    n_missing = float(missing.sum())
    slot_of_missing = _policy_slot(n_missing, min_count, settings.missing, len(bin_goods), worst)
    if slot_of_missing == len(bin_goods):
        bad_m = float(y[missing].sum())
        bin_goods.append(n_missing - bad_m)
        bin_bads.append(bad_m)
        labels.append("missing")
    return _finish(
        name,
        "categorical",
        Direction.NONE,
        (),
        tuple(str(c) for c in cats),
        tuple(category_slot),
        (),
        (),
        slot_of_missing,
        worst,
        labels,
        bin_goods,
        bin_bads,
        total_goods,
        total_bads,
    )


def _interval_labels(edges: tuple[float, ...]) -> list[str]:
    bounds = [-math.inf, *edges, math.inf]
    return [f"[{lo:g}, {hi:g})" for lo, hi in itertools.pairwise(bounds)]


def _finish(
    name: str,
    kind: str,
    direction: Direction,
    edges: tuple[float, ...],
    categories: tuple[str, ...],
    category_slot: tuple[int, ...],
    special_values: tuple[float, ...],
    slot_of_special: tuple[int, ...],
    slot_of_missing: int,
    slot_of_unseen: int,
    labels: list[str],
    goods: list[float],
    bads: list[float],
    total_goods: float,
    total_bads: float,
) -> FeatureBinning:
    woe = woe_of(np.array(goods), np.array(bads), total_goods, total_bads)
    bins = tuple(
        Bin(label=lab, goods=round(gg), bads=round(bb), woe=float(w))
        for lab, gg, bb, w in zip(labels, goods, bads, woe, strict=True)
    )
    return FeatureBinning(
        name=name,
        kind=kind,
        direction=direction,
        edges=edges,
        categories=categories,
        category_slot=category_slot,
        special_values=special_values,
        slot_of_special=slot_of_special,
        slot_of_missing=slot_of_missing,
        slot_of_unseen=slot_of_unseen,
        bins=bins,
        iv=information_value(np.array(goods), np.array(bads)),
    )

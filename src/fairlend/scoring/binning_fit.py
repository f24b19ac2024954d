"""Fitting a feature's bins from data: pre-bins, merges under the monotonic constraint, WoE and IV.

The bins themselves, their policies and how a value finds its bin are in binning.py
(its docstring has the sign convention and the constraint).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fairlend.errors import Invalid
from fairlend.scoring.binning import (
    DEFAULT_BINNING,
    SMOOTHING,
    Bin,
    BinningSettings,
    Direction,
    FeatureBinning,
    FloatArray,
    ValuePolicy,
)


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

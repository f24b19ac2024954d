"""The scorecard: WoE logistic regression, points-to-double-the-odds scaling, reasons.

Model: ln(odds good:bad) = a0 + sum_j a_j * WoE_j(x_j), fitted by Newton's
method (IRLS) with a light L2 penalty. Because WoE is positive for good bins, a
feature's coefficient must be positive; a feature whose coefficient comes out
non-positive is dropped (weight zero) and the model refitted, so that points
always follow the binning's monotonic direction.

Scaling: score = offset + factor * ln(odds), factor = PDO / ln 2,
offset = base_score - factor * ln(base_odds). Each bin's points are
factor * a_j * (WoE - the feature's lowest WoE), rounded to whole points, so a
feature's worst bin is worth 0 and the rest of the constant sits in
`base_points`. A score is an integer sum of integers: batch and single scoring
agree exactly.

Training is in training.py, AUC/KS/calibration in evaluation.py.

Reasons: the features whose points fall furthest below their best bin, at most
four; a fifth when hard inquiries are among the shortfalls but not among the
first four (the US FACT Act practice). Never a feature with zero weight, never
one at its best bin.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fairlend.scoring.binning import (
    Bin,
    Direction,
    FeatureBinning,
    IntArray,
    ValuePolicy,
)

MODEL_FORMAT = "fairlend.scorecard"
MODEL_VERSION = 1
MAX_REASONS = 4
MAX_REASONS_WITH_INQUIRIES = 5


@dataclass(frozen=True, slots=True)
class Scaling:
    base_score: float = 600.0
    base_odds: float = 50.0  # good:bad at the base score
    pdo: float = 20.0

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def probability_of_bad(self, score: float) -> float:
        log_odds_good = (score - self.offset) / self.factor
        return 1.0 / (1.0 + math.exp(log_odds_good))


DEFAULT_SCALING = Scaling()


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """How to bin one training column."""

    name: str
    kind: str = "numeric"  # "numeric" | "categorical"
    direction: Direction = Direction.AUTO
    special_values: tuple[float, ...] = ()
    missing: ValuePolicy | None = None  # None: the settings' default
    is_inquiry: bool = False  # counts towards the fifth reason


@dataclass(frozen=True, slots=True)
class ScoredFeature:
    binning: FeatureBinning
    coefficient: float
    points: tuple[int, ...]  # per slot
    is_inquiry: bool

    @property
    def name(self) -> str:
        return self.binning.name

    @property
    def best_points(self) -> int:
        return max(self.points)

    @property
    def has_weight(self) -> bool:
        return self.coefficient > 0 and max(self.points) > min(self.points)


@dataclass(frozen=True, slots=True)
class Reason:
    feature: str
    points: int
    best_points: int

    @property
    def shortfall(self) -> int:
        return self.best_points - self.points


@dataclass(frozen=True, slots=True)
class Scorecard:
    features: tuple[ScoredFeature, ...]
    base_points: int
    scaling: Scaling
    intercept: float
    metadata: Mapping[str, Any]
    _by_name: dict[str, ScoredFeature] = field(default_factory=dict, compare=False, repr=False)
    _tables: list[NDArray[np.int32]] = field(default_factory=list, compare=False, repr=False)
    # categorical points by code + 1: missing, each category, unseen
    _code_tables: list[NDArray[np.int32]] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({f.name: f for f in self.features})
        self._tables.extend(np.asarray(f.points, dtype=np.int32) for f in self.features)
        for f, table in zip(self.features, self._tables, strict=True):
            b = f.binning
            slots = (b.slot_of_missing, *b.category_slot, b.slot_of_unseen) if b.kind == "categorical" else (0,)
            self._code_tables.append(table[np.asarray(slots, dtype=np.int64)])

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    def feature(self, name: str) -> ScoredFeature:
        return self._by_name[name]

    # -- one applicant -------------------------------------------------------
    def points_of(self, row: Mapping[str, Any]) -> dict[str, int]:
        return {f.name: f.points[f.binning.slot(row.get(f.name))] for f in self.features}

    def score(self, row: Mapping[str, Any]) -> int:
        return self.base_points + sum(self.points_of(row).values())

    def reasons(self, row: Mapping[str, Any]) -> list[Reason]:
        points = self.points_of(row)
        return select_reasons(
            [
                (Reason(f.name, points[f.name], f.best_points), f.is_inquiry)
                for f in self.features
                if f.has_weight and points[f.name] < f.best_points
            ]
        )

    # -- many applicants -----------------------------------------------------
    def feature_points(self, index: int, values: NDArray[Any]) -> NDArray[np.int32]:
        """One feature's points for a column.

        A plain numeric feature's points are a step function of the value, so
        they are summed from one vectorised comparison per edge (several times
        faster than a binary search per row); NaN fails every comparison and is
        then set to the missing slot's points.
        """
        f, table = self.features[index], self._tables[index]
        b = f.binning
        if b.kind == "numeric" and not b.special_values:
            x = np.asarray(values, dtype=np.float64)
            regular = table[: len(b.edges) + 1]
            out = np.full(x.shape[0], regular[0], dtype=np.int32)
            step = np.empty(x.shape[0], dtype=bool)
            for edge, delta in zip(b.edges, np.diff(regular), strict=True):
                if delta:
                    np.greater_equal(x, edge, out=step)
                    out += step * np.int32(delta)
            missing_points = table[b.slot_of_missing]
            if missing_points != regular[0]:
                nan = np.isnan(x)
                out[nan] = missing_points
            return out
        if b.kind == "categorical":
            arr = np.asarray(values)
            if arr.dtype.kind in "iu":
                # code -1 (missing) -> 0, codes -> 1.., anything past the end -> unseen
                by_code = self._code_tables[index]
                coded: NDArray[np.int32] = by_code[np.clip(arr + 1, 0, len(b.categories) + 1)]
                return coded
        gathered: NDArray[np.int32] = table[b.slots(values)]
        return gathered

    def slots(self, columns: Mapping[str, NDArray[Any]]) -> IntArray:
        """An (n, features) matrix of slots."""
        cols = [f.binning.slots(columns[f.name]) for f in self.features]
        return np.stack(cols, axis=1) if cols else np.zeros((0, 0), dtype=np.int64)

    def points_matrix(self, columns: Mapping[str, NDArray[Any]]) -> IntArray:
        return np.stack(
            [self.feature_points(i, columns[f.name]).astype(np.int64) for i, f in enumerate(self.features)], axis=1
        )

    def _weighted(self) -> list[int]:
        return [i for i, f in enumerate(self.features) if f.has_weight]

    def score_batch(self, columns: Mapping[str, NDArray[Any]]) -> IntArray:
        n = len(next(iter(columns.values())))
        total = np.full(n, self.base_points, dtype=np.int64)
        # features without weight score 0 everywhere, so skipping them changes nothing
        for i in self._weighted():
            total += self.feature_points(i, columns[self.features[i].name])
        return total

    def reasons_batch(self, columns: Mapping[str, NDArray[Any]]) -> tuple[IntArray, IntArray]:
        """Scores and an (n, 5) matrix of reason feature indices (-1 = none), same rules as `reasons`."""
        weighted = self._weighted()
        n = len(next(iter(columns.values())))
        out = np.full((n, MAX_REASONS_WITH_INQUIRIES), -1, dtype=np.int64)
        if not weighted:
            return np.full(n, self.base_points, dtype=np.int64), out
        k = len(weighted)
        scores = np.full(n, self.base_points, dtype=np.int64)
        # Each row's key per feature: gap * k + (k - 1 - j), unique within the row, so the
        # largest keys are the largest gaps with ties to the earlier feature (as in
        # `select_reasons`); -1 = no gap. A running top-4 (a small sorting network of
        # elementwise max/min) avoids materialising and arg-sorting an (n, k) matrix.
        top = [np.full(n, -1, dtype=np.int64) for _ in range(MAX_REASONS)]
        best_inquiry = np.full(n, -1, dtype=np.int64)
        for j, i in enumerate(weighted):
            pts = self.feature_points(i, columns[self.features[i].name])
            scores += pts
            gap = self.features[i].best_points - pts.astype(np.int64)
            key = np.where(gap > 0, gap * k + (k - 1 - j), -1)
            if self.features[i].is_inquiry:
                np.maximum(best_inquiry, key, out=best_inquiry)
            for slot in top:
                high = np.maximum(slot, key)
                np.minimum(slot, key, out=key)
                slot[:] = high
        for r, slot in enumerate(top):
            out[:, r] = np.where(slot >= 0, weighted_arr_of(weighted, k, slot), -1)
        fifth = (best_inquiry >= 0) & (best_inquiry < top[-1])
        out[:, MAX_REASONS] = np.where(fifth, weighted_arr_of(weighted, k, best_inquiry), -1)
        return scores, out

    # -- files ---------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "scaling": {
                "base_score": self.scaling.base_score,
                "base_odds": self.scaling.base_odds,
                "pdo": self.scaling.pdo,
            },
            "intercept": self.intercept,
            "base_points": self.base_points,
            "metadata": dict(self.metadata),
            "features": [_feature_to_dict(f) for f in self.features],
        }

    @classmethod
    def from_json(cls, text: str) -> Scorecard:
        data = json.loads(text)
        if data.get("format") != MODEL_FORMAT:
            raise ValueError("not a fairlend scorecard file")
        if data.get("version") != MODEL_VERSION:
            raise ValueError(f"unsupported scorecard version {data.get('version')!r}")
        return cls(
            features=tuple(_feature_from_dict(f) for f in data["features"]),
            base_points=int(data["base_points"]),
            scaling=Scaling(**data["scaling"]),
            intercept=float(data["intercept"]),
            metadata=data["metadata"],
        )


def weighted_arr_of(weighted: Sequence[int], k: int, keys: IntArray) -> IntArray:
    """Feature indices from reason keys (meaningless where the key is -1)."""
    index: IntArray = np.asarray(weighted, dtype=np.int64)[(k - 1) - np.maximum(keys, 0) % k]
    return index


def select_reasons(candidates: Sequence[tuple[Reason, bool]]) -> list[Reason]:
    """Largest shortfall first (ties: declared order); four, plus the worst inquiry when it missed the four."""
    ordered = sorted(
        ((r, inq, i) for i, (r, inq) in enumerate(candidates) if r.shortfall > 0),
        key=lambda t: (-t[0].shortfall, t[2]),
    )
    chosen = [r for r, _, _ in ordered[:MAX_REASONS]]
    if not any(inq for _, inq, _ in ordered[:MAX_REASONS]):
        fifth = next((r for r, inq, _ in ordered[MAX_REASONS:] if inq), None)
        if fifth is not None:
            chosen.append(fifth)
    return chosen


def _feature_to_dict(f: ScoredFeature) -> dict[str, Any]:
    b = f.binning
    return {
        "name": b.name,
        "kind": b.kind,
        "direction": b.direction.value,
        "edges": list(b.edges),
        "categories": list(b.categories),
        "category_slot": list(b.category_slot),
        "special_values": list(b.special_values),
        "slot_of_special": list(b.slot_of_special),
        "slot_of_missing": b.slot_of_missing,
        "slot_of_unseen": b.slot_of_unseen,
        "iv": b.iv,
        "coefficient": f.coefficient,
        "is_inquiry": f.is_inquiry,
        "bins": [
            {"label": x.label, "goods": x.goods, "bads": x.bads, "woe": x.woe, "points": p}
            for x, p in zip(b.bins, f.points, strict=True)
        ],
    }


def _feature_from_dict(d: Mapping[str, Any]) -> ScoredFeature:
    binning = FeatureBinning(
        name=d["name"],
        kind=d["kind"],
        direction=Direction(d["direction"]),
        edges=tuple(float(e) for e in d["edges"]),
        categories=tuple(d["categories"]),
        category_slot=tuple(int(s) for s in d["category_slot"]),
        special_values=tuple(float(s) for s in d["special_values"]),
        slot_of_special=tuple(int(s) for s in d["slot_of_special"]),
        slot_of_missing=int(d["slot_of_missing"]),
        slot_of_unseen=int(d["slot_of_unseen"]),
        bins=tuple(Bin(x["label"], int(x["goods"]), int(x["bads"]), float(x["woe"])) for x in d["bins"]),
        iv=float(d["iv"]),
    )
    return ScoredFeature(
        binning=binning,
        coefficient=float(d["coefficient"]),
        points=tuple(int(x["points"]) for x in d["bins"]),
        is_inquiry=bool(d["is_inquiry"]),
    )

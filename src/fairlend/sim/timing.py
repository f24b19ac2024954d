"""Where a simulation's time goes: every service call the agents make, timed by the service it called.

`Timer` adds up wall time per label (`lending.repay`, `eod.run_day`, ...);
`Timed` stands in front of a context's service and times each method called
through it, and the sub-services it hands out (`identity.otp`,
`market.autoinvest.rules`) the same way. The simulator reaches the contexts
only through `Timed` wrappers (sim/world.py), so the share of each service
in a run's time is what `fairlend simulate --timings` and bench/simulate.py
print. A call a service makes to another inside itself counts to the first.
"""

from __future__ import annotations

import dataclasses
import enum
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import perf_counter
from typing import Any


class Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def add(self, label: str, seconds: float) -> None:
        self.seconds[label] += seconds
        self.calls[label] += 1

    @contextmanager
    def timing(self, label: str) -> Iterator[None]:
        began = perf_counter()
        try:
            yield
        finally:
            self.add(label, perf_counter() - began)

    def by_service(self) -> dict[str, float]:
        """Seconds per context: a label's first part (`market.autoinvest.rules.create` counts to `market`)."""
        totals: dict[str, float] = defaultdict(float)
        for label, seconds in self.seconds.items():
            totals[label.split(".", 1)[0]] += seconds
        return dict(sorted(totals.items(), key=lambda kv: -kv[1]))

    def slowest(self, n: int = 10) -> list[tuple[str, float, int]]:
        ranked = sorted(self.seconds.items(), key=lambda kv: -kv[1])[:n]
        return [(label, seconds, self.calls[label]) for label, seconds in ranked]

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


def _is_service(value: Any) -> bool:
    kind = type(value)
    return (
        kind.__module__.startswith("fairlend.")
        and not dataclasses.is_dataclass(value)
        and not isinstance(value, (enum.Enum, type))
        and not callable(value)
    )


class Timed:
    """A service seen through a timer: `Timed(container.lending, "lending", timer).repay(...)` is timed."""

    __slots__ = ("_label", "_target", "_timer")

    def __init__(self, target: Any, label: str, timer: Timer) -> None:
        self._target = target
        self._label = label
        self._timer = timer

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        label = f"{self._label}.{name}"
        if callable(value) and not isinstance(value, type):
            return _timed_call(value, label, self._timer)
        if _is_service(value):
            return Timed(value, label, self._timer)
        return value


def _timed_call(fn: Callable[..., Any], label: str, timer: Timer) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        began = perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            timer.add(label, perf_counter() - began)

    return call

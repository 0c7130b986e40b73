"""Counters, gauges and histograms, written in Prometheus' text exposition format 0.0.4 (by hand: no dependency).

Each metric family keeps its samples by label values under its own lock: waitress serves a process's requests
from many threads. Label values are escaped as the format asks (backslash, double quote, line feed); a histogram's
buckets are written cumulative, ending with le="+Inf", which equals its _count.
"""
from __future__ import annotations

import math
import threading
from typing import Iterable, Iterator

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def number(value: float) -> str:
    """A sample value or bucket bound as the format writes it."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape(text: str) -> str:
    return _escape_help(text).replace('"', '\\"')


def _labels(names: Iterable[str], values: Iterable[str]) -> str:
    pairs = [f'{name}="{_escape(value)}"' for name, value in zip(names, values)]
    return "{" + ",".join(pairs) + "}" if pairs else ""


class Family:
    """One metric: its name, help text, label names, and a sample per combination of label values."""

    kind = "untyped"

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> None:
        self.name, self.help, self.labels = name, help_text, labels
        self._lock = threading.Lock()
        self._samples: dict[tuple[str, ...], object] = {}

    def _key(self, labels: dict[str, object]) -> tuple[str, ...]:
        return tuple(str(labels[name]) for name in self.labels)

    def lines(self) -> Iterator[str]:
        yield f"# HELP {self.name} {_escape_help(self.help)}"
        yield f"# TYPE {self.name} {self.kind}"
        with self._lock:
            samples = sorted((key, self._copy(value)) for key, value in self._samples.items())
        if not samples and not self.labels:
            samples = [((), self._empty())]
        for key, value in samples:
            yield from self._sample_lines(key, value)

    def _copy(self, value):
        return value

    def _empty(self):
        return 0

    def _sample_lines(self, key: tuple[str, ...], value) -> Iterator[str]:
        yield f"{self.name}{_labels(self.labels, key)} {number(value)}"


class Counter(Family):
    kind = "counter"

    def inc(self, amount: float = 1, **labels: object) -> None:
        key = self._key(labels)
        with self._lock:
            self._samples[key] = self._samples.get(key, 0) + amount


class Gauge(Family):
    kind = "gauge"

    def set(self, value: float, **labels: object) -> None:
        with self._lock:
            self._samples[self._key(labels)] = value


class Histogram(Family):
    """Observations counted in buckets (each bucket counts those up to its bound), with their sum and count."""

    kind = "histogram"

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...], buckets: tuple[float, ...]) -> None:
        super().__init__(name, help_text, labels)
        self.buckets = tuple(sorted(buckets)) + (math.inf,)

    def observe(self, value: float, **labels: object) -> None:
        key = self._key(labels)
        slot = next(index for index, bound in enumerate(self.buckets) if value <= bound)
        with self._lock:
            counts = self._samples.setdefault(key, [0] * len(self.buckets) + [0.0])
            counts[slot] += 1
            counts[-1] += value

    def _copy(self, value):
        return list(value)

    def _empty(self):
        return [0] * len(self.buckets) + [0.0]

    def _sample_lines(self, key: tuple[str, ...], value) -> Iterator[str]:
        names, total = self.labels + ("le",), 0
        for bound, count in zip(self.buckets, value):
            total += count
            yield f"{self.name}_bucket{_labels(names, key + (number(bound),))} {total}"
        yield f"{self.name}_sum{_labels(self.labels, key)} {number(value[-1])}"
        yield f"{self.name}_count{_labels(self.labels, key)} {total}"


def render(families: Iterable[Family]) -> str:
    """The text of a scrape: every family's help, type and samples."""
    return "".join(line + "\n" for family in families for line in family.lines())

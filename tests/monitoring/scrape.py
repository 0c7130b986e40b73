"""Read a scrape as Prometheus would: every sample by name and labels, the format checked line by line."""
from __future__ import annotations

import re

TOKEN = "metrics-token-for-the-tests-0123456789"
_SAMPLE = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    """{(name, labels): value} of a text exposition (format 0.0.4); fails on a line that does not fit it."""
    assert text.endswith("\n")
    samples, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#"):
            assert line.startswith("# HELP "), line
            continue
        match = _SAMPLE.fullmatch(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        assert any(name == family or name.startswith(family + "_") for family in typed), f"{name} has no TYPE"
        pairs = frozenset(_LABEL.findall(labels or ""))
        assert (name, pairs) not in samples, f"{line} twice"
        samples[(name, pairs)] = float(value)
    return samples


def scrape(app, token: str = TOKEN) -> dict[tuple[str, frozenset], float]:
    response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse(response.get_data(as_text=True))


def value(samples, name: str, **labels) -> float:
    """A sample's value (0 when the series is not there yet)."""
    return samples.get((name, frozenset((key, str(val)) for key, val in labels.items())), 0.0)


def series(samples, name: str) -> list[dict[str, str]]:
    """The label sets of every sample of `name`."""
    return [dict(labels) for sample, labels in samples if sample == name]

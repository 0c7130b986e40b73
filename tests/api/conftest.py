"""Fixtures the API suites share."""
from __future__ import annotations

import time

import pytest

from server.storage import records as store


@pytest.fixture
def settled(monkeypatch):
    """Every write took its number an hour ago: a sync pull sends it at once (the settle delay is tested on its own)."""
    monkeypatch.setattr(store, "wall_clock", lambda: time.time() - 3600)

"""Small-cell suppression: what is hidden, and that no hidden count can be worked out from what is shown."""
from __future__ import annotations

import itertools
import random

import pytest

from server.reports.suppression import suppress, with_margins


def _lines(full):
    height, width = len(full), len(full[0])
    yield from ([(i, j) for j in range(width)] for i in range(height))
    yield from ([(i, j) for i in range(height)] for j in range(width))


def _recoverable(full, hidden):
    """The hidden positions a reader recovers by solving the table's equations (rows, columns, with totals)."""
    known = {(i, j): full[i][j] for i in range(len(full)) for j in range(len(full[0])) if (i, j) not in hidden}
    recovered = set()
    changed = True
    while changed:  # substitute what is known, line after line, as a reader with a pencil would
        changed = False
        height, width = len(full), len(full[0])
        for line in _lines(full):
            unknown = [p for p in line if p not in known]
            if len(unknown) == 1:
                *cells, total = line
                position = unknown[0]
                if position == total:
                    known[position] = sum(known[p] for p in cells)
                else:
                    known[position] = known[total] - sum(known[p] for p in cells if p != position)
                recovered.add(position)
                changed = True
        assert height and width
    return recovered


def test_a_small_count_and_its_complements_are_hidden():
    full = with_margins([[12, 3], [20, 9]])  # 3 is small: its row and column must hide another entry each
    hidden = suppress(full, 5)
    assert (0, 1) in hidden
    assert sum(p in hidden for p in [(0, 0), (0, 1), (0, 2)]) >= 2
    assert sum(p in hidden for p in [(0, 1), (1, 1), (2, 1)]) >= 2
    assert _recoverable(full, hidden) == set()


def test_zero_is_shown_and_nothing_is_hidden_in_a_table_without_small_counts():
    full = with_margins([[0, 7], [12, 9]])
    assert suppress(full, 5) == set()


def test_a_small_total_is_hidden_with_the_cells_that_make_it():
    full = with_margins([[2, 1], [30, 40]])  # row total 3 < 5, cells 2 and 1 too
    hidden = suppress(full, 5)
    assert {(0, 0), (0, 1), (0, 2)} <= hidden
    assert _recoverable(full, hidden) == set()


def test_the_complement_is_the_smallest_count_above_zero_of_the_line():
    full = with_margins([[3, 0, 8, 40]])
    hidden = suppress(full, 5)
    assert (0, 0) in hidden and (0, 2) in hidden and (0, 1) not in hidden


def test_a_one_column_table_hides_the_total_with_its_small_cell():
    full = with_margins([[3], [10], [11]])
    hidden = suppress(full, 5)
    assert _recoverable(full, hidden) == set()
    assert (0, 0) in hidden and (0, 1) in hidden


@pytest.mark.parametrize("seed", range(200))
def test_no_hidden_count_is_ever_recovered_from_random_tables(seed):
    rng = random.Random(seed)
    height, width = rng.randrange(1, 7), rng.randrange(1, 6)
    cells = [[rng.choice([0, 0, 1, 2, 3, 4, 5, 8, 13, 40]) for _ in range(width)] for _ in range(height)]
    full = with_margins(cells)
    hidden = suppress(full, 5)
    small = {(i, j) for i, j in itertools.product(range(height + 1), range(width + 1)) if 0 < full[i][j] < 5}
    assert small <= hidden
    assert _recoverable(full, hidden) == set()
    for line in _lines(full):
        assert sum(p in hidden for p in line) != 1

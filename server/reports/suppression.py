"""Small-cell suppression: counts under a threshold are hidden, with complementary cells so they cannot be recovered.

The table is read with its margins: m rows of n cells, each row followed by its total, then the row of column totals
ending with the grand total. Each of these lines (every row with its total, every column with its total, the totals
row with the grand total, the totals column with the grand total) is an equation `cells = total`: a line that hides
exactly one of its entries gives that entry away by subtraction. So:

1. primary: every entry (cell or total) above zero and under the threshold is hidden. A zero is shown: it names no
   child, and hiding every zero would hide most of a sparse table for nothing;
2. complementary: while some line hides exactly one entry, hide one more entry of that line: the smallest entry
   above zero that is not yet hidden (a larger count widens what the hidden one could be), else the smallest entry.

Every line then hides none or at least two entries: no single subtraction recovers a hidden count. (Combining several
lines can still bound a hidden count; with at least two hidden per line, a bound is never tighter than the sum of the
two, which for a primary cell is at least its threshold.)
"""
from __future__ import annotations

from typing import Iterable

Grid = list[list[int]]


def with_margins(cells: Grid) -> Grid:
    """The table with each row's total appended and the row of column totals (and the grand total) added."""
    width = len(cells[0]) if cells else 0
    full = [[*row, sum(row)] for row in cells]
    full.append([sum(row[j] for row in full) for j in range(width + 1)])
    return full


def _lines(height: int, width: int) -> Iterable[list[tuple[int, int]]]:
    """Every row and every column of a table with margins (height x width, margins included)."""
    for i in range(height):
        yield [(i, j) for j in range(width)]
    for j in range(width):
        yield [(i, j) for i in range(height)]


def suppress(full: Grid, threshold: int) -> set[tuple[int, int]]:
    """The positions (row, column) of a table with margins to hide; empty when nothing is under the threshold."""
    height, width = len(full), len(full[0]) if full else 0
    hidden = {(i, j) for i in range(height) for j in range(width) if 0 < full[i][j] < threshold}
    if not hidden:
        return hidden
    lines = list(_lines(height, width))
    changed = True
    while changed:
        changed = False
        for line in lines:
            if len(line) < 2 or sum(position in hidden for position in line) != 1:
                continue
            shown = [p for p in line if p not in hidden]
            above_zero = [p for p in shown if full[p[0]][p[1]] > 0]
            choice = min(above_zero or shown, key=lambda p: (full[p[0]][p[1]], p))
            hidden.add(choice)
            changed = True
    return hidden

"""Secondary suppression for tables with totals (DfE style), checked by linear algebra.

Notes
-----
In every line (row or column) that has a total and exactly one suppressed cell, the
next-smallest non-zero shown cell of that line is suppressed as well; this repeats until stable.
The line rule alone can leave a cell recoverable through several lines at once, so the table is
then treated as linear equations, one per line: sum of parts - total = 0. Restricted to the
suppressed cells x, these read A x = b with b known from the published cells. A suppressed cell k
is determined exactly when the unit vector e_k lies in the row space of A, that is when row k of
a basis of the null space of A is zero. Such a cell gets a further neighbour suppressed and the
process repeats. See Hundepool et al. (2012) *Statistical Disclosure Control*, Wiley, ch. 5,
doi:10.1002/9781118348239.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import null_space

__all__ = ["recoverable", "secondary_suppression", "table_lines"]

Cell = tuple[int, int]


def table_lines(
    shape: tuple[int, int], ti: int | None, tj: int | None
) -> list[tuple[list[Cell], Cell]]:
    """Every line of the table that has a total: (its parts, its total cell).

    ``ti`` and ``tj`` are the positions of the total row and total column (None if absent).
    """
    n_rows, n_cols = shape
    lines = []
    if tj is not None:
        lines += [([(i, j) for j in range(n_cols) if j != tj], (i, tj)) for i in range(n_rows)]
    if ti is not None:
        lines += [([(i, j) for i in range(n_rows) if i != ti], (ti, j)) for j in range(n_cols)]
    return [(parts, total) for parts, total in lines if parts]


def _smallest(
    values: np.ndarray, hidden: np.ndarray, cells: list[Cell], totals: set
) -> Cell | None:
    """The smallest shown cell of ``cells``, non-zero if any; parts before totals on ties."""
    shown = [c for c in cells if not hidden[c]]
    pool = [c for c in shown if values[c] > 0] or shown
    return min(pool, key=lambda c: (values[c], c in totals, c), default=None)


def recoverable(hidden: np.ndarray, lines: list[tuple[list[Cell], Cell]]) -> list[Cell]:
    """Hidden cells whose value follows exactly from the published cells and totals.

    A hidden cell is recoverable when its row of a null-space basis of the lines' equations
    (restricted to the hidden cells) is zero, to within 1e-9.
    """
    unknown = [(int(i), int(j)) for i, j in np.argwhere(hidden)]
    where = {c: k for k, c in enumerate(unknown)}
    rows = []
    for parts, total in lines:
        row = np.zeros(len(unknown))
        for c in parts:
            if c in where:
                row[where[c]] = 1.0
        if total in where:
            row[where[total]] = -1.0
        if row.any():
            rows.append(row)
    if not rows:
        return []
    basis = null_space(np.array(rows))
    free = np.linalg.norm(basis, axis=1) > 1e-9 if basis.size else np.zeros(len(unknown), bool)
    return [c for c, f in zip(unknown, free, strict=True) if not f]


def secondary_suppression(
    values: np.ndarray, primary: np.ndarray, ti: int | None, tj: int | None
) -> np.ndarray:
    """Cells to suppress besides ``primary`` so that no hidden cell can be worked out.

    ``values`` is the matrix of counts (totals included), ``primary`` the mask of primary
    suppressions, ``ti``/``tj`` the positions of the total row and column. Returns the mask of
    secondary suppressions. Line rule first (DfE), then the exact recoverability check.
    """
    lines = table_lines(values.shape, ti, tj)
    totals = {total for _, total in lines}
    hidden = primary.copy()
    while True:
        changed = False
        for parts, total in lines:
            cells = [*parts, total]
            if sum(hidden[c] for c in cells) == 1:
                pick = _smallest(values, hidden, cells, totals)
                if pick is not None:
                    hidden[pick] = changed = True
        if changed:
            continue
        exposed = recoverable(hidden, lines)
        if not exposed:
            return hidden & ~primary
        cell = exposed[0]
        near = [
            c for parts, total in lines if cell in parts or cell == total for c in [*parts, total]
        ]
        all_cells = [(int(i), int(j)) for i, j in np.argwhere(~hidden)]
        pick = _smallest(values, hidden, near, totals) or _smallest(
            values, hidden, all_cells, totals
        )
        if pick is None:  # every cell is hidden: nothing is left to recover from
            return hidden & ~primary
        hidden[pick] = True

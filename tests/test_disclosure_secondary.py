"""Secondary suppression: no suppressed cell can be worked out from the published totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evalkit.disclosure import protect
from evalkit.disclosure.secondary import recoverable, secondary_suppression, table_lines


def _with_totals(body: np.ndarray) -> pd.DataFrame:
    rows = [f"r{i}" for i in range(body.shape[0])]
    cols = [f"c{j}" for j in range(body.shape[1])]
    table = pd.DataFrame(body, index=rows, columns=cols)
    table["Total"] = table.sum(axis=1)
    table.loc["Total"] = table.sum(axis=0)
    return table


def _determined_by_rank(table: pd.DataFrame, hidden: np.ndarray) -> list[tuple[int, int]]:
    """Hidden cells an attacker can compute exactly, found independently of evalkit.

    Every row and every column of the table (totals included) reads: sum of parts - total = 0.
    Keep the hidden cells as unknowns; a hidden cell k is determined exactly when adding the
    unit vector e_k to the equations' matrix does not raise its rank (numpy.linalg.matrix_rank).
    """
    n_rows, n_cols = table.shape  # the last row and the last column are the totals
    unknown = [tuple(c) for c in np.argwhere(hidden)]
    if not unknown:
        return []
    equations = [
        [(-1.0 if c == n_cols - 1 else 1.0) if r == i else 0.0 for (r, c) in unknown]
        for i in range(n_rows)
    ] + [
        [(-1.0 if r == n_rows - 1 else 1.0) if c == j else 0.0 for (r, c) in unknown]
        for j in range(n_cols)
    ]
    a = np.array(equations)
    base = np.linalg.matrix_rank(a)
    determined = []
    for k, cell in enumerate(unknown):
        e = np.zeros((1, len(unknown)))
        e[0, k] = 1.0
        if np.linalg.matrix_rank(np.vstack([a, e])) == base:
            determined.append(cell)
    return determined


def test_rank_check_finds_a_lone_suppressed_cell():
    table = _with_totals(np.array([[3, 10], [20, 30]]))
    hidden = np.zeros(table.shape, bool)
    hidden[0, 0] = True  # 3 = 13 - 10: recoverable from row r0 by subtraction
    assert _determined_by_rank(table, hidden) == [(0, 0)]


def test_line_rule_alone_can_leave_a_bridge_cell_recoverable():
    # Two blocks of four hidden cells joined by one hidden cell (r0, c2): every row and column
    # has two or more hidden cells, yet (r0, c2) follows by arithmetic:
    # (r0,c2) = R0 + R1 - C0 - C1 - (r0,c3) - (r1,c2) - (r1,c3) + (r2,c0) + (r2,c1) + (r3,c0)
    #           + (r3,c1), where R and C are row and column totals.
    body = np.array([[2, 3, 4, 30], [5, 1, 40, 50], [60, 70, 2, 4], [80, 90, 3, 5]], dtype=np.int64)
    table = _with_totals(body)
    v = table.to_numpy()
    hidden = np.zeros(v.shape, bool)
    for cell in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (0, 2)]:
        hidden[cell] = True
    by_hand = (
        v[0, 4] + v[1, 4] - v[4, 0] - v[4, 1] - v[0, 3] - v[1, 2] - v[1, 3]
        + v[2, 0] + v[2, 1] + v[3, 0] + v[3, 1]
    )  # fmt: skip
    assert by_hand == v[0, 2] == 4
    lines = table_lines(v.shape, 4, 4)
    assert recoverable(hidden, lines) == [(0, 2)]
    assert _determined_by_rank(table, hidden) == [(0, 2)]
    # evalkit's secondary suppression hides more cells until nothing is recoverable.
    extra = secondary_suppression(v, hidden, 4, 4)
    assert extra.any()
    assert _determined_by_rank(table, hidden | extra) == []


small_tables = arrays(
    np.int64,
    st.tuples(st.integers(1, 5), st.integers(1, 5)),
    elements=st.one_of(st.integers(0, 8), st.integers(0, 60)),
)


@settings(max_examples=150, deadline=None)
@given(small_tables)
def test_property_dfe_tables_with_totals_cannot_be_unpicked(body):
    # DfE suppression guidance: a suppressed cell must not be recoverable from the totals.
    table = _with_totals(body)
    result = protect(table, "dfe", totals={"row": "Total", "column": "Total"}, warn=False)
    shown = result.table
    hidden = (shown == "c").to_numpy()
    # 1. Nothing in 1..5 is shown.
    values = table.to_numpy()
    assert not np.any(~hidden & (values >= 1) & (values <= 5))
    # 2. Every row and column with a suppressed cell has at least two (the total may be one).
    for line in [*hidden, *hidden.T]:
        assert line.sum() != 1
    # 3. No suppressed cell can be computed exactly from the published cells (rank test).
    assert _determined_by_rank(table, hidden) == []
    # 4. The audit lists exactly the hidden cells, once each, primary or secondary.
    audit = result.audit
    assert len(audit) == hidden.sum()
    primary = (values >= 1) & (values <= 5)
    assert (audit["rule"] == "primary").sum() == primary.sum() == result.n_primary
    assert set(audit["rule"]) <= {"primary", "secondary"}


@settings(max_examples=60, deadline=None)
@given(small_tables)
def test_property_one_way_tables_hide_two_cells_per_column(body):
    table = _with_totals(body).drop(columns="Total")
    result = protect(table, "dfe", totals={"row": "Total"}, warn=False)
    hidden = (result.table == "c").to_numpy()
    for line in hidden.T:
        assert line.sum() != 1


def test_secondary_suppression_is_fast_on_a_locality_sized_table():
    # 153 upper-tier local authorities x 6 categories, with a few small cells.
    rng = np.random.default_rng(20261122)
    body = rng.poisson(40, size=(153, 6))
    body[rng.integers(0, 153, 25), rng.integers(0, 6, 25)] = 3
    table = _with_totals(body)
    result = protect(table, "dfe", totals={"row": "Total", "column": "Total"}, warn=False)
    hidden = (result.table == "c").to_numpy()
    assert all(line.sum() != 1 for line in [*hidden, *hidden.T])


def test_an_undeclared_total_column_is_protected_as_a_total() -> None:
    # Issue 12: with policy="dfe" on a table whose `total` column is the sum of the others but is
    # not declared, the suppressed cell was the total minus the cell beside it.
    from evalkit.disclosure import protect
    from evalkit.disclosure.secondary import recoverable, table_lines

    table = pd.DataFrame(
        {"served": [3, 40, 25], "not served": [30, 12, 28], "total": [33, 52, 53]},
        index=pd.Index(["Asian", "Black", "White"], name="group"),
    )
    out = protect(table, "dfe", warn=False).table
    hidden = out.apply(lambda col: col.astype(str) == "c").to_numpy()
    assert hidden[0, 0] and hidden.sum() > 1  # the small cell and at least one more
    lines = table_lines(table.shape, None, 2)
    assert recoverable(hidden, lines) == []


def test_an_undeclared_total_row_is_found_and_a_coincidence_in_one_column_is_not() -> None:
    from evalkit.disclosure.protect import undeclared_totals

    values = np.array([[4, 10], [6, 20], [10, 30]])
    assert undeclared_totals(values) == (2, None)
    assert undeclared_totals(np.array([[10], [6], [4]])) == (None, None)  # one column: chance
    assert undeclared_totals(np.zeros((3, 3), dtype=int)) == (None, None)


def test_bridge_cell_gets_the_smallest_shown_neighbour_suppressed() -> None:
    # The bridge example above (with (r1, c3) = 20 instead of 50), worked by the documented
    # rule: (r0, c2) is recoverable, so the smallest shown non-zero cell of its own row and
    # column is suppressed as well. Row r0 shows (r0, c3) = 30 and its total 39; column c2 shows
    # (r1, c2) = 40 and its total 49: the pick is (r0, c3) = 30, not (r1, c3) = 20, the smallest
    # shown cell of the table, which lies in neither line. After that the rank test finds
    # nothing recoverable (the hidden pattern is what matters), so nothing else is hidden.
    body = np.array([[2, 3, 4, 30], [5, 1, 40, 20], [60, 70, 2, 4], [80, 90, 3, 5]], dtype=np.int64)
    table = _with_totals(body)
    v = table.to_numpy()
    hidden = np.zeros(v.shape, bool)
    for cell in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (0, 2)]:
        hidden[cell] = True
    extra = secondary_suppression(v, hidden, 4, 4)
    assert [tuple(map(int, c)) for c in np.argwhere(extra)] == [(0, 3)]
    assert _determined_by_rank(table, hidden | extra) == []


def test_line_rule_picks_the_smallest_value_not_the_first_cell() -> None:
    # DfE (1-5 -> c), one-way table with a total row. 4 is primary; the next-smallest non-zero
    # shown cell of the column is 6 (row r), not 20 (row q) which comes first.
    table = pd.DataFrame({"n": [4, 20, 6, 30, 60]}, index=["p", "q", "r", "s", "Total"])
    result = protect(table, "dfe", totals={"row": "Total"}, warn=False)
    assert result.table["n"].tolist() == ["c", 20, "c", 30, 60]


def test_line_rule_considers_a_shown_count_of_one() -> None:
    # A custom policy suppressing 2-5 shows a 1. Column: 3 is primary; the smallest shown
    # non-zero cell is that 1, so it is the secondary suppression (not 10).
    table = pd.DataFrame({"n": [3, 1, 10, 20, 34]}, index=["p", "q", "r", "s", "Total"])
    policy = {"low": 2, "high": 5, "secondary": True}
    result = protect(table, policy, totals={"row": "Total"}, warn=False)
    assert result.table["n"].tolist() == ["*", "*", 10, 20, 34]


def test_line_rule_prefers_a_part_to_a_total_of_equal_value() -> None:
    # Zeros suppressed too (custom policy 0 and 1-5, with secondary suppression). Body
    # [[0, 8], [20, 30]] with totals: row totals 8, 50; column totals 20, 38; grand total 58.
    # Worked by hand, lines in order rows then columns:
    #   row a: 0 hidden alone; shown non-zero cells (a, y) = 8 and its total 8 tie -> the part
    #          (a, y) is taken (parts before totals on ties);
    #   column x: (a, x) hidden alone; (b, x) = 20 ties with the column total 20 -> (b, x);
    #   column y: (a, y) hidden alone; (b, y) = 30 is smaller than the total 38 -> (b, y).
    # The four body cells form a cycle (rank 3 for 4 unknowns): nothing can be worked out.
    body = pd.DataFrame({"x": [0, 20], "y": [8, 30]}, index=["a", "b"])
    table = body.copy()
    table["Total"] = table.sum(axis=1)
    table.loc["Total"] = table.sum(axis=0)
    policy = {"high": 5, "zero": "suppress", "secondary": True, "symbol": "c"}
    result = protect(table, policy, totals={"row": "Total", "column": "Total"}, warn=False)
    assert result.table.to_dict("list") == {
        "x": ["c", "c", 20],
        "y": ["c", "c", 38],
        "Total": [8, 50, 58],
    }
    assert (result.n_primary, result.n_secondary) == (1, 3)


def test_a_total_line_of_ones_is_still_a_total() -> None:
    # Row 2 = row 0 + row 1 = [1, 1]: a total even though no cell exceeds 1. Two columns only,
    # so no column is taken as a total.
    from evalkit.disclosure.protect import undeclared_totals

    assert undeclared_totals(np.array([[1, 0], [0, 1], [1, 1]])) == (2, None)


def test_a_lone_hidden_cell_is_recoverable() -> None:
    # One hidden cell in a row with a total: 3 = 13 - 10. Its equation alone determines it
    # (the null space of [1] is empty), as the rank check above also finds.
    table = _with_totals(np.array([[3, 10], [20, 30]]))
    hidden = np.zeros(table.shape, bool)
    hidden[0, 0] = True
    assert recoverable(hidden, table_lines(table.shape, 2, 2)) == [(0, 0)]
    assert _determined_by_rank(table, hidden) == [(0, 0)]

"""Small-cell protection (reports.suppression): what a reader of the public
tables can work out, found by brute force (every table that agrees with what
is shown), never from the rule's own reasoning."""

import random

import pytest

from reports.suppression import (
    PRIMARY,
    SECONDARY,
    ZERO,
    exposed,
    protect_table,
    withhold,
)

# The seed's table until October 2012: (projects, participants, persons) by state.
SEED = [(1, 6, 6), (2, 7, 7), (0, 0, 0), (3, 15, 15), (1, 5, 5), (10, 46, 46), (0, 0, 0),
        (8, 36, 36), (4, 36, 36), (4, 20, 20), (1, 7, 7), (3, 14, 14), (11, 93, 93),
        (0, 0, 0), (0, 0, 0), (0, 0, 0)]  # fmt: skip


def column(*values):
    """A one-column grid with its TOTAL row."""
    return [[v] for v in values] + [[sum(values)]]


def lines(grid, column_totals=True, row_totals=False):
    """The sums a reader knows: each column adds up to its TOTAL, each row to its total."""
    n, k = len(grid), len(grid[0])
    found = []
    if column_totals:
        found += [([(r, c) for r in range(n - 1)], (n - 1, c)) for c in range(k)]
    if row_totals:
        found += [([(r, c) for c in range(k - 1)], (r, k - 1)) for r in range(n)]
    return found


def possible(grid, marks, min_cell=3, column_totals=True, row_totals=False, at_most=None,
             equal=True):  # fmt: skip
    """{withheld cell: every value it can take in a table that agrees with all
    that is shown}: "<3" holds 1 or 2 (0 too once a zero is shown so), "x" at
    least 3. With equal=False a column's TOTAL is only at most its sum (distinct
    people)."""
    values = {(r, c): v for r, row in enumerate(grid) for c, v in enumerate(row)}
    small = 0 if ZERO in marks.values() else 1
    top = at_most or max(values.values()) + min_cell + 2
    cells = sorted(marks)
    ranges = [
        range(min_cell, top + 1) if marks[c] == SECONDARY else range(small, min_cell) for c in cells
    ]
    found = {c: set() for c in cells}

    def holds(table, parts, total):
        if equal:
            return sum(table[p] for p in parts) == table[total]
        return table[total] <= sum(table[p] for p in parts)

    # Every combination of values is tried, but a line is checked as soon as its last
    # withheld cell has a value, so that a combination that breaks it is left at once.
    position = {cell: i for i, cell in enumerate(cells)}
    complete_at = [[] for _ in cells]
    for parts, total in lines(grid, column_totals, row_totals):
        withheld = [position[p] for p in (*parts, total) if p in position]
        if withheld:
            complete_at[max(withheld)].append((parts, total))
        elif not holds(values, parts, total):
            return found  # no table agrees with what is shown

    def extend(table, i):
        if i == len(cells):
            for cell in cells:
                found[cell].add(table[cell])
            return
        for value in ranges[i]:
            table[cells[i]] = value
            if all(holds(table, parts, total) for parts, total in complete_at[i]):
                extend(table, i + 1)

    extend(dict(values), 0)
    return found


def assert_protected(grid, marks, **options):
    found = possible(grid, marks, **options)
    for cell, mark in marks.items():
        value = grid[cell[0]][cell[1]]
        assert value in found[cell], "the true table must agree with what is shown"
        if mark != SECONDARY:
            assert len(found[cell]) >= 2, f"{cell} = {value} can be worked out: {found[cell]}"


# --- What is withheld -----------------------------------------------------------------


def test_counts_below_the_threshold_are_withheld_and_the_others_shown():
    grid = column(1, 2, 0, 3, 40)
    marks = withhold(grid, min_cell=3)
    assert marks[(0, 0)] == marks[(1, 0)] == PRIMARY
    assert (2, 0) not in marks  # a zero is shown
    assert (3, 0) not in marks and (4, 0) not in marks and (5, 0) not in marks
    assert_protected(grid, marks)


def test_the_seed_table_publishes_unchanged():
    rows = [list(r) for r in SEED]
    total = [sum(c) for c in zip(*rows, strict=True)]
    assert total == [48, 285, 285]
    protected = protect_table(rows, total, people=[1, 2], min_cell=3)
    assert protected.rows == rows and protected.total == total
    assert protected.withheld == 0
    # Its smallest count of people is 5: a threshold of 6 would begin to withhold.
    assert protect_table(rows, total, people=[1, 2], min_cell=6).withheld > 0


def test_a_threshold_below_3_withholds_nothing():
    grid = column(1, 2, 9)
    assert withhold(grid, min_cell=0) == {}
    assert withhold(grid, min_cell=2) == {}  # "<2" would say 1


def test_only_the_columns_of_people_are_withheld():
    rows = [[1, 2, 2, 40], [5, 30, 29, 400], [2, 9, 9, 90]]
    total = [8, 41, 40, 530]
    protected = protect_table(rows, total, people=[1, 2], min_cell=3)
    assert [r[0] for r in protected.rows] == [1, 5, 2]  # projects
    assert [r[3] for r in protected.rows] == [40, 400, 90]  # visits
    assert protected.rows[0][1:3] == ["<3", "<3"]
    assert protected.total[0] == 8 and protected.total[3] == 530
    assert protected.rows[2][1:3] == ["x", "x"]  # the 2s would follow from the TOTALs
    assert (protected.below, protected.covers, protected.withheld) == (2, 2, 4)


def test_a_table_without_a_total_withholds_only_the_small_counts():
    # Nothing adds up to anything shown: a "<3" needs no cover.
    protected = protect_table([[1, 7], [2, 9], [0, 4]], None, people=[0, 1], min_cell=3)
    assert protected.rows == [["<3", 7], ["<3", 9], [0, 4]] and protected.total is None
    assert (protected.below, protected.covers) == (2, 0)


# --- Subtraction from a TOTAL (columns) --------------------------------------------------


def test_a_total_would_give_away_a_lone_small_count_so_a_second_is_withheld():
    grid = column(2, 40, 7, 0, 12)  # TOTAL 61
    # With only the 2 withheld, 61 - 40 - 7 - 0 - 12 = 2.
    only_primary = {(0, 0): PRIMARY}
    assert possible(grid, only_primary)[(0, 0)] == {2}
    marks = withhold(grid, min_cell=3)
    assert marks == {(0, 0): PRIMARY, (2, 0): SECONDARY}  # the smallest that hides it
    assert (5, 0) not in marks  # the TOTAL stays shown
    assert_protected(grid, marks)
    protected = protect_table([[v] for v in (2, 40, 7, 0, 12)], [61], people=[0], min_cell=3)
    assert [r[0] for r in protected.rows] == ["<3", 40, "x", 0, 12]
    assert protected.total == [61] and (protected.below, protected.covers) == (1, 1)


def test_the_second_cell_must_be_large_enough_to_hide_the_first():
    # A 1 beside a withheld 3 is worked out: 1 + x = 4 with x >= 3 leaves 1 only.
    grid = column(1, 3, 4, 50)
    assert possible(grid, {(0, 0): PRIMARY, (1, 0): SECONDARY})[(0, 0)] == {1}
    marks = withhold(grid, min_cell=3)
    assert marks == {(0, 0): PRIMARY, (2, 0): SECONDARY}
    assert_protected(grid, marks)


def test_two_small_counts_that_give_each_other_away_get_a_third_cell():
    grid = column(2, 2, 30)  # 2 + 2 = TOTAL - 30 = 4: both are 2
    assert possible(grid, {(0, 0): PRIMARY, (1, 0): PRIMARY})[(0, 0)] == {2}
    marks = withhold(grid, min_cell=3)
    assert marks[(2, 0)] == SECONDARY
    assert_protected(grid, marks)


def test_small_counts_that_hide_each_other_need_nothing_more():
    grid = column(1, 2, 30)  # 1 + 2 = 3: 1 and 2, or 2 and 1
    marks = withhold(grid, min_cell=3)
    assert marks == {(0, 0): PRIMARY, (1, 0): PRIMARY}
    assert_protected(grid, marks)


def test_the_total_is_withheld_when_nothing_inside_can_hide_the_count():
    grid = column(2, 2, 0)  # nothing else but zeros: the TOTAL (4) is the cover
    marks = withhold(grid, min_cell=3)
    assert marks[(3, 0)] == SECONDARY
    assert_protected(grid, marks)


def test_a_small_total_is_withheld_itself():
    grid = column(1, 0, 0)
    marks = withhold(grid, min_cell=3)
    assert marks == {(0, 0): PRIMARY, (3, 0): PRIMARY}
    assert_protected(grid, marks)


def test_a_zero_is_shown_as_below_three_when_nothing_else_can_hide_two_ones():
    grid = column(1, 1, 0, 0)  # TOTAL 2: each of the two would be 1
    marks = withhold(grid, min_cell=3)
    assert ZERO in marks.values()
    assert_protected(grid, marks)
    protected = protect_table([[1], [1], [0], [0]], [2], people=[0], min_cell=3)
    assert [r[0] for r in protected.rows].count("<3") == 3  # a zero is fewer than three too


def test_what_cannot_be_hidden_is_said():
    grid = column(1, 1)  # 2 people, in two rows, and nothing else in the table
    marks = withhold(grid, min_cell=3)
    assert exposed(grid, marks, min_cell=3) == [(0, 0), (1, 0), (2, 0)]  # and the TOTAL, 2


def test_a_total_of_distinct_people_is_checked_as_strictly():
    # Persons: a person in two states makes the TOTAL (20) less than the column's sum (22).
    grid = [[2], [10], [10], [20]]
    marks = withhold(grid, min_cell=3)
    assert len(marks) >= 2
    assert_protected(grid, marks, equal=False)


@pytest.mark.parametrize("seed", range(3))
def test_random_columns_never_give_a_count_away(seed):
    """Tables like the published ones (columns above a TOTAL): every count
    withheld keeps two possible values, unless every cell of its column is
    withheld and still tells it (two 1s and a TOTAL of 2)."""
    rng = random.Random(seed)
    checked = 0
    while checked < 300:
        rows = rng.randint(1, 7)
        columns = rng.randint(1, 2)
        min_cell = rng.choice([3, 3, 4, 5])
        inner = [[rng.choice([0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 9]) for _ in range(columns)]
                 for _ in range(rows)]  # fmt: skip
        grid = inner + [[sum(c) for c in zip(*inner, strict=True)]]
        marks = withhold(grid, min_cell=min_cell)
        covers = sum(m == SECONDARY for m in marks.values())
        top = max(v for row in grid for v in row) + min_cell + 2
        if (top - min_cell + 1) ** covers * min_cell ** (len(marks) - covers) > 20_000:
            continue
        checked += 1
        found = possible(grid, marks, min_cell=min_cell, at_most=top)
        told = set(exposed(grid, marks, min_cell=min_cell))
        for cell, mark in marks.items():
            if mark == SECONDARY:
                continue
            assert (len(found[cell]) < 2) == (cell in told), (grid, marks)
            if cell in told:
                column_cells = [(r, cell[1]) for r in range(len(grid))]
                assert all(c in marks for c in column_cells), (grid, marks)


ZEROS_WITHHELD = [
    # (grid, row_totals, marks): the zero shown as "<3" is the nearest one in the
    # count's row or column, where a reader looks for it (else the table's first);
    # a zero so withheld is then hidden like any "<3" (C, D, L: its column's TOTAL
    # of 0, or of 5 beside a shown 5, would tell it).
    pytest.param(column(0, 0, 0, 1, 1), False,
                 {(2, 0): ZERO, (3, 0): PRIMARY, (4, 0): PRIMARY, (5, 0): PRIMARY}, id="A"),
    pytest.param([[6, 3, 1], [6, 0, 1], [6, 1, 0], [18, 4, 2]], False,
                 {(0, 1): SECONDARY, (0, 2): PRIMARY, (1, 2): PRIMARY, (2, 1): PRIMARY,
                  (2, 2): ZERO, (3, 2): PRIMARY}, id="B"),
    pytest.param([[1, 0], [1, 0], [2, 0]], False,
                 {(0, 0): PRIMARY, (0, 1): ZERO, (1, 0): PRIMARY, (2, 0): PRIMARY,
                  (2, 1): ZERO}, id="C"),
    pytest.param([[1, 0], [0, 4], [1, 8], [2, 12]], False,
                 {(0, 0): PRIMARY, (0, 1): ZERO, (1, 1): SECONDARY, (2, 0): PRIMARY,
                  (3, 0): PRIMARY}, id="D"),
    pytest.param([[0, 0, 3, 3], [0, 1, 1, 2], [0, 1, 4, 5]], True,
                 {(0, 1): ZERO, (0, 2): SECONDARY, (0, 3): SECONDARY, (1, 1): PRIMARY,
                  (1, 2): PRIMARY, (1, 3): PRIMARY, (2, 1): PRIMARY, (2, 2): SECONDARY},
                 id="E"),
    pytest.param([[2, 1, 0, 3], [0, 1, 1, 2], [2, 2, 1, 5]], True,
                 {(0, 0): PRIMARY, (0, 1): PRIMARY, (0, 3): SECONDARY, (1, 0): ZERO,
                  (1, 1): PRIMARY, (1, 2): PRIMARY, (1, 3): PRIMARY, (2, 0): PRIMARY,
                  (2, 1): PRIMARY, (2, 2): PRIMARY}, id="F"),
    pytest.param([[6, 1, 0, 7], [0, 1, 6, 7], [6, 2, 6, 14]], True,
                 {(0, 1): PRIMARY, (0, 2): ZERO, (1, 1): PRIMARY, (1, 2): SECONDARY,
                  (2, 1): PRIMARY, (2, 2): SECONDARY}, id="K"),
    # No zero in the count's row or column: the first zero of the table.
    pytest.param([[1, 5], [1, 0], [2, 5]], False,
                 {(0, 0): PRIMARY, (0, 1): SECONDARY, (1, 0): PRIMARY, (1, 1): ZERO,
                  (2, 0): PRIMARY}, id="L"),
]  # fmt: skip


@pytest.mark.parametrize(("grid", "row_totals", "expected"), ZEROS_WITHHELD)
def test_the_zero_withheld_is_the_nearest_to_the_count_it_hides(grid, row_totals, expected):
    marks = withhold(grid, min_cell=3, column_totals=True, row_totals=row_totals)
    assert marks == expected
    assert_protected(grid, marks, column_totals=True, row_totals=row_totals)


@pytest.mark.parametrize(
    ("grid", "column_totals", "expected"),
    [
        # Rows only, and no zero left in row 1's line: the first zero of the table.
        pytest.param([[2, 0, 2], [1, 0, 1], [4, 1, 5], [1, 1, 2]], False,
                     {(0, 0): PRIMARY, (0, 1): ZERO, (0, 2): PRIMARY, (1, 0): PRIMARY,
                      (1, 2): PRIMARY, (2, 0): SECONDARY, (2, 1): PRIMARY, (3, 0): PRIMARY,
                      (3, 1): PRIMARY, (3, 2): PRIMARY}, id="rows"),
        # No zero anywhere: nothing more is withheld (and exposed() says so).
        pytest.param([[5, 1, 6], [4, 1, 5], [9, 2, 11]], True,
                     {(0, 1): PRIMARY, (1, 1): PRIMARY, (2, 1): PRIMARY}, id="none"),
    ],
)  # fmt: skip
def test_a_zero_from_elsewhere_in_the_table_or_none(grid, column_totals, expected):
    marks = withhold(grid, min_cell=3, column_totals=column_totals, row_totals=True)
    assert marks == expected


COVERS = [
    # (grid, column_totals, marks): a cover is a figure inside the table before a
    # TOTAL (H, J), then the smallest sum of figures, however many cells (I); a
    # TOTAL when nothing inside closes the cycle (G: the grand total).
    pytest.param([[0, 5, 5], [1, 0, 1], [1, 5, 6]], True,
                 {(1, 0): PRIMARY, (1, 2): PRIMARY, (2, 0): PRIMARY, (2, 2): SECONDARY},
                 id="G"),
    pytest.param([[3, 2, 5]], False, {(0, 0): SECONDARY, (0, 1): PRIMARY}, id="H"),
    pytest.param([[1, 5, 6], [2, 0, 2], [6, 8, 14], [9, 13, 22]], True,
                 {(0, 0): PRIMARY, (0, 1): SECONDARY, (0, 2): SECONDARY, (1, 0): PRIMARY,
                  (1, 2): PRIMARY, (2, 0): SECONDARY, (2, 1): SECONDARY}, id="I"),
    pytest.param([[8, 5, 1, 14], [8, 5, 1, 14]], True,
                 {(0, 1): SECONDARY, (0, 2): PRIMARY, (1, 1): SECONDARY, (1, 2): PRIMARY},
                 id="J"),
]  # fmt: skip


@pytest.mark.parametrize(("grid", "column_totals", "expected"), COVERS)
def test_covers_are_figures_inside_the_table_the_smallest_first(grid, column_totals, expected):
    marks = withhold(grid, min_cell=3, column_totals=column_totals, row_totals=True)
    assert marks == expected
    assert_protected(grid, marks, column_totals=column_totals, row_totals=True)


# --- Rows and columns: a table with row totals -------------------------------------------


def test_a_row_total_would_give_away_a_count_so_its_row_gets_a_second_cell():
    inner = [[2, 9], [7, 5], [8, 12]]
    grid = [[*r, sum(r)] for r in inner]
    grid.append([sum(c) for c in zip(*grid, strict=True)])
    marks = withhold(grid, min_cell=3, column_totals=True, row_totals=True)
    assert marks[(0, 0)] == PRIMARY
    row_cells = [c for c in marks if c[0] == 0 and c != (0, 0)]
    column_cells = [c for c in marks if c[1] == 0 and c != (0, 0)]
    assert row_cells and column_cells  # a second cell in its row and in its column
    assert_protected(grid, marks, column_totals=True, row_totals=True)


def test_a_cover_worked_out_from_its_other_line_covers_nothing():
    """Withholding the 9 beside the 2 is not enough: the 9's column would give
    it back (the rectangle of four is the least that hides the 2)."""
    inner = [[2, 9, 6], [7, 5, 8], [4, 6, 10]]
    grid = [[*r, sum(r)] for r in inner]
    grid.append([sum(c) for c in zip(*grid, strict=True)])
    assert possible(grid, {(0, 0): PRIMARY, (0, 1): SECONDARY}, row_totals=True)[(0, 0)] == {2}
    marks = withhold(grid, min_cell=3, column_totals=True, row_totals=True)
    assert len(marks) >= 4
    assert_protected(grid, marks, column_totals=True, row_totals=True)


@pytest.mark.parametrize("seed", range(2))
def test_random_tables_with_row_totals_are_judged_exactly(seed):
    """The rule's judgement (exposed) is exactly what brute force finds."""
    rng = random.Random(100 + seed)
    checked = 0
    while checked < 200:
        rows, columns = rng.randint(1, 4), rng.randint(1, 3)
        inner = [[rng.choice([0, 0, 1, 1, 2, 3, 4, 5, 6, 8, 12]) for _ in range(columns)]
                 for _ in range(rows)]  # fmt: skip
        grid = [[*r, sum(r)] for r in inner]
        column_totals = rng.random() < 0.8
        if column_totals:
            grid.append([sum(c) for c in zip(*grid, strict=True)])
        options = {"column_totals": column_totals, "row_totals": True}
        marks = withhold(grid, min_cell=3, **options)
        covers = sum(m == SECONDARY for m in marks.values())
        top = max(v for row in grid for v in row) + 5
        if (top - 2) ** covers * 3 ** (len(marks) - covers) > 20_000:
            continue
        checked += 1
        found = possible(grid, marks, at_most=top, **options)
        told = set(exposed(grid, marks, min_cell=3, **options))
        for cell, mark in marks.items():
            if mark != SECONDARY:
                assert (len(found[cell]) < 2) == (cell in told), (grid, marks)


def test_a_table_of_every_office_is_protected():
    """A table the size of every office's (160 rows) is protected whole. (It used
    to assert a time too: tests do not time, make bench does.)"""
    rng = random.Random(3)
    rows = [[rng.randint(0, 5), rng.choice([0, 1, 2, 3, 4, 6, 10, 20]),
             rng.choice([0, 1, 2, 5, 9]), rng.randint(0, 100)] for _ in range(160)]  # fmt: skip
    total = [sum(c) for c in zip(*rows, strict=True)]
    protected = protect_table(rows, total, people=[1, 2], min_cell=3)
    assert protected.below > 0
    grid = [[r[1]] for r in rows] + [[total[1]]]
    assert exposed(grid, withhold(grid, min_cell=3), min_cell=3) == []


def test_a_single_visit_does_not_give_away_its_one_client_and_volunteer():
    """clients ≤ visits, and a visit lasts a minute at least: a published 1 under
    visits (or 1 under minutes) would tell the withheld clients and volunteers."""
    from reports.editions import SPECS, Table, public_cells

    for table, figures in [
        (Table.HOME_HELP_BY_STATE, [[22, 5, 77], [1, 1, 1], [30, 9, 120]]),
        (Table.HOME_HELP_BY_OFFICE, [[22, 5, 77, 7305], [1, 1, 1, 2], [30, 9, 120, 9000]]),
    ]:
        rows = [["C", "Place", "Place", *row] for row in figures]
        total = [sum(column) for column in zip(*figures, strict=True)]
        published = public_cells(SPECS[table], {"rows": rows, "total": total}, 3)[0]["rows"]
        small = published[1][3:]
        assert all(not isinstance(cell, int) for cell in small), (table, small)

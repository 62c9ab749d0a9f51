"""Small-cell protection of the public outputs (the published editions' pages,
CSV and JSON): a count of people below the threshold (PUBLIC_MIN_CELL, 3) is not
shown, and no withheld count can be worked out from its row's or column's
TOTAL and the other figures by subtraction.

`withhold()` is the rule, the one place it is decided; `protect_table()`
applies it to a published table.

What a reader is assumed to know: every figure shown; that the cells of a
column add up to its TOTAL (and those of a row to the row's total, in a table
that has one); that a cell shown "<3" holds 1 or 2 (zeros are shown), and a
cell shown "x" (withheld to protect another) at least 3. A withheld count is
safe when those facts leave it more than one possible value.

That is decided exactly, not by trying subtractions one by one: a table with
its totals is a transportation problem, and another table that agrees with
everything shown differs from the true one by a circulation, which breaks
into cycles that alternate between adding one to a cell and taking one from
the next cell of the same row or column. So a withheld count can be another
value exactly when such a cycle runs through it, over withheld cells that
each have room to move that way (a "<3" holding 2 cannot go up, an "x"
holding 3 cannot go down). Where none does, the cheapest cells that close
one are withheld as well: figures inside the table before a TOTAL, the
smallest first (Dijkstra over the rows and columns).

When no cell of at least the threshold can close one (a TOTAL of 2 people
in two offices, with zeros elsewhere: each has 1), a zero is shown as "<3"
too, which is true ("fewer than 3"); every "<3" of that table may then be 0
for the reader, and it is checked so. When every cell of a line is withheld
already and it is still one value (2 people in one row: 1 and 1), nothing
shown would hide more, and it is left.

A TOTAL of distinct people (persons, clients, volunteers) is at most the sum
of its column, not equal to it (one person in two states): checking it as if
it were equal is stricter, since every table the equality allows, the
inequality allows too."""

import heapq
import math
from dataclasses import dataclass

PRIMARY = "primary"  # below the threshold: shown as "<3"
ZERO = "zero"  # a zero withheld to protect others: shown as "<3", which it is
SECONDARY = "secondary"  # withheld so that a count below the threshold stays hidden: "x"
COVER = "x"


def withhold(grid, *, min_cell, column_totals=True, row_totals=False):
    """grid: rows of counts of people. With column_totals its last row is the
    TOTAL of the rows above; with row_totals the last cell of each row (the
    TOTAL row's included) is the sum of the row's other cells. Returns
    {(row, column): PRIMARY, ZERO or SECONDARY} for the cells to withhold. A
    threshold below 3 withholds nothing: a 1 shown as "<2" would say what it hides."""
    if min_cell < 3:
        return {}
    table = _Table(grid, min_cell, column_totals, row_totals)
    marks = {cell: PRIMARY for cell, value in table.values.items() if 0 < value < min_cell}
    if not (column_totals or row_totals):
        return marks  # nothing adds up to anything: a "<3" says only that
    left = set()
    while True:
        exposed = [
            cell
            for cell in sorted(marks)
            if marks[cell] != SECONDARY and cell not in left and not table.can_move(cell, marks)
        ]
        if not exposed:
            return marks
        cell = exposed[0]
        path = table.cheapest_cover(cell, marks, zeros=False)
        if path is None:
            path = table.cheapest_cover(cell, marks, zeros=True)
            if path is not None and not any(table.values[other] == 0 for other in path):
                # The cycle needs only that a "<3" may be 0: true once any zero is.
                zeros = [c for c in table.near(cell) if c not in marks and table.values[c] == 0]
                zeros = zeros or [c for c, v in table.values.items() if c not in marks and v == 0]
                path = [zeros[0]] if zeros else None
        if not path:
            left.add(cell)
            continue
        for other in path:
            marks[other] = ZERO if table.values[other] == 0 else SECONDARY


class _Table:
    def __init__(self, grid, min_cell, column_totals, row_totals):
        self.min_cell = min_cell
        self.values = {(r, c): value for r, row in enumerate(grid) for c, value in enumerate(row)}
        self.last_row = len(grid) - 1 if column_totals else None
        self.last_column = len(grid[0]) - 1 if row_totals and grid else None
        self.column_totals, self.row_totals = column_totals, row_totals

    # The nodes of the graph: a row (or every row, as one node, when rows have no
    # total) and a column (likewise).
    def row_node(self, cell):
        return ("row", cell[0] if self.row_totals else None)

    def column_node(self, cell):
        return ("column", cell[1] if self.column_totals else None)

    def near(self, cell):
        """The cells of its row and column, nearest first."""
        return sorted(
            (c for c in self.values if c != cell and (c[0] == cell[0] or c[1] == cell[1])),
            key=lambda c: abs(c[0] - cell[0]) + abs(c[1] - cell[1]),
        )

    def is_total(self, cell):
        return cell[0] == self.last_row or cell[1] == self.last_column

    def sign(self, cell):
        """+1 for a cell inside the table and for the grand total, -1 for the other
        totals: with that sign, every row and column of the grid adds up to zero."""
        return -1 if (cell[0] == self.last_row) != (cell[1] == self.last_column) else 1

    def bounds(self, cell, marks, small):
        mark = marks.get(cell)
        if mark is None:
            value = self.values[cell]
            return value, value
        if mark == SECONDARY:
            return self.min_cell, math.inf
        return small, self.min_cell - 1

    def room(self, cell, marks, small):
        """(may its signed value go up by one, may it go down by one)."""
        value = self.values[cell]
        low, high = self.bounds(cell, marks, small)
        up, down = value < high, value > low
        return (up, down) if self.sign(cell) > 0 else (down, up)

    def arcs(self, marks, without, small, arcs=None, cost=None):
        """Going up one in a cell goes from its row to its column; going down, back."""
        arcs = {} if arcs is None else arcs
        for cell in marks:
            if cell == without:
                continue
            self.arc(arcs, cell, marks, small, cost)
        return arcs

    def arc(self, arcs, cell, marks, small, cost=None):
        up, down = self.room(cell, marks, small)
        row, column = self.row_node(cell), self.column_node(cell)
        if up:
            arcs.setdefault(row, []).append((column, cell, cost))
        if down:
            arcs.setdefault(column, []).append((row, cell, cost))

    def can_move(self, cell, marks):
        """Whether what is shown leaves `cell` another possible value."""
        small = 0 if ZERO in marks.values() else 1
        arcs = self.arcs(marks, cell, small)
        up, down = self.room(cell, marks, small)
        row, column = self.row_node(cell), self.column_node(cell)
        return (up and _reaches(arcs, column, row)) or (down and _reaches(arcs, row, column))

    def cheapest_cover(self, cell, marks, *, zeros):
        """The shown cells whose withholding closes the cheapest cycle through
        `cell`, or None. Costs, in order of importance: zeros withheld, totals
        withheld, the sum of the figures withheld."""
        small = 0 if zeros or ZERO in marks.values() else 1
        arcs = self.arcs(marks, cell, small)
        for other, value in self.values.items():
            if other in marks or other == cell:
                continue
            if value >= self.min_cell:
                mark, cost = SECONDARY, (0, int(self.is_total(other)), value)
            elif value == 0 and zeros:
                mark, cost = ZERO, (1, 0, 0)
            else:
                continue
            self.arc(arcs, other, {**marks, other: mark}, small, cost)
        up, down = self.room(cell, marks, small)
        row, column = self.row_node(cell), self.column_node(cell)
        found = []
        if up:
            found.append(_cheapest(arcs, column, row))
        if down:
            found.append(_cheapest(arcs, row, column))
        found = [f for f in found if f is not None]
        return min(found)[1] if found else None


def _reaches(arcs, start, goal):
    seen, stack = {start}, [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        for arc in arcs.get(node, ()):
            if arc[0] not in seen:
                seen.add(arc[0])
                stack.append(arc[0])
    return False


def _cheapest(arcs, start, goal):
    """(cost, the shown cells to withhold) of the cheapest path, or None."""
    nothing = (0, 0, 0)
    best = {start: nothing}
    queue = [(nothing, 0, start, ())]
    tie = 0
    while queue:
        cost, _, node, cells = heapq.heappop(queue)
        if node == goal:
            return cost, list(cells)
        if cost > best[node]:
            continue
        for target, cell, step in arcs.get(node, ()):
            reached = cost if step is None else tuple(map(sum, zip(cost, step, strict=True)))
            if target not in best or reached < best[target]:
                best[target] = reached
                tie += 1
                heapq.heappush(
                    queue, (reached, tie, target, cells if step is None else (*cells, cell))
                )
    return None


def exposed(grid, marks, *, min_cell, column_totals=True, row_totals=False):
    """The withheld counts below the threshold that what is shown still tells
    exactly (those withhold() could not protect: every cell of a line withheld)."""
    table = _Table(grid, min_cell, column_totals, row_totals)
    if not (column_totals or row_totals):
        return []
    return [
        cell
        for cell in sorted(marks)
        if marks[cell] != SECONDARY and not table.can_move(cell, marks)
    ]


@dataclass
class Protected:
    """A table as it may be published: rows and TOTAL with each withheld count
    of people replaced by "<3" (below the threshold) or "x" (withheld so that one
    below it cannot be worked out), and how many of each."""

    rows: list
    total: list | None
    below: int
    covers: int

    @property
    def withheld(self):
        return self.below + self.covers


def protect_table(rows, total, *, people, min_cell, row_totals=False):
    """rows: the figures of each row (in the columns' order); total: the TOTAL
    row's figures, or None when the table publishes none; people: the indexes
    of the columns that count people (the others are never withheld). With
    row_totals, the last of `people` is the sum of the others in each row."""
    lines = [*rows, *([total] if total is not None else [])]
    grid = [[line[c] for c in people] for line in lines]
    marks = withhold(
        grid, min_cell=min_cell, column_totals=total is not None, row_totals=row_totals
    ) if grid else {}  # fmt: skip
    shown = {PRIMARY: f"<{min_cell}", ZERO: f"<{min_cell}", SECONDARY: COVER}
    published = []
    for r, line in enumerate(lines):
        cells = list(line)
        for position, c in enumerate(people):
            if (r, position) in marks:
                cells[c] = shown[marks[(r, position)]]
        published.append(cells)
    return Protected(
        rows=published[: len(rows)],
        total=published[len(rows)] if total is not None else None,
        below=sum(mark != SECONDARY for mark in marks.values()),
        covers=sum(mark == SECONDARY for mark in marks.values()),
    )

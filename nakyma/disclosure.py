"""Small-area disclosure control for what leaves the service: small counts hidden with
complementary suppression, and small municipalities named only by their municipality group.

Counts. A table of counts is published with its row totals, column totals and grand total. Seen
as one (R+1) x (C+1) grid, every row and every column of that grid is a *line* whose cells add
up to its own total. Counts 1..k-1 are hidden as "<k" (primary suppression; 0 stays 0). A
reader who knows the published entries of a line and the rules (hidden "<k" counts are 1..k-1,
other hidden counts are at least k, zeros are shown) could still work out a hidden entry when a
line has only one hidden entry, or when the bounds leave it one possible value ("<5" + "<5" = 8
means 4 and 4). So in every such line the smallest non-zero published count is hidden too
(complementary suppression, shown as ".."; the line's own total only when no count is left),
and this repeats over all lines until nothing changes.

Texts. Observation texts from a municipality below `min_population` residents are placed in an
export by their municipality group, never by their municipality, and mentions of such
municipalities inside the text are masked.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from nakyma import i18n
from nakyma.i18n import N_
from nakyma.regions import Region

# How a count hidden only to protect others (complementary suppression) is shown: Statistics
# Finland's symbol for confidential data. Not "<5": such a count is at least k.
COMPLEMENTARY_MARK = ".."
MASKED_MUNICIPALITY = "[kunta]"

Position = tuple[int, int]  # (row, column) in the grid with totals; row R / column C = totals


@dataclass(frozen=True)
class Cell:
    """One published count: its true value stays here, `text` is what may be shown."""

    value: int
    hidden: bool = False
    k: int = 5

    @property
    def primary(self) -> bool:
        """Hidden because it is a small count itself (1..k-1)."""
        return self.hidden and 0 < self.value < self.k

    @property
    def text(self) -> str:
        if not self.hidden:
            return str(self.value)
        return f"<{self.k}" if self.primary else COMPLEMENTARY_MARK

    @property
    def number(self) -> int | None:
        """The value if it may be published, else None (for numeric spreadsheet cells)."""
        return None if self.hidden else self.value

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class SuppressedTable:
    """A table of counts ready to print: cells, column totals and (unless the table was made
    without them) row totals and the grand total, each a Cell whose `text` respects the
    disclosure rules."""

    k: int
    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...]
    col_totals: tuple[Cell, ...]
    total: Cell
    # False: the rows' totals and the grand total are not published (kept hidden, and left
    # out of grid() and text_rows()).
    has_row_totals: bool = True

    def grid(self) -> list[list[Cell]]:
        """The published grid: cells (with the row total last, if any), the totals row last."""
        if not self.has_row_totals:
            return [list(row) for row in self.cells] + [list(self.col_totals)]
        rows = [[*row, t] for row, t in zip(self.cells, self.row_totals, strict=True)]
        rows.append([*self.col_totals, self.total])
        return rows

    def text_rows(self, *, corner: str = "", totals_label: str = "Yhteensä") -> list[list[str]]:
        """Header plus one list of strings per row, totals included: for CSV and Markdown."""
        header = [corner, *self.col_labels] + ([totals_label] if self.has_row_totals else [])
        out = [header]
        for label, row in zip([*self.row_labels, totals_label], self.grid(), strict=True):
            out.append([label, *(c.text for c in row)])
        return out

    @property
    def hidden_count(self) -> int:
        return sum(c.hidden for row in self.grid() for c in row)


def suppress(
    table: Sequence[Sequence[int]],
    k: int = 5,
    *,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    row_totals: bool = True,
    hide: Iterable[Position] = (),
    known: Iterable[Position] = (),
) -> SuppressedTable:
    """Disclosure-controlled version of a table of counts (totals computed here).

    `row_totals=False`: rows get no published total (nor the table a grand total), e.g. when
    the columns count different things; then only the columns constrain each other.
    `hide`: further grid positions (row R / column C being the totals) to hide, e.g. a total
    that another published table hides; zeros are never hidden.
    `known`: grid positions the reader knows exactly anyway (a leader's own municipalities):
    never hidden, and counted as published when the others are checked. Raises ValueError for
    a table that is not a rectangle of non-negative integers, or k < 2.
    """
    if k < 2:
        raise ValueError("k must be at least 2")
    rows = [list(r) for r in table]
    n_rows = len(rows)
    # An empty table still has its columns (and a row of zero totals).
    n_cols = len(rows[0]) if rows else len(col_labels or ())
    for r in rows:
        if len(r) != n_cols:
            raise ValueError("table rows must have the same length")
        for v in r:
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError("counts must be non-negative integers")
    labels_r = tuple(row_labels) if row_labels is not None else tuple(str(i) for i in range(n_rows))
    labels_c = tuple(col_labels) if col_labels is not None else tuple(str(j) for j in range(n_cols))
    if len(labels_r) != n_rows or len(labels_c) != n_cols:
        raise ValueError("labels must match the table's shape")

    grid = [[*r, sum(r)] for r in rows]
    grid.append([sum(rows[i][j] for i in range(n_rows)) for j in range(n_cols)])
    grid[-1].append(sum(grid[-1]))
    published_cols = n_cols + 1 if row_totals else n_cols
    exact = set(known)
    for i, j in [*exact, *hide]:
        if not (0 <= i <= n_rows and 0 <= j < published_cols):
            raise ValueError(f"position {(i, j)} is outside the table")
    hidden = {
        (i, j)
        for i in range(n_rows + 1)
        for j in range(published_cols)
        if 0 < grid[i][j] < k and (i, j) not in exact
    }
    hidden |= {(i, j) for i, j in hide if grid[i][j] > 0 and (i, j) not in exact}

    lines = _lines(n_rows, n_cols, row_totals=row_totals)
    changed = True
    while changed:
        changed = False
        for line, own_total in lines:
            if not any(p in hidden for p in line) or not _pinned(line, own_total, grid, hidden, k):
                continue
            extra = _complement(line, own_total, grid, hidden, exact)
            if extra is not None:
                hidden.add(extra)
                changed = True

    def cell(i: int, j: int) -> Cell:
        return Cell(grid[i][j], (i, j) in hidden, k)

    return SuppressedTable(
        k=k,
        row_labels=labels_r,
        col_labels=labels_c,
        cells=tuple(tuple(cell(i, j) for j in range(n_cols)) for i in range(n_rows)),
        row_totals=tuple(
            cell(i, n_cols) if row_totals else Cell(grid[i][n_cols], True, k) for i in range(n_rows)
        ),
        col_totals=tuple(cell(n_rows, j) for j in range(n_cols)),
        total=cell(n_rows, n_cols) if row_totals else Cell(grid[n_rows][n_cols], True, k),
        has_row_totals=row_totals,
    )


def _lines(
    n_rows: int, n_cols: int, *, row_totals: bool = True
) -> list[tuple[list[Position], Position]]:
    """Every row and column of the grid with totals, each with the position of its own total
    (without row totals: only the columns, each with its column total)."""
    if not row_totals:
        return [([(i, j) for i in range(n_rows + 1)], (n_rows, j)) for j in range(n_cols)]
    out = [([(i, j) for j in range(n_cols + 1)], (i, n_cols)) for i in range(n_rows + 1)]
    out += [([(i, j) for i in range(n_rows + 1)], (n_rows, j)) for j in range(n_cols + 1)]
    return out


def _bounds(value: int, k: int) -> tuple[float, float]:
    """What a reader knows of a hidden count: "<k" is 1..k-1, any other hidden count >= k."""
    return (1.0, float(k - 1)) if value < k else (float(k), math.inf)


def _pinned(
    line: Sequence[Position],
    own_total: Position,
    grid: Sequence[Sequence[int]],
    hidden: set[Position],
    k: int,
) -> bool:
    """Could a reader derive a hidden entry of this line from the line alone: by subtraction
    (one hidden entry) or by the bounds of the hidden entries (one possible value left)?"""
    # The line says: sum(cells) - total = 0, i.e. sum over hidden of sign * x = known.
    known = 0
    unknown: list[tuple[int, float, float]] = []
    for p in line:
        sign = -1 if p == own_total else 1
        value = grid[p[0]][p[1]]
        if p in hidden:
            lo, hi = _bounds(value, k)
            unknown.append((sign, lo, hi))
        else:
            known -= sign * value
    for j, (sign_j, lo_j, hi_j) in enumerate(unknown):
        t_min = t_max = 0.0
        for i, (sign, lo, hi) in enumerate(unknown):
            if i != j:
                t_min += lo if sign > 0 else -hi
                t_max += hi if sign > 0 else -lo
        # sign_j * x_j = known - T
        if sign_j > 0:
            low, high = known - t_max, known - t_min
        else:
            low, high = t_min - known, t_max - known
        low, high = max(low, lo_j), min(high, hi_j)
        if low == high:
            return True
    return False


def _complement(
    line: Sequence[Position],
    own_total: Position,
    grid: Sequence[Sequence[int]],
    hidden: set[Position],
    exact: set[Position],
) -> Position | None:
    """The smallest non-zero published count of the line that the reader does not know
    anyway; its total only when none is left."""
    candidates = [
        (grid[p[0]][p[1]], p)
        for p in line
        if p != own_total and p not in hidden and p not in exact and grid[p[0]][p[1]] > 0
    ]
    if candidates:
        return min(candidates)[1]
    if own_total not in hidden and own_total not in exact and grid[own_total[0]][own_total[1]] > 0:
        return own_total
    return None  # every non-zero entry is hidden already: nothing more to hide


@dataclass(frozen=True)
class DisclosedLine:
    """Counts per area and their total as they may be shown (see `disclose_line`)."""

    shown: dict[str, str]  # area -> "12", "<5" or ".."
    total: int | None  # None when hidden
    total_shown: str


def disclose_line(
    counts: Mapping[str, int], exact: Collection[str] = (), k: int = 5, *, exact_total: bool = False
) -> DisclosedLine:
    """One line of counts per area (a phenomenon's observations per municipality) with its
    total, under the disclosure rule: areas in `exact` (what the reader knows anyway) shown
    exactly, the others "<k" / ".." as `suppress` decides with the total published, and the
    total itself hidden when it would give a hidden count away ("<k", or "vähintään n" with the
    bound the reader knows anyway). `exact_total`: the reader may see the total (a reader who
    reads every observation of the region)."""
    areas = sorted(counts)
    table = suppress(
        [[counts[a] for a in areas]],
        k,
        # One row: each column's total is its cell, known alike.
        known=[(i, j) for j, a in enumerate(areas) if a in exact for i in (0, 1)],
    )
    shown = {a: cell.text for a, cell in zip(areas, table.cells[0], strict=True)}
    total = table.total
    if exact_total or not total.hidden:
        return DisclosedLine(shown, total.value, str(total.value))
    own = sum(counts[a] for a in areas if a in exact)
    hidden = [_bounds(c.value, k) for c in table.cells[0] if c.hidden]
    if total.primary and not _total_bound_pins(hidden, own, k):
        return DisclosedLine(shown, None, f"<{k}")
    # What the reader knows anyway: its own counts and each hidden one's lower bound.
    return DisclosedLine(shown, None, f"vähintään {own + int(sum(lo for lo, _ in hidden))}")


def _total_bound_pins(hidden: Sequence[tuple[float, float]], own: int, k: int) -> bool:
    """Would a total shown as "<k" (1..k-1) leave some hidden count one possible value?
    (Four municipalities "<5" and a total "<5": each is 1.)"""
    low_sum, high_sum = 1 - own, k - 1 - own  # the hidden counts' sum
    for i, (lo, hi) in enumerate(hidden):
        others_lo = sum(b[0] for j, b in enumerate(hidden) if j != i)
        others_hi = sum(b[1] for j, b in enumerate(hidden) if j != i)
        if max(lo, low_sum - others_hi) >= min(hi, high_sum - others_lo):
            return True
    return False


# The bound a hidden total shows as ("vähintään 7"); pages translate it (web.i18n's
# `shown_count`), so the message id is marked here.
N_("vähintään %(n)s")


def hidden_size_text(observations_shown: str, headlines: int, k: int = 5) -> str:
    """A phenomenon's size when its observation count is hidden (`disclose_line`): the bound
    a reader may know ("<5" observations and 2 headlines: "<7"; "vähintään 5" and 2:
    "vähintään 7")."""
    if observations_shown.startswith("<"):
        return f"<{k + headlines}"
    bound = int(observations_shown.rsplit(" ", 1)[-1])
    return f"vähintään {bound + headlines}"


def published_count(value: int, k: int = 5) -> str:
    """A lone count as it may be published: "<5" for 1..k-1."""
    return f"<{k}" if 0 < value < k else str(value)


# Nouns after which a number is a count of observations, headlines or observers, in the
# languages generated sentences are written in (Finnish, Swedish, English).
_COUNTED = (
    r"havainto|havaintoa|havainnon|havainnosta|havaintoon|uutinen|uutista|uutisen|"
    r"uutisesta|ammattiryhmästä|ammattiryhmää|havaitsijaa|havaitsija|"
    r"observation|observationer|nyhet|nyheter|yrkesgrupp|yrkesgrupper|observatörer|"
    r"observations|headline|headlines|professional"
)
_SMALL_COUNT = re.compile(
    r"(?<![\w,.−-])(\d+)(?=\s(?:eri\s|olika\s|different\s)?(?:" + _COUNTED + r")\b)"
)


def mask_small_counts(text: str, k: int = 5) -> str:
    """Generated sentences ("4 havaintoa Keuruulta …") with counts 1..k-1 written as "<k"."""

    def replace(m: re.Match[str]) -> str:
        return published_count(int(m.group(1)), k)

    return _SMALL_COUNT.sub(replace, text)


def counted_numbers(text: str) -> list[int]:
    """The counts a generated sentence states ("6 havaintoa 4 viikossa" -> [6]); a count
    already written "<k" is not one."""
    return [
        int(m.group(1))
        for m in _SMALL_COUNT.finditer(text)
        if m.start() == 0 or text[m.start() - 1] != "<"
    ]


def is_small_municipality(region: Region, code: str, *, min_population: int) -> bool:
    """Below the population threshold (an unknown population counts as small)."""
    population = region.municipality(code).population
    return population is None or population < min_population


def public_place(region: Region, code: str, *, min_population: int, language: str = "fi") -> str:
    """Where an exported text comes from: the municipality, or for a small one its group of
    the default grouping ("kuntaryhmä Viitasaari"); the region if that group is just itself.
    Names in `language` (Finnish by default)."""
    if not is_small_municipality(region, code, min_population=min_population):
        return region.municipality(code).name_in(language)
    group = region.group_of(code)
    if len(group.members) < 2:
        return region.name_in(language)
    _ = i18n.translator(language)
    return _("kuntaryhmä %(group)s") % {"group": group.name_in(language)}


_WORD = re.compile(r"[^\W\d_]+")


def mask_small_municipalities(text: str, region: Region, *, min_population: int) -> str:
    """Mentions of small municipalities (any form or inhabitant word) replaced by "[kunta]"."""

    def replace(m: re.Match[str]) -> str:
        word = m.group(0)
        found = region.find_in_text(word)
        if any(is_small_municipality(region, f.code, min_population=min_population) for f in found):
            return MASKED_MUNICIPALITY
        return word

    return _WORD.sub(replace, text)

"""Small-area disclosure control: suppression with complementary cells, and the text rules."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nakyma.disclosure import (
    COMPLEMENTARY_MARK,
    SuppressedTable,
    disclose_line,
    hidden_size_text,
    is_small_municipality,
    mask_small_counts,
    mask_small_municipalities,
    public_place,
    published_count,
    suppress,
)


def texts(table: SuppressedTable) -> list[list[str]]:
    return [[c.text for c in row] for row in table.grid()]


def lines(table: SuppressedTable) -> list[tuple[list[tuple[int, int]], tuple[int, int]]]:
    n_rows, n_cols = len(table.cells), len(table.col_labels)
    if not table.has_row_totals:  # only the columns add up to published totals
        return [([(i, j) for i in range(n_rows + 1)], (n_rows, j)) for j in range(n_cols)]
    out = [([(i, j) for j in range(n_cols + 1)], (i, n_cols)) for i in range(n_rows + 1)]
    out += [([(i, j) for i in range(n_rows + 1)], (n_rows, j)) for j in range(n_cols + 1)]
    return out


def subtraction_attack(table: SuppressedTable) -> set[tuple[int, int]]:
    """What a reader recovers from published entries by repeated row/column subtraction."""
    grid = table.grid()
    known = {
        (i, j): c.value for i, row in enumerate(grid) for j, c in enumerate(row) if not c.hidden
    }
    recovered: set[tuple[int, int]] = set()
    progress = True
    while progress:
        progress = False
        for line, own_total in lines(table):
            unknown = [p for p in line if p not in known]
            if len(unknown) != 1:
                continue
            (p,) = unknown
            cells = sum(known[q] for q in line if q != own_total and q in known)
            known[p] = cells if p == own_total else known[own_total] - cells
            assert known[p] == grid[p[0]][p[1]].value
            recovered.add(p)
            progress = True
    return recovered


def pinned_by_bounds(table: SuppressedTable) -> list[tuple[int, int]]:
    """Hidden entries whose line alone (sum and the bounds "<k" = 1..k-1, ".." >= k) leaves a
    single value, in lines where something non-zero is still published (else nothing helps)."""
    grid, k = table.grid(), table.k
    out = []
    for line, own_total in lines(table):
        hidden = [p for p in line if grid[p[0]][p[1]].hidden]
        if not hidden:
            continue
        if all(grid[p[0]][p[1]].hidden or grid[p[0]][p[1]].value == 0 for p in line):
            continue
        known = -sum(
            (-1 if p == own_total else 1) * grid[p[0]][p[1]].value for p in line if p not in hidden
        )
        bounds = {p: (1, k - 1) if grid[p[0]][p[1]].primary else (k, math.inf) for p in hidden}
        sign = {p: -1 if p == own_total else 1 for p in hidden}
        for p in hidden:
            # sign[p] * x_p = known - T, with T the signed sum of the other hidden entries.
            t_lo = sum(bounds[q][0] if sign[q] > 0 else -bounds[q][1] for q in hidden if q != p)
            t_hi = sum(bounds[q][1] if sign[q] > 0 else -bounds[q][0] for q in hidden if q != p)
            if sign[p] > 0:
                low, high = known - t_hi, known - t_lo
            else:
                low, high = t_lo - known, t_hi - known
            low, high = max(low, bounds[p][0]), min(high, bounds[p][1])
            if low == high:
                out.append(p)
    return out


# --- examples ------------------------------------------------------------------------------


def test_large_counts_are_published_as_they_are() -> None:
    table = suppress([[5, 12], [30, 0]], row_labels=["a", "b"], col_labels=["x", "y"])
    assert texts(table) == [["5", "12", "17"], ["30", "0", "30"], ["35", "12", "47"]]
    assert table.hidden_count == 0
    assert table.total.number == 47


def test_small_count_hidden_with_complements_in_its_row_and_column() -> None:
    table = suppress([[3, 10, 0], [7, 12, 4], [0, 0, 0]])
    assert texts(table) == [
        ["<5", "..", "0", "13"],
        ["..", "..", "<5", "23"],
        ["0", "0", "0", "0"],
        ["..", "22", "<5", "36"],
    ]
    assert subtraction_attack(table) == set()


def test_zero_stays_zero_and_small_totals_are_hidden() -> None:
    table = suppress([[0, 0], [2, 0]])
    assert texts(table) == [["0", "0", "0"], ["<5", "0", "<5"], ["<5", "0", "<5"]]
    cell = table.cells[1][0]
    assert cell.primary and cell.number is None and str(cell) == "<5"


def test_two_small_cells_whose_sum_gives_them_away_hide_the_total() -> None:
    # "<5" + "<5" = 8 would mean 4 and 4.
    table = suppress([[4, 4], [9, 9]])
    assert table.row_totals[0].hidden
    assert table.row_totals[0].text == COMPLEMENTARY_MARK
    assert pinned_by_bounds(table) == []


def test_complement_at_least_k_cannot_be_pinned_by_its_bound() -> None:
    # "<5" + ".." = 6 with ".." >= 5 would mean 1 and 5: a third entry is hidden.
    table = suppress([[1, 5, 9]])
    assert sum(c.hidden for c in table.cells[0]) == 3
    assert pinned_by_bounds(table) == []


def test_smallest_non_zero_count_is_the_complement() -> None:
    table = suppress([[2, 40, 6, 0, 9]])
    assert [c.text for c in table.cells[0]] == ["<5", "40", "..", "0", "9"]


def test_other_k() -> None:
    table = suppress([[2, 3, 10]], k=3)
    assert [c.text for c in table.cells[0]] == ["<3", "..", "10"]
    assert published_count(2, 3) == "<3" and published_count(3, 3) == "3"


def test_forced_hiding_spreads_like_any_other() -> None:
    table = suppress([[10, 20], [30, 40]], hide=[(2, 0)])
    assert table.col_totals[0].hidden
    assert subtraction_attack(table) == set()
    assert suppress([[0, 5]], hide=[(0, 0)]).cells[0][0].text == "0"


def test_text_rows_for_csv_and_markdown() -> None:
    table = suppress([[6, 2]], row_labels=["touko"], col_labels=["Havainnot", "Uutiset"])
    assert table.text_rows(corner="Kuukausi") == [
        ["Kuukausi", "Havainnot", "Uutiset", "Yhteensä"],
        ["touko", "..", "<5", "8"],
        ["Yhteensä", "..", "<5", "8"],
    ]
    apart = suppress([[6, 2]], col_labels=["Havainnot", "Uutiset"], row_totals=False)
    assert apart.text_rows() == [
        ["", "Havainnot", "Uutiset"],
        ["0", "6", "<5"],
        ["Yhteensä", "6", "<5"],
    ]


def test_empty_table_keeps_its_columns() -> None:
    table = suppress([], col_labels=["Havainnot"], row_totals=False)
    assert table.text_rows() == [["", "Havainnot"], ["Yhteensä", "0"]]


@pytest.mark.parametrize(
    "table",
    [[[1, -1]], [[1, 2], [3]], [[1.5]], [[True]]],
    ids=["negative", "ragged", "float", "bool"],
)
def test_bad_tables_are_refused(table) -> None:
    with pytest.raises(ValueError):
        suppress(table)


def test_columns_without_row_totals_are_suppressed_apart() -> None:
    # Observations and headlines per month: a small headline count must not hide observations.
    table = suppress([[0, 0], [10, 2], [14, 0]], row_totals=False)
    assert texts(table) == [["0", "0"], ["10", "<5"], ["14", "0"], ["24", "<5"]]
    assert not table.has_row_totals and table.total.hidden and table.row_totals[1].hidden
    with pytest.raises(ValueError):
        suppress([[1, 2]], row_totals=False, hide=[(0, 2)])


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        suppress([[1]], k=1)
    with pytest.raises(ValueError):
        suppress([[1]], row_labels=["a", "b"])
    with pytest.raises(ValueError):
        suppress([[1]], hide=[(5, 5)])


# --- properties ----------------------------------------------------------------------------

counts = st.one_of(st.integers(0, 6), st.integers(0, 40))
tables = st.integers(1, 5).flatmap(
    lambda cols: st.lists(st.lists(counts, min_size=cols, max_size=cols), min_size=1, max_size=6)
)


@settings(max_examples=300, deadline=None)
@given(tables, st.integers(2, 6), st.booleans())
def test_no_hidden_count_can_be_recovered_by_subtraction(table, k, row_totals) -> None:
    assert subtraction_attack(suppress(table, k, row_totals=row_totals)) == set()


@settings(max_examples=300, deadline=None)
@given(tables, st.integers(2, 6))
def test_small_counts_hidden_zeros_shown_and_values_kept(table, k) -> None:
    result = suppress(table, k)
    grid = result.grid()
    for i, row in enumerate(table):
        for j, value in enumerate(row):
            assert grid[i][j].value == value
        assert grid[i][-1].value == sum(row)
    assert result.total.value == sum(map(sum, table))
    for row in grid:
        for cell in row:
            if 0 < cell.value < k:
                assert cell.hidden and cell.text == f"<{k}"
            if cell.value == 0:
                assert not cell.hidden and cell.text == "0"
            if cell.hidden and cell.value >= k:
                assert cell.text == COMPLEMENTARY_MARK
            if not cell.hidden:
                assert cell.text == str(cell.value)
                assert not 0 < cell.value < k


@settings(max_examples=300, deadline=None)
@given(tables, st.integers(2, 6), st.booleans())
def test_no_line_pins_a_hidden_count_by_its_bounds(table, k, row_totals) -> None:
    assert pinned_by_bounds(suppress(table, k, row_totals=row_totals)) == []


# --- a line read against what the reader knows anyway --------------------------------------


def test_known_cells_are_shown_and_the_others_protected_against_them() -> None:
    # Äänekoski's leader knows its 4; Konnevesi's 3 would follow from the total 7.
    table = suppress([[4, 3]], 5, known=[(0, 0), (1, 0)])
    assert texts(table) == [["4", "<5", ".."], ["4", "<5", ".."]]
    assert not table.cells[0][0].hidden


def test_disclose_line_examples() -> None:
    line = disclose_line({"992": 4, "260": 3}, {"992"})
    assert line.shown == {"992": "4", "260": "<5"}
    assert (line.total, line.total_shown) == (None, "vähintään 5")
    line = disclose_line({"992": 4, "260": 30}, {"992"})
    assert (line.shown, line.total) == ({"992": "4", "260": "30"}, 34)
    # Without any exact area a total under k is "<k" like any other small count.
    assert disclose_line({"260": 3}).total_shown == "<5"
    # A reader who reads the whole region gets the total.
    assert disclose_line({"260": 3}, exact_total=True).total_shown == "3"
    assert hidden_size_text("<5", 2) == "<7"
    assert hidden_size_text("vähintään 5", 2) == "vähintään 7"


def _readings(shown: dict[str, str], exact: dict[str, int], total: str, k: int) -> list[dict]:
    """Every assignment of counts (up to 12 each) that a reader who knows `exact` finds
    consistent with what is shown: "<k" is 1..k-1, ".." at least k, the total as shown."""
    import itertools

    options = []
    for area, text in sorted(shown.items()):
        if area in exact:
            options.append([exact[area]])
        elif text == f"<{k}":
            options.append(list(range(1, k)))
        elif text == "..":
            options.append(list(range(k, 21)))
        else:
            options.append([int(text)])
    out = []
    for values in itertools.product(*options):
        s = sum(values)
        if total.startswith("<") and not 0 < s < int(total[1:]):
            continue
        if total.startswith("vähintään") and s < int(total.split()[-1]):
            continue
        if total[:1].isdigit() and s != int(total):
            continue
        out.append(dict(zip(sorted(shown), values, strict=True)))
    return out


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from("ABCDE"), st.integers(0, 12), min_size=1, max_size=5),
    st.sets(st.sampled_from("ABCDE")),
    st.integers(3, 6),  # with k = 2, "<2" is 1 by definition
)
def test_no_hidden_count_of_a_line_can_be_worked_out(counts, exact, k) -> None:
    """Brute force: whatever a reader knowing its own areas tries, every hidden count keeps
    at least two possible values, and the truth is always among the readings."""
    exact = exact & set(counts)
    line = disclose_line(counts, exact, k)
    readings = _readings(line.shown, {a: counts[a] for a in exact}, line.total_shown, k)
    assert counts in readings
    for area, text in line.shown.items():
        assert (text == str(counts[area])) != (text in (f"<{k}", ".."))
        if area in exact:
            assert text == str(counts[area])
        if text in (f"<{k}", ".."):
            assert len({r[area] for r in readings}) > 1, (counts, exact, line)
    if line.total is not None:
        assert line.total == sum(counts.values())


# --- texts ---------------------------------------------------------------------------------


def test_mask_small_counts_in_generated_sentences() -> None:
    text = (
        "4 havaintoa Keuruulta viimeisen 6 viikon aikana. Kasvua: 10 havaintoa 6 viikossa, "
        "aiemmin keskimäärin 0,15 / 6 vk. Havaitsijoita 3 eri ammattiryhmästä; 1 uutinen."
    )
    assert mask_small_counts(text) == (
        "<5 havaintoa Keuruulta viimeisen 6 viikon aikana. Kasvua: 10 havaintoa 6 viikossa, "
        "aiemmin keskimäärin 0,15 / 6 vk. Havaitsijoita <5 eri ammattiryhmästä; <5 uutinen."
    )
    assert mask_small_counts("2 havaintoa", k=2) == "2 havaintoa"


def test_small_municipalities_are_named_by_their_group(region) -> None:
    # Kinnula (256) has about 1 600 residents, Viitasaari (931) 6 100, Jyväskylä 147 700.
    assert is_small_municipality(region, "256", min_population=5000)
    assert not is_small_municipality(region, "931", min_population=5000)
    assert public_place(region, "256", min_population=5000) == "kuntaryhmä Viitasaari"
    assert public_place(region, "931", min_population=5000) == "Viitasaari"
    assert public_place(region, "179", min_population=5000) == "Jyväskylä"
    assert public_place(region, "931", min_population=10_000) == "kuntaryhmä Viitasaari"


def test_small_municipality_mentions_are_masked(region) -> None:
    text = "Kinnulassa ja Jyväskylässä kinnulalaiset nuoret kertoivat samaa."
    assert mask_small_municipalities(text, region, min_population=5000) == (
        "[kunta] ja Jyväskylässä [kunta] nuoret kertoivat samaa."
    )

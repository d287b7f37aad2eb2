"""The county overview's schematic municipality grid: one SVG tile per municipality, drawn
server-side (no map tiles, no script), each a link to the municipality's page.

Tiles sit roughly where the municipalities lie (`POSITIONS`, Keski-Suomi); a region without
positions gets its tiles in rows in the order of its file. A tile says its counts in
words and numbers and marks a municipality with signals by a hatched band and a triangle,
so that nothing depends on colour alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from markupsafe import Markup, escape

from nakyma.homes import MunicipalityTile

# (column, row) of each Keski-Suomi municipality, north at the top.
POSITIONS: dict[str, tuple[int, int]] = {
    "256": (1, 0),  # Kinnula
    "601": (2, 0),  # Pihtipudas
    "312": (0, 1),  # Kyyjärvi
    "265": (1, 1),  # Kivijärvi
    "931": (2, 1),  # Viitasaari
    "226": (0, 2),  # Karstula
    "216": (1, 2),  # Kannonkoski
    "992": (2, 2),  # Äänekoski
    "275": (3, 2),  # Konnevesi
    "495": (0, 3),  # Multia
    "729": (1, 3),  # Saarijärvi
    "892": (2, 3),  # Uurainen
    "410": (3, 3),  # Laukaa
    "249": (0, 4),  # Keuruu
    "592": (1, 4),  # Petäjävesi
    "179": (2, 4),  # Jyväskylä
    "077": (3, 4),  # Hankasalmi
    "182": (1, 5),  # Jämsä
    "500": (2, 5),  # Muurame
    "850": (3, 5),  # Toivakka
    "435": (2, 6),  # Luhanka
    "172": (3, 6),  # Joutsa
}
TILE_W, TILE_H, GAP = 150, 92, 8


def _positions(tiles: Sequence[MunicipalityTile]) -> dict[str, tuple[int, int]]:
    if all(t.code in POSITIONS for t in tiles):
        return {t.code: POSITIONS[t.code] for t in tiles}
    return {t.code: (i % 4, i // 4) for i, t in enumerate(tiles)}


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def municipality_grid(
    tiles: Sequence[MunicipalityTile],
    *,
    title: str,
    gettext: Callable[[str], str] | None = None,
    names: Mapping[str, str] | None = None,
) -> Markup:
    """The grid as inline SVG markup, safe to place in a template; `gettext` translates its
    words (Finnish without), `names` gives municipality names by code in the page's language."""
    _ = gettext or (lambda message: message)
    names = names or {}
    where = _positions(tiles)
    cols = max(c for c, _ in where.values()) + 1
    rows = max(r for _, r in where.values()) + 1
    width = cols * (TILE_W + GAP) - GAP
    height = rows * (TILE_H + GAP) - GAP
    parts = [
        f'<svg class="county-grid" viewBox="0 0 {width} {height}" role="group" '
        f'aria-labelledby="kuntaruudukko-otsikko" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="kuntaruudukko-otsikko">{escape(title)}</title>',
        '<defs><pattern id="viivoitus" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="8" height="8" class="hatch-bg"/>'
        '<line x1="0" y1="0" x2="0" y2="8" class="hatch-line"/></pattern></defs>',
    ]
    for t in tiles:
        col, row = where[t.code]
        x, y = col * (TILE_W + GAP), row * (TILE_H + GAP)
        active = bool(t.signals or t.themes)
        name = names.get(t.code, t.name)
        signal_word = _("signaali") if t.signals == 1 else _("signaalia")
        theme_word = _("teema") if t.themes == 1 else _("teemaa")
        label = f"{name}: {t.signals} {signal_word}, {t.themes} {theme_word}"
        parts.append(
            f'<a href="/kunnat/{escape(t.code)}">'
            f'<g class="tile{" tile-active" if active else ""}">'
            f"<title>{escape(label)}</title>"
            f'<rect x="{x}" y="{y}" width="{TILE_W}" height="{TILE_H}" rx="6" class="tile-box"/>'
        )
        if active:
            parts.append(
                f'<rect x="{x}" y="{y + TILE_H - 10}" width="{TILE_W}" height="10" '
                f'fill="url(#viivoitus)" class="tile-band"/>'
                f'<path d="M{x + TILE_W - 24} {y + 26} l9 -16 l9 16 z" class="tile-marker"/>'
            )
        parts.append(
            f'<text x="{x + 10}" y="{y + 26}" class="tile-name">{escape(name)}</text>'
            f'<text x="{x + 10}" y="{y + 52}" class="tile-count">'
            f'<tspan class="tile-num">{t.signals}</tspan> '
            f"{escape(signal_word)}</text>"
            f'<text x="{x + 10}" y="{y + 74}" class="tile-count">'
            f'<tspan class="tile-num">{t.themes}</tspan> '
            f"{escape(theme_word)}</text>"
            "</g></a>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))

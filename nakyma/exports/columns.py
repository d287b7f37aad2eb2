"""The columns of the brief's spreadsheet formats: one row per phenomenon, shared by the CSV
and the XLSX's first sheet; and the forecast page's rows, one per forecast year, which the CSV
adds after the phenomena and emerging themes and the XLSX puts on a sheet of their own.
"""

from __future__ import annotations

from typing import Any

from nakyma import i18n
from nakyma.exports.brief import EmergingThemeBrief, MeetingBrief, PhenomenonBrief
from nakyma.i18n import N_

BRIEF_COLUMNS = (
    "alue",
    "aikavali",
    "ilmio_id",
    "otsikko",
    "tila",
    "signaali",
    "perustelut",
    "teema",
    "yhteenveto",
    "havainnot",
    "uutiset",
    "havainnot_kuukausittain",
    "uutiset_kuukausittain",
    "kunnat",
    "indikaattorit",
    "havaintoja",
    "kysymykset",
)

# The spreadsheet's headers, Finnish message ids translated where they are written (the CSV
# keeps the short machine names above).
BRIEF_HEADERS: dict[str, str] = {
    "alue": N_("Alue"),
    "aikavali": N_("Aikaväli"),
    "ilmio_id": N_("Ilmiön tunnus"),
    "otsikko": N_("Otsikko"),
    "tila": N_("Tila"),
    "signaali": N_("Signaali"),
    "perustelut": N_("Perustelut"),
    "teema": N_("Teema"),
    "yhteenveto": N_("Yhteenveto"),
    "havainnot": N_("Havainnot"),
    "uutiset": N_("Uutiset"),
    "havainnot_kuukausittain": N_("Havainnot kuukausittain"),
    "uutiset_kuukausittain": N_("Uutiset kuukausittain"),
    "kunnat": N_("Kunnat"),
    "indikaattorit": N_("Indikaattorit"),
    "havaintoja": N_("Havaintoja"),
    "kysymykset": N_("Kysymykset"),
}


def phenomenon_row(brief: MeetingBrief, p: PhenomenonBrief) -> dict[str, Any]:
    """A phenomenon as one row by column name: texts, its id, and Cells for the two counts;
    labels in the brief's language."""
    _ = i18n.translator(brief.language)

    def monthly(j: int) -> str:
        return "; ".join(
            f"{label}: {row[j].text}"
            for label, row in zip(p.months.row_labels, p.months.cells, strict=True)
        )

    towns = ""
    if p.municipalities is not None:
        towns = "; ".join(
            f"{label}: {row[0].text}"
            for label, row in zip(p.municipalities.row_labels, p.municipalities.cells, strict=True)
        )
    return {
        "alue": brief.scope.label,
        "aikavali": brief.window,
        "ilmio_id": p.id,
        "otsikko": p.title,
        "tila": _(p.status_label),
        "signaali": _(p.category_label) if p.category_label else "",
        "perustelut": " ".join(p.reasons),
        "teema": _(p.theme_label) if p.theme_label else "",
        "yhteenveto": p.summary or "",
        "havainnot": p.observations,
        "uutiset": p.headlines,
        "havainnot_kuukausittain": monthly(0),
        "uutiset_kuukausittain": monthly(1),
        "kunnat": towns,
        "indikaattorit": " | ".join(
            f"{i.title}: {i.values_in(brief.language)} ({i.attribution}, {i.url})"
            for i in p.indicators
        ),
        "havaintoja": " | ".join(f"”{t.text}” ({t.place}, {t.month})" for t in p.texts)
        or (p.texts_note or ""),
        "kysymykset": " ".join(p.questions),
    }


def emerging_row(brief: MeetingBrief, e: EmergingThemeBrief) -> dict[str, Any]:
    """An emerging theme as a row of the same columns: no phenomenon id, "Nouseva teema" as
    its state, its published count and places (already under disclosure control)."""
    _ = i18n.translator(brief.language)
    row = dict.fromkeys(BRIEF_COLUMNS, "")
    row.update(
        {
            "alue": brief.scope.label,
            "aikavali": brief.window,
            "otsikko": e.title,
            "tila": _("Nouseva teema (ei vielä ilmiö)"),
            "signaali": _(e.category_label),
            "perustelut": " ".join(e.reasons),
            "havainnot": e.items,
            "kunnat": "; ".join(e.places),
        }
    )
    return row


# The CSV's columns after BRIEF_COLUMNS, filled only on the forecast rows (state "Ennuste"),
# which put the indicator's title in "otsikko", the backtest's verdict in "perustelut" and
# what the statistics expect in "yhteenveto".
FORECAST_COLUMNS = (
    "indikaattori_id",
    "yksikko",
    "vuosi",
    "ennuste",
    "ala80",
    "yla80",
    "ala95",
    "yla95",
    "menetelma",
)
CSV_COLUMNS = BRIEF_COLUMNS + FORECAST_COLUMNS
FORECAST_STATE = N_("Ennuste")
# The CSV's header row in Swedish and English (Finnish keeps the short names above):
# BRIEF_HEADERS and these, translated.
FORECAST_HEADERS: dict[str, str] = {
    "indikaattori_id": N_("Indikaattorin tunnus"),
    "yksikko": N_("Yksikkö"),
    "vuosi": N_("Vuosi"),
    "ennuste": N_("Ennuste"),
    "ala80": N_("Ennusteväli 80 %, alaraja"),
    "yla80": N_("Ennusteväli 80 %, yläraja"),
    "ala95": N_("Ennusteväli 95 %, alaraja"),
    "yla95": N_("Ennusteväli 95 %, yläraja"),
    "menetelma": N_("Menetelmä"),
}


def csv_headers(language: str) -> list[str]:
    """The CSV's header row: the short column names in Finnish (what its readers and scripts
    know), the columns' titles in the user's language otherwise."""
    if language == i18n.SOURCE_LANGUAGE:
        return list(CSV_COLUMNS)
    _ = i18n.translator(language)
    titles = {**BRIEF_HEADERS, **FORECAST_HEADERS}
    return [_(titles[c]) for c in CSV_COLUMNS]


def forecast_lines(brief: MeetingBrief) -> list[dict[str, Any]]:
    """Each forecast year of each forecast on the brief's "Ennakointi" page: the indicator
    (`title`, `id`, `unit`), the brief's area, the year, the point forecast and both
    intervals as numbers rounded to the indicator's decimals, the method's Finnish name, the
    verdict, the expectation and the brief's phenomena that lead it. Statistics, not counts:
    nothing here is under disclosure control, and the page holds only indicators linked to
    the brief's own phenomena."""
    return [
        {
            "title": f.title,
            "id": f.id,
            "unit": f.unit,
            "decimals": f.decimals,
            "area": brief.scope.label,
            "year": int(point["year"]),
            **{
                key: _rounded(point[key], f.decimals)
                for key in ("forecast", "lo80", "hi80", "lo95", "hi95")
            },
            "method": f.method_name,
            "verdict": f.verdict,
            "expectation": f.expectation,
            "phenomena": "; ".join(f.phenomena),
        }
        for f in brief.forecasts
        for point in f.points
    ]


def _rounded(value: float, decimals: int) -> float | int:
    """Rounded as the brief prints it: a whole number as an int (no "12,0")."""
    return round(float(value), decimals) if decimals > 0 else int(round(float(value)))


def forecast_row(brief: MeetingBrief, line: dict[str, Any]) -> dict[str, Any]:
    """A forecast year as a row of the CSV's columns (numbers stay floats)."""
    row = dict.fromkeys(CSV_COLUMNS, "")
    row.update(
        {
            "alue": line["area"],
            "aikavali": brief.window,
            "otsikko": line["title"],
            "tila": i18n.translator(brief.language)(FORECAST_STATE),
            "perustelut": line["verdict"],
            "yhteenveto": line["expectation"],
            "indikaattori_id": line["id"],
            "yksikko": line["unit"],
            "vuosi": line["year"],
            "ennuste": line["forecast"],
            "ala80": line["lo80"],
            "yla80": line["hi80"],
            "ala95": line["lo95"],
            "yla95": line["hi95"],
            "menetelma": line["method"],
        }
    )
    return row

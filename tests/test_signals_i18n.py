"""Weak signals' and emerging themes' generated sentences in Swedish (and English): the
sentence builders per language, what a run stores (migration 0019's `reasons_i18n` /
`technical_i18n`), the Finnish fallback of rows stored before it, disclosure control of
Swedish counts, and the pages and the JSON API read in the request's language."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any

from sqlite_utils import Database

from nakyma import emerging, signals
from nakyma.db import applied_migrations, migrations, open_db, upgrade
from nakyma.disclosure import counted_numbers, mask_small_counts
from nakyma.emerging import AreaEvidence, Theme, area_reasons, held_sentence, theme_reasons
from nakyma.regions import Region
from nakyma.signals import (
    compute_weak_signals,
    list_weak_signals,
    signal_reasons,
    signal_technical,
    stored_reasons,
    stored_row_reasons,
)
from nakyma.views import weak_signals_for
from tests.test_signals import AANEKOSKI, AS_OF, add_observations, add_phenomenon, evidence

SV = {"accept-language": "sv-FI,sv;q=0.9"}
# Words of the Finnish sentences that must not be left on a Swedish page's reasons.
FINNISH = ("havaintoa", "havainto ", "Levinnyt", "Tukena", "aiemmin", "viikon", "viikossa")


# --- The builders --------------------------------------------------------------------------


def _swedish(**changes: Any) -> signals.SignalEvidence:
    places = {"sv": "från Äänekoski", "en": "from Äänekoski"}
    return evidence(from_phrases=places, **changes)


INDICATOR = {
    "decimals": 1,
    "short_title": "Nuorisotyöttömät",
    "title": "Nuorisotyöttömät, % 18–24-vuotiaista",
    "value": 12.34,
    "unit": "%",
    "previous_value": 10.0,
    "previous_year": 2023,
    "year": 2024,
    "in_form": "Jyväskylässä",
    "in_forms": {"sv": "i Jyväskylä", "en": "in Jyväskylä"},
}


def test_a_new_signal_in_swedish() -> None:
    e = _swedish(
        roles=frozenset({"opettaja", "kuraattori"}), targets=frozenset({"lapset", "nuoret"})
    )
    assert signal_reasons(e, "sv") == [
        "4 observationer från Äänekoski under 5 veckor; inga tidigare.",
        "Fenomenet är nytt i området.",
        "Observatörer från 2 olika yrkesgrupper; målgrupper: barn och unga.",
    ]
    assert signal_technical(e, "sv") == [
        "Den första observationen gjordes för 33 dagar sedan; som nytt räknas ett fenomen som "
        "inte tidigare har observerats i området."
    ]
    # Finnish as before (tests/test_signals.py pins it too).
    assert (
        signal_reasons(e)[0] == "4 havaintoa Äänekoskelta viiden viikon aikana; aiemmin ei yhtään."
    )
    assert signal_reasons(e, "fi") == signal_reasons(e)


def test_an_established_signal_in_swedish_with_numbers_and_support() -> None:
    e = _swedish(
        is_new=False,
        category="vahvistuva",
        recent=9,
        baseline_items=3,
        expected=0.35,
        region_expected=1.4,
        p_value=0.004,
        munis_recent=3,
        munis_before=1,
        headlines=1,
        indicators=(INDICATOR, INDICATOR, INDICATOR),
    )
    assert signal_reasons(e, "sv") == [
        "9 observationer från Äänekoski under 6 veckor; tidigare i genomsnitt färre än en per "
        "6 veckor.",
        "En så stor ökning är knappast en slump.",
        "Stöds av 1 nyhet.",
        "Har spridit sig till 3 kommuner (tidigare 1).",
        "Stöds av indikatorn: nuorisotyöttömät i Jyväskylä 10,0 % → 12,3 % (2023→2024).",
        "Stöds av indikatorn: nuorisotyöttömät i Jyväskylä 10,0 % → 12,3 % (2023→2024).",
        "Stöds dessutom av 1 annan indikatorförändring.",
    ]
    assert signal_technical(e, "sv") == [
        "Test av ökning (Poisson): 9 observationer på 6 veckor, enligt områdets egen tidigare "
        "takt skulle man vänta sig 0,35; p = 0,004.",
        "I samma takt som i resten av välfärdsområdet, i förhållande till befolkningen, skulle "
        "man vänta sig 1,4 på 6 veckor.",
    ]
    # English numbers take a decimal point.
    assert "would predict 0.35; p = 0.004." in signal_technical(e, "en")[0]
    # The Finnish plural of "muu" goes through ngettext, unchanged.
    assert signal_reasons(e)[-1] == "Tukena lisäksi 1 muu indikaattorimuutos."
    more = dataclasses.replace(e, indicators=(INDICATOR,) * 5)
    assert signal_reasons(more)[-1] == "Tukena lisäksi 3 muuta indikaattorimuutosta."
    assert signal_reasons(more, "sv")[-1] == "Stöds dessutom av 3 andra indikatorförändringar."


def test_fading_and_unclear_changes_in_swedish() -> None:
    fading = _swedish(
        is_new=False, category="hiipuva", recent=0, baseline_items=40, expected=5.6, p_value=0.003
    )
    assert signal_reasons(fading, "sv") == [
        "Inga observationer från Äänekoski under 6 veckor; tidigare i genomsnitt cirka 6 per "
        "6 veckor.",
        "Observationerna är klart färre än vanligt; fenomenet verkar avta.",
    ]
    assert signal_technical(fading, "sv")[0].startswith("Test av minskning (Poisson): inga ")
    steady = _swedish(
        is_new=False, category="vakiintunut", recent=2, baseline_items=0, expected=0.0, p_value=0.3
    )
    assert signal_reasons(steady, "sv")[0] == (
        "2 observationer från Äänekoski under 6 veckor; inga under de 51 veckorna innan."
    )
    assert signal_reasons(steady, "sv")[1] == (
        "Antalet har ökat, men antalen är för små för att dra slutsatser."
    )
    assert signal_technical(steady, "sv")[0].endswith("p = 0,30, inte statistiskt signifikant.")


def test_areas_name_the_place_in_each_language(region: Region) -> None:
    areas = {(a.kind, a.code): a for a in signals._areas(region)}
    kunta = areas[("kunta", AANEKOSKI)]
    assert kunta.from_phrase == "Äänekoskelta"
    assert kunta.from_phrases == {"sv": "från Äänekoski", "en": "from Äänekoski"}
    county = areas[("alue", region.code)]
    assert county.from_phrases["sv"] == "från hela välfärdsområdet"
    group = next(a for a in areas.values() if a.kind == "kuntaryhma")
    assert group.from_phrases["sv"] == f"från kommungruppen {group.name}"


def test_swedish_and_english_counts_are_masked_like_finnish_ones() -> None:
    text = "4 observationer från Äänekoski under 6 veckor; Stöds av 2 nyheter."
    assert (
        mask_small_counts(text)
        == "<5 observationer från Äänekoski under 6 veckor; Stöds av <5 nyheter."
    )
    assert mask_small_counts("Observatörer från 3 olika yrkesgrupper.") == (
        "Observatörer från <5 olika yrkesgrupper."
    )
    assert mask_small_counts("1 observation from Äänekoski in 6 weeks") == (
        "<5 observation from Äänekoski in 6 weeks"
    )
    assert counted_numbers("12 observationer på 6 veckor") == [12]
    assert mask_small_counts("Har spridit sig till 3 kommuner (tidigare 1).") == (
        "Har spridit sig till 3 kommuner (tidigare 1)."
    )


# --- Emerging themes -----------------------------------------------------------------------


def _theme(new: bool = True) -> Theme:
    return Theme(
        members=["1", "2", "3", "4", "5"],
        areas={"256": ["1", "2", "3"], "265": ["4", "5"]},
        flagged={
            "256": AreaEvidence(items=3, baseline_like=0, p_value=0.001, new=new),
            "265": AreaEvidence(items=2, baseline_like=2, p_value=0.01, new=new),
        },
        cohesion=0.5,
        recent_like=5,
        baseline_like=0 if new else 2,
        expected=0.1,
        p_value=0.001,
        new=new,
        terms=["energiajuoma"],
        bursts=["energiajuoma", "kofeiini"],
        nearest=[],
        first_day=date(2025, 6, 3),
        last_day=date(2025, 6, 25),
    )


def test_theme_reasons_in_swedish(region: Region) -> None:
    theme = _theme()
    assert theme_reasons(theme, region, ["Nuorten ruutuaika"]) == [
        "3 havaintoa Kinnulasta ja 2 havaintoa Kivijärveltä 4 viikossa.",
        "Vastaavia ei aiemmin vuoden aikana.",
        "Uusia sanoja: energiajuoma, kofeiini.",
        "Lähimmät aiemmat havainnot kuuluivat ilmiöön ”Nuorten ruutuaika”.",
    ]
    assert theme_reasons(theme, region, ["Nuorten ruutuaika"], "sv") == [
        "3 observationer från Kinnula och 2 observationer från Kivijärvi på 4 veckor.",
        "Inga liknande under året innan.",
        "Nya ord: energiajuoma, kofeiini.",
        "De närmaste tidigare observationerna hörde till fenomenet ”Nuorten ruutuaika”.",
    ]
    assert area_reasons(theme, region, "256", "sv") == [
        "3 observationer från Kinnula på 4 veckor; inga liknande under året innan."
    ]
    known = _theme(new=False)
    assert theme_reasons(known, region, (), "sv")[1] == (
        "Ämnet är bekant, men nu finns det fler observationer än vanligt i de här kommunerna."
    )
    assert area_reasons(known, region, "265", "sv") == [
        "2 observationer från Kivijärvi på 4 veckor; under det föregående året 2 observationer "
        "om samma ämne i Kivijärvi."
    ]
    assert area_reasons(known, region, "265") == [
        "2 havaintoa Kivijärveltä 4 viikossa; edellisen vuoden aikana 2 havaintoa samasta "
        "aiheesta Kivijärvellä."
    ]


def test_a_held_theme_is_said_so_in_each_language() -> None:
    flagged = date(2026, 11, 15)
    assert held_sentence(flagged, 14) == (
        "Ei uusia merkkejä tällä kertaa; nostettiin viimeksi 15.11.2026, pysyy listalla "
        "29.11.2026 asti."
    )
    sv = held_sentence(flagged, 14, "sv")
    assert sv == (
        "Inga nya tecken den här gången; lyftes senast fram 15.11.2026, står kvar på listan "
        "till och med 29.11.2026."
    )
    # A held row is held once: the next hold replaces its sentence in every language.
    assert emerging._not_held([sv, "Nya ord: x."], "sv") == ["Nya ord: x."]
    again = json.loads(emerging._held_i18n(json.dumps({"sv": [sv, "B."]}), flagged, 14) or "{}")
    assert again == {"sv": [sv, "B."]}
    assert emerging._held_i18n(None, flagged, 14) is None


# --- Storage, the migration and the fallback ----------------------------------------------


def test_stored_reasons_pick_the_language_and_fall_back_to_finnish() -> None:
    fi, tech = '["A."]', '["B."]'
    both = json.dumps({"sv": ["A sv."], "en": ["A en."]})
    assert stored_reasons(fi, tech) == (["A."], ["B."])
    assert stored_reasons(fi, tech, reasons_i18n=both, language="fi") == (["A."], ["B."])
    assert stored_reasons(fi, tech, reasons_i18n=both, language="sv") == (["A sv."], [])
    sv_tech = json.dumps({"sv": ["B sv."]})
    assert stored_reasons(fi, tech, reasons_i18n=both, technical_i18n=sv_tech, language="sv") == (
        ["A sv."],
        ["B sv."],
    )
    assert stored_reasons(fi, tech, reasons_i18n=None, language="sv") == (["A."], ["B."])
    assert stored_reasons(fi, tech, reasons_i18n="not json", language="sv") == (["A."], ["B."])
    assert emerging.stored_reasons(fi, both, "en") == ["A en."]
    assert emerging.stored_reasons(fi, None, "sv") == ["A."]


def test_a_run_stores_every_language_and_finnish_stays_where_it_was(
    db: Database, region: Region
) -> None:
    from tests.test_signals import background

    background(db, [m.code for m in region.municipalities])
    pid = add_phenomenon(db)
    add_observations(db, pid, AANEKOSKI, [3, 10, 20, 33])
    assert compute_weak_signals(db, region, as_of=AS_OF) > 0
    row = db.execute(
        "select reasons, technical, reasons_i18n, technical_i18n from weak_signals "
        "where phenomenon_id = ? and area_kind = 'kunta' and area_code = ?",
        [pid, AANEKOSKI],
    ).fetchone()
    assert (
        json.loads(row[0])[0] == "4 havaintoa Äänekoskelta viiden viikon aikana; aiemmin ei yhtään."
    )
    translated = json.loads(row[2])
    assert set(translated) == {"sv", "en"}
    assert translated["sv"][0] == "4 observationer från Äänekoski under 5 veckor; inga tidigare."
    assert translated["en"][0] == "4 observations from Äänekoski in 5 weeks; none before."
    assert json.loads(row[3])["sv"][-1].startswith("Den första observationen")
    listed = list_weak_signals(db, region, area_code=AANEKOSKI, language="sv")
    assert listed[0]["reasons_list"][0].startswith("4 observationer från Äänekoski")
    # The CSV's own columns stay Finnish by default.
    assert list_weak_signals(db, region, area_code=AANEKOSKI)[0]["reasons"].startswith(
        "4 havaintoa Äänekoskelta"
    )
    scored = signals.signal_rows(db, region, as_of=AS_OF, language="sv")
    assert scored[0]["reasons_list"][0].startswith("4 observationer från")


def test_an_older_database_upgrades_and_its_rows_read_in_finnish(tmp_path, region: Region) -> None:
    database = open_db(tmp_path / "old.db", migrate=False)
    try:
        migrations.apply(database, stop_before="0019_reasons_i18n")
        assert "0019_reasons_i18n" not in applied_migrations(database)
        assert "reasons_i18n" not in database.table("weak_signals").columns_dict
        pid = add_phenomenon(database)
        database.table("weak_signals").insert(
            {
                "phenomenon_id": pid,
                "area_kind": "kunta",
                "area_code": AANEKOSKI,
                "as_of": "2025-06-30",
                "score": 3.0,
                "category": "heikko_signaali",
                "reasons": json.dumps(["6 havaintoa Äänekoskelta kuuden viikon aikana."]),
                "technical": json.dumps(["Kasvun testi (Poisson): …"]),
                "recent": 6,
                "baseline": 0.5,
                "trend": "[]",
                "sources": "{}",
                "computed_at": "2025-06-30T00:00:00+00:00",
            }
        )
        assert upgrade(database)[0] == "0019_reasons_i18n"  # later migrations follow
        for table in ("weak_signals", "emerging_themes", "emerging_areas"):
            assert "reasons_i18n" in database.table(table).columns_dict
        assert "technical_i18n" in database.table("weak_signals").columns_dict
        row = next(database.query("select * from weak_signals"))
        assert row["reasons_i18n"] is None
        assert stored_row_reasons(row, "sv") == (
            ["6 havaintoa Äänekoskelta kuuden viikon aikana."],
            ["Kasvun testi (Poisson): …"],
        )
        tukitiimi = _user(database, region, "tukitiimi")
        shown = weak_signals_for(database, region, tukitiimi, municipality=AANEKOSKI, language="sv")
        assert shown[0]["reasons"] == ["6 havaintoa Äänekoskelta kuuden viikon aikana."]
    finally:
        database.close()


def _user(db: Database, region: Region, role: str):
    from nakyma.accounts import create_user

    return create_user(db, role, role=role, password="salasana-pitka-123", region=region)

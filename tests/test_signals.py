"""Tests for weak signals (nakyma.signals): constructed phenomena in a fresh database, the
small-count tests, categories, spread, support, reproducibility and the stored list."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import random
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from nakyma.indicators import binomial_tail
from nakyma.regions import Region
from nakyma.signals import (
    CSV_COLUMNS,
    HEADLINE_BONUS,
    INDICATOR_BONUS,
    NOVELTY_BONUS,
    SignalEvidence,
    SignalParams,
    WeakSignal,
    compute_weak_signals,
    decline_p_value,
    growth_p_value,
    list_weak_signals,
    poisson_upper_tail,
    save_signals,
    score_signals,
    signal_reasons,
    signal_rows,
    signal_score,
    stored_reasons,
)
from tests.test_indicator_signals import agrees, reference_rows

AS_OF = date(2025, 6, 30)
AANEKOSKI, JYVASKYLA, JAMSA, SAARIJARVI, LUHANKA = "992", "179", "182", "729", "435"
_serial = itertools.count(1)


# --- Factories -------------------------------------------------------------------------------


def add_phenomenon(
    db: Database, title: str = "Nuorten yksinäisyys", *, dismissed: bool = False
) -> int:
    table = db.table("phenomena")
    table.insert({"title": title, "title_auto": title, "dismissed": int(dismissed)})
    return int(table.last_rowid or 0)


def add_observations(
    db: Database,
    phenomenon: int | None,
    code: str,
    ages: Iterable[int],
    *,
    roles: Iterable[str] = ("opettaja",),
    target_group: str = "nuoret",
    as_of: date = AS_OF,
) -> list[int]:
    """One observation per age (days before `as_of`), members of `phenomenon` if given."""
    ids = []
    with db.atomic():  # one commit, not one fsync per row
        for age, role in zip(ages, itertools.cycle(roles)):
            ids.append(_add_observation(db, phenomenon, code, age, role, target_group, as_of))
    return ids


def _add_observation(
    db: Database,
    phenomenon: int | None,
    code: str,
    age: int,
    role: str,
    target_group: str,
    as_of: date,
) -> int:
    n = next(_serial)
    row = {
        "text": f"Havainto {n}",
        "text_key": f"havainto {n}",
        "municipality_code": code,
        "observed_on": (as_of - timedelta(days=age)).isoformat(),
        "target_group": target_group,
        "theme": "mielen_hyvinvointi",
        "role": role,
        "source": "lomake",
        "created_at": "2025-01-01T00:00:00+00:00",
    }
    table = db.table("observations")
    table.insert(row)
    ident = int(table.last_rowid or 0)
    if phenomenon is not None:
        add_member(db, phenomenon, "observation", str(ident))
    return ident


def add_member(db: Database, phenomenon: int, kind: str, key: str) -> None:
    db.table("phenomenon_members").insert(
        {
            "item_kind": kind,
            "item_key": key,
            "phenomenon_id": phenomenon,
            "origin": "cluster",
            "assigned_at": "2025-01-01T00:00:00+00:00",
        }
    )
    # As the clustering run does: a phenomenon's size is its member count.
    db.execute(
        "update phenomena set size = (select count(*) from phenomenon_members "
        "where phenomenon_id = ?) where id = ?",
        [phenomenon, phenomenon],
    )


def add_headline(db: Database, phenomenon: int, codes: Iterable[str], published: datetime) -> str:
    guid = f"uutinen-{next(_serial)}"
    db.table("headlines").insert(
        {
            "guid": guid,
            "feed_url": "https://yle.fi/rss",
            "title": "Otsikko",
            "link": f"https://yle.fi/{guid}",
            "published": published.astimezone(UTC).isoformat(),
            "content_hash": guid,
            "first_seen_at": "2025-01-01T00:00:00+00:00",
            "updated_at": "2025-01-01T00:00:00+00:00",
        }
    )
    for code in codes:
        db.table("headline_municipalities").insert({"guid": guid, "municipality_code": code})
    add_member(db, phenomenon, "headline", guid)
    return guid


def add_indicator_signal(
    db: Database,
    ident: int,
    code: str,
    *,
    direction: str = "worse",
    title: str = "Lastensuojeluilmoituksen saaneet 0–17-v.",
) -> None:
    if not db.table("indicators").count_where("id = ?", [ident]):
        db.table("indicators").insert(
            {
                "id": ident,
                "title": title,
                "short_title": title,
                "higher_is_worse": 1,
                "in_catalogue": 1,
                "unit": "%",
                "decimals": 1,
            }
        )
    db.table("indicator_signals").insert(
        {
            "indicator_id": ident,
            "municipality_code": code,
            "year": 2024,
            "value": 5.3,
            "previous_year": 2023,
            "previous_value": 4.1,
            "direction": direction,
            "strength": 3.0,
            "method": "binomial",
            "text": "",
            "computed_at": "2025-01-01T00:00:00+00:00",
        }
    )


def link(db: Database, phenomenon: int, ident: int, decision: str, similarity: float) -> None:
    db.table("phenomenon_indicator_links").insert(
        {
            "phenomenon_id": phenomenon,
            "indicator_id": ident,
            "similarity": similarity,
            "decision": decision,
        }
    )


def background(db: Database, codes: Iterable[str], weeks: int = 60) -> None:
    """Unassigned observations once a week: the municipalities have been observed all along."""
    for code in codes:
        add_observations(db, None, code, range(3, 7 * weeks, 7))


def every(days: int, *, start: int = 0, until: int = 365) -> list[int]:
    return list(range(start, until, days))


def rows(signals: list[WeakSignal], phenomenon: int, kind: str = "kunta") -> dict[str, WeakSignal]:
    return {
        s.area_code: s for s in signals if s.phenomenon_id == phenomenon and s.area_kind == kind
    }


@pytest.fixture
def observed(db: Database, region: Region) -> Database:
    background(db, [m.code for m in region.municipalities])
    return db


# --- The small-count tests -------------------------------------------------------------------


def test_poisson_tail_is_exact() -> None:
    assert poisson_upper_tail(0, 2.0) == 1.0
    assert poisson_upper_tail(3, 0.0) == 0.0
    assert poisson_upper_tail(2, 1.0) == pytest.approx(1 - 2 * math.exp(-1), rel=1e-12)
    direct = sum(math.exp(-0.5) * 0.5**i / math.factorial(i) for i in range(9, 60))
    assert poisson_upper_tail(9, 0.5) == pytest.approx(direct, rel=1e-10)


def test_growth_test_is_the_conditional_binomial_test() -> None:
    share = 42 / (42 + 322)
    assert growth_p_value(2, 8, 42, 322) == pytest.approx(
        1 - (1 - share) ** 10 - 10 * share * (1 - share) ** 9, rel=1e-12
    )
    assert growth_p_value(4, 0, 42, 322) == pytest.approx(share**4, rel=1e-12)
    assert growth_p_value(5, 3, 42, 0) == 1.0  # no history: nothing to compare with
    assert decline_p_value(0, 20, 42, 322) == pytest.approx((1 - share) ** 20, rel=1e-12)


def test_poisson_tail_matches_the_hand_written_original() -> None:
    rows = reference_rows("poisson_upper_tail")
    assert len(rows) > 200
    for k, lam, expected in rows:
        actual = poisson_upper_tail(k, lam)
        if k <= 0 or lam <= 0.0:
            assert actual == expected, (k, lam)  # edges are exact 0 or 1
        else:
            assert agrees(actual, expected), (k, lam, actual, expected)


def test_growth_and_decline_p_values_match_the_hand_written_originals() -> None:
    rows = reference_rows("growth_decline_p_value")
    assert len(rows) > 300
    for recent, baseline, recent_days, baseline_days, growth, decline in rows:
        args = (recent, baseline, recent_days, baseline_days)
        no_test = recent_days <= 0 or baseline_days <= 0
        if no_test or recent == 0:
            assert growth_p_value(*args) == growth, args
        else:
            assert agrees(growth_p_value(*args), growth), (args, growth)
        if no_test or baseline == 0:
            assert decline_p_value(*args) == decline, args
        else:
            assert agrees(decline_p_value(*args), decline), (args, decline)


@pytest.mark.parametrize("total", range(2, 31))
def test_growth_test_never_flags_more_often_than_alpha_when_nothing_changed(total: int) -> None:
    """Honest for small counts: with an unchanged rate, k given k + b is binomial, and the
    chance of p < alpha is at most alpha for every total (a plug-in Poisson test fails this)."""
    share = 42 / (42 + 322)
    size = sum(
        binomial_tail(k, total, share, upper=True) - binomial_tail(k + 1, total, share, upper=True)
        for k in range(total + 1)
        if growth_p_value(k, total - k, 42, 322) < 0.05
    )
    assert size <= 0.05 + 1e-12


# --- Categories on constructed cases ---------------------------------------------------------


def test_new_small_rising_in_one_municipality_is_a_weak_signal_there_only(
    observed: Database, region: Region
) -> None:
    pid = add_phenomenon(observed)
    add_observations(observed, pid, AANEKOSKI, [3, 10, 20, 33])
    signals = score_signals(observed, region, as_of=AS_OF)

    kunta = rows(signals, pid)
    assert set(kunta) == {AANEKOSKI}
    s = kunta[AANEKOSKI]
    assert s.category == "heikko_signaali"
    assert s.is_new and s.recent == 4 and s.p_value < 0.001
    assert s.reasons[:2] == (
        "4 havaintoa Äänekoskelta viiden viikon aikana; aiemmin ei yhtään.",
        "Ilmiö on alueella uusi.",
    )
    assert s.area_name == "Äänekoski"
    assert s.first_seen == AS_OF - timedelta(days=33)
    assert s.sources == {"observation": 4, "headline": 0, "indicator": 0}
    assert len(s.trend) == 13 and s.trend[-1] == 3 and s.trend[-2] == 1 and sum(s.trend) == 4
    # Äänekoski is its own HYTE group; the county sees the same new phenomenon.
    assert rows(signals, pid, "kuntaryhma")["aanekoski"].category == "heikko_signaali"
    county = rows(signals, pid, "alue")[region.code]
    assert county.category == "heikko_signaali"
    assert county.reasons[0] == (
        "4 havaintoa koko hyvinvointialueelta viiden viikon aikana; aiemmin ei yhtään."
    )


def test_steady_all_year_phenomenon_is_never_a_weak_signal(
    observed: Database, region: Region
) -> None:
    pid = add_phenomenon(observed, "Ikäihmisten yksinäisyys")
    add_observations(observed, pid, JYVASKYLA, every(15, start=4, until=365))  # ~2 a month
    for weeks_back in range(0, 26, 2):
        as_of = AS_OF - timedelta(weeks=weeks_back)
        signals = [
            s for s in score_signals(observed, region, as_of=as_of) if s.phenomenon_id == pid
        ]
        assert signals, as_of
        assert all(s.category != "heikko_signaali" for s in signals), as_of
    s = rows(score_signals(observed, region, as_of=AS_OF), pid)[JYVASKYLA]
    assert s.category == "vakiintunut"
    assert not s.is_new
    assert s.reasons[0].startswith(
        "3 havaintoa Jyväskylästä kuuden viikon aikana; aiemmin keskimäärin noin "
    )
    assert s.reasons[1] == "Määrä on pysynyt suunnilleen ennallaan."
    assert s.technical[0].startswith("Kasvun testi (Poisson): 3 havaintoa")
    assert s.technical[0].endswith(", ei tilastollisesti merkitsevä.")


def test_established_and_clearly_growing_is_strengthening(
    observed: Database, region: Region
) -> None:
    pid = add_phenomenon(observed)
    add_observations(observed, pid, JYVASKYLA, every(30, start=50, until=365))  # monthly
    add_observations(observed, pid, JYVASKYLA, [2, 5, 9, 14, 18, 25, 31, 38])
    s = rows(score_signals(observed, region, as_of=AS_OF), pid)[JYVASKYLA]
    assert s.category == "vahvistuva"
    assert s.recent == 8 and 1.0 < s.baseline < 1.6
    assert s.reasons[:2] == (
        "8 havaintoa Jyväskylästä kuuden viikon aikana; aiemmin keskimäärin noin 1 kuudessa "
        "viikossa.",
        "Näin suuri kasvu tuskin on sattumaa.",
    )
    assert s.technical[0] == (
        "Kasvun testi (Poisson): 8 havaintoa 6 viikossa, alueen oman aiemman tahdin mukaan "
        "odotettaisiin 1,3; p < 0,001."
    )


def test_new_with_a_few_items_before_the_window_compares_with_those(
    observed: Database, region: Region
) -> None:
    pid = add_phenomenon(observed)
    add_observations(observed, pid, AANEKOSKI, [45, 50, 3, 10, 20])
    s = rows(score_signals(observed, region, as_of=AS_OF), pid)[AANEKOSKI]
    assert s.category == "heikko_signaali"
    assert s.reasons[:2] == (
        "5 havaintoa Äänekoskelta kahdeksan viikon aikana; aiemmin ei yhtään.",
        "Näin suuri kasvu tuskin on sattumaa.",
    )
    assert s.technical[0] == (
        "Kasvun testi (Poisson): 3 havaintoa 6 viikossa, sitä ennen 2 havaintoa; p = 0,009."
    )


def test_a_new_phenomenon_that_is_already_big_is_strengthening_not_weak(
    observed: Database, region: Region
) -> None:
    pid = add_phenomenon(observed)
    add_observations(observed, pid, JYVASKYLA, range(0, 40, 2))  # 20 in six weeks
    assert rows(score_signals(observed, region, as_of=AS_OF), pid)[JYVASKYLA].category == (
        "vahvistuva"
    )


def test_recent_far_below_baseline_is_fading(observed: Database, region: Region) -> None:
    pid = add_phenomenon(observed)
    add_observations(observed, pid, JYVASKYLA, every(7, start=45, until=365))
    add_observations(observed, pid, JYVASKYLA, [30])
    s = rows(score_signals(observed, region, as_of=AS_OF), pid)[JYVASKYLA]
    assert s.category == "hiipuva"
    assert s.score < 0
    assert s.reasons[:2] == (
        "1 havainto Jyväskylästä kuuden viikon aikana; aiemmin keskimäärin noin 5 kuudessa "
        "viikossa.",
        "Havaintoja on selvästi tavallista vähemmän; ilmiö näyttää hiipuvan.",
    )
    assert s.technical[0] == (
        "Vähenemisen testi (Poisson): 1 havainto 6 viikossa, alueen oman aiemman tahdin "
        "mukaan odotettaisiin 5,3; p = 0,04."
    )


def test_two_recent_against_about_one_per_window_is_not_growth(
    observed: Database, region: Region
) -> None:
    pid = add_phenomenon(observed)
    add_observations(observed, pid, JYVASKYLA, every(42, start=50, until=365))  # 8 in a year
    add_observations(observed, pid, JYVASKYLA, [5, 20])
    s = rows(score_signals(observed, region, as_of=AS_OF), pid)[JYVASKYLA]
    assert s.category == "vakiintunut"
    assert s.p_value > 0.2
    # A rise the test cannot tell from chance is said to be one, never "no change".
    assert s.reasons[:2] == (
        "2 havaintoa Jyväskylästä kuuden viikon aikana; aiemmin keskimäärin alle yksi "
        "kuudessa viikossa.",
        "Määrä on noussut, mutta määrät ovat liian pieniä johtopäätöksiin.",
    )
    assert not any("muutosta" in r for r in s.reasons)
    assert s.technical[0].endswith("odotettaisiin 0,92; p = 0,28, ei tilastollisesti merkitsevä.")


def test_a_few_items_in_a_small_place_are_no_signal_when_common_elsewhere(
    observed: Database, region: Region
) -> None:
    pid = add_phenomenon(observed)
    add_observations(observed, pid, JYVASKYLA, every(2, start=42, until=365))  # everyday there
    add_observations(observed, pid, AANEKOSKI, [4, 12, 30])
    s = rows(score_signals(observed, region, as_of=AS_OF), pid)[AANEKOSKI]
    assert s.is_new
    assert s.category == "vakiintunut"
    assert any(r.startswith("Muun hyvinvointialueen tahdilla") for r in s.technical)


def test_no_history_in_the_area_means_no_claim_of_novelty(db: Database, region: Region) -> None:
    """A municipality that started observing last month has no baseline to be new against."""
    pid = add_phenomenon(db)
    add_observations(db, pid, AANEKOSKI, [3, 10, 20, 33])
    s = rows(score_signals(db, region, as_of=AS_OF), pid)[AANEKOSKI]
    assert not s.is_new
    assert s.category == "vakiintunut"


def test_a_single_recent_item_gives_no_row(observed: Database, region: Region) -> None:
    pid = add_phenomenon(observed)
    add_observations(observed, pid, AANEKOSKI, [3])
    assert rows(score_signals(observed, region, as_of=AS_OF), pid) == {}


# --- Spread ----------------------------------------------------------------------------------


def test_spread_across_municipalities_and_groups(observed: Database, region: Region) -> None:
    pid = add_phenomenon(observed)
    add_observations(observed, pid, JYVASKYLA, [100, 200, 300])
    add_observations(observed, pid, JYVASKYLA, [4, 11], roles=("opettaja", "nuorisotyo"))
    add_observations(observed, pid, JAMSA, [6, 13], roles=("terveydenhoitaja",))
    add_observations(observed, pid, SAARIJARVI, [8, 20], target_group="perheet")
    signals = score_signals(observed, region, as_of=AS_OF)

    county = rows(signals, pid, "alue")[region.code]
    assert county.municipalities == 3
    assert "Levinnyt 3 kuntaan (aiemmin 1)." in county.reasons
    assert "Havaitsijoita 3 eri ammattiryhmästä; kohderyhminä nuoret ja perheet." in county.reasons
    groups = rows(signals, pid, "kuntaryhma")
    hyte = {g.key for g in region.grouping().groups}
    assert set(groups) == {"jyvaskyla-muurame", "jamsa-keuruu", "saarijarvi-karstula"}
    assert set(groups) <= hyte
    assert groups["jamsa-keuruu"].reasons[0].startswith("2 havaintoa kuntaryhmästä Jämsä–Keuruu")
    assert set(rows(signals, pid)) == {JYVASKYLA, JAMSA, SAARIJARVI}
    # The county row ranks above a single municipality's: spreading is worth attention.
    assert county.score > rows(signals, pid)[JAMSA].score


# --- Support ---------------------------------------------------------------------------------


def _new_in_aanekoski(db: Database) -> int:
    pid = add_phenomenon(db)
    add_observations(db, pid, AANEKOSKI, [3, 10, 20, 33])
    return pid


def test_headline_and_linked_indicator_support_the_signal(
    observed: Database, region: Region
) -> None:
    plain = _new_in_aanekoski(observed)
    supported = _new_in_aanekoski(observed)
    local_noon = datetime(2025, 6, 20, 12, tzinfo=UTC)
    add_headline(observed, supported, [AANEKOSKI], local_noon)
    add_headline(observed, supported, [LUHANKA], local_noon)  # elsewhere: county only
    # 22:30 UTC on as_of is already 1 July in Helsinki; and one long before the window.
    add_headline(observed, supported, [AANEKOSKI], datetime(2025, 6, 30, 22, 30, tzinfo=UTC))
    add_headline(observed, supported, [AANEKOSKI], datetime(2025, 3, 1, 12, tzinfo=UTC))
    add_indicator_signal(observed, 1086, AANEKOSKI)
    link(observed, supported, 1086, "accepted", 0.5)
    add_indicator_signal(observed, 1087, AANEKOSKI, title="Nuorisotyöttömät 18–24-v.")
    link(observed, supported, 1087, "rejected", 0.95)
    add_indicator_signal(observed, 1088, AANEKOSKI, title="Masentuneisuus, 8.–9.-lk")
    link(observed, supported, 1088, "suggested", 0.3)
    add_indicator_signal(observed, 1089, AANEKOSKI, direction="better", title="Ahdistuneisuus")
    link(observed, supported, 1089, "accepted", 0.9)
    signals = score_signals(observed, region, as_of=AS_OF)

    base = rows(signals, plain)[AANEKOSKI]
    s = rows(signals, supported)[AANEKOSKI]
    assert s.sources == {"observation": 4, "headline": 1, "indicator": 1}
    assert s.score == pytest.approx(base.score + HEADLINE_BONUS + INDICATOR_BONUS)
    assert s.reasons[:3] == (
        "4 havaintoa Äänekoskelta viiden viikon aikana; aiemmin ei yhtään.",
        "Ilmiö on alueella uusi.",
        "Tukena 1 uutinen.",
    )
    assert (
        "Tukena indikaattori: lastensuojeluilmoituksen saaneet 0–17-v. Äänekoskella "
        "4,1 % → 5,3 % (2023→2024)." in s.reasons
    )
    assert not any("uorisotyöttömät" in r or "asentuneisuus" in r for r in s.reasons)
    county = rows(signals, supported, "alue")[region.code]
    assert county.sources["headline"] == 2
    assert "Tukena 2 uutista." in county.reasons


def test_a_suggested_link_counts_from_the_similarity_threshold(
    observed: Database, region: Region
) -> None:
    pid = _new_in_aanekoski(observed)
    add_indicator_signal(observed, 1086, AANEKOSKI)
    link(observed, pid, 1086, "suggested", 0.5)
    s = rows(score_signals(observed, region, as_of=AS_OF), pid)[AANEKOSKI]
    assert s.sources["indicator"] == 1
    strict = SignalParams(link_min_similarity=0.6)
    s = rows(score_signals(observed, region, as_of=AS_OF, params=strict), pid)[AANEKOSKI]
    assert s.sources["indicator"] == 0


# --- Score and reasons from the evidence alone ----------------------------------------------


def evidence(**changes: Any) -> SignalEvidence:
    """Four items in five weeks in Äänekoski, new there, nothing else."""
    base = SignalEvidence(
        category="heikko_signaali",
        from_phrase="Äänekoskelta",
        recent_weeks=6,
        recent=4,
        baseline_items=0,
        baseline_weeks=51,
        expected=0.0,
        region_expected=0.0,
        p_value=1e-4,
        is_new=True,
        first_age=33,
        total_since_first=4,
        munis_recent=1,
        munis_before=0,
        roles=frozenset({"opettaja"}),
        targets=frozenset({"nuoret"}),
        headlines=0,
        indicators=(),
    )
    return dataclasses.replace(base, **changes)


def test_score_is_the_capped_evidence_plus_capped_bonuses() -> None:
    assert signal_score(evidence()) == pytest.approx(4 + NOVELTY_BONUS)
    assert signal_score(evidence(p_value=1e-40)) == pytest.approx(6 + NOVELTY_BONUS)
    many = evidence(
        is_new=False,
        munis_recent=9,
        munis_before=1,
        roles=frozenset({"a", "b", "c", "d", "e", "f"}),
        headlines=10,
        indicators=({},) * 5,
    )
    assert signal_score(many) == pytest.approx(4 + 2.0 + 1.0 + 1.5 + 1.5)
    fading = evidence(category="hiipuva", is_new=False, recent=0, expected=5.0, p_value=0.01)
    assert signal_score(fading) == pytest.approx(-2)
    # Below the expected count a growth-test p is no evidence either way.
    assert signal_score(evidence(is_new=False, expected=5.0, p_value=0.5)) == 0.0


def test_reasons_are_written_from_the_evidence_alone() -> None:
    assert signal_reasons(evidence()) == [
        "4 havaintoa Äänekoskelta viiden viikon aikana; aiemmin ei yhtään.",
        "Ilmiö on alueella uusi.",
    ]
    row = {
        "short_title": "Nuorisotyöttömät 18–24-v.",
        "title": "",
        "unit": "%",
        "decimals": None,
        "value": 12.25,
        "year": 2024,
        "previous_value": None,
        "in_form": "Äänekoskella",
    }
    spread = evidence(
        category="vahvistuva",
        is_new=False,
        recent=9,
        baseline_items=0,
        munis_recent=3,
        munis_before=0,
        region_expected=1.25,
        targets=frozenset({"perheet", "nuoret", "lapset"}),
        headlines=1,
        indicators=(row, row, row),
    )
    assert signal_reasons(spread) == [
        "9 havaintoa Äänekoskelta kuuden viikon aikana; edeltävän 51 viikon aikana ei yhtään.",
        "Näin suuri kasvu tuskin on sattumaa.",
        "Tukena 1 uutinen.",
        "Havaintoja 3 kunnasta.",
        "Kohderyhminä lapset, nuoret ja perheet.",
        "Tukena indikaattori: nuorisotyöttömät 18–24-v. Äänekoskella 12,2 % (2024), "
        "muutos huonompaan suuntaan.",
        "Tukena indikaattori: nuorisotyöttömät 18–24-v. Äänekoskella 12,2 % (2024), "
        "muutos huonompaan suuntaan.",
        "Tukena lisäksi 1 muu indikaattorimuutos.",
    ]


# --- Reproducibility and what is skipped -----------------------------------------------------


def test_a_past_as_of_ignores_later_items(observed: Database, region: Region) -> None:
    pid = _new_in_aanekoski(observed)
    past = AS_OF - timedelta(days=20)
    before = score_signals(observed, region, as_of=past)
    # Later: more observations and a headline after `past`.
    add_observations(observed, pid, AANEKOSKI, [0, 1, 2])
    add_observations(observed, pid, JYVASKYLA, [1, 5])
    add_headline(observed, pid, [AANEKOSKI], datetime(2025, 6, 25, 12, tzinfo=UTC))
    after = score_signals(observed, region, as_of=past)
    assert after == before
    s = rows(after, pid)[AANEKOSKI]
    assert s.recent == 2  # ages 20 and 33 from AS_OF are 0 and 13 from `past`
    assert s.reasons[0] == "2 havaintoa Äänekoskelta kahden viikon aikana; aiemmin ei yhtään."
    now = rows(score_signals(observed, region, as_of=AS_OF), pid)[AANEKOSKI]
    assert now.recent == 7


def test_dismissed_and_merged_phenomena_are_skipped(observed: Database, region: Region) -> None:
    kept = _new_in_aanekoski(observed)
    dismissed = _new_in_aanekoski(observed)
    merged = _new_in_aanekoski(observed)
    observed.table("phenomena").update(dismissed, {"dismissed": 1})
    observed.table("phenomena").update(merged, {"merged_into": kept})
    signals = score_signals(observed, region, as_of=AS_OF)
    assert {s.phenomenon_id for s in signals} == {kept}


def test_scoring_is_deterministic(observed: Database, region: Region) -> None:
    pid = add_phenomenon(observed)
    add_observations(observed, pid, JYVASKYLA, every(9, until=365))
    _new_in_aanekoski(observed)
    first = score_signals(observed, region, as_of=AS_OF)
    assert first == score_signals(observed, region, as_of=AS_OF)
    assert [s.score for s in first] == sorted((s.score for s in first), reverse=True)


def test_empty_database_gives_no_signals(db: Database, region: Region) -> None:
    assert score_signals(db, region, as_of=AS_OF) == []
    assert compute_weak_signals(db, region, as_of=AS_OF) == 0


# --- Storage and the list --------------------------------------------------------------------


def test_save_replaces_previous_rows(observed: Database, region: Region) -> None:
    pid = _new_in_aanekoski(observed)
    n = compute_weak_signals(observed, region, as_of=AS_OF)
    assert n == observed.table("weak_signals").count == 3  # kunta, kuntaryhmä, alue
    row = observed.execute("select as_of, trend, sources from weak_signals limit 1").fetchone()
    assert row[0] == AS_OF.isoformat()
    observed.table("phenomena").update(pid, {"dismissed": 1})
    assert compute_weak_signals(observed, region, as_of=AS_OF) == 0
    assert observed.table("weak_signals").count == 0
    assert save_signals(observed, [], as_of=AS_OF) == 0


def test_list_ranking_and_csv_rows(observed: Database, region: Region) -> None:
    weak = _new_in_aanekoski(observed)
    steady = add_phenomenon(observed, "Tasainen ilmiö")
    add_observations(observed, steady, AANEKOSKI, every(15, start=4, until=365))
    fading = add_phenomenon(observed, "Hiipuva ilmiö")
    add_observations(observed, fading, AANEKOSKI, every(5, start=45, until=365))
    compute_weak_signals(observed, region, as_of=AS_OF)

    listed = list_weak_signals(observed, region, area_code="Äänekoski")
    assert [r["phenomenon_id"] for r in listed] == [weak, steady, fading]
    assert [r["category"] for r in listed] == ["heikko_signaali", "vakiintunut", "hiipuva"]
    first = listed[0]
    assert set(CSV_COLUMNS) <= set(first)
    assert first["municipality"] == "Äänekoski"
    assert first["phenomenon_title"] == "Nuorten yksinäisyys"
    assert first["reasons"].startswith(
        "4 havaintoa Äänekoskelta viiden viikon aikana; aiemmin ei yhtään."
    )
    assert first["technical"] and "p " not in first["reasons"]
    assert first["reasons"] == " ".join(first["reasons_list"])
    assert isinstance(first["score"], float)
    assert len(first["trend"]) == 13
    assert first["sources"] == {"observation": 4, "headline": 0, "indicator": 0}

    assert list_weak_signals(observed, region, area_code="992") == listed
    assert list_weak_signals(observed, region, area_code="992", limit=1) == listed[:1]
    assert list_weak_signals(observed, region, area_code="Helsinki") == []
    everywhere = list_weak_signals(observed, region)
    assert [r["score"] for r in everywhere] == sorted(
        (r["score"] for r in everywhere), reverse=True
    )
    group = list_weak_signals(observed, region, area_kind="kuntaryhma", area_code="aanekoski")
    assert group[0]["municipality"] == "Äänekoski"
    county = list_weak_signals(observed, region, area_kind="alue")
    assert {r["municipality"] for r in county} == {region.name}
    # Dismissed after the run: gone from the list without a re-run.
    observed.table("phenomena").update(weak, {"dismissed": 1})
    assert [r["phenomenon_id"] for r in list_weak_signals(observed, region, area_code="992")] == [
        steady,
        fading,
    ]
    with pytest.raises(ValueError):
        list_weak_signals(observed, region, area_kind="maa")


def test_signal_rows_for_export_stored_or_scored_for_a_date(
    observed: Database, region: Region
) -> None:
    _new_in_aanekoski(observed)
    steady = add_phenomenon(observed, "Tasainen ilmiö")
    add_observations(observed, steady, JYVASKYLA, every(15, start=4, until=365))
    compute_weak_signals(observed, region, as_of=AS_OF)
    stored = signal_rows(observed, region)
    assert stored == list_weak_signals(observed, region)
    fresh = signal_rows(observed, region, as_of=AS_OF)
    assert [{c: r[c] for c in CSV_COLUMNS} for r in fresh] == [
        {c: r[c] for c in CSV_COLUMNS} for r in stored
    ]
    assert list(fresh[0])[: len(CSV_COLUMNS)] == list(CSV_COLUMNS)
    # Scoring for a date does not store anything.
    observed.execute("delete from weak_signals")
    assert signal_rows(observed, region, as_of=AS_OF - timedelta(days=100))
    assert observed.table("weak_signals").count == 0


# --- A pinned result on a rich history ------------------------------------------------------

SNAPSHOT = Path(__file__).parent / "data" / "weak_signals_snapshot.json"
ROLES = ("opettaja", "oppilashuolto", "terveydenhoitaja", "nuorisotyo", "sosiaalityo", "jarjesto")
GROUPS = ("nuoret", "lapset", "perheet", "tyoikaiset", "ikaantyneet")
# (as_of, params) of each pinned run: the defaults now and earlier, and short windows.
SNAPSHOT_RUNS = {
    "default": (AS_OF, SignalParams()),
    "earlier": (AS_OF - timedelta(days=120), SignalParams()),
    "short": (
        AS_OF,
        SignalParams(recent_weeks=1, baseline_weeks=26, new_weeks=2, min_items=1),
    ),
    "strict": (
        AS_OF,
        SignalParams(alpha=0.01, min_rate_ratio=2.0, small_max_items=4, link_min_similarity=0.2),
    ),
}


def rich_history(db: Database, region: Region) -> None:
    """Fourteen phenomena with seeded random histories in random municipalities, plus headlines
    and linked indicator signals: every category, branch and kind of reason sentence."""
    rng = random.Random(20250630)
    codes = [m.code for m in region.municipalities]
    background(db, [c for c in codes if c not in ("265", "256")])
    add_observations(db, None, "265", [2, 9, 16, 30])  # Kivijärvi: observed only lately
    add_observations(db, None, "256", range(50, 120, 7))  # Kinnula: not since spring
    pids = []
    for n in range(14):
        pid = add_phenomenon(db, f"Ilmiö {n}")
        pids.append(pid)
        for code in rng.sample(codes, rng.choice([1, 2, 3, 5, 9])):
            before = rng.choice([0, 0, 1, 2, 4, 8, 20, 40])
            recent = rng.choice([0, 1, 2, 3, 5, 8, 14])
            ages = rng.sample(range(42, 420), before) + rng.sample(range(0, 42), recent)
            for chunk in (ages[::2], ages[1::2]):
                roles = rng.sample(ROLES, rng.randint(1, 3))
                add_observations(db, pid, code, chunk, roles=roles, target_group=rng.choice(GROUPS))
        for _ in range(rng.choice([0, 0, 1, 3])):
            published = datetime(2025, 6, 30, 12, tzinfo=UTC) - timedelta(days=rng.randint(0, 60))
            add_headline(db, pid, rng.sample(codes, rng.randint(1, 2)), published)
    # Indicator support: several worse signals on one phenomenon (more than a row shows), one
    # without a previous value, one without decimals, and links of every decision.
    add_indicator_signal(db, 1086, AANEKOSKI)
    add_indicator_signal(db, 1086, JYVASKYLA)
    add_indicator_signal(db, 1087, JAMSA, title="KTK: ahdistuneisuus 8.–9.-lk")
    add_indicator_signal(db, 1088, SAARIJARVI, title="Nuorisotyöttömät 18–24-v.")
    db.table("indicator_signals").update(
        (1088, SAARIJARVI), {"previous_value": None, "previous_year": None}
    )
    add_indicator_signal(db, 1089, AANEKOSKI, title="Toimeentulotuki")
    db.table("indicators").update(1089, {"decimals": None, "unit": "/1000", "short_title": None})
    add_indicator_signal(db, 1090, JYVASKYLA, direction="better", title="Liikunta")
    for pid in pids[:4]:
        link(db, pid, 1086, "accepted", 0.3)
        link(db, pid, 1087, "suggested", 0.45)
        link(db, pid, 1088, "accepted", 0.9)
        link(db, pid, 1089, "suggested", 0.35)
        link(db, pid, 1090, "accepted", 0.9)
    link(db, pids[4], 1086, "accepted", 0.5)  # three in the county: "and 1 more"
    link(db, pids[4], 1087, "accepted", 0.5)
    link(db, pids[5], 1089, "rejected", 0.9)


def snapshot(signals: list[WeakSignal]) -> list[dict[str, Any]]:
    """Signals as JSON-ready dicts, every field."""
    return [
        {
            **dataclasses.asdict(s),
            "reasons": list(s.reasons),
            "technical": list(s.technical),
            "trend": list(s.trend),
            "sources": dict(s.sources),
            "first_seen": s.first_seen.isoformat() if s.first_seen else None,
        }
        for s in signals
    ]


def test_scoring_a_rich_history_gives_the_pinned_signals(db: Database, region: Region) -> None:
    """Every field of every signal in four runs over a rich history, as the scoring gave them
    before it was split into arrays, categories, scores and reasons (and before the tails
    moved to scipy.stats): order, scores, categories and reasons exactly, p-values to 1e-9."""
    rich_history(db, region)
    pinned = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert list(pinned) == list(SNAPSHOT_RUNS)
    runs = {
        name: snapshot(score_signals(db, region, as_of=as_of, params=params))
        for name, (as_of, params) in SNAPSHOT_RUNS.items()
    }
    for name, got in runs.items():
        assert len(got) == len(pinned[name]), name
        for mine, theirs in zip(got, pinned[name], strict=True):
            assert agrees(mine["p_value"], theirs["p_value"]), (name, theirs)
            assert {**mine, "p_value": None} == {**theirs, "p_value": None}, name

    default = runs["default"]
    assert [r["category"] for r in default].count("heikko_signaali") == 30
    assert [r["category"] for r in default].count("hiipuva") == 1
    top = default[0]
    assert (top["area_kind"], top["phenomenon_title"], top["score"]) == ("alue", "Ilmiö 1", 11.0)
    assert top["reasons"][-1] == "Tukena lisäksi 2 muuta indikaattorimuutosta."
    fading = [r for r in runs["earlier"] if r["category"] == "hiipuva"]
    assert [r["area_name"] for r in fading] == [region.name, "Saarijärvi–Karstula", "Karstula"]
    assert fading[-1]["reasons"] == [
        "Ei havaintoja Karstulasta kuuden viikon aikana; aiemmin keskimäärin noin 6 kuudessa "
        "viikossa.",
        "Havaintoja on selvästi tavallista vähemmän; ilmiö näyttää hiipuvan.",
    ]


def test_rows_stored_before_the_split_read_like_new_ones() -> None:
    """An old row kept the test and the expectation among its reasons and has no technical
    list; reading it moves those sentences behind "Miten tämä on laskettu"."""
    old = json.dumps(
        [
            "8 havaintoa Petäjävedeltä viimeisen 6 viikon aikana.",
            "Kasvua: 8 havaintoa 6 viikossa, aiemmin keskimäärin 0,12 / 6 vk (p < 0,001).",
            "Muun hyvinvointialueen tahdilla väkilukuun suhteutettuna odotettaisiin 0,07 / 6 vk.",
            "Havaitsijoita 3 eri ammattiryhmästä.",
        ],
        ensure_ascii=False,
    )
    plain, technical = stored_reasons(old, None)
    assert plain == [
        "8 havaintoa Petäjävedeltä viimeisen 6 viikon aikana.",
        "Havaitsijoita 3 eri ammattiryhmästä.",
    ]
    assert len(technical) == 2 and technical[0].startswith("Kasvua")
    assert stored_reasons('["A."]', '["B."]') == (["A."], ["B."])


def test_stored_signals_keep_plain_and_technical_apart(observed: Database, region: Region) -> None:
    """The stored row's reasons are the plain sentences (the export's column), the test and
    p-value are in its technical list; no sentence calls a count "jäsentä"."""
    pid = _new_in_aanekoski(observed)
    save_signals(observed, score_signals(observed, region, as_of=AS_OF), as_of=AS_OF)
    row = next(observed.query("select * from weak_signals where phenomenon_id = ?", [pid]))
    plain, technical = json.loads(row["reasons"]), json.loads(row["technical"])
    assert not any("p <" in r or "p =" in r or "jäsentä" in r for r in plain)
    assert any("Poisson" in t or "Ensimmäinen havainto" in t for t in technical)

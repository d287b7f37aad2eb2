"""The read side of forecasts (nakyma.forecast_views): per area the forecast indicators in
catalogue order with their backtest's verdict in plain Finnish, and the leading evidence —
linked phenomena (accepted first) and emerging themes with their trend in words — kept
apart from the forecast."""

from __future__ import annotations

from datetime import date

import pytest

from nakyma.forecast_views import (
    area_forecasts,
    area_headline,
    leading_evidence,
    verdict_sentence,
)
from tests.forecast_seed import seed_forecast, seed_indicator, seed_phenomenon, seed_theme

TODAY = date(2026, 11, 30)


def plain(text: str) -> str:
    """The text with its no-break spaces as plain ones (numbers and units keep together)."""
    return text.replace("\u00a0", " ")


NAIVE_VERDICT = (
    "Mikään menetelmä ei ennustanut aiempia vuosia paremmin kuin viimeisin arvo, joten "
    "ennusteena näytetään viimeisin arvo"
)


def test_verdict_when_the_method_beat_naive_says_so_in_plain_words() -> None:
    text = plain(
        verdict_sentence("drift", beats_naive=True, calibrated80=7 / 9, points=9, origins=4)
    )
    assert text == (
        "Ennuste jatkaa trendiä; menetelmä osui aiempina vuosina keskimäärin lähemmäs kuin "
        "viimeisin arvo, ja vastaava 80 %:n väli osui 7 kertaa 9:stä koetellusta "
        "arvosta."
    )
    for jargon in ("MASE", "p ", "drift", "naiivi", "ETS"):
        assert jargon not in text


def test_verdict_when_nothing_beat_naive() -> None:
    args = {"beats_naive": False, "origins": 6}
    assert verdict_sentence("naive", calibrated80=None, points=0, **args) == NAIVE_VERDICT + "."
    assert plain(verdict_sentence("naive", calibrated80=0.5, points=12, **args)) == (
        NAIVE_VERDICT + ", ja vastaava 80 %:n väli osui 6 kertaa 12:sta koetellusta arvosta."
    )
    short = verdict_sentence("naive", beats_naive=False, calibrated80=None, points=0, origins=0)
    assert "liian" in short or "lyhyt" in short


def test_the_verdict_quotes_the_drawn_intervals_not_the_models_own(db, region) -> None:
    # The model's own intervals covered 3 of 10, the calibrated (drawn) ones 8 of 10: the
    # sentence must speak of what the chart shows; the figures say both.
    seed_indicator(db, 10, "Sijoitetut lapset")
    seed_forecast(
        db,
        10,
        "kunta",
        "992",
        history=[1.0, 1.1, 1.2],
        ahead=[1.2, 1.3, 1.4],
        coverage80=0.3,
        calibrated80=0.8,
        coverage95=0.5,
        calibrated95=1.0,
        points=10,
    )
    (row,) = area_forecasts(db, region, area_kind="kunta", area_code="992")
    assert "osui 8 kertaa 10:stä" in plain(row["verdict"])
    figures = plain(" ".join(row["figures"]))
    assert "Kuvan 80 %:n väli osui toteutuneeseen arvoon 8 kertaa 10:stä" in figures
    assert "mallin omat, kapeammat välit osuivat 3 kertaa 10:stä" in figures
    assert "Kuvan 95 %:n väli osui toteutuneeseen arvoon 10 kertaa 10:stä" in figures


def test_direction_is_read_at_the_precision_shown(db, region) -> None:
    # Newest 0.6; the last year's 80 % interval starts at 0.64, shown as 0,6: not "nousu".
    seed_indicator(db, 10, "Sijoitetut lapset")  # one decimal
    seed_forecast(db, 10, "kunta", "992", history=[0.5, 0.6], ahead=[0.9, 0.95, 1.0], width=0.12)
    (row,) = area_forecasts(db, region, area_kind="kunta", area_code="992")
    assert row["forecast"][-1]["lo80"] == pytest.approx(0.64)
    assert row["direction"] == "ennallaan"
    db.execute("update forecasts set lo80 = 0.66 where year = 2027")
    (row,) = area_forecasts(db, region, area_kind="kunta", area_code="992")
    assert row["direction"] == "nousu"


def test_area_forecasts_in_catalogue_order_with_verdicts_and_figures(db, region) -> None:
    seed_indicator(db, 10, "Sijoitetut lapset", theme="b_teema")
    seed_indicator(db, 20, "Lastensuojeluilmoitukset", theme="a_teema")
    seed_indicator(db, 30, "Ei ennustetta")  # marked, but nothing stored for the area
    seed_forecast(
        db,
        10,
        "kunta",
        "992",
        history=[1.0, 1.1, 1.2],
        ahead=[1.2, 1.2, 1.2],
        method="naive",
        beats_naive=False,
        mase=1.0,
        coverage80=0.7,
        calibrated80=None,
        points=0,
    )
    seed_forecast(
        db,
        20,
        "kunta",
        "992",
        history=[5.0, 5.5, 6.0],
        ahead=[7.0, 7.6, 8.2],
        method="drift",
        mase=0.62,
        coverage80=0.9,
        coverage95=1.0,
        origins=8,
        points=10,
    )
    rows = area_forecasts(db, region, area_kind="kunta", area_code="992")
    assert [r["id"] for r in rows] == [20, 10]
    drift, naive = rows
    assert drift["method_name"] == "trendin jatko (drift)"
    assert drift["beats_naive"] is True
    assert drift["history"] == [(2022, 5.0), (2023, 5.5), (2024, 6.0)]
    assert [f["year"] for f in drift["forecast"]] == [2025, 2026, 2027]
    assert drift["verdict"].startswith("Ennuste jatkaa trendiä;")
    assert "9 kertaa 10:stä" in drift["verdict"]
    assert drift["direction"] == "nousu"
    assert "MASE 0,62" in " ".join(drift["figures"])
    assert "8 aiemmalla vuodella" in " ".join(drift["figures"])
    assert naive["verdict"] == NAIVE_VERDICT + "."
    assert naive["method_name"] == "viimeisin arvo (naiivi ennuste)"
    assert naive["direction"] == "ennallaan"
    assert plain(naive["expectation"]) == (
        "Tilastojen perusteella arvon odotetaan pysyvän suunnilleen ennallaan vuoteen 2027: "
        "noin 1,2 % (80 %:n väli 0,6–1,8 %), kun viimeisin arvo oli 1,2 % (2024)."
    )
    headline = area_headline(rows, "Äänekoskella")
    assert headline == (
        "Tilastojen perusteella Äänekoskella odotetaan vuoteen 2027 mennessä nousua näissä: "
        "Lastensuojeluilmoitukset. Muiden odotetaan pysyvän suunnilleen ennallaan."
    )


def test_nothing_for_an_area_without_forecasts(db, region) -> None:
    seed_indicator(db, 10, "Sijoitetut lapset")
    seed_forecast(db, 10, "kunta", "992", history=[1.0, 1.1], ahead=[1.2])
    assert area_forecasts(db, region, area_kind="kunta", area_code="275") == []
    assert area_forecasts(db, region, area_kind="hyvinvointialue", area_code=region.code) == []
    assert area_headline([], "Konnevedellä") == ""


def test_group_forecast_has_no_history_but_reads(db, region) -> None:
    group = region.grouping().groups[0]
    seed_indicator(db, 10, "Sijoitetut lapset")
    seed_forecast(db, 10, "kuntaryhma", group.key, history=[1.0], ahead=[1.2, 1.3])
    (row,) = area_forecasts(db, region, area_kind="kuntaryhma", area_code=group.key)
    assert row["history"] == []
    assert "viimeisin arvo oli" not in row["expectation"]


def test_leading_evidence_accepted_links_first_with_trends_in_words(db, region) -> None:
    seed_indicator(db, 10, "Sijoitetut lapset")
    seed_phenomenon(
        db,
        1,
        "Ehdotettu ilmiö",
        indicator=10,
        decision="suggested",
        similarity=0.9,
        observations={"992": (3, 3)},
        today=TODAY,
    )
    seed_phenomenon(
        db,
        2,
        "Perheiden uupumus",
        indicator=10,
        decision="accepted",
        similarity=0.4,
        observations={"992": (12, 5), "275": (2, 0)},
        today=TODAY,
    )
    seed_phenomenon(
        db,
        3,
        "Hylätty ilmiö",
        indicator=10,
        decision="rejected",
        observations={"992": (9, 9)},
        today=TODAY,
    )
    seed_theme(db, "Iltapäivien yksinäisyys", phenomenon=2, members={"992": 6}, today=TODAY)
    evidence = leading_evidence(db, region, 10, area_kind="kunta", area_code="992", as_of=TODAY)
    assert [p["title"] for p in evidence["phenomena"]] == ["Perheiden uupumus", "Ehdotettu ilmiö"]
    accepted, suggested = evidence["phenomena"]
    assert accepted["accepted"] is True and suggested["accepted"] is False
    assert accepted["trend"] == (
        "havaintoja 12 viimeisen puolen vuoden aikana, edellisellä puolivuotiskaudella 5 "
        "(vähintään kaksinkertaistunut)"
    )
    # No user: counts as the disclosure rule publishes them (1..k-1 as "<5").
    assert suggested["trend"].startswith("havaintoja <5 viimeisen")
    (theme,) = evidence["themes"]
    assert theme["title"] == "Iltapäivien yksinäisyys"
    assert theme["trend"].startswith("havaintoja 6 viimeisen puolen vuoden aikana")
    assert "forecast" not in evidence  # never one combined number


def test_leading_evidence_counts_the_whole_county(db, region) -> None:
    seed_indicator(db, 10, "Sijoitetut lapset")
    seed_phenomenon(
        db,
        2,
        "Perheiden uupumus",
        indicator=10,
        observations={"992": (8, 4), "275": (2, 3)},
        today=TODAY,
    )
    evidence = leading_evidence(
        db, region, 10, area_kind="hyvinvointialue", area_code=region.code, as_of=TODAY
    )
    assert evidence["phenomena"][0]["recent"] == 10
    assert evidence["phenomena"][0]["before"] == 7


def test_leading_evidence_follows_who_may_see_what(db, region, make_user) -> None:
    seed_indicator(db, 10, "Sijoitetut lapset")
    seed_phenomenon(db, 2, "Jämsän ilmiö", indicator=10, observations={"182": (3, 1)}, today=TODAY)
    seed_phenomenon(
        db, 4, "Äänekosken ilmiö", indicator=10, observations={"992": (3, 1)}, today=TODAY
    )
    own = make_user("johto-a", role="johto", municipalities=("Äänekoski",))
    mine = leading_evidence(
        db, region, 10, area_kind="kunta", area_code="992", user=own, as_of=TODAY
    )
    # Only the phenomenon touching the leader's own municipality; its counts exact.
    assert [p["title"] for p in mine["phenomena"]] == ["Äänekosken ilmiö"]
    assert mine["phenomena"][0]["trend"].startswith("havaintoja 3 viimeisen")
    other = make_user("johto-b", role="johto", municipalities=("Konnevesi",))
    theirs = leading_evidence(
        db, region, 10, area_kind="kunta", area_code="992", user=other, as_of=TODAY
    )
    assert theirs["phenomena"] == []


def test_headline_keeps_one_full_stop_after_an_abbreviation() -> None:
    rows = [
        {"short_title": "Psykiatrinen sairaalahoito 0–17-v.", "direction": "nousu",
         "forecast": [{"year": 2027}]},
        {"short_title": "Sijoitetut", "direction": "ennallaan", "forecast": [{"year": 2027}]},
    ]  # fmt: skip
    assert area_headline(rows, "Jämsässä") == (
        "Tilastojen perusteella Jämsässä odotetaan vuoteen 2027 mennessä nousua näissä: "
        "Psykiatrinen sairaalahoito 0–17-v. Muiden odotetaan pysyvän suunnilleen ennallaan."
    )

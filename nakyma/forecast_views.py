"""Forecasts as pages and briefs read them: per area the forecast indicators with their
history, forecast rows and the backtest that chose the method, said in plain words (Finnish,
or the reader's language: every sentence builder takes `language`); and
beside each forecast the evidence that may lead it — the phenomena and emerging themes
linked to the indicator, with their observation trend in the same area.

The two are kept apart on purpose (issue 14): a forecast is a statistical extrapolation of
the indicator, the leading evidence is what frontline staff have recently written down.
Mixing them into one number would hide how little each knows. Nothing here computes a
forecast; `nakyma.forecasting` stores them and this module only reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from nakyma import i18n, review
from nakyma.accounts import User
from nakyma.disclosure import published_count
from nakyma.i18n import N_
from nakyma.indicators import format_number, format_value, title_in, translated_titles
from nakyma.regions import Region
from nakyma.wording import join_words, number_elative

METHOD_NAMES = {
    "naive": N_("viimeisin arvo (naiivi ennuste)"),
    "drift": N_("trendin jatko (drift)"),
    "ets": N_("eksponentiaalinen tasoitus (ETS)"),
    "theta": N_("Theta-menetelmä"),
}
# What each method does, in words a leader reads without the method's name: the start of
# the verdict sentence when the method beat the naive forecast in its backtest.
METHOD_PLAIN = {
    "drift": N_("Ennuste jatkaa trendiä"),
    "ets": N_("Ennuste painottaa viimeisimpiä vuosia"),
    "theta": N_("Ennuste yhdistää pitkän aikavälin trendin ja viimeisimmät vuodet"),
    "naive": N_("Ennuste on viimeisin arvo"),
}
HISTORY_KINDS = {"kunta": "kunta", "hyvinvointialue": "hyvinvointialue"}
# The window of the leading evidence's trend: the last half-year against the one before.
HALF_YEAR = timedelta(days=183)


def method_name(method: str, language: str = "fi") -> str:
    """The method's display name in `language` (the code itself when unknown)."""
    name = METHOD_NAMES.get(method)
    return i18n.gettext(language, name) if name else method


def area_codes(region: Region, area_kind: str, area_code: str) -> list[str]:
    """The municipality codes an area covers: one municipality, a group of the region's
    default grouping, or the whole county."""
    if area_kind == "kunta":
        return [area_code]
    if area_kind == "kuntaryhma":
        group = next((g for g in region.grouping().groups if g.key == area_code), None)
        return list(group.members) if group else []
    return [m.code for m in region.municipalities]


def area_forecasts(
    db: Database, region: Region, *, area_kind: str, area_code: str, language: str = "fi"
) -> list[dict[str, Any]]:
    """Per forecast indicator with a stored forecast for the area, in catalogue order (theme,
    short title): its titles, unit and decimals; its yearly history in the area
    (`history`: [(year, value)], empty for a municipality group, whose values Sotkanet does
    not publish); the forecast rows (`forecast`: year, forecast, lo80, hi80, lo95, hi95); the
    chosen method (`method`, `method_name`) and its backtest (`mase`, `coverage80`,
    `coverage95`, `origins`, `beats_naive`); the backtest's verdict in one plain sentence
    (`verdict`) and what the statistics expect in words (`expectation`, `direction`), the
    words in `language`."""
    indicators = list(
        db.query(
            "select i.* from indicators i where i.forecast = 1 and exists (select 1 from "
            "forecasts f where f.indicator_id = i.id and f.area_kind = ? and f.area_code = ?) "
            "order by i.in_catalogue desc, i.theme, i.short_title, i.id",
            [area_kind, area_code],
        )
    )
    return [_indicator_forecast(db, ind, area_kind, area_code, language) for ind in indicators]


def _indicator_forecast(
    db: Database, ind: dict[str, Any], area_kind: str, area_code: str, language: str
) -> dict[str, Any]:
    ident = ind["id"]
    rows = [
        dict(r)
        for r in db.query(
            "select year, forecast, lo80, hi80, lo95, hi95, method, computed_at from forecasts "
            "where indicator_id = ? and area_kind = ? and area_code = ? order by year",
            [ident, area_kind, area_code],
        )
    ]
    history = _history(db, ident, area_kind, area_code)
    backtest = _chosen_backtest(db, ident, area_kind, area_code)
    method = backtest["method"] if backtest else rows[0]["method"]
    decimals = ind["decimals"] if ind["decimals"] is not None else 1
    record = {
        "id": ident,
        "title": ind["title"],
        "short_title": ind["short_title"] or ind["title"],
        **translated_titles(ind),
        "unit": ind["unit"] or "",
        "decimals": decimals,
        "higher_is_worse": None if ind["higher_is_worse"] is None else bool(ind["higher_is_worse"]),
        "history": history,
        "forecast": rows,
        "method": method,
        "method_name": method_name(method, language),
        "mase": backtest["mase"] if backtest else None,
        "coverage80": backtest["coverage80"] if backtest else None,
        "coverage95": backtest["coverage95"] if backtest else None,
        "calibrated80": backtest["calibrated80"] if backtest else None,
        "calibrated95": backtest["calibrated95"] if backtest else None,
        "points": backtest["points"] if backtest else 0,
        "origins": backtest["origins"] if backtest else 0,
        "beats_naive": bool(backtest and backtest["beats_naive"]),
        "computed_at": rows[0]["computed_at"],
    }
    record["verdict"] = verdict_sentence(
        method,
        beats_naive=record["beats_naive"],
        calibrated80=record["calibrated80"],
        points=record["points"],
        origins=record["origins"],
        language=language,
    )
    record["direction"] = expected_direction(history, rows[-1], decimals)
    record["expectation"] = expectation_sentence(record, language)
    record["figures"] = backtest_figures(record, language)
    return record


def _history(db: Database, ident: int, area_kind: str, area_code: str) -> list[tuple[int, float]]:
    kind = HISTORY_KINDS.get(area_kind)
    if kind is None:
        return []
    return [
        (int(y), float(v))
        for y, v in db.execute(
            "select year, value from indicator_values where indicator_id = ? and area_kind = ? "
            "and area_code = ? and gender = 'total' and value is not null order by year",
            [ident, kind, area_code],
        ).fetchall()
    ]


def _chosen_backtest(
    db: Database, ident: int, area_kind: str, area_code: str
) -> dict[str, Any] | None:
    row = db.execute(
        "select method, mase, coverage80, coverage95, calibrated80, calibrated95, points, "
        "origins, beats_naive from forecast_backtests where indicator_id = ? and area_kind = ? "
        "and area_code = ? and chosen = 1",
        [ident, area_kind, area_code],
    ).fetchone()
    if row is None:
        return None
    keys = (
        "method",
        "mase",
        "coverage80",
        "coverage95",
        "calibrated80",
        "calibrated95",
        "points",
        "origins",
        "beats_naive",
    )
    return dict(zip(keys, row, strict=True))


def _hits(share: float, points: int, language: str = "fi") -> str:
    """ "7 kertaa 9:stä": the held-out values inside the interval, as counted. Other
    languages say it without the Finnish elative: "7 av 9"."""
    hits = round(share * points)
    if language == i18n.SOURCE_LANGUAGE:
        return f"{hits} kertaa {number_elative(points)}"
    _ = i18n.translator(language)
    return _("%(hits)s / %(points)s") % {"hits": hits, "points": points}


def verdict_sentence(
    method: str,
    *,
    beats_naive: bool,
    calibrated80: float | None,
    points: int,
    origins: int,
    language: str = "fi",
) -> str:
    """The backtest's verdict in one plain sentence in `language`, without method names or
    statistics jargon (the figures go into the page's "Miten tämä on laskettu"). The interval
    clause quotes the intervals *as drawn* (calibrated), never the model's own narrower ones."""
    _ = i18n.translator(language)
    if not origins:
        return _(
            "Ennusteen osuvuutta ei voitu vielä koetella aiemmilla vuosilla, koska sarja on "
            "lyhyt; ennusteeseen kannattaa suhtautua varauksella."
        )
    interval = (
        _(", ja vastaava 80\u00a0%%:n väli osui %(hits)s koetellusta arvosta")
        % {"hits": _hits(calibrated80, points, language)}
        if calibrated80 is not None and points
        else ""
    )
    if beats_naive:
        start = _(METHOD_PLAIN.get(method, N_("Ennuste")))
        return _(
            "%(start)s; menetelmä osui aiempina vuosina keskimäärin lähemmäs kuin viimeisin "
            "arvo%(interval)s."
        ) % {"start": start, "interval": interval}
    if method == "naive":
        return _(
            "Mikään menetelmä ei ennustanut aiempia vuosia paremmin kuin viimeisin arvo, joten "
            "ennusteena näytetään viimeisin arvo%(interval)s."
        ) % {"interval": interval}
    return _(
        "Mikään menetelmä ei ennustanut aiempia vuosia paremmin kuin viimeisin arvo, joten "
        "ennusteeseen kannattaa suhtautua varauksella%(interval)s."
    ) % {"interval": interval}


def expected_direction(
    history: Sequence[tuple[int, float]], last: dict[str, Any], decimals: int
) -> str:
    """ "nousu", "lasku" or "ennallaan": up or down only when the last forecast year's whole
    80 % interval lies above or below the newest value *as shown* (both rounded to the
    indicator's decimals: "nousua" under an interval printed as 0,6–1,5 after a newest value of
    0,6 would contradict the page); "ennallaan" also when there is no history."""
    if not history:
        return "ennallaan"
    newest = round(history[-1][1], decimals)
    if round(last["lo80"], decimals) > newest:
        return "nousu"
    if round(last["hi80"], decimals) < newest:
        return "lasku"
    return "ennallaan"


def expectation_sentence(record: dict[str, Any], language: str = "fi") -> str:
    """What the statistics expect for one indicator: "Tilastojen perusteella arvon odotetaan
    pysyvän suunnilleen ennallaan vuoteen 2028: noin 1,2 % (80 %:n väli 0,9–1,5 %), kun
    viimeisin arvo oli 1,1 % (2024)."; in Swedish "Enligt statistiken väntas värdet hålla sig
    ungefär oförändrat fram till år 2028: …"."""
    _ = i18n.translator(language)
    last = record["forecast"][-1]
    unit, decimals = record["unit"], record["decimals"]
    values = {
        "year": last["year"],
        "value": value_text(last["forecast"], unit, decimals, language),
        "interval": interval_text(last["lo80"], last["hi80"], unit, decimals, language),
    }
    if record["direction"] == "nousu":
        text = _(
            "Tilastojen perusteella arvon odotetaan nousevan vuoteen %(year)s: noin %(value)s "
            "(80\u00a0%%:n väli %(interval)s)"
        )
    elif record["direction"] == "lasku":
        text = _(
            "Tilastojen perusteella arvon odotetaan laskevan vuoteen %(year)s: noin %(value)s "
            "(80\u00a0%%:n väli %(interval)s)"
        )
    else:
        text = _(
            "Tilastojen perusteella arvon odotetaan pysyvän suunnilleen ennallaan vuoteen "
            "%(year)s: noin %(value)s (80\u00a0%%:n väli %(interval)s)"
        )
    text %= values
    if record["history"]:
        year, value = record["history"][-1]
        text += _(", kun viimeisin arvo oli %(value)s (%(year)s)") % {
            "value": value_text(value, unit, decimals, language),
            "year": year,
        }
    return text + "."


def value_text(value: float, unit: str, decimals: int, language: str = "fi") -> str:
    """A value with its unit that never breaks across lines ("7,6\u00a0/\u00a01\u00a0000")."""
    return format_value(value, unit, decimals, language).replace(" ", "\u00a0")


def number_interval(low: float, high: float, decimals: int, language: str = "fi") -> str:
    """ "0,9–1,5" without a unit (a table whose caption names it)."""
    return (
        f"{format_number(low, decimals, language)}–{format_number(high, decimals, language)}"
    ).replace(" ", "\u00a0")


def interval_text(low: float, high: float, unit: str, decimals: int, language: str = "fi") -> str:
    """ "0,9–1,5 %": the unit once, after the upper end; no line break inside."""
    return (
        f"{format_number(low, decimals, language)}–{value_text(high, unit, decimals, language)}"
    ).replace(" ", "\u00a0")


def backtest_figures(record: dict[str, Any], language: str = "fi") -> list[str]:
    """The sentences of "Miten tämä on laskettu": method, MASE, coverages and origins."""
    _ = i18n.translator(language)
    lines = [_("Menetelmä: %(method)s.") % {"method": record["method_name"]}]
    if not record["origins"]:
        lines.append(_("Menetelmää ei voitu koetella aiemmilla vuosilla (liian lyhyt sarja)."))
        return lines
    lines.append(
        _(
            "Menetelmä koeteltiin %(origins)s aiemmalla vuodella: jokaisesta ennustettiin "
            "seuraavia vuosia vain sitä edeltäneistä tiedoista."
        )
        % {"origins": record["origins"]}
    )
    if record["mase"] is not None:
        lines.append(
            _(
                "MASE %(mase)s (alle 1 tarkoittaa, että menetelmä osui keskimäärin lähemmäs kuin "
                "viimeisin arvo)."
            )
            % {"mase": format_number(record["mase"], 2, language)}
        )
    points = record.get("points") or 0
    for level in (80, 95):
        drawn, own = record.get(f"calibrated{level}"), record[f"coverage{level}"]
        if drawn is not None and points:
            text = _(
                "Kuvan %(level)s %%:n väli osui toteutuneeseen arvoon %(hits)s koetellusta "
                "arvosta (tavoite %(level)s %%)"
            ) % {"level": level, "hits": _hits(drawn, points, language)}
            if own is not None:
                text += _("; mallin omat, kapeammat välit osuivat %(hits)s") % {
                    "hits": _hits(own, points, language)
                }
            lines.append(text + ".")
        elif own is not None:
            lines.append(
                _(
                    "Mallin oma %(level)s %%:n väli osui toteutuneeseen arvoon %(share)s "
                    "%%:ssa koeteltuja arvoja (tavoite %(level)s %%)."
                )
                % {"level": level, "share": format_number(own * 100, 0, language)}
            )
    if points:
        lines.append(
            _(
                "Kuvan välejä on levennetty sen mukaan, kuinka paljon saman tason alueiden "
                "ennusteet aiemmin erehtyivät; osumat on laskettu levennyksellä, joka on "
                "sovitettu ilman tätä aluetta."
            )
        )
    return lines


def area_headline(forecasts: Sequence[dict[str, Any]], where: str, language: str = "fi") -> str:
    """The section's first sentence: which forecasts point up or down by the end of the
    horizon, by title ("where" in the inessive: "Äänekoskella", "hyvinvointialueella"; in
    Swedish with its preposition: "i Äänekoski", "i välfärdsområdet")."""
    if not forecasts:
        return ""
    _ = i18n.translator(language)
    horizon = max(r["forecast"][-1]["year"] for r in forecasts)
    up = [title_in(r, language) for r in forecasts if r["direction"] == "nousu"]
    down = [title_in(r, language) for r in forecasts if r["direction"] == "lasku"]
    if not up and not down:
        return _(
            "Tilastojen perusteella %(where)s ennustettujen indikaattorien odotetaan pysyvän "
            "suunnilleen ennallaan vuoteen %(year)s."
        ) % {"where": where, "year": horizon}
    parts = []
    if up:
        parts.append(_("nousua näissä: %(titles)s") % {"titles": join_words(up, language)})
    if down:
        parts.append(_("laskua näissä: %(titles)s") % {"titles": join_words(down, language)})
    rest = len(forecasts) - len(up) - len(down)
    tail = " " + _("Muiden odotetaan pysyvän suunnilleen ennallaan.") if rest else ""
    text = _("Tilastojen perusteella %(where)s odotetaan vuoteen %(year)s mennessä %(parts)s") % {
        "where": where,
        "year": horizon,
        "parts": "; ".join(parts),
    }
    # A title may end in an abbreviation's full stop ("0–17-v."): no second one.
    return text + ("" if text.endswith(".") else ".") + tail


# --- Leading evidence ------------------------------------------------------------------------


def leading_evidence(
    db: Database,
    region: Region,
    indicator_id: int,
    *,
    area_kind: str,
    area_code: str,
    user: User | None = None,
    k: int = 5,
    as_of: date | None = None,
    language: str = "fi",
) -> dict[str, Any]:
    """The phenomena linked to the indicator (accepted links first, then suggestions by
    similarity; never rejected ones, dismissed or merged phenomena) and the emerging themes
    linked through those phenomena (their items sat in them, or leadership attached or
    promoted them there), each with its observation trend in the area: observations in the
    last half-year before `as_of` and in the half-year before that, in words (`trend`, in
    `language`).

    With a `user`, only what the user may open (`review.can_view`, `can_view_theme`); counts
    exact only when every municipality of the area is the user's own, else 1..k-1 as "<k".
    Returns {"phenomena": [...], "themes": [...]}; never one combined figure."""
    day = as_of or date.today()
    codes = area_codes(region, area_kind, area_code)
    exact = user is not None and bool(codes) and set(codes) <= review.exact_count_scope(user)
    links = _linked_phenomena(db, indicator_id)
    phenomena = []
    for link in links:
        if user is not None and not review.can_view(db, user, link["id"]):
            continue
        recent, before = _phenomenon_counts(db, link["id"], codes, day)
        phenomena.append({**link, **_trend(recent, before, exact=exact, k=k, language=language)})
    themes = []
    for theme in _linked_themes(db, [p["id"] for p in links]):
        if user is not None and not review.can_view_theme(db, user, theme["id"]):
            continue
        recent, before = _theme_counts(db, theme["id"], codes, day)
        themes.append({**theme, **_trend(recent, before, exact=exact, k=k, language=language)})
    return {"phenomena": phenomena, "themes": themes}


def _linked_phenomena(db: Database, indicator_id: int) -> list[dict[str, Any]]:
    return [
        {"id": r[0], "title": r[1], "accepted": r[2] == "accepted"}
        for r in db.execute(
            "select p.id, p.title, l.decision from phenomenon_indicator_links l "
            "join phenomena p on p.id = l.phenomenon_id where l.indicator_id = ? "
            "and l.decision != 'rejected' and p.dismissed = 0 and p.merged_into is null "
            "order by l.decision = 'accepted' desc, l.similarity desc, p.id",
            [indicator_id],
        ).fetchall()
    ]


def _linked_themes(db: Database, pids: list[int]) -> list[dict[str, Any]]:
    if not pids:
        return []
    marks = ",".join("?" * len(pids))
    rows = db.execute(
        f"select t.id, t.title, t.decision from emerging_themes t where (t.active = 1 and "
        f"t.decision = 'avoin' and exists (select 1 from emerging_members m where "
        f"m.theme_id = t.id and m.phenomenon_id in ({marks}))) or (t.decision in "
        f"('ylennetty', 'liitetty') and t.phenomenon_id in ({marks})) order by t.id",
        [*pids, *pids],
    ).fetchall()
    return [{"id": r[0], "title": r[1], "decision": r[2]} for r in rows]


def _windows(day: date) -> tuple[str, str, str]:
    mid = day - HALF_YEAR
    return (mid - HALF_YEAR).isoformat(), mid.isoformat(), day.isoformat()


def _phenomenon_counts(db: Database, pid: int, codes: list[str], day: date) -> tuple[int, int]:
    start, mid, end = _windows(day)
    marks = ",".join("?" * len(codes)) or "''"
    row = db.execute(
        "select sum(o.observed_on > ?), sum(o.observed_on <= ?) from phenomenon_members m "
        "join observations o on m.item_kind = 'observation' and o.id = "
        "cast(m.item_key as integer) where m.phenomenon_id = ? and o.observed_on > ? "
        f"and o.observed_on <= ? and o.municipality_code in ({marks})",
        [mid, mid, pid, start, end, *codes],
    ).fetchone()
    return int(row[0] or 0), int(row[1] or 0)


def _theme_counts(db: Database, theme_id: int, codes: list[str], day: date) -> tuple[int, int]:
    start, mid, end = _windows(day)
    marks = ",".join("?" * len(codes)) or "''"
    row = db.execute(
        "select sum(observed_on > ?), sum(observed_on <= ?) from emerging_members where "
        "theme_id = ? and item_kind = 'observation' and observed_on > ? and observed_on <= ? "
        f"and municipality_code in ({marks})",
        [mid, mid, theme_id, start, end, *codes],
    ).fetchone()
    return int(row[0] or 0), int(row[1] or 0)


def _trend(
    recent: int, before: int, *, exact: bool, k: int, language: str = "fi"
) -> dict[str, Any]:
    """The two half-years' counts as the reader may see them, and the trend in words:
    "havaintoja 8 viimeisen puolen vuoden aikana, edellisellä puolivuotiskaudella 4"."""
    shown = (
        (str(recent), str(before))
        if exact
        else (
            published_count(recent, k),
            published_count(before, k),
        )
    )
    _ = i18n.translator(language)
    text = _(
        "havaintoja %(recent)s viimeisen puolen vuoden aikana, edellisellä "
        "puolivuotiskaudella %(before)s"
    ) % {"recent": shown[0], "before": shown[1]}
    # "Doubled" only from a base of a few observations: 2 against 1 is noise.
    if shown == (str(recent), str(before)) and before >= 3 and recent >= 2 * before:
        text += " " + _("(vähintään kaksinkertaistunut)")
    elif shown == (str(recent), str(before)) and recent and not before:
        text += " " + _("(uutta)")
    return {
        "recent": recent if shown[0] == str(recent) else None,
        "before": before if shown[1] == str(before) else None,
        "recent_shown": shown[0],
        "before_shown": shown[1],
        "trend": text,
    }

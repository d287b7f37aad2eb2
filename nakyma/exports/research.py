"""The research export: observations of a scope and window as CSV rows for statistics
packages, with no account ids, no free text, and small municipalities named only by group.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import date

from sqlite_utils import Database

from nakyma.disclosure import is_small_municipality
from nakyma.exports.build import build_brief
from nakyma.exports.request import BriefRequest
from nakyma.i18n import N_
from nakyma.regions import Region
from nakyma.vocabulary import TARGET_GROUPS, THEMES

RESEARCH_COLUMNS: dict[str, str] = {
    "phenomenon_id": N_(
        "ilmiön numero (sama kuin muistiossa); tyhjä, jos havainto ei kuulu ilmiöön"
    ),
    "observed_on": N_("havainnon päivämäärä (VVVV-KK-PP)"),
    "municipality_group_key": N_("kuntaryhmän tunnus (oletusryhmittely)"),
    "municipality_group": N_("kuntaryhmän nimi"),
    "municipality_code": N_("kuntanumero; tyhjä, jos kunnan asukasluku on alle rajan"),
    "municipality": N_("kunnan nimi; tyhjä, jos kunnan asukasluku on alle rajan"),
    "target_group": N_("kohderyhmän tunnus (lapset, nuoret, perheet, …)"),
    "theme": N_("teeman tunnus; tyhjä, jos teemaa ei kirjattu"),
}


def research_rows(
    db: Database,
    region: Region,
    request: BriefRequest,
    *,
    min_population: int = 5000,
    k: int = 5,
    generated_on: date,
) -> list[dict[str, str]]:
    """Observations of the scope and window for research use: no account ids, no free text,
    municipality only where the population rule allows. With a choice of phenomena, only
    observations of the chosen ones; without, every observation (unassigned ones too)."""
    pids: set[int] | None = None
    if request.filtered:
        brief = build_brief(
            db, region, request, k=k, min_population=min_population, generated_on=generated_on
        )
        pids = {p.id for p in brief.phenomena}
    members = {
        int(key): pid
        for key, pid in db.execute(
            "select item_key, phenomenon_id from phenomenon_members where item_kind = 'observation'"
        )
    }
    scope = set(request.scope.municipalities)
    groups = {c: region.group_of(c) for c in scope}
    out = []
    for o in db.query(
        "select id, observed_on, municipality_code, target_group, theme from observations "
        "where observed_on between ? and ? order by observed_on, municipality_code, id",
        [request.start.isoformat(), request.end.isoformat()],
    ):
        code = o["municipality_code"]
        if code not in scope:
            continue
        pid = members.get(o["id"])
        if pids is not None and pid not in pids:
            continue
        small = is_small_municipality(region, code, min_population=min_population)
        out.append(
            {
                "phenomenon_id": "" if pid is None else str(pid),
                "observed_on": o["observed_on"],
                "municipality_group_key": groups[code].key,
                "municipality_group": groups[code].name,
                "municipality_code": "" if small else code,
                "municipality": "" if small else region.municipality(code).name,
                "target_group": o["target_group"] if o["target_group"] in TARGET_GROUPS else "",
                "theme": o["theme"] if o["theme"] in THEMES else "",
            }
        )
    return out


def render_research_csv(rows: Iterable[Mapping[str, str]]) -> bytes:
    """Comma-separated UTF-8 (no byte order mark): for R, Python and statistics packages."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(RESEARCH_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")

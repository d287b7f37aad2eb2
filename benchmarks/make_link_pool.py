"""The pool of indicators the link benchmark's labels are chosen from (issue 16).

From the 2015 snapshot of Sotkanet's indicator list (nakyma/data/indicators/), the rate
indicators (%, per 1,000 or per 100,000) with municipal values whose Finnish title names a
wellbeing topic, plus every catalogue indicator. The rules were fixed before any label was
written. Run from the project root:
`.venv/bin/python benchmarks/make_link_pool.py benchmarks/data/indicator_links/pool.csv`.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import tomllib
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "nakyma" / "data" / "indicators"

TOPICS = (
    "lasten|lapsi|lapset|nuor|perhe|koulu|oppila|luokan|toimeentulo|työttöm|vanhu|ikääntyn|"
    "75 vuotta täyttän|kotihoi|omaishoi|mielenterv|masennu|ahdistu|päihde|alkohol|huume|tupak|"
    "nuuska|yksinäi|kiusa|väkival|lastensuojel|sijoitet|rikos|pienituloi|asunno|"
    "koulutuksen ulkopuol|liikun|ylipain|hammas|psykiatr|itsemur|kaatumi|lonkkamurt|dementi|"
    "muistisairau|toimintaky|terveydentila|sairauspäiv|työkyvyttöm|vammais|kehitysvamm|"
    "turvakoti|yksinhuolt|opiskelu|harrast|luotettav|kuolleisuu|elinajanodot|avioero|vuokra|"
    "neuvola|varhaiskasvatu|päivähoi|sosiaalityö|kasvatus|ikäihmi|laitoshoi|tehostetu|kuntoutu"
)
# Costs, staff, visits and counts, sex-specific and one-off variants: not what a leader links.
LEAVE_OUT = (
    "euroa|€|kustannu|menot|nettokäyttö|ikävakioi|indeksi|henkilöstö|hoitojaksot|vuodeosasto|"
    "tarkastukset|käyntejä|käynnit|hoitopäivät|laskennalli|bruttokansan|asukasta kohden|"
    "lääkärikäynnit|toimenpiteet|EU|Eurostat|pojat|tytöt|miehet|naiset|pojista|tytöistä|"
    "miehistä|naisista|vakioimaton|osuus väestöstä|ikäluoka|syntyneet|vuoden aikana päättyneet|"
    "jonotusaika|odotusaika|hoitoon pääsy|kuukauden kuluessa|ensikäynti|kustantamat|ostetut|"
    r"tuottamat|Pohjoismaat|\(-\d{4}\)|\(\d{4} alkaen\)|lukion|ammatillisen"
)
RATE = re.compile(r"%|/ ?1 ?000|/ ?100 ?000")


def pool() -> list[tuple[int, str, bool]]:
    snapshot = json.loads((DATA / "sotkanet_indicators_2015.json").read_text(encoding="utf-8"))
    with (DATA / "catalogue.toml").open("rb") as f:
        catalogue = {int(i["id"]) for i in tomllib.load(f)["indicator"]}
    topics, leave_out = re.compile(TOPICS, re.I), re.compile(LEAVE_OUT, re.I)
    chosen = []
    for x in snapshot:
        title = x["title"]["fi"]
        municipal = "Kunta" in x.get("classifications", {}).get("region", {}).get("values", [])
        fits = topics.search(title) and RATE.search(title) and not leave_out.search(title)
        if (fits and municipal) or x["id"] in catalogue:
            chosen.append((x["id"], title, x["id"] in catalogue))
    return sorted(chosen)


def main() -> None:
    rows = pool()
    print(len(rows), "indicators")
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "title_fi", "in_catalogue"])
            writer.writerows([i, title, int(known)] for i, title, known in rows)


if __name__ == "__main__":
    main()

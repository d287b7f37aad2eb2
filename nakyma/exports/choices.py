"""What the export form offers: scopes, review statuses, signal categories, themes and the
active phenomena to pick from.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from nakyma.exports.build import CATEGORY_ORDER, area_signals, phenomenon_themes
from nakyma.exports.request import county_scope, localised_scope, scopes
from nakyma.phenomena import active_phenomena
from nakyma.regions import Region
from nakyma.review import STATUSES
from nakyma.signals import CATEGORIES, CATEGORY_LABELS
from nakyma.vocabulary import THEMES


def export_choices(db: Database, region: Region, language: str = "fi") -> dict[str, Any]:
    """What the export form offers: scopes (named in `language`), statuses, categories,
    themes and phenomena."""
    county = area_signals(db, county_scope(region))
    themes = phenomenon_themes(db)
    phenomena = [
        {
            "id": p["id"],
            "title": p["title"],
            "status_label": STATUSES.get(p["status"], p["status"]),
            "category": county[p["id"]]["category"] if p["id"] in county else None,
            "category_label": (
                CATEGORY_LABELS.get(county[p["id"]]["category"]) if p["id"] in county else None
            ),
            "theme_label": THEMES.get(themes.get(p["id"], ""), None),
            "size": p["size"],
        }
        for p in active_phenomena(db)
    ]
    phenomena.sort(key=lambda p: (CATEGORY_ORDER.get(p["category"] or "", 3), -p["size"], p["id"]))
    all_scopes = [localised_scope(region, s, language) for s in scopes(region)]
    return {
        "county": all_scopes[0],
        "groups": [s for s in all_scopes if s.kind == "kuntaryhma"],
        "municipalities": [s for s in all_scopes if s.kind == "kunta"],
        "grouping_title": region.grouping().title_in(language),
        "statuses": STATUSES,
        "categories": {c: CATEGORY_LABELS[c] for c in CATEGORIES},
        "themes": THEMES,
        "phenomena": phenomena,
    }

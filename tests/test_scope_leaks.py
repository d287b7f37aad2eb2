"""One rule for what each user may see: every route, as every demo role, over the demo.

For each role the walk fills path parameters with real ids (phenomena and planted emerging
themes the user may and may not open, every municipality code) and fails on a leak: the title
of a phenomenon or a theme the user may not open (`nakyma.review.can_view`,
`can_view_theme`) in any answer, or a count 1..4 shown as a plain
number for a municipality outside the user's own ones (`nakyma.views.exact_count_scope`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlite_utils import Database

from nakyma import review
from nakyma.accounts import create_api_token, get_user
from nakyma.regions import load_region
from nakyma.views import exact_count_scope
from tests.conftest import copy_of_demo, login, plant_theme
from web.policy import POLICY, route_keys

ROLES = ("havainnoija", "johto", "tukitiimi", "admin")
K = 5
# A number that counts observations, headlines or observers ("3 havaintoa Keuruulta").
COUNTED = re.compile(
    r"(?<![\w,.<−-])([1-4])\s(?:eri\s)?(?:havainto|havaintoa|havainnon|havainnosta|uutinen|"
    r"uutista|uutisen|uutisesta|ammattiryhmästä|ammattiryhmää|havaitsijaa|havaitsija)\b"
)
# A lone small number; a span of time ("4 viikossa") is not a count.
LONE_SMALL = re.compile(r"(?<![\w<.,:/-])[1-4](?![\w.,:/-])(?!\s(?:viiko|kuukau|päiv))")
QUERIES = ("nuoret yksinäisyys", "ikäihmisten kaatumiset", "nettikasino")


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    yield from copy_of_demo(demo_template, settings)


def _phenomena(db: Database) -> list[dict[str, Any]]:
    return list(db.query("select id, title, dismissed, merged_into from phenomena order by id"))


def _plant_signals(db: Database) -> None:
    """A weak signal for every phenomenon in every municipality it concerns and in the county,
    so that every listing of signals has phenomena each role may and may not open (the demo's
    own signals happen to be of widely shared phenomena only)."""
    template = next(db.query("select * from weak_signals where area_kind = 'kunta' limit 1"))
    county = db.execute("select area_code from weak_signals where area_kind = 'alue'").fetchone()[0]
    rows = []
    for (pid,) in db.execute("select id from phenomena where dismissed = 0").fetchall():
        areas = [("kunta", c) for c in sorted(review.phenomenon_municipalities(db, pid)) if c]
        for kind, code in [*areas, ("alue", county)]:
            rows.append({**template, "phenomenon_id": pid, "area_kind": kind, "area_code": code})
    db.table("weak_signals").upsert_all(rows, pk=("phenomenon_id", "area_kind", "area_code"))


# Emerging themes in one or two municipalities: Äänekoski and Konnevesi are the demo
# leadership's and frontline user's own, Laukaa and Jyväskylä nobody's but the backbone's.
THEMES = {
    ("992",): "Teema Äänekosken välitunneista",
    ("992", "275"): "Teema kahden oman kunnan iltapäivistä",
    ("992", "410"): "Teema Äänekosken ja Laukaan kerhoista",
    ("410",): "Teema vain Laukaan kirjastosta",
    ("179", "410"): "Teema Jyväskylän ja Laukaan busseista",
}


def _plant_themes(db: Database) -> list[int]:
    return [plant_theme(db, codes, title=title) for codes, title in THEMES.items()]


def _sample(ids: list[int], n: int) -> list[int]:
    """Up to n ids spread over the list (not only the first ones)."""
    if len(ids) <= n:
        return ids
    step = len(ids) / n
    return [ids[int(i * step)] for i in range(n)]


def _paths(key: str, ids: list[int], codes: list[str], themes: list[int]) -> list[str]:
    """Concrete paths for one POLICY key, path parameters filled with real values."""
    _, template = key.split(" ", 1)
    if "{theme_id}" in template:
        return [template.replace("{theme_id}", str(i)) for i in themes]
    if template == "/api/emerging":
        return [template] + [f"{template}?municipality={c}" for c in codes]
    if "{phenomenon_id}" in template:
        return [template.replace("{phenomenon_id}", str(i)) for i in ids]
    if "{code}" in template:
        return [template.replace("{code}", c) for c in codes]
    if "{ext}" in template:
        return [template.replace("{ext}", e) for e in ("md", "csv", "json")]
    if template in ("/haku", "/api/search"):
        return [f"{template}?q={q}" for q in QUERIES]
    if template == "/api/signals":
        return [template] + [f"{template}?municipality={c}" for c in codes]
    if template == "/api/forecasts":
        groups = [g.key for g in load_region().grouping().groups]
        return (
            [template]
            + [f"{template}?municipality={c}" for c in codes]
            + [f"{template}?group={g}" for g in groups]
        )
    if "{key}" in template:  # a municipality group's page
        return [template.replace("{key}", g.key) for g in load_region().grouping().groups]
    return [template]


def _visible_text(response: Any) -> str:
    kind = response.headers.get("content-type", "")
    if "json" in kind:
        return json.dumps(response.json(), ensure_ascii=False)
    if "html" in kind:
        return BeautifulSoup(response.text, "html.parser").get_text(" ")
    if kind.startswith(("text/", "application/xml")):
        return response.text
    return ""


def _html_count_leaks(html: str, outside: set[str], path: str) -> list[str]:
    """Counts next to a link to a municipality outside the user's scope (lists, tables),
    on a page about such a municipality (sentences and chart labels)."""
    page = BeautifulSoup(html, "html.parser")
    found = []
    for link in page.select("a[href^='/kunnat/']"):
        code = link["href"].rsplit("/", 1)[-1]
        holder = link.find_parent(["li", "tr"])
        if code in outside and holder is not None and LONE_SMALL.search(holder.get_text(" ")):
            found.append(f"{path}: {holder.get_text(' ', strip=True)[:120]}")
    about = re.fullmatch(r"/kunnat/(\w+)", path)
    if about and about.group(1) in outside:
        main = page.find("main") or page
        for m in COUNTED.finditer(main.get_text(" ")):
            found.append(f"{path}: {m.group(0)}")
        for svg in page.select("svg.sparkline[aria-label]"):
            values = svg["aria-label"].split(":", 1)[-1]
            if LONE_SMALL.search(values):
                found.append(f"{path}: {svg['aria-label']}")
    return found


def _json_count_leaks(data: Any, outside: set[str], path: str, area: str | None) -> list[str]:
    """Counts in JSON answers: a municipality entry outside the scope with a count 1..4, and
    signals of such an area with small counts in their reasons, sources or trend."""
    found: list[str] = []
    if isinstance(data, dict):
        code = data.get("code") or data.get("area_code")
        if code in outside:
            for name in ("count", "observations", "recent", "baseline", "items"):
                if isinstance(data.get(name), int) and 0 < data[name] < K:
                    found.append(f"{path}: {code} {name}={data[name]}")
        # A signal of an area outside the scope: a municipality page's (the page's area) or
        # one of a phenomenon page's per-area rows (its own area_code); plain and technical.
        if (area in outside or code in outside) and "reasons" in data:
            for text in [*data["reasons"], *data.get("technical", [])]:
                found += [f"{path}: {m.group(0)}" for m in COUNTED.finditer(str(text))]
            values = [*data.get("trend", []), *data.get("sources", {}).values()]
            if any(isinstance(v, int) and 0 < v < K for v in values):
                found.append(f"{path}: small count in {data.get('phenomenon_id')}")
        for value in data.values():
            found += _json_count_leaks(value, outside, path, area)
    elif isinstance(data, list):
        for value in data:
            found += _json_count_leaks(value, outside, path, area)
    return found


def _total_gives_away(data: Any, path: str) -> list[str]:
    """A phenomenon's published observation total that, less the counts shown exactly,
    pins a hidden municipality count ("<5" is 1..4, ".." at least 5)."""
    if not isinstance(data, dict) or not isinstance(data.get("counts"), dict):
        return []
    total = data["counts"].get("observation")
    places = data.get("municipalities") or []
    hidden = [m for m in places if m["count"] is None and m["shown"] != "0"]
    if not isinstance(total, int) or not hidden:
        return []
    rest = total - sum(m["count"] for m in places if m["count"] is not None)
    bounds = [(1, K - 1) if m["shown"].startswith("<") else (K, 10**6) for m in hidden]
    found = []
    for i, (lo, hi) in enumerate(bounds):
        low = max(lo, rest - sum(b[1] for j, b in enumerate(bounds) if j != i))
        high = min(hi, rest - sum(b[0] for j, b in enumerate(bounds) if j != i))
        if low == high:
            found.append(f"{path}: total {total} gives away {hidden[i]['code']}={low}")
    return found


def _leaks(response: Any, path: str, forbidden: dict[int, str], outside: set[str]) -> list[str]:
    """What this answer to `path` (no method, query included) shows that it should not."""
    text = _visible_text(response)
    # A title as a phrase of its own: "Liikunta" is not in "Liikunta- tai kulttuuripalvelut".
    found = [
        f"{path}: title of {pid} {title!r}"
        for pid, title in forbidden.items()
        if re.search(r"(?<![\w-])" + re.escape(title) + r"(?![\w-])", text)
    ]
    kind = response.headers.get("content-type", "")
    if "html" in kind:
        found += _html_count_leaks(response.text, outside, path.split("?")[0])
    elif "json" in kind:
        area = None
        if path.split("?")[0] in ("/api/signals", "/api/emerging"):
            area = path.split("municipality=")[1] if "municipality=" in path else "alue"
        found += _json_count_leaks(response.json(), outside, path, area)
        if path.startswith("/api/forecasts?municipality="):
            found += _evidence_leaks(response.json(), outside, path)
    return found


def _evidence_leaks(data: Any, outside: set[str], path: str) -> list[str]:
    """A forecast's leading evidence in a municipality outside the scope with an exact
    count 1..4 (it must be null there, shown as "<5")."""
    if data.get("area_code") not in outside:
        return []
    return [
        f"{path}: {item['title']} {name}={item[name]}"
        for forecast in data.get("forecasts", [])
        for items in forecast["evidence"].values()
        for item in items
        for name in ("recent", "before")
        if isinstance(item[name], int) and 0 < item[name] < K
    ]


@pytest.mark.parametrize("role", ROLES)
def test_no_route_leaks_past_scoping_or_disclosure(app, db, role) -> None:
    region = load_region()
    codes = [m.code for m in region.municipalities]
    _plant_signals(db)
    themes = _plant_themes(db)
    user = get_user(db, role)
    assert user is not None
    phenomena = _phenomena(db)
    seen = [p["id"] for p in phenomena if review.can_view(db, user, p["id"])]
    unseen = [p["id"] for p in phenomena if not review.can_view(db, user, p["id"])]
    allowed_titles = {p["title"] for p in phenomena if p["id"] in set(seen)}
    # A title that is also the title of a phenomenon the user may see proves nothing.
    forbidden = {
        p["id"]: p["title"]
        for p in phenomena
        if p["id"] in set(unseen)
        and p["title"]
        and not any(p["title"] in t for t in allowed_titles)
    }
    titles = dict(zip(themes, THEMES.values(), strict=True))
    unseen_themes = [t for t in themes if not review.can_view_theme(db, user, t)]
    forbidden.update({-t: titles[t] for t in unseen_themes})
    if role in ("havainnoija", "johto"):
        assert forbidden, "the demo must hold phenomena this role may not open"
        assert unseen_themes and len(unseen_themes) < len(themes)
    outside = set(codes) - exact_count_scope(user)
    ids = _sample(seen, 6) + _sample(unseen, 6)
    keys = sorted(route_keys(app))
    assert set(keys) <= set(POLICY)
    problems: list[str] = []
    with TestClient(app, raise_server_exceptions=False) as client:
        login(client, role, f"demo-{role}")
        api = {"Authorization": f"Bearer {create_api_token(db, role)}"}
        for key in keys:
            method, template = key.split(" ", 1)
            if template in ("/kirjaudu", "/kirjaudu-ulos"):
                continue  # signing in and out: no data, and signing out ends the walk
            headers = api if template.startswith("/api/") else {"accept": "text/html"}
            for path in _paths(key, ids, codes, themes):
                if method == "GET":
                    response = client.get(path, headers=headers)
                else:  # no CSRF token and no body: refused, but the refusal must not leak
                    response = client.request(method, path, headers=headers, follow_redirects=False)
                if response.status_code >= 500:
                    problems.append(f"{method} {path}: {response.status_code}")
                    continue
                problems += [
                    f"{method} {leak}" for leak in _leaks(response, path, forbidden, outside)
                ]
                if not user.sees_whole_region and re.fullmatch(r"/api/phenomena/\d+", path):
                    if response.status_code == 200:
                        problems += _total_gives_away(response.json(), path)
    assert problems == [], "\n".join(problems[:40])


def test_the_walk_finds_a_leak(db) -> None:
    """The checks themselves can fail: a page showing a forbidden title and a small count."""

    class Fake:
        headers = {"content-type": "text/html; charset=utf-8"}
        text = (
            '<main><ul><li><a href="/kunnat/992">Äänekoski</a> 3</li></ul>'
            "<p>Salainen ilmiö. Kunnassa 2 havaintoa.</p></main>"
        )

    found = _leaks(Fake(), "/kunnat/992", {1: "Salainen ilmiö"}, {"992"})
    assert len(found) == 3, found

    class FakeJson:
        headers = {"content-type": "application/json"}

        @staticmethod
        def json() -> Any:
            return {"signals": [{"reasons": ["3 havaintoa 4 viikossa"], "trend": [0, 2]}]}

    assert len(_leaks(FakeJson(), "/api/signals?municipality=992", {}, {"992"})) == 2

    class FakeForecasts:
        headers = {"content-type": "application/json"}

        @staticmethod
        def json() -> Any:
            item = {"title": "Ilmiö", "recent": 3, "before": None}
            evidence = {"phenomena": [item], "themes": []}
            return {"area_code": "992", "forecasts": [{"evidence": evidence}]}

    assert len(_leaks(FakeForecasts(), "/api/forecasts?municipality=992", {}, {"992"})) == 1
    # A total of 7 with Äänekoski 4 shown exactly and Konnevesi "<5": Konnevesi is 3.
    page = {
        "counts": {"observation": 7},
        "municipalities": [
            {"code": "992", "count": 4, "shown": "4"},
            {"code": "260", "count": None, "shown": "<5"},
        ],
    }
    found = _total_gives_away(page, "/api/phenomena/1")
    assert found == ["/api/phenomena/1: total 7 gives away 260=3"]
    page["counts"]["observation"] = None
    assert _total_gives_away(page, "/api/phenomena/1") == []


@pytest.mark.parametrize("role", ("havainnoija", "johto"))
def test_list_sizes_follow_the_page(app, db, role) -> None:
    """A phenomenon's size in the list, the work list and the page are disclosed alike, so
    that the list's size cannot be set against the page's counts."""
    user = get_user(db, role)
    assert user is not None
    with TestClient(app) as client:
        api = {"Authorization": f"Bearer {create_api_token(db, role)}"}
        listed = client.get("/api/phenomena", headers=api).json()["phenomena"]
        assert listed
        hidden = 0
        for item in listed:
            page = client.get(f"/api/phenomena/{item['id']}", headers=api).json()
            assert (item["size"], item["size_shown"]) == (page["size"], page["size_shown"])
            hidden += page["size"] is None
            if page["size"] is not None:
                assert page["size"] == page["counts"]["observation"] + page["counts"]["headline"]
        work = client.get("/api/worklist", headers=api)
        assert work.status_code == (200 if role == "johto" else 403)
        for item in work.json().get("items", []):
            page = client.get(f"/api/phenomena/{item['id']}", headers=api).json()
            assert item["size_shown"] == page["size_shown"]
    if role == "havainnoija":
        assert hidden, "the demo should hold a phenomenon whose count is hidden from this role"


def test_region_page_shows_leadership_its_own_counts_and_protects_the_rest(db) -> None:
    """Konnevesi's leader sees Konnevesi's 2 exactly (it reads those observations anyway);
    every other small count stays hidden, and no group line lets one be worked out from the
    exact ones."""
    from nakyma.views import region_overview

    region = load_region()
    keep = db.execute(
        "select id from observations where municipality_code = '275' order by id limit 2"
    ).fetchall()
    db.execute(
        "delete from observations where municipality_code = '275' and id not in (?, ?)",
        [keep[0][0], keep[1][0]],
    )
    db.conn.commit()
    boss = get_user(db, "johto")
    assert boss is not None and set(boss.municipalities) == {"992", "275"}
    truth = dict(
        db.execute("select municipality_code, count(*) from observations group by 1").fetchall()
    )
    everyone = region_overview(db, region, k=K)
    leader = region_overview(db, region, k=K, exact=exact_count_scope(boss))
    shown = {m.code: m for g in leader.groups for m in g.municipalities}
    assert (shown["275"].observations, shown["275"].shown) == (2, "2")
    assert {m.code: m.shown for g in everyone.groups for m in g.municipalities}["275"] == "<5"
    for group in leader.groups:
        hidden = [m for m in group.municipalities if m.observations is None]
        for m in group.municipalities:
            if m.code in boss.municipalities:
                assert m.observations == truth.get(m.code, 0)
            elif 0 < truth.get(m.code, 0) < K:
                assert m.observations is None
        # The group's total less the counts shown must not pin a hidden one.
        line = {
            "counts": {"observation": group.observations},
            "municipalities": [
                {"code": m.code, "count": m.observations, "shown": m.shown}
                for m in group.municipalities
            ],
        }
        assert _total_gives_away(line, group.name) == [], hidden

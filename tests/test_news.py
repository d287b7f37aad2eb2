"""News pipeline: parsing Yle's RSS shape, idempotent saving, tagging, and every fault path."""

from __future__ import annotations

import dataclasses
import json

import httpx
import pytest
from click.testing import CliRunner

from nakyma.cli import cli
from nakyma.runs import list_runs
from pipelines import news
from pipelines.registry import run_pipeline
from tests.conftest import TEST_SECRET

FEED_URL = "https://yle.fi/rss/t/18-148148/fi"
OTHER_FEED = "https://yle.fi/rss/uutiset/tuoreimmat"


def item(n: int, title: str, teaser: str = "Lyhyt kuvaus uutisesta.", cats: tuple = ()) -> str:
    categories = "".join(f"<category>{c}</category>" for c in cats)
    return (
        f"<item><title>{title}</title>"
        f"<link>https://yle.fi/a/74-2000000{n}?origin=rss</link>"
        f"<description>{teaser}</description>{categories}"
        f'<guid isPermaLink="false">https://yle.fi/a/74-2000000{n}</guid>'
        f"<pubDate>Sat, 12 Sep 2026 1{n}:22:17 +0300</pubDate></item>"
    )


def rss(*items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
        "<channel><title>Yle Uutiset | Keski-Suomi</title><link>https://yle.fi/uutiset</link>"
        "<description>Keski-Suomen uutiset</description><language>fi</language><ttl>5</ttl>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


FEED = rss(
    item(1, "Äänekoskella suljetaan uimahalli", cats=("Äänekoski", "Liikunta")),
    item(2, "Hyvinvointialue karsii lomapäiviä", "Keski-Suomen hyvinvointialue säästää."),
    item(3, "Jämsän ja Keuruun koulut yhdistävät kuljetukset"),
)


def client_for(handler, settings, **kw) -> news.SafeClient:
    return news.make_client(settings, transport=httpx.MockTransport(handler), **kw)


def serve(content: bytes, *, status: int = 200, headers: dict | None = None):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status,
            content=content,
            headers={"content-type": "application/rss+xml; charset=utf-8", **(headers or {})},
        )

    return handler


def snapshot(db) -> list[tuple]:
    return [
        *db.execute("select * from headlines order by guid").fetchall(),
        *db.execute("select * from headline_municipalities order by guid, municipality_code"),
    ]


def test_parse_keeps_link_strips_origin_from_guid_and_is_timezone_aware() -> None:
    headlines, warnings = news.parse_feed(FEED)
    assert warnings == []
    first = headlines[0]
    assert first.guid == "https://yle.fi/a/74-20000001"
    assert first.link == "https://yle.fi/a/74-20000001?origin=rss"
    assert first.categories == ("Äänekoski", "Liikunta")
    assert first.published is not None and first.published.utcoffset().total_seconds() == 3 * 3600


def test_guid_falls_back_to_link_without_origin() -> None:
    feed = rss(
        "<item><title>Otsikko ilman guidia</title>"
        "<link>https://yle.fi/a/74-20000009?origin=rss</link></item>"
    )
    (headline,), _ = news.parse_feed(feed)
    assert headline.guid == "https://yle.fi/a/74-20000009"


def test_run_from_file_saves_tags_and_is_idempotent(db, settings, tmp_path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    first = run_pipeline(db, settings, "news", source=path)
    assert (first.status, first.added, first.updated, first.skipped) == ("ok", 3, 0, 0)
    tags = {
        guid: sorted(
            code for g, code in db.execute("select * from headline_municipalities") if g == guid
        )
        for (guid,) in db.execute("select guid from headlines")
    }
    assert tags == {
        "https://yle.fi/a/74-20000001": ["992"],
        "https://yle.fi/a/74-20000002": [],  # region-wide: no municipality
        "https://yle.fi/a/74-20000003": ["182", "249"],
    }
    before = snapshot(db)
    again = run_pipeline(db, settings, "news", source=path)
    assert (again.added, again.updated, again.skipped) == (0, 0, 3)
    assert snapshot(db) == before
    stored = next(db.query("select published from headlines where guid like '%01'"))
    assert stored["published"] == "2026-09-12T08:22:17+00:00"


def test_changed_item_is_updated_not_duplicated(db, settings, tmp_path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    run_pipeline(db, settings, "news", source=path)
    path.write_bytes(FEED.replace(b"suljetaan uimahalli", b"avataan uimahalli"))
    report = run_pipeline(db, settings, "news", source=path)
    assert (report.added, report.updated, report.skipped) == (0, 1, 2)
    assert db.table("headlines").count == 3


def test_network_run_with_conditional_get(db, settings) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(
            200, content=FEED, headers={"etag": '"v1"', "last-modified": "Sat, 12 Sep 2026"}
        )

    client = client_for(handler, settings)
    assert news.run(db, settings, client=client).added == 3
    second = news.run(db, settings, client=client)
    assert second.status == "ok" and second.added == 0
    assert second.details["feeds"][FEED_URL] == {"not_modified": True}
    assert seen[0].headers["user-agent"].startswith("nakyma/")
    assert seen[1].headers["if-none-match"] == '"v1"'
    assert seen[1].headers["if-modified-since"] == "Sat, 12 Sep 2026"


def _timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def _redirect_off_list(request: httpx.Request) -> httpx.Response:
    return httpx.Response(301, headers={"location": "https://evil.example/rss"})


def _huge(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b"<rss>" + b" " * (50 * 1024 * 1024))


FAULTS = {
    "timeout": (_timeout, "Aikakatkaisu"),
    "5xx": (serve(b"oops", status=503), "HTTP 503"),
    "html-page": (
        serve(
            b"<!doctype html><html><body>Huolto</body></html>",
            headers={"content-type": "text/html"},
        ),
        "HTML-sivu",
    ),
    "truncated-xml": (serve(FEED[: len(FEED) // 2]), "rikki tai katkennut"),
    "not-a-feed": (serve(b"<?xml version='1.0'?><foo><bar/></foo>"), "ei ole RSS"),
    "50-mb-body": (_huge, "liian suuri"),
    "redirect-to-other-host": (_redirect_off_list, "evil.example"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_is_recorded_and_leaves_data_intact(db, settings, tmp_path, fault) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    run_pipeline(db, settings, "news", source=path)
    before = snapshot(db)
    handler, reason = FAULTS[fault]
    report = run_pipeline(db, settings, "news", client=client_for(handler, settings))
    assert report.status == "failed"
    assert any(reason in e for e in report.errors), report.errors
    assert snapshot(db) == before
    recorded = list_runs(db, pipeline="news", limit=1)[0]
    assert recorded["status"] == "failed" and recorded["errors"] == report.errors
    assert recorded["finished_at"] is not None
    # The next run recovers.
    recovered = run_pipeline(db, settings, "news", client=client_for(serve(FEED), settings))
    assert recovered.status == "ok"


def test_redirect_within_allowed_hosts_is_followed(db, settings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "feeds.yle.fi":
            return httpx.Response(301, headers={"location": FEED_URL})
        return httpx.Response(200, content=FEED)

    settings.news_feeds = ["https://feeds.yle.fi/uutiset/v1/recent.rss?concepts=18-148148"]
    report = news.run(db, settings, client=client_for(handler, settings))
    assert report.status == "ok" and report.added == 3


def test_one_bad_feed_makes_the_run_partial_and_spares_the_other(db, settings) -> None:
    settings.news_feeds = [FEED_URL, OTHER_FEED]

    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) == OTHER_FEED:
            return httpx.Response(500)
        return httpx.Response(200, content=FEED)

    report = run_pipeline(db, settings, "news", client=client_for(handler, settings))
    assert report.status == "partial"
    assert report.added == 3
    assert [e.split(":")[0] + ":" + e.split(":")[1] for e in report.errors] == [OTHER_FEED]
    state = {r["url"]: r["last_status"] for r in db.query("select * from feed_state")}
    assert state[FEED_URL].startswith("ok") and state[OTHER_FEED].startswith("virhe")


def test_item_without_title_is_skipped_with_warning(db, settings, tmp_path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(rss(item(1, "Otsikko"), "<item><link>https://yle.fi/a/74-1</link></item>"))
    report = run_pipeline(db, settings, "news", source=path)
    assert report.added == 1 and len(report.warnings) == 1


def test_unreadable_source_file_fails_cleanly(db, settings, tmp_path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(b"<html><body>ei syote</body></html>")
    report = run_pipeline(db, settings, "news", source=path)
    assert report.status == "failed" and db.table("headlines").count == 0


def test_crash_inside_a_pipeline_is_recorded_as_failed(db, settings, monkeypatch) -> None:
    from pipelines import registry

    def broken(db, settings, **kw):
        raise RuntimeError("bug")

    entry = dataclasses.replace(registry.PIPELINES["news"], run=broken)
    monkeypatch.setitem(registry.PIPELINES, "news", entry)
    report = run_pipeline(db, settings, "news")
    assert report.status == "failed" and "RuntimeError: bug" in report.errors[0]
    assert list_runs(db, limit=1)[0]["status"] == "failed"
    assert db.table("job_locks").count == 0  # the lock is released


def test_a_held_lock_stops_a_second_run(db, settings, tmp_path) -> None:
    from datetime import timedelta

    from nakyma.runs import JobLocked, acquire_lock

    acquire_lock(db, "pipeline:news", holder="toinen-palvelin:1", ttl=timedelta(minutes=5))
    with pytest.raises(JobLocked):
        run_pipeline(db, settings, "news", source=tmp_path / "x.xml")
    assert db.table("runs").count == 0


def test_cli_run_news_and_export_headlines(settings, tmp_path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    env = {"NAKYMA_DATA_DIR": str(settings.data_dir), "NAKYMA_SECRET_KEY": TEST_SECRET}
    runner = CliRunner()
    result = runner.invoke(cli, ["run", "news", "--source", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "news: onnistui – lisätty 3" in result.output
    result = runner.invoke(cli, ["export", "headlines", "--format", "csv"], env=env)
    lines = result.output.strip().splitlines()
    assert lines[0] == "guid,title,published,municipalities,link"
    assert (
        "https://yle.fi/a/74-20000003,Jämsän ja Keuruun koulut yhdistävät kuljetukset," in lines[1]
    )
    assert lines[1].endswith(",Jämsä;Keuruu,https://yle.fi/a/74-20000003?origin=rss")
    runs = runner.invoke(cli, ["runs"], env=env)
    assert "news" in runs.output and "ok" in runs.output
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<html></html>")
    failed = runner.invoke(cli, ["run", "news", "--source", str(bad)], env=env)
    assert failed.exit_code == 1 and "epäonnistui" in failed.output


def test_scheduler_jobs(settings) -> None:
    from pipelines.schedule import build_scheduler, run_scheduled

    scheduler = build_scheduler(settings)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"news", "indicators", "embed", "phenomena"}
    assert jobs["news"].trigger.interval.total_seconds() == 15 * 60
    assert jobs["indicators"].trigger.interval.days == 7
    assert jobs["embed"].trigger.interval.total_seconds() == 10 * 60
    assert jobs["phenomena"].trigger.interval.total_seconds() == 24 * 3600
    assert all(j.max_instances == 1 and j.coalesce for j in jobs.values())
    assert jobs["news"].trigger.jitter and jobs["indicators"].trigger.jitter
    # A scheduled run goes through the registry and is recorded; an off-list host fails fast.
    settings.news_feeds = ["https://example.invalid/rss"]
    report = run_scheduled(settings, "news")
    assert report is not None and report.status == "failed"
    from nakyma.db import open_db

    db = open_db(settings.database_path)
    assert list_runs(db, limit=1)[0]["trigger"] == "schedule"
    db.close()


def test_scheduler_staggers_first_runs_and_runs_jobs_one_at_a_time(settings, monkeypatch):
    """First runs come one STAGGER apart (or an interval after the last success), and jobs
    that fall due together run one after another on the single worker, never at once."""
    import threading
    import time
    from datetime import UTC, datetime, timedelta

    from nakyma.db import open_db
    from pipelines import schedule

    now = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    jobs = schedule.build_scheduler(settings, now=now).get_jobs()
    firsts = sorted(j.next_run_time for j in jobs)
    assert firsts[0] == now + schedule.FIRST_DELAY
    assert [b - a for a, b in zip(firsts, firsts[1:], strict=False)] == [schedule.STAGGER] * 3
    db = open_db(settings.database_path)
    recent = (now - timedelta(hours=1)).isoformat()
    db.table("runs").insert(
        {"pipeline": "phenomena", "trigger": "cli", "status": "ok", "started_at": recent}
    )
    db.close()
    again = {j.id: j for j in schedule.build_scheduler(settings, now=now).get_jobs()}
    assert again["phenomena"].next_run_time == now + timedelta(hours=23)

    spans: list[tuple[str, float, float]] = []
    done = threading.Event()

    def fake_run(_settings, name):
        started = time.monotonic()
        time.sleep(0.15)
        spans.append((name, started, time.monotonic()))
        if len(spans) == 4:
            done.set()

    monkeypatch.setattr(schedule, "run_scheduled", fake_run)
    monkeypatch.setattr(schedule, "FIRST_DELAY", timedelta(0))
    monkeypatch.setattr(schedule, "STAGGER", timedelta(0))
    db = open_db(settings.database_path)
    db.execute("delete from runs")
    db.conn.commit()
    db.close()
    scheduler = schedule.build_scheduler(settings)  # all four due at once
    scheduler.start()
    try:
        assert done.wait(10), spans
    finally:
        scheduler.shutdown(wait=True)
    assert sorted(name for name, _, _ in spans) == ["embed", "indicators", "news", "phenomena"]
    ordered = sorted(spans, key=lambda s: s[1])
    assert all(a[2] <= b[1] for a, b in zip(ordered, ordered[1:], strict=False)), ordered


def test_runs_report_is_json_round_trippable(db, settings, tmp_path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    run_pipeline(db, settings, "news", source=path)
    row = next(db.query("select details from runs"))
    assert json.loads(row["details"]) == {"feeds": {"feed.xml": {"items": 3}}}


def test_serve_starts_and_stops_the_scheduler(settings) -> None:
    from fastapi.testclient import TestClient

    from web.app import create_app

    settings.scheduler_enabled = True
    app = create_app(settings)
    with TestClient(app):
        scheduler = app.state.scheduler
        assert scheduler is not None and scheduler.running
        assert {job.id for job in scheduler.get_jobs()} == {
            "news",
            "indicators",
            "embed",
            "phenomena",
        }
    assert not scheduler.running and app.state.scheduler is None


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "http://yle.fi/a/74-20000010",
        "https://evil.example/a/74-20000010",
        "https://yle.fi.evil.example/a/1",
    ],
)
def test_only_https_links_to_the_news_hosts_are_stored(db, settings, tmp_path, link) -> None:
    from xml.sax.saxutils import escape

    path = tmp_path / "feed.xml"
    path.write_bytes(
        rss(
            "<item><title>Hyvä uutinen</title><guid>https://yle.fi/a/74-20000011</guid>"
            "<link>https://yle.fi/a/74-20000011</link></item>"
            f"<item><title>Huono linkki</title><guid>x-{escape(link)}</guid>"
            f"<link>{escape(link)}</link></item>"
        )
    )
    report = run_pipeline(db, settings, "news", source=path)
    assert report.status == "ok"
    assert [r[0] for r in db.execute("select link from headlines")] == [
        "https://yle.fi/a/74-20000011"
    ]
    assert any("https-osoite sallitulle" in w for w in report.warnings)


def test_a_stored_link_that_is_not_https_is_not_rendered_as_a_link(
    db, settings, region, make_user
) -> None:
    """Headlines saved before links were checked at save time are shown as plain text."""
    from fastapi.testclient import TestClient

    from tests.conftest import login
    from web.app import create_app

    legacy = news.Headline(
        guid="vanha-1",
        link="javascript:alert(1)",
        title="Äänekosken koulussa uusi kerho",
        teaser="",
        categories=("Äänekoski",),
        published=None,
    )
    news.save_headlines(db, [legacy], feed_url="file:vanha.xml", region=region)
    make_user("kentta")
    with TestClient(create_app(settings)) as client:
        login(client, "kentta")
        page = client.get("/kunnat/992")
    assert page.status_code == 200
    assert "Äänekosken koulussa uusi kerho" in page.text
    assert "javascript:" not in page.text

"""News pipeline: Yle regional RSS → headlines tagged with the municipalities they concern.

fetch (httpx via SafeClient, conditional GET) → parse (feedparser, fed the bytes) → save
(idempotent upserts keyed by guid). Yle's terms: show the headline and link straight to
the story; no images, no article fetching.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser
from sqlite_utils import Database

from nakyma.config import Settings
from nakyma.db import now_utc, write_transaction
from nakyma.progress import Progress
from nakyma.regions import Region, load_region
from nakyma.runs import RunReport
from pipelines.http import FetchError, SafeClient, plain_text

# feedparser flags these but they do not make the feed wrong.
BENIGN_BOZO = ("CharacterEncodingOverride",)


class FeedError(Exception):
    """The feed could not be used; the reason is a Finnish sentence."""


@dataclass(frozen=True)
class Headline:
    guid: str
    link: str
    title: str
    teaser: str
    categories: tuple[str, ...]
    published: datetime | None


def make_client(settings: Settings, **kwargs: Any) -> SafeClient:
    return SafeClient(
        user_agent=settings.user_agent,
        timeout=settings.http_timeout_seconds,
        max_bytes=settings.news_max_bytes,
        allowed_hosts=settings.news_allowed_hosts,
        retries=0,  # the next scheduled poll is the retry
        **kwargs,
    )


def stable_guid(value: str) -> str:
    """The story URL without Yle's `origin=rss` tracking parameter."""
    parts = urlsplit(value.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "origin"]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _published(entry: Any) -> datetime | None:
    raw = entry.get("published") or entry.get("updated")
    if not raw:
        return None
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        try:
            when = datetime.fromisoformat(raw)
        except ValueError:
            return None
    return when if when.tzinfo is not None else None


def story_link_allowed(link: str, allowed_hosts: Sequence[str]) -> bool:
    """Only an https link to an allowed news host (or a subdomain of one) is kept: a feed
    could otherwise plant `javascript:` or `data:` links, or links anywhere, on our pages."""
    parts = urlsplit(link)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and any(
        host == h or host.endswith("." + h) for h in (a.lower() for a in allowed_hosts)
    )


def parse_feed(
    content: bytes, *, content_type: str | None = None, allowed_hosts: Sequence[str] = ()
) -> tuple[list[Headline], list[str]]:
    """Headlines from RSS bytes, plus warnings about skipped items. Raises FeedError when the
    document is not a usable feed (HTML, malformed or truncated XML). With `allowed_hosts`,
    an item whose link is not https to one of them is skipped with a warning."""
    if content_type and "html" in content_type.lower() and b"<rss" not in content[:2048]:
        raise FeedError("Vastaus on HTML-sivu eikä RSS-syöte.")
    parsed = feedparser.parse(content)
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        if type(exc).__name__ not in BENIGN_BOZO:
            raise FeedError(f"Syöte on rikki tai katkennut ({type(exc).__name__}).")
    if not parsed.get("version"):
        raise FeedError("Vastaus ei ole RSS- tai Atom-syöte.")
    headlines: list[Headline] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for entry in parsed.entries:
        link = (entry.get("link") or "").strip()
        title = plain_text(entry.get("title", ""))
        guid_source = entry.get("id") or link
        if not link or not title or not guid_source:
            warnings.append("Ohitettiin uutinen, jolta puuttui otsikko tai linkki.")
            continue
        if allowed_hosts and not story_link_allowed(link, allowed_hosts):
            warnings.append(
                "Ohitettiin uutinen, jonka linkki ei ole https-osoite sallitulle "
                f"uutispalvelimelle ({(urlsplit(link).scheme or '?')}:…)."
            )
            continue
        guid = stable_guid(guid_source)
        if guid in seen:
            continue
        seen.add(guid)
        headlines.append(
            Headline(
                guid=guid,
                link=link,
                title=title,
                teaser=plain_text(entry.get("summary", "")),
                categories=tuple(
                    t for tag in entry.get("tags", []) if (t := plain_text(tag.get("term") or ""))
                ),
                published=_published(entry),
            )
        )
    return headlines, warnings


def tag_municipalities(headline: Headline, region: Region) -> list[str]:
    """Codes of the municipalities a headline concerns; none for region-wide news."""
    text = "\n".join([headline.title, headline.teaser, *headline.categories])
    return [m.code for m in region.find_in_text(text)]


def _hash(h: Headline, codes: Sequence[str]) -> str:
    payload = json.dumps(
        [h.title, h.teaser, h.link, h.categories, h.published and h.published.isoformat(), codes],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def save_headlines(
    db: Database, headlines: Sequence[Headline], *, feed_url: str, region: Region
) -> tuple[int, int, int]:
    """Upsert headlines by guid in one transaction; returns (added, updated, unchanged)."""
    added = updated = unchanged = 0
    now = now_utc()
    with write_transaction(db):
        for h in headlines:
            codes = tag_municipalities(h, region)
            digest = _hash(h, codes)
            row = db.execute(
                "select content_hash from headlines where guid = ?", [h.guid]
            ).fetchone()
            if row is not None and row[0] == digest:
                unchanged += 1
                continue
            record = {
                "guid": h.guid,
                "feed_url": feed_url,
                "title": h.title,
                "teaser": h.teaser,
                "link": h.link,
                "categories": json.dumps(list(h.categories), ensure_ascii=False),
                # UTC so that stored times sort correctly; still timezone-aware.
                "published": h.published.astimezone(UTC).isoformat() if h.published else None,
                "content_hash": digest,
                "updated_at": now,
            }
            if row is None:
                db.table("headlines").insert({**record, "first_seen_at": now})
                added += 1
            else:
                db.table("headlines").update(h.guid, record)
                db.execute("delete from headline_municipalities where guid = ?", [h.guid])
                updated += 1
            db.table("headline_municipalities").insert_all(
                {"guid": h.guid, "municipality_code": c} for c in codes
            )
    return added, updated, unchanged


def _feed_state(db: Database, url: str) -> dict[str, Any]:
    rows = list(db.query("select * from feed_state where url = ?", [url]))
    return rows[0] if rows else {}


def _record_state(db: Database, url: str, **values: Any) -> None:
    with write_transaction(db):
        db.table("feed_state").upsert(
            {"url": url, "last_fetched_at": now_utc(), **values}, pk="url"
        )


def fetch_feed(client: SafeClient, url: str, state: dict[str, Any]) -> tuple[int, bytes, dict]:
    """Conditional GET: 304 when the feed has not changed since the stored ETag/date."""
    headers = {"Accept": "application/rss+xml, application/xml;q=0.9, */*;q=0.5"}
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    result = client.get(url, headers=headers)
    return result.status, result.content, dict(result.headers)


def run(
    db: Database,
    settings: Settings,
    *,
    source: str | Path | None = None,
    client: SafeClient | None = None,
    run_id: int | None = None,  # (the registry passes it; nothing here names its run yet)
    progress: Progress | None = None,  # (a few feeds in seconds: nothing worth telling)
) -> RunReport:
    """Fetch every configured feed (or read `source`, a local RSS file) and save its items.

    Each feed is saved in its own transaction: a broken feed leaves the others and the
    stored headlines untouched, and the next run starts from a clean state.
    """
    report = RunReport("news")
    region = load_region(settings.region_file)
    if source is not None:
        path = Path(source)
        try:
            headlines, warnings = parse_feed(
                path.read_bytes(), allowed_hosts=settings.news_allowed_hosts
            )
        except OSError as exc:
            report.fail(f"Tiedostoa ei voitu lukea: {exc.strerror or exc}")
            return report
        except FeedError as exc:
            report.fail(f"{path.name}: {exc}")
            return report
        added, updated, unchanged = save_headlines(
            db, headlines, feed_url=f"file:{path.name}", region=region
        )
        report.count(added=added, updated=updated, skipped=unchanged)
        report.warnings.extend(warnings)
        report.details["feeds"] = {path.name: {"items": len(headlines)}}
        return report

    own_client = client is None
    client = client or make_client(settings)
    ok = failed = 0
    report.details["feeds"] = {}
    try:
        for url in settings.news_feeds:
            state = _feed_state(db, url)
            try:
                status, content, headers = fetch_feed(client, url, state)
                if status == 304:
                    _record_state(db, url, last_status="304 ei muutoksia")
                    report.details["feeds"][url] = {"not_modified": True}
                    ok += 1
                    continue
                headlines, warnings = parse_feed(
                    content,
                    content_type=headers.get("content-type"),
                    allowed_hosts=settings.news_allowed_hosts,
                )
            except (FetchError, FeedError) as exc:
                failed += 1
                reason = exc.reason if isinstance(exc, FetchError) else str(exc)
                report.errors.append(f"{url}: {reason}")
                _record_state(db, url, last_status=f"virhe: {reason}")
                continue
            added, updated, unchanged = save_headlines(db, headlines, feed_url=url, region=region)
            _record_state(
                db,
                url,
                etag=headers.get("etag"),
                last_modified=headers.get("last-modified"),
                last_status=f"ok, {len(headlines)} uutista",
            )
            report.count(added=added, updated=updated, skipped=unchanged)
            report.warnings.extend(warnings)
            report.details["feeds"][url] = {"items": len(headlines)}
            ok += 1
    finally:
        if own_client:
            client.close()
    report.settle(ok, failed)
    return report

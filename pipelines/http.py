"""Fetching from outside sources safely: host allow-list on every redirect hop, timeouts,
a size cap while streaming, and retries with back-off that honour Retry-After."""

from __future__ import annotations

import email.utils
import html
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

MAX_REDIRECTS = 5
REDIRECT_CODES = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """A fetch failed; `reason` is a Finnish sentence for the run log."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
    ):
        super().__init__(reason)
        self.reason = reason
        self.status = status  # the HTTP status, when the source answered
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class FetchResult:
    url: str  # final URL after redirects
    status: int  # 200, or 304 for a conditional GET that found nothing new
    content: bytes
    headers: Mapping[str, str]


def host_allowed(url: str, allowed: Sequence[str]) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("http", "https") or not host:
        return False
    return any(host == h or host.endswith("." + h) for h in allowed)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class SafeClient:
    """A small HTTP client for pipelines. Tests pass an httpx.MockTransport as `transport`."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float,
        max_bytes: int,
        allowed_hosts: Sequence[str] | None = None,
        retries: int = 0,
        max_retry_wait: float = 120.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.allowed_hosts = tuple(allowed_hosts) if allowed_hosts else None
        self.max_bytes = max_bytes
        self.retries = retries
        self.max_retry_wait = max_retry_wait
        self.sleep = sleep
        self._client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> SafeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        params: Sequence[tuple[str, str | int]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """GET with retries on 5xx, 429 and timeouts (back-off 2, 4, 8 … s, or Retry-After)."""
        attempt = 0
        while True:
            try:
                return self._get_once(url, params=params, headers=headers)
            except FetchError as exc:
                if not exc.retryable or attempt >= self.retries:
                    raise
                wait = exc.retry_after if exc.retry_after is not None else 2.0 ** (attempt + 1)
                self.sleep(min(wait, self.max_retry_wait))
                attempt += 1

    def _get_once(
        self,
        url: str,
        *,
        params: Sequence[tuple[str, str | int]] | None,
        headers: Mapping[str, str] | None,
    ) -> FetchResult:
        current = url
        query: Any = list(params) if params else None
        for _ in range(MAX_REDIRECTS + 1):
            if self.allowed_hosts is not None and not host_allowed(current, self.allowed_hosts):
                raise FetchError(
                    f"Osoite ei ole sallittujen palvelinten listalla: {urlsplit(current).hostname}"
                )
            try:
                with self._client.stream(
                    "GET", current, params=query, headers=dict(headers or {})
                ) as response:
                    if response.status_code in REDIRECT_CODES:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchError("Uudelleenohjaus ilman kohdeosoitetta.")
                        current = urljoin(str(response.url), location)
                        query = None  # the Location header carries the full target
                        continue
                    return self._read(response)
            except httpx.TimeoutException:
                raise FetchError(
                    "Aikakatkaisu: lähde ei vastannut ajoissa.", retryable=True
                ) from None
            except httpx.TransportError as exc:
                raise FetchError(f"Yhteysvirhe: {type(exc).__name__}.", retryable=True) from exc
        raise FetchError(f"Liian monta uudelleenohjausta (yli {MAX_REDIRECTS}).")

    def _read(self, response: httpx.Response) -> FetchResult:
        status = response.status_code
        if status == 304:
            return FetchResult(str(response.url), 304, b"", dict(response.headers))
        if status == 429 or status >= 500:
            raise FetchError(
                f"Lähde vastasi virheellä HTTP {status}.",
                status=status,
                retryable=True,
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        if status != 200:
            raise FetchError(f"Lähde vastasi HTTP {status}.", status=status)
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(f"Vastaus on liian suuri ({int(declared)} tavua).")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(f"Vastaus on liian suuri (yli {self.max_bytes} tavua).")
            chunks.append(chunk)
        return FetchResult(str(response.url), 200, b"".join(chunks), dict(response.headers))


def plain_text(text: str) -> str:
    """A source's text as plain text: HTML tags (Yle's teasers, Sotkanet's <br> in metadata)
    dropped, entities unescaped and whitespace collapsed."""
    text = re.sub(r"<[^>]+>", " ", text or "")
    return " ".join(html.unescape(text).split())

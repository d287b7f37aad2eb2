"""Rate limits on intake: a sliding window of recent events per key (account, client).

A limit exists so that one token or one browser tab cannot make the privacy guard and the
database work for everyone else (issue #11: 500 submissions in 8 s from one token passed).
The defaults (settings ``rate_limit_*``) are far above what a person typing observations
ever does, so a real worker never meets them.

The windows live in the process's memory: Näkymä serves from one process (``nakyma
serve``), so one in-process limiter sees every request. Several worker processes would each
count on their own (the limit would be multiplied by their number); a restart forgets the
windows. Keys are opaque strings (``"account:12"``, ``"client:10.0.0.5"``); nothing of a
request's content is kept.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["SlidingWindowLimiter"]


class SlidingWindowLimiter:
    """At most `limit` events per key in any `window` seconds.

    `hit(key)` records an event and answers None when it is allowed, or the seconds to wait
    before the next one would be (a refused event is not counted, so a client that keeps
    knocking is not locked out for longer). Keys unused for a whole window are dropped.
    """

    def __init__(
        self, limit: int, window: float = 60.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be at least 1 and window positive")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def hit(self, key: str) -> float | None:
        now = self._clock()
        with self._lock:
            self._sweep(now)
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return max(events[0] + self.window - now, 0.001)
            events.append(now)
            return None

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < self.window:
            return
        self._last_sweep = now
        for key in [k for k, ev in self._events.items() if not ev or ev[-1] <= now - self.window]:
            del self._events[key]

    def reset(self) -> None:
        """Forget every window (tests, and an admin who wants a clean start)."""
        with self._lock:
            self._events.clear()


def retry_after_header(seconds: float) -> str:
    """`Retry-After` in whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))

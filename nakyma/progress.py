"""Progress of long work (import, embedding, indicators, backup), told through a callback.

The core never prints: a long function takes an optional `progress` callable and calls it
as `progress(phase, done, total)` after each batch (`total` None when a phase has no count,
such as clustering). The CLI turns the calls into a progress bar or plain lines
(`nakyma.cli`); a pipeline run also records its latest call in `runs.details` so that the
"Ajot" page can show a running job's phase (`RunProgress`). Phase keys are English; what a
person reads comes from `PHASE_LABELS`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Protocol

from sqlite_utils import Database

from nakyma import i18n
from nakyma.db import best_effort_write, now_utc
from nakyma.i18n import N_


class Progress(Protocol):
    def __call__(self, phase: str, done: int, total: int | None) -> None: ...


# What a phase has done, as a reader sees "upotettu 500/3000" (Finnish; translated where shown).
PHASE_LABELS: dict[str, str] = {
    "import": N_("käsitelty rivejä"),
    "embed": N_("upotettu"),
    "indicator_vectors": N_("indikaattoreita upotettu"),
    "cluster": N_("ryhmitellään ilmiöitä"),
    "links": N_("ehdotetaan indikaattorilinkkejä"),
    "signals": N_("lasketaan heikkoja signaaleja"),
    "emerging": N_("etsitään nousevia teemoja"),
    "indicators": N_("indikaattoreita haettu"),
    "indicator_signals": N_("lasketaan indikaattorisignaaleja"),
    "forecasts": N_("indikaattoreita ennustettu"),
    "backup": N_("kopioitu sivuja"),
    "check": N_("tarkistetaan varmuuskopion eheyttä"),
}


def phase_label(phase: str, language: str = i18n.SOURCE_LANGUAGE) -> str:
    label = PHASE_LABELS.get(phase)
    return i18n.gettext(language, label) if label else phase


def tell(progress: Progress | None, phase: str, done: int, total: int | None = None) -> None:
    """Call `progress` when there is one: the core's one line per report."""
    if progress is not None:
        progress(phase, done, total)


def combined(*hooks: Progress | None) -> Progress | None:
    """One hook that calls each of `hooks` (None when there are none)."""
    present = [h for h in hooks if h is not None]
    if not present:
        return None

    def call(phase: str, done: int, total: int | None) -> None:
        for hook in present:
            hook(phase, done, total)

    return call


def describe(
    phase: str,
    done: int,
    total: int | None,
    *,
    elapsed: float | None = None,
    language: str = i18n.SOURCE_LANGUAGE,
) -> str:
    """One plain line: "upotettu 500/3000 (17 %), noin 1 min 20 s jäljellä" in Finnish,
    "inbäddade 500/3000 (17 %), cirka 1 min 20 s kvar" in Swedish."""
    _ = i18n.translator(language)
    label = phase_label(phase, language)
    if total is None:
        return f"{label} …"
    line = f"{label} {done}/{total}"
    if total:
        line += f" ({100 * done // total} %)"
    if elapsed is not None and 0 < done < total:
        left = elapsed / done * (total - done)
        if left >= 1:  # "noin 0 s jäljellä" would only be noise
            line += _(", noin %(left)s jäljellä") % {"left": duration(left)}
    return line


def duration(seconds: float) -> str:
    """'45 s', '1 min 20 s', '2 h 5 min' (Finnish abbreviations)."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"


def nice_step(total: int) -> int:
    """How many items between plain progress lines: about a tenth of `total`, rounded up to
    1, 2 or 5 times a power of ten, so that a log reads 500/3000, 1000/3000, ..."""
    target = max(1, total // 10)
    base = 1
    while True:
        for factor in (1, 2, 5):
            if base * factor >= target:
                return base * factor
        base *= 10


class PlainProgress:
    """Periodic lines for a log (output that is not a terminal): one when a phase without a
    count starts, one each time `done` passes a `nice_step`, and one when a phase ends."""

    def __init__(self, echo: Callable[[str], None], *, clock: Callable[[], float] = time.monotonic):
        self._echo = echo
        self._clock = clock
        self._phase: str | None = None
        self._started = 0.0
        self._next = 0

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if phase != self._phase:
            self._phase, self._started = phase, self._clock()
            self._next = nice_step(total) if total else 0
            if total is None:
                self._echo(describe(phase, done, None))
                return
            if total == 0:
                return
        if total is None or total == 0:
            return
        if done >= total or (self._next and done >= self._next):
            self._echo(describe(phase, done, total, elapsed=self._clock() - self._started))
            step = nice_step(total)
            self._next = (done // step + 1) * step
            if done >= total:
                self._next = total + 1  # nothing more for this phase


class RunProgress:
    """Records a run's latest progress in `runs.details` ("progress": phase, done, total), so
    that the "Ajot" page shows what a running job is doing.

    A write is one short transaction of its own (`best_effort_write`: 50 ms wait at most), at
    most every `every_seconds` and on a new phase; a busy database or a caller's open
    transaction skips the write: progress is a courtesy and must never slow or fail the run.
    `finish_run` later replaces the details."""

    def __init__(self, db: Database, run_id: int, *, every_seconds: float = 2.0):
        self._db, self._run_id, self._every = db, run_id, every_seconds
        self._phase: str | None = None
        self._last = float("-inf")

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if phase == self._phase and now - self._last < self._every and done != total:
            return
        if self._db.conn.in_transaction:  # never commit a caller's half-done work
            return
        self._phase, self._last = phase, now
        value = {"phase": phase, "done": done, "total": total, "at": now_utc()}
        best_effort_write(
            self._db,
            "update runs set details = json_set(coalesce(details, '{}'), '$.progress', "
            "json(?)) where id = ? and status = 'running'",
            [json.dumps(value), self._run_id],
        )

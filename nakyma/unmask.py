"""The privacy guard's view of a text: disguises undone, with every character traced back.

People (and attackers) get personal data past a pattern matcher by writing it so that it
looks the same to a reader but not to a regular expression: fullwidth digits
(``０１０１９０-１２３Ａ``), a zero-width space or a soft hyphen inside a number, spaces
around an identity code's century sign (``010190 - 123A``), an e-mail address written
``etunimi(at)kunta.fi``, ``etunimi [at] kunta.fi``, ``etunimi at kunta.fi`` or with a
fullwidth ``＠``. ``unmask`` returns the text as the detectors should see it:

1. NFKC per grapheme (a starter and its combining marks), so fullwidth and other
   compatibility forms become plain ASCII (``＠`` → ``@``, ``１`` → ``1``);
2. invisible characters removed: every format character (category ``Cf``: zero-width
   spaces and joiners, word joiner, BOM, soft hyphen, bidi controls), variation selectors,
   the combining grapheme joiner and control characters other than tab and newline;
3. obfuscations rewritten: ``(at)``/``[at]``/``{at}``/``(a)``/``[a]`` and ``at`` between an
   e-mail-like local part and a domain become ``@``; ``(dot)``/``[dot]``/``(piste)``
   between address parts become ``.``; spaces (and dash variants) around an identity
   code's century sign are closed up.

Each character of the result carries the span of original characters it came from, so a
finding in the unmasked text maps back to exactly what the user wrote (the form highlights
it, the API reports ``start``/``end`` against it). Ordinary text comes back unchanged, so
for it the guard's results are the same as before; stored text is never the unmasked one.

``forbidden_characters`` lists the characters intake refuses outright (NUL and other
controls, bidi embedding/override/isolate marks): they have no place in an observation and
can make a stored text display differently from what it holds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Unmasked", "forbidden_characters", "unmask"]

# C0 controls except tab, LF and CR (CR is normalised to LF by intake), DEL, C1 controls.
# Controls, and lone surrogates (valid in JSON escapes, not in UTF-8: they cannot be stored).
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Bidi embeddings, overrides and isolates, and the directional marks.
_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_EXTRA_INVISIBLE = frozenset("\u034f\u115f\u1160\u3164\uffa0") | frozenset(
    chr(c) for c in range(0xFE00, 0xFE10)
)
# A quick test for "anything to drop?": controls, the common format characters and the
# fillers above; the character-by-character pass checks the category (Cf) as well.
_MAYBE_INVISIBLE_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4"
    "\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f"
    "\ufeff\uffa0\ufff9-\ufffb\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e007f]"
)

_EMAIL_CHAR = r"[\w.+%-]"
_DOMAIN_AHEAD = r"(?=[^\W_][\w-]*(?:\.|\s*(?:\(dot\)|\[dot\]|\(piste\))\s*))"
_REWRITES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    # etunimi(at)kunta.fi, etunimi [at] kunta.fi, etunimi(a)kunta.fi
    (
        re.compile(
            rf"(?<={_EMAIL_CHAR})(?:\s*(?:\(at\)|\[at\]|\{{at\}}|<at>)\s*|\(a\)|\[a\])"
            + _DOMAIN_AHEAD,
            re.IGNORECASE,
        ),
        lambda m: "@",
    ),
    # etunimi at kunta.fi (only when a domain with a dot follows)
    (
        re.compile(
            rf"(?<={_EMAIL_CHAR})\s+at\s+(?=[^\W_][\w-]*(?:\.[\w-]+)*\.[^\W\d_]{{2,63}}(?![\w-]))",
            re.IGNORECASE,
        ),
        lambda m: "@",
    ),
    # kunta(dot)fi, kunta [dot] fi, kunta(piste)fi
    (
        re.compile(r"(?<=[\w-])\s*(?:\(dot\)|\[dot\]|\(piste\)|\[piste\])\s*(?=\w)", re.I),
        lambda m: ".",
    ),
    # 010190 - 123A, 010190 -123A, 010190 A 123A (the detector still checks the date)
    (
        re.compile(
            r"(?<![\w])(?P<date>[0-9]{6})(?P<sep>\s*[-+A-FU-Ya-fu-y\u2010-\u2015\u2212]\s*)"
            r"(?=[0-9]{3}[0-9A-Za-z](?!\w))"
        ),
        lambda m: m["date"] + _century_sign(m["sep"].strip()),
    ),
)


def _century_sign(sign: str) -> str:
    return "-" if sign in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212" else sign


@dataclass(frozen=True)
class Unmasked:
    """``text`` as the detectors see it; ``origin[i]`` is the (start, end) span of the
    written text that character ``i`` came from."""

    text: str
    origin: tuple[tuple[int, int], ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The written span that ``text[start:end]`` came from."""
        return self.origin[start][0], self.origin[end - 1][1]


def _invisible(ch: str) -> bool:
    if ch in "\t\n\r":
        return False
    return (
        ch in _EXTRA_INVISIBLE
        or unicodedata.category(ch) in ("Cf", "Cc")
        or _CONTROL_RE.match(ch) is not None
    )


def _folded(written: str) -> tuple[str, list[tuple[int, int]]]:
    """Steps 1 and 2: NFKC per grapheme, invisible characters dropped."""
    if (
        written.isascii() or unicodedata.is_normalized("NFKC", written)
    ) and not _MAYBE_INVISIBLE_RE.search(written):
        if all(unicodedata.category(c) != "Cf" for c in written if not c.isascii()):
            return written, [(i, i + 1) for i in range(len(written))]
    chars: list[str] = []
    origin: list[tuple[int, int]] = []
    i, n = 0, len(written)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(written[j]):
            j += 1
        cluster = "".join(c for c in written[i:j] if not _invisible(c))
        if cluster:
            if cluster.isascii():
                folded = cluster
            else:
                folded = unicodedata.normalize("NFKC", cluster)
            for ch in folded:
                if not _invisible(ch):
                    chars.append(ch)
                    origin.append((i, j))
        i = j
    return "".join(chars), origin


def _rewritten(
    text: str,
    origin: list[tuple[int, int]],
    pattern: re.Pattern[str],
    replacement: Callable[[re.Match[str]], str],
) -> tuple[str, list[tuple[int, int]]]:
    """Replace each match; new characters span all the original characters they replace."""
    out: list[str] = []
    out_origin: list[tuple[int, int]] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() == m.end():
            continue
        out.append(text[pos : m.start()])
        out_origin.extend(origin[pos : m.start()])
        new = replacement(m)
        span = (origin[m.start()][0], origin[m.end() - 1][1])
        out.append(new)
        out_origin.extend([span] * len(new))
        pos = m.end()
    if pos == 0:
        return text, origin
    out.append(text[pos:])
    out_origin.extend(origin[pos:])
    return "".join(out), out_origin


def unmask(written: str) -> Unmasked:
    """The text with its disguises undone, and where each character came from."""
    text, origin = _folded(written)
    for pattern, replacement in _REWRITES:
        text, origin = _rewritten(text, origin, pattern, replacement)
    return Unmasked(text, tuple(origin))


def forbidden_characters(text: str) -> bool:
    """Does the text hold a control character (other than tab/newline) or a bidi control?"""
    return bool(_CONTROL_RE.search(text) or _BIDI_RE.search(text))

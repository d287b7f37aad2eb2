"""The meeting brief's data as JSON: tables as printed text, never the hidden values."""

from __future__ import annotations

import json

from nakyma.exports.brief import MeetingBrief


def render_json(brief: MeetingBrief) -> bytes:
    """Compact UTF-8 JSON of `MeetingBrief.as_dict()`."""
    return json.dumps(
        brief.as_dict(), ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")

"""The meeting brief's output formats, registered in one table (extension -> renderer), and
the names of the files they are saved as.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from nakyma.exports.brief import MeetingBrief
from nakyma.exports.csv_format import render_csv
from nakyma.exports.json_format import render_json
from nakyma.exports.markdown import render_markdown
from nakyma.exports.pdf import render_pdf
from nakyma.exports.request import Scope
from nakyma.exports.xlsx import render_xlsx
from nakyma.regions import fold


@dataclass(frozen=True)
class Renderer:
    """One output format of the meeting brief."""

    render: Callable[[MeetingBrief], bytes]
    media_type: str
    # A file to save, named by the response; else data a program reads in place (JSON),
    # which also gets its errors as data rather than as the form.
    download: bool = True


RENDERERS: dict[str, Renderer] = {
    "json": Renderer(render_json, "application/json", download=False),
    "pdf": Renderer(render_pdf, "application/pdf"),
    "xlsx": Renderer(
        render_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    "csv": Renderer(render_csv, "text/csv; charset=utf-8"),
    "md": Renderer(render_markdown, "text/markdown; charset=utf-8"),
}


def export_filename(kind: str, scope: Scope, generated_on: date, extension: str) -> str:
    """ASCII-only: "nakyma-muistio-jamsa-keuruu-2026-11-22.pdf" (no scope for the county)."""
    parts = ["nakyma", kind]
    if scope.kind != "alue":
        slug = re.sub(r"[^a-z0-9]+", "-", fold(scope.name)).strip("-")
        if slug:
            parts.append(slug)
    parts.append(generated_on.isoformat())
    return "-".join(parts) + "." + extension

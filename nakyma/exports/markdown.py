"""The meeting brief as Markdown, for pasting into meeting notes."""

from __future__ import annotations

import re

from nakyma.exports.brief import MAX_PHENOMENA, LinkedIndicator, MeetingBrief, PhenomenonBrief
from nakyma.wording import fi_date

# Escaped so that free text cannot turn into emphasis, links, tables or HTML; "<5" stays
# readable because "<" is escaped only where a tag could start.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])|(<)(?=[A-Za-z/!?])|^(#)")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), " ".join((text or "").split()))


def _md_table(rows: list[list[str]], *, numeric_from: int = 1) -> list[str]:
    header, body = rows[0], rows[1:]
    align = ["---" if i < numeric_from else "---:" for i in range(len(header))]
    out = ["| " + " | ".join(_md(h) for h in header) + " |", "| " + " | ".join(align) + " |"]
    for row in body:
        cells = [_md(row[0]), *(c.replace("|", "\\|") for c in row[1:])]
        out.append("| " + " | ".join(cells) + " |")
    return out


def markdown_text(brief: MeetingBrief) -> str:
    """The brief for pasting into meeting notes."""
    lines = _md_cover(brief)
    for n, p in enumerate(brief.phenomena, 1):
        lines += _md_phenomenon(n, p)
    return "\n".join(lines).rstrip() + "\n"


def _md_cover(brief: MeetingBrief) -> list[str]:
    """What the brief covers, the disclosure legend and a table of its phenomena."""
    lines = [
        f"# Kokousmuistio: {_md(brief.scope.label)}",
        "",
        f"{_md(brief.region)} · aikaväli {brief.window} · laadittu {fi_date(brief.generated_on)}"
        " · Näkymä",
        "",
        f"Valinta: {_md('; '.join(brief.selection))}.",
        "",
        f"> {_md(brief.legend)}",
        "",
    ]
    if not brief.phenomena:
        lines += ["Valinnalla ei löytynyt ilmiöitä.", ""]
    else:
        summary = [["Ilmiö", "Tila", "Signaali", "Havainnot", "Uutiset"]]
        summary += [
            [
                p.title,
                p.status_label,
                p.category_label or "–",
                p.observations.text,
                p.headlines.text,
            ]
            for p in brief.phenomena
        ]
        lines += ["## Ilmiöt", "", *_md_table(summary, numeric_from=3), ""]
    if brief.left_out:
        lines += [f"Lisäksi {brief.left_out} ilmiötä jäi pois (enintään {MAX_PHENOMENA}).", ""]
    return lines + _md_emerging(brief) + _md_forecasts(brief)


def _md_forecasts(brief: MeetingBrief) -> list[str]:
    """ "Ennakointi": the forecasts of the indicators linked to the brief's phenomena."""
    if not brief.forecasts:
        return []
    lines = ["## Ennakointi: tilastojen ennusteet", ""]
    for f in brief.forecasts:
        rows = [["Vuosi", "Ennuste", "80 %:n väli", "95 %:n väli"]]
        rows += [[str(r.year), r.forecast, r.interval80, r.interval95] for r in f.rows]
        lines += [
            f"### {_md(f.title)}",
            "",
            _md(f.expectation),
            "",
            _md(f.verdict),
            "",
            *_md_table(rows),
            "",
            "Ilmiöt, jotka voivat ennakoida muutosta: " + _md(", ".join(f.phenomena)) + ".",
            "",
        ]
    return lines


def _md_emerging(brief: MeetingBrief) -> list[str]:
    """ "Nousevat teemat": the emerging themes flagged in the brief's area."""
    if not brief.emerging:
        return []
    rows = [["Teema", "Luokka", "Missä", "Havainnot"]]
    rows += [[e.title, e.category_label, ", ".join(e.places), e.items] for e in brief.emerging]
    lines = ["## Nousevat teemat", "", *_md_table(rows, numeric_from=3), ""]
    for e in brief.emerging:
        if e.reasons:
            lines.append(f"- **{_md(e.title)}**: {_md(' '.join(e.reasons))}")
    return lines + [""]


def _md_phenomenon(n: int, p: PhenomenonBrief) -> list[str]:
    """One phenomenon's section, each part followed by a blank line."""
    meta = [f"**Tila:** {_md(p.status_label)}"]
    meta.append(f"**Signaali:** {_md(p.category_label or 'ei luokitusta rajauksella')}")
    if p.theme_label:
        meta.append(f"**Teema:** {_md(p.theme_label)}")
    lines = [f"## {n}. {_md(p.title)} (ilmiö {p.id})", "", " · ".join(meta), ""]
    if p.summary:
        lines += [_md(p.summary), ""]
    if p.reasons:
        lines += ["### Miksi signaali", ""] + [f"- {_md(r)}" for r in p.reasons] + [""]
    lines += ["### Aineisto kuukausittain", ""]
    lines += [*_md_table(p.months.text_rows(corner="Kuukausi")), ""]
    if p.municipalities is not None and p.municipalities.row_labels:
        lines += ["### Havainnot kunnittain", ""]
        lines += [*_md_table(p.municipalities.text_rows(corner="Kunta")), ""]
    if p.indicators:
        lines += ["### Indikaattorit", "", *(_md_indicator(i) for i in p.indicators), ""]
    if p.texts or p.texts_note:
        lines += ["### Havaintoja kentältä", ""]
        for t in p.texts:
            lines += [f"> {_md(t.text)}", f"> — {_md(t.place)}, {t.month}", ""]
        if p.texts_note:
            lines += [_md(p.texts_note), ""]
    lines += ["### Kysymyksiä kokoukselle", ""] + [f"- {_md(q)}" for q in p.questions] + [""]
    return lines


def _md_indicator(ind: LinkedIndicator) -> str:
    kind = "" if ind.accepted else " (ehdotus)"
    return (
        f"- **{_md(ind.title)}**{kind}: {_md(ind.values_text)}. "
        f"*{_md(ind.attribution)}*, <{ind.url}>"
    )


def render_markdown(brief: MeetingBrief) -> bytes:
    """The Markdown text as UTF-8 (no byte order mark)."""
    return markdown_text(brief).encode("utf-8")

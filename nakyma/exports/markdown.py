"""The meeting brief as Markdown, for pasting into meeting notes."""

from __future__ import annotations

import re

from nakyma.exports.brief import MAX_PHENOMENA, LinkedIndicator, MeetingBrief, PhenomenonBrief
from nakyma.i18n import format_date, translator

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
        lines += _md_phenomenon(n, p, brief.language)
    return "\n".join(lines).rstrip() + "\n"


def _md_cover(brief: MeetingBrief) -> list[str]:
    """What the brief covers, the disclosure legend and a table of its phenomena."""
    _ = translator(brief.language)
    made = format_date(brief.generated_on, brief.language)
    lines = [
        f"# {_('Kokousmuistio:')} {_md(brief.scope.label)}",
        "",
        f"{_md(brief.region)} · {_('aikaväli')} {brief.window} · {_('laadittu')} {made} · Näkymä",
        "",
        f"{_('Valinta:')} {_md('; '.join(brief.selection))}.",
        "",
        f"> {_md(brief.legend)}",
        "",
    ]
    if not brief.phenomena:
        lines += [_("Valinnalla ei löytynyt ilmiöitä."), ""]
    else:
        summary = [[_("Ilmiö"), _("Tila"), _("Signaali"), _("Havainnot"), _("Uutiset")]]
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
        lines += [f"## {_('Ilmiöt')}", "", *_md_table(summary, numeric_from=3), ""]
    if brief.left_out:
        left_out = _("Lisäksi %(n)s ilmiötä jäi pois (enintään %(max)s).")
        lines += [left_out % {"n": brief.left_out, "max": MAX_PHENOMENA}, ""]
    return lines + _md_emerging(brief) + _md_forecasts(brief)


def _md_forecasts(brief: MeetingBrief) -> list[str]:
    """ "Ennakointi": the forecasts of the indicators linked to the brief's phenomena."""
    if not brief.forecasts:
        return []
    _ = translator(brief.language)
    lines = [f"## {_('Ennakointi: tilastojen ennusteet')}", ""]
    for f in brief.forecasts:
        rows = [[_("Vuosi"), _("Ennuste"), _("80 %%:n väli") % {}, _("95 %%:n väli") % {}]]
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
            _("Ilmiöt, jotka voivat ennakoida muutosta:") + " " + _md(", ".join(f.phenomena)) + ".",
            "",
        ]
    return lines


def _md_emerging(brief: MeetingBrief) -> list[str]:
    """ "Nousevat teemat": the emerging themes flagged in the brief's area."""
    if not brief.emerging:
        return []
    _ = translator(brief.language)
    rows = [[_("Teema"), _("Luokka"), _("Missä"), _("Havainnot")]]
    rows += [[e.title, _(e.category_label), ", ".join(e.places), e.items] for e in brief.emerging]
    lines = [f"## {_('Nousevat teemat')}", "", *_md_table(rows, numeric_from=3), ""]
    for e in brief.emerging:
        if e.reasons:
            lines.append(f"- **{_md(e.title)}**: {_md(' '.join(e.reasons))}")
    return lines + [""]


def _md_phenomenon(n: int, p: PhenomenonBrief, language: str) -> list[str]:
    """One phenomenon's section, each part followed by a blank line."""
    _ = translator(language)
    category = _(p.category_label) if p.category_label else _("ei luokitusta rajauksella")
    meta = [f"**{_('Tila:')}** {_md(_(p.status_label))}"]
    meta.append(f"**{_('Signaali:')}** {_md(category)}")
    if p.theme_label:
        meta.append(f"**{_('Teema:')}** {_md(_(p.theme_label))}")
    lines = [f"## {n}. {_md(p.title)} ({_('ilmiö')} {p.id})", "", " · ".join(meta), ""]
    if p.summary:
        lines += [_md(p.summary), ""]
    if p.reasons:
        lines += [f"### {_('Miksi signaali')}", ""] + [f"- {_md(r)}" for r in p.reasons] + [""]
    lines += [f"### {_('Aineisto kuukausittain')}", ""]
    lines += [*_md_table(p.months.text_rows(corner=_("Kuukausi"))), ""]
    if p.municipalities is not None and p.municipalities.row_labels:
        lines += [f"### {_('Havainnot kunnittain')}", ""]
        lines += [*_md_table(p.municipalities.text_rows(corner=_("Kunta"))), ""]
    if p.indicators:
        indicators = (_md_indicator(i, language) for i in p.indicators)
        lines += [f"### {_('Indikaattorit')}", "", *indicators, ""]
    if p.texts or p.texts_note:
        lines += [f"### {_('Havaintoja kentältä')}", ""]
        for t in p.texts:
            lines += [f"> {_md(t.text)}", f"> — {_md(t.place)}, {t.month}", ""]
        if p.texts_note:
            lines += [_md(p.texts_note), ""]
    questions = [f"- {_md(q)}" for q in p.questions]
    lines += [f"### {_('Kysymyksiä kokoukselle')}", "", *questions, ""]
    return lines


def _md_indicator(ind: LinkedIndicator, language: str) -> str:
    kind = "" if ind.accepted else f" ({translator(language)('ehdotus')})"
    return (
        f"- **{_md(ind.title)}**{kind}: {_md(ind.values_in(language))}. "
        f"*{_md(ind.attribution)}*, <{ind.url}>"
    )


def render_markdown(brief: MeetingBrief) -> bytes:
    """The Markdown text as UTF-8 (no byte order mark)."""
    return markdown_text(brief).encode("utf-8")

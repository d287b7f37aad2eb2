"""Exports for network meetings: the meeting brief (one typed data function, rendered as
HTML, PDF, XLSX, CSV, Markdown and JSON) and the research export, all disclosure-controlled.

Everything that leaves the service here goes through `nakyma.disclosure`: counts 1..k-1 are
"<k" with complementary suppression, and observation texts (and research rows) from a
municipality below the population threshold name only its municipality group.

What lives where (a module imports only modules listed above it):

- `request`: what is asked for: `Scope`, `BriefRequest`, `parse_brief_request` (the form's
  query parameters, checked, problems in Finnish as `ExportError`) and the defaults.
- `brief`: the brief's data: `MeetingBrief`, `PhenomenonBrief` and their parts.
- `build`: `build_brief` and the loaders that read the database for it.
- `choices`: what the export form offers (`export_choices`).
- `chart`: the month chart's geometry, drawn both by the HTML brief's SVG (`web.charts`) and
  by the PDF.
- `columns`: the columns the CSV and the XLSX share, one row per phenomenon.
- One module per format, each with `render_*(brief: MeetingBrief) -> bytes`: `markdown`,
  `csv_format`, `xlsx`, `pdf`, `json_format`.
- `formats`: `RENDERERS`, the one table of those formats by file extension (render function
  and media type), and `export_filename`; `web.routes.exports` serves every entry at
  `/viennit/muistio.{ext}`.
- `research`: the research export (`research_rows`, `render_research_csv`), rows of
  observations rather than a brief, served at `/viennit/tutkimus.csv`.

The HTML brief itself is a template (`web/templates/brief.html`) over `MeetingBrief`.
"""

"""Exports for network meetings: the meeting brief (one typed data function, rendered as
HTML, PDF, XLSX, CSV, Markdown and JSON) and the research export, all disclosure-controlled.

Everything that leaves the service here goes through `nakyma.disclosure`: counts 1..k-1 are
"<k" with complementary suppression, and observation texts (and research rows) from a
municipality below the population threshold name only its municipality group.
"""

"""What the pages' refused forms share: the refusal shown again with 422 (`Refusal`), the
confirmation a destructive action needs, and the guard's findings split into marked parts
of the refused text. Templates show them with the macros in `_form_errors.html`."""

from __future__ import annotations

import dataclasses
from typing import Any

from nakyma import privacy, review
from nakyma.i18n import N_

CONFIRM_MISSING = N_("Vahvista toiminto rastittamalla vahvistusruutu.")


def marked_segments(text: str, spans: list[tuple[int, int, str]]) -> list[dict[str, Any]]:
    """Split text into plain and marked parts so the page can highlight personal data."""
    out: list[dict[str, Any]] = []
    pos = 0
    for start, end, kind in sorted(spans):
        if start < pos:
            continue
        if start > pos:
            out.append({"text": text[pos:start], "kind": None})
        out.append({"text": text[start:end], "kind": privacy.KINDS.get(kind, kind)})
        pos = end
    if pos < len(text):
        out.append({"text": text[pos:], "kind": None})
    return out


def confirmed(vahvista: object) -> None:
    """A destructive action goes ahead only with its confirmation box ticked. Checked here,
    not by the browser (no `required`), so the page's own message shows by the box."""
    if not vahvista:
        raise review.ReviewError(CONFIRM_MISSING, field="vahvista")


@dataclasses.dataclass
class Refusal:
    """A refused form, shown again with 422: which `form`, what was `sent`, the error and
    the `field` it is about, and the privacy guard's findings marked in that field's text
    (`segments`). The template asks each field for its error with `error_at`; an error no
    field took (its form no longer on the page, e.g. after someone else's decision, or an
    error about the whole page) is shown once above the page's sections instead."""

    form: str = ""
    field: str = ""
    error: str = ""
    sent: dict[str, Any] = dataclasses.field(default_factory=dict)
    segments: list[dict[str, Any]] | None = None
    placed: bool = False

    @classmethod
    def of(
        cls,
        exc: review.ReviewError,
        form: str,
        sent: dict[str, Any],
        *,
        field: str = "",
        guarded: str = "",
    ) -> Refusal:
        """The refusal `exc` of `form`: next to its own field, else next to `field`, with
        its findings marked in `guarded`, the text as the guard checked it."""
        spans = [(f.start, f.end, f.kind) for f in exc.findings]
        return cls(
            form=form,
            field=exc.field or field,
            error=str(exc),
            sent=sent,
            segments=marked_segments(guarded, spans) if spans else None,
        )

    def error_at(self, form: str, name: str) -> str | None:
        """This refusal's error if it belongs next to `name` in `form`."""
        if self.error and (form, name) == (self.form, self.field):
            self.placed = True
            return self.error
        return None

    def sent_or(self, form: str, name: str, default: Any = "") -> Any:
        """What was sent in `name` if `form` is the refused one, else `default`."""
        return self.sent.get(name, default) if form == self.form else default

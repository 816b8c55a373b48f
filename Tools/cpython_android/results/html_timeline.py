"""The report's timeline as plain HTML and CSS (no script, no SVG): one lane
per device or process, each test file's span a bar placed by percentages,
coloured by how it ended; a stretch the device was lost in, one a crash or
hang cut short, and the stretch that resumed or re-ran a file are marked.
Bars that overlap in one lane (regrtest -j inside one process) stack."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from .cases import Span
from .model import RunResults
from .timeline import lanes

#: Height of one row of bars in a lane, in pixels.
ROW_PX = 18
_ENDED_BADLY = {"crashed", "timed_out", "interrupted", "running"}


def text(value: str) -> str:
    """`value` safe as HTML text or a quoted attribute: markup escaped, control
    characters and lone surrogates (undecodable output) shown, never obeyed."""
    cleaned = "".join(_visible(ch) for ch in value) if not value.isprintable() else value
    return escape(cleaned, quote=True)


def _visible(ch: str) -> str:
    if ch in "\n\t" or (ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF):
        return ch
    if 0xD800 <= ord(ch) <= 0xDFFF:
        return "\ufffd"
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def clock(seconds: float) -> str:
    """A duration as people read it: "0.4 s", "12 s", "3 min 05 s", "1 h 02 min"."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 1:
        return f"{secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def _stack(spans: list[tuple[str, Span]]) -> list[int]:
    """The row of each span: the first row whose last bar ended by its start."""
    row_ends: list[float] = []
    rows = []
    for _, span in spans:
        row = next((i for i, end in enumerate(row_ends) if end <= span.started), len(row_ends))
        if row == len(row_ends):
            row_ends.append(span.ended)
        row_ends[row] = span.ended
        rows.append(row)
    return rows


def _note(span: Span, before: Span | None) -> str:
    """What is special about this stretch of a file, for its mark and title."""
    if span.lost:
        return "device lost"
    if before is not None:
        if before.lost:
            return f"re-run after {before.device} was lost"
        if before.status in ("crashed", "timed_out"):
            return f"resumed after it {before.status.replace('_', ' ')}"
        return "re-run"
    return ""


def timeline_html(results: RunResults, anchors: Mapping[str, str]) -> str:
    """The timeline section; `anchors`: file name -> its row's id in the files table."""
    by_device = lanes(results)
    spans = [span for pairs in by_device.values() for _, span in pairs]
    if not spans:
        return "<p>No per-file times were recorded (a log without regrtest's progress lines).</p>"
    t0 = min(s.started for s in spans)
    wall = max(max(s.ended for s in spans) - t0, 1e-3)
    previous = _previous_spans(results)
    out = [f'<div class="axis"><span>0 s</span><span>{clock(wall / 2)}</span>'
           f'<span>{clock(wall)}</span></div>']
    for device, pairs in by_device.items():
        rows = _stack(pairs)
        height = (max(rows) + 1) * ROW_PX
        out.append(f'<div class="lane"><div class="who" title="{text(device)}">{text(device)}'
                   f'</div><div class="bars" style="height:{height}px">')
        for (name, span), row in zip(pairs, rows, strict=True):
            note = _note(span, previous.get((name, span.device, span.started)))
            out.append(_bar(name, span, row, note, t0, wall, anchors.get(name, "")))
        out.append("</div></div>")
    return "\n".join(out)


def _previous_spans(results: RunResults) -> dict[tuple[str, str, float], Span]:
    """Each span's predecessor in its own file, by (file, device, start)."""
    before: dict[tuple[str, str, float], Span] = {}
    for f in results.files.values():
        ordered = [s for attempt in [*f.earlier, f] for s in attempt.settled_spans()]
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            before[(f.name, later.device, later.started)] = earlier
    return before


def _bar(name: str, span: Span, row: int, note: str, t0: float, wall: float,
         anchor: str) -> str:
    left = (span.started - t0) / wall * 100
    width = max(span.seconds / wall * 100, 0.15)
    marks = " lost" if span.lost else ""
    marks += " cut" if span.status in _ENDED_BADLY and not span.lost else ""
    marks += " again" if note and not span.lost else ""
    status = span.status.replace("_", " ")
    title = f"{name}: {status}, {clock(span.seconds)} on {span.device}" + (
        f" ({note})" if note else "")
    return (f'<a class="bar s-{text(span.status)}{marks}" href="#{anchor}" '
            f'style="left:{left:.3f}%;width:{width:.3f}%;top:{row * ROW_PX}px" '
            f'title="{text(title)}" data-file="{text(name)}">{text(name)}</a>')

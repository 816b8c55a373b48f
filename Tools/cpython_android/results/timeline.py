"""Where and when each test file ran: its spans (`cases.Span`), one per
stretch on one device or process, for the report's timeline and the JUnit's
per-file properties.

The output gives each file's start as seconds after its process started
(regrtest's progress line, `TestFile.began_at`) and its duration; `stamp`
turns that into wall-clock spans once the harness knows the process's start
and end.  A file that crashed and was resumed, or ran again elsewhere after
its device was lost, keeps one span per stretch (`model.merge`).
"""

from __future__ import annotations

from .cases import UNFINISHED_FILE_STATUSES, FileState, Span
from .model import RunResults, TestFile


def stamp(results: RunResults, device: str, started: float, ended: float, *,
          lost: bool = False) -> None:
    """`results`, one finished part of a run (one process's output), ran on
    `device` from `started` to `ended` (epoch seconds): each file that ran in it
    (and each of its regrtest re-run attempts) gains its span.  `lost`: the
    device was lost, and the span of the file it was running says so."""
    ran = [attempt for f in results.files.values() for attempt in [*f.earlier, f]
           if attempt.status != FileState.NOT_RUN and not _stamped(attempt, started)]
    # In the order they started; a file without a progress line (a log
    # without timestamps) follows the one before it.
    ran.sort(key=lambda f: f.began_at if f.began_at is not None else float("inf"))
    cursor = started
    for i, f in enumerate(ran):
        begin = min(max(started + f.began_at, started) if f.began_at is not None else cursor,
                    ended)
        unfinished = f.status in UNFINISHED_FILE_STATUSES | {FileState.INTERRUPTED}
        if f.duration > 0 and f.status not in (FileState.RUNNING, FileState.INTERRUPTED):
            end = begin + f.duration
        else:  # a crash or a lost device ended it: until the next file, or the end
            later = [g.began_at for g in ran[i + 1:] if g.began_at is not None]
            end = started + later[0] if later else ended
        end = min(max(end, begin), ended)
        f.spans.append(Span(device, begin, end, lost=lost and unfinished))
        cursor = end


def _stamped(f: TestFile, started: float) -> bool:
    """Already stamped for this process (a re-run attempt shares its file's list)."""
    return bool(f.spans) and f.spans[-1].started >= started


def lanes(results: RunResults) -> dict[str, list[tuple[str, Span]]]:
    """Each device's (or process's) spans, (file name, span) by start time."""
    by_device: dict[str, list[tuple[str, Span]]] = {}
    for f in results.files.values():
        for attempt in [*f.earlier, f]:
            for span in attempt.settled_spans():
                by_device.setdefault(span.device, []).append((f.name, span))
    for spans in by_device.values():
        spans.sort(key=lambda pair: pair[1].started)
    return dict(sorted(by_device.items()))

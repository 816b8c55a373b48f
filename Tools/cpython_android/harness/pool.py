"""The test files not started yet, shared by every runner of a sharded run.

Each runner takes its next batch from the pool when it is free, so the work
balances itself: a shard that finishes early takes more, and a device that is
lost gives its unfinished files back for the others.  Batches follow guided
self-scheduling: each takes about 1/(2 x active runners) of the work left,
heaviest files first, so the first batches are big (one process start runs
most of the work: an Android app start costs seconds) and the last ones small,
to fill the gaps; never below 1/(8 x runners) of the whole (or one file), so
a runner starts its process about a dozen times at most, not once per file.
A file handed back by a lost device while it was running counts one try; at
most `MAX_TRIES`, so a test that takes devices down cannot take the whole
pool with it.

Weights are seconds from an earlier JUnit (`--durations`), else the number of
test cases regrtest lists for the file (`--list-cases`), else 1 per file.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

#: How many times a file may be running when its device is lost.
MAX_TRIES = 2


def file_weights(files: Sequence[str], durations: Mapping[str, float] | None = None,
                 cases: Mapping[str, int] | None = None) -> dict[str, float]:
    """Each file's expected work: its earlier duration; without one, the mean of the
    known durations; with no durations, its number of test cases (at least 1)."""
    if durations:
        known = [durations[f] for f in files if f in durations]
        default = sum(known) / len(known) if known else 1.0
        return {f: durations.get(f, default) for f in files}
    cases = cases or {}
    return {f: float(max(1, cases.get(f, 1))) for f in files}


@dataclass
class WorkPool:
    """Files not started yet, and who is still working on the rest."""

    weights: dict[str, float]
    active: int  # runners that may still take work (not lost)
    #: Files in the order the selection named them: a batch runs in that order.
    order: dict[str, int] = field(default_factory=dict)
    tries: Counter[str] = field(default_factory=Counter)
    _waiting: list[str] = field(default_factory=list)  # heaviest first
    _busy: int = 0  # runners inside a batch: they may still give files back
    _smallest: float = 0.0  # the least work a batch takes (but at least one file)
    # Set whenever files come back or a batch ends; an Event, not a Condition,
    # so `finished` needs no lock and can run while the task is being cancelled.
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def of(cls, files: Sequence[str], weights: Mapping[str, float], runners: int) -> WorkPool:
        pool = cls(dict(weights), runners, order={name: i for i, name in enumerate(files)})
        pool._add(files)
        pool._smallest = sum(pool.weights.get(name, 1.0) for name in files) / (8 * runners)
        return pool

    @property
    def left(self) -> list[str]:
        """Files nobody took (in the selection's order)."""
        return sorted(self._waiting, key=self._position)

    async def take(self) -> list[str]:
        """The next batch, waiting while others may still give files back;
        [] when there is nothing left to do."""
        while not self._waiting and self._busy:
            self._changed.clear()
            await self._changed.wait()
        if not self._waiting:
            return []
        self._busy += 1
        return self._next_batch()

    def finished(self, *, lost: bool = False, unfinished: Iterable[str] = (),
                       running: str | None = None) -> list[str]:
        """A batch is over.  `lost`: its runner's device is gone: `unfinished`
        (and `running`, which counts a try) go back to the pool and the runner
        takes no more.  Returns the files that used up their tries."""
        exhausted: list[str] = []
        self._busy -= 1
        if lost:
            self.active -= 1
            back = [name for name in unfinished if name != running]
            if running is not None:
                self.tries[running] += 1
                if self.tries[running] < MAX_TRIES:
                    back.insert(0, running)
                else:
                    exhausted.append(running)
            if self.active > 0:
                self._add(back)
            else:  # nobody left to run them: the caller reports them
                exhausted += back
        self._changed.set()
        return exhausted

    def _position(self, name: str) -> int:
        return self.order.get(name, len(self.order))

    def _add(self, files: Iterable[str]) -> None:
        self._waiting += files
        self._waiting.sort(key=lambda name: (-self.weights.get(name, 1.0), self._position(name)))

    def _next_batch(self) -> list[str]:
        share = max(self._smallest, sum(self.weights.get(name, 1.0) for name in self._waiting)
                    / (2 * max(1, self.active)))
        batch: list[str] = []
        taken = 0.0
        while self._waiting and (not batch or taken < share):
            name = self._waiting.pop(0)
            taken += self.weights.get(name, 1.0)
            batch.append(name)
        return sorted(batch, key=self._position)

"""Each runner's output, as it streamed, in a file of its own beside the HTML
report (which links them): with several runners the console interleaves
their lines; a runner's log reads as one process's output."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..console import Console

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def log_name(label: str) -> str:
    """A file name for a runner's label ("tcp:10.0.0.2:5037/emulator-5554" has
    characters no file system takes everywhere)."""
    return (_UNSAFE.sub("_", label).strip("._") or "runner")[:100] + ".log"


@dataclass
class RunnerLogs:
    """Per-runner log files in `directory`, opened on a runner's first line."""

    directory: Path
    console: Console
    _files: dict[str, TextIO] = field(default_factory=dict)
    _paths: dict[str, Path] = field(default_factory=dict)
    _broken: bool = False  # a log that cannot be written is said once, then skipped

    def write(self, label: str, line: str) -> None:
        if self._broken:
            return
        try:
            out = self._files.get(label)
            if out is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                path = self.directory / log_name(label)
                out = self._files[label] = path.open("w", encoding="utf-8",
                                                     errors="backslashreplace")
                self._paths[label] = path
            out.write(line + "\n")
        except OSError as e:  # the run goes on; the report just links no log
            self._broken = True
            self.console.warn(f"warning: cannot write the runners' logs in {self.directory} "
                              f"({e.strerror or e}); the run goes on without them")

    def close(self) -> dict[str, Path]:
        """Close every file: each runner's label and its log."""
        for out in self._files.values():
            try:
                out.close()
            except OSError:  # what could not be flushed is lost, said by write's warning
                self._broken = True
        self._files.clear()
        return {} if self._broken else dict(self._paths)

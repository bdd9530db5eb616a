"""What long work is doing, shown on a terminal and nowhere else.

A build of a million triples takes minutes; a silent terminal for that long looks like a hang. On a
TTY (stderr), each stage shows a spinner with its counts and elapsed time while it runs, then one line
with what it did. When stderr is not a terminal (CI, pipes, a server's log), nothing extra is printed:
logs stay what they were. rich draws it (a well-kept library, already in the dependency tree).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Progress:
    """Stages of one piece of work; `enabled=None` means "only if stderr is a terminal"."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._console: Any = None
        self._status: Any = None
        self._stage = ""
        self._started = 0.0
        self._closed = False
        self.timings: dict[str, float] = {}  # stage → seconds, kept whether shown or not

    @contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[Progress]:
        """Run one stage: shown while it runs, then a line `✓ name  detail  1.2 s`; its time is kept."""
        self._stage, self._started = name, time.perf_counter()
        self._show(detail)
        try:
            yield self
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - self._started, 3)
            self._stop()

    def update(self, detail: str) -> None:
        """New counts for the running stage (cheap when disabled: call it as often as you like)."""
        if self.enabled and self._status is not None:
            elapsed = time.perf_counter() - self._started
            self._status.update(f"[bold]{self._stage}[/bold]  {detail}  [dim]{elapsed:.1f} s[/dim]")

    def done(self, detail: str) -> None:
        """The running stage's closing line (instead of its last update)."""
        if self.enabled and self._console is not None:
            elapsed = time.perf_counter() - self._started
            self._console.print(f"[green]✓[/green] {self._stage:<10} {detail}  [dim]{elapsed:.1f} s[/dim]")
            self._closed = True

    def _console_or_new(self) -> Any:
        if self._console is None:
            from rich.console import Console  # only on a terminal: nothing to import otherwise

            self._console = Console(stderr=True, highlight=False)
        return self._console

    def _show(self, detail: str) -> None:
        self._closed = False
        if self.enabled:
            self._status = self._console_or_new().status(f"[bold]{self._stage}[/bold]  {detail}")
            self._status.start()

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
        if self.enabled and not self._closed:
            self.done("")

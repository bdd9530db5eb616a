"""Run a timing loop in a forked child with a wall-clock budget, so one runaway query cannot hang a run.

Oxigraph's `Store.query` cannot be interrupted from Python, so the only sound way to bound a query is
a process we can kill. Forking keeps the parent's loaded store (copy-on-write) so the child starts at
once; each sample is sent back as soon as it is measured, so a killed child still reports what it did.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass
class Samples:
    """Seconds per repetition, the size of the answer, and whether the budget cut the loop short."""

    seconds: list[float] = field(default_factory=list)
    rows: int | None = None
    timed_out: bool = False
    error: str | None = None


def _child(conn, action: Callable[[], T], count: Callable[[T], int], repeat: int, warmup: int) -> None:
    try:
        for i in range(warmup + repeat):
            started = time.perf_counter()
            answer = action()
            elapsed = time.perf_counter() - started
            if i >= warmup:
                conn.send(("sample", elapsed, count(answer) if i == warmup else None))
        conn.send(("done", None, None))
    except Exception as exc:  # reported to the parent, which prints it in the table
        conn.send(("error", f"{type(exc).__name__}: {exc}", None))
    finally:
        conn.close()


def measure(
    action: Callable[[], T], repeat: int, budget: float, count: Callable[[T], int], warmup: int = 1
) -> Samples:
    """Time `action` `repeat` times after `warmup` runs, within `budget` seconds in all.

    `count` sizes the first timed answer (outside the timing), so engines can be checked to agree.
    """
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, action, count, repeat, warmup), daemon=True)
    proc.start()
    child.close()
    out = Samples()
    deadline = time.monotonic() + budget
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not parent.poll(left):
                out.timed_out = True
                break
            try:
                kind, value, rows = parent.recv()
            except EOFError:
                out.error = f"benchmark child died (exit code {proc.exitcode})"
                break
            if kind == "sample":
                out.seconds.append(value)
                out.rows = rows if rows is not None else out.rows
            elif kind == "error":
                out.error = value
                break
            else:
                break
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()
    return out

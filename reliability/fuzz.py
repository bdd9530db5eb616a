"""Scenario 1: fuzz every route with generated inputs; no 5xx, no traceback, the server still alive.

A 503 with Retry-After is the time budget doing its job, not a failure; any other 5xx is. Tracebacks
are looked for in every answer body and in the server's own log. Requests go out on a few threads
(one connection each) with a timeout per request and a deadline for the whole run, so a server that
hangs makes the run report it instead of running for ever.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from . import routes
from .client import NoAnswer, Reply, Request, exchange
from .report import Row, statuses, verdict
from .server import Server

MARKERS = (b"Traceback", b'File "')
NOT_READY = "503 not ready"


@dataclass
class RouteFigures:
    statuses: Counter = field(default_factory=Counter)
    failures: int = 0  # 5xx other than 503 + Retry-After
    tracebacks: int = 0


@dataclass
class FuzzResult:
    planned: int
    seed: int
    by_route: dict[str, RouteFigures] = field(default_factory=lambda: defaultdict(RouteFigures))
    examples: list[str] = field(default_factory=list)
    log_tracebacks: int = 0
    alive: bool = False
    seconds: float = 0.0

    @property
    def sent(self) -> int:
        return sum(sum(f.statuses.values()) for f in self.by_route.values())

    def total(self, status) -> int:
        return sum(f.statuses[status] for f in self.by_route.values())

    @property
    def server_errors(self) -> int:
        """Answers with a 5xx that is not a budget refusal (500, 502, a 503 without Retry-After…)."""
        return sum(n for f in self.by_route.values() for s, n in f.statuses.items() if _is_5xx_failure(s))

    @property
    def body_tracebacks(self) -> int:
        return sum(f.tracebacks for f in self.by_route.values())

    def problems(self) -> list[str]:
        found = []
        if self.total(500):
            found.append(f"{self.total(500)} answers with status 500")
        if self.server_errors - self.total(500):
            found.append(f"{self.server_errors - self.total(500)} other 5xx (not 503 + Retry-After)")
        if self.body_tracebacks:
            found.append(f"{self.body_tracebacks} tracebacks in answers")
        if self.log_tracebacks:
            found.append(f"{self.log_tracebacks} tracebacks in the server log")
        if not self.alive:
            found.append("server not healthy at the end")
        if self.sent < self.planned:
            found.append(f"only {self.sent} of {self.planned} requests sent before the deadline")
        return found

    def rows(self) -> list[Row]:
        rows = []
        for route in routes.ROUTES:
            f = self.by_route[route]
            figures = f"{sum(f.statuses.values())} req: {statuses(_classes(f.statuses))}"
            problems = [f"{f.failures} failed"] if f.failures else []
            problems += [f"{f.tracebacks} tracebacks"] if f.tracebacks else []
            rows.append(Row("fuzz", route, figures, verdict(problems)))
        no_answer = self.total("no answer") + self.total("timeout")
        figures = (
            f"{self.sent} req in {self.seconds:.0f} s (seed {self.seed}): 5xx {self.server_errors} "
            f"(500: {self.total(500)}), no answer {no_answer}, tracebacks {self.body_tracebacks}+"
            f"{self.log_tracebacks} (answers+log), /healthz 503 {self.total(NOT_READY)}, "
            f"{'alive' if self.alive else 'DEAD'}"
        )
        rows.append(Row("fuzz", f"all {len(routes.ROUTES)} routes", figures, verdict(self.problems())))
        return rows


def _is_5xx_failure(status) -> bool:
    return status == "503 no Retry-After" or (isinstance(status, int) and status >= 500 and status != 503)


def _classes(counts: Counter) -> Counter:
    """Statuses grouped as 2xx/3xx/4xx, with every 5xx and every non-answer kept apart."""
    grouped: Counter = Counter()
    for status, n in counts.items():
        keep = not isinstance(status, int) or status >= 500
        grouped[status if keep else f"{status // 100}xx"] += n
    return grouped


def _status(route: str, reply: Reply) -> int | str:
    """The status; a 503 is told apart: /healthz saying "no query worker alive" (its documented
    answer, not a failure), or a refusal without Retry-After (a failure)."""
    if reply.status == 503 and route == "/healthz":
        return NOT_READY
    if reply.status == 503 and "retry-after" not in reply.headers:
        return "503 no Retry-After"
    return reply.status


def _describe(route: str, request: Request, outcome) -> str:
    target = request.target[:120].decode("latin-1")
    return f"{route}: {request.method} {target!r} → {outcome}"


def run(server: Server, count: int, seed: int = 0, threads: int = 4, deadline: float = 600.0) -> FuzzResult:
    """Send `count` generated requests (or as many as fit before `deadline` seconds)."""
    work = routes.generate(seed, count)
    result = FuzzResult(count, seed)
    lock, mark, started = threading.Lock(), server.log_size(), time.monotonic()
    stop_at = started + deadline

    def client(offset: int) -> None:
        for route, request in work[offset::threads]:
            if time.monotonic() > stop_at:
                return
            try:
                reply = exchange(server.port, request, timeout=20)
                status: int | str = _status(route, reply)
                traceback = any(m in reply.body for m in MARKERS) and not any(
                    m in request.encode(server.port) for m in MARKERS
                )
            except TimeoutError:
                status, traceback = "timeout", False
            except (NoAnswer, OSError):
                status, traceback = "no answer", False
            with lock:
                figures = result.by_route[route]
                figures.statuses[status] += 1
                failed = _is_5xx_failure(status)
                figures.failures += failed
                figures.tracebacks += traceback
                if (failed or traceback or status == "timeout") and len(result.examples) < 12:
                    result.examples.append(_describe(route, request, status))

    pool = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(deadline + 30)
    result.seconds = time.monotonic() - started
    # alive: healthy within 100 polls (workers stopped at the budget may be restarting right now)
    result.alive = server.wait_healthy(polls=100) is not None
    result.log_tracebacks = server.tracebacks(mark)
    return result

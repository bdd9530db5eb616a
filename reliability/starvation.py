"""Scenario 2: cheap queries keep their throughput while expensive ones run alongside.

Cheap throughput is measured alone, then again while 4 clients send expensive queries; the ratio is
the figure (target ≥ 0.8). Every query text is distinct (a random literal in a filter), so neither
response cache helps. /healthz is polled meanwhile. Expensive queries should be refused with 503 and
Retry-After, never a 500; a refused client retries after 0.1 s (sooner than Retry-After says, but
without turning into a flood of refusals that would measure something else). Timings are reported,
never asserted.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from .client import Connection, Reply, exchange, get, sparql
from .report import Row, statuses, verdict
from .server import PREFIX, Server

TARGET = 0.8
CHEAP = PREFIX + 'SELECT ?c ?l WHERE {{ ?c rdfs:label ?l FILTER(?l != "r{n}") }} LIMIT 10'
EXPENSIVE = [
    # a 3-way cross product (about 10^9 rows for 1,000 triples), sorted
    'SELECT ?a ?f WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(?c != "r{n}") }} ORDER BY ?f ?i',
    # a property path closed both ways over the ring, times every triple
    PREFIX + "SELECT (COUNT(*) AS ?n) WHERE {{ ?a (ex:hasPartner|^ex:hasPartner)* ?b . "
    '?c ?d ?e FILTER(?e != "r{n}") }}',
]


@dataclass
class Phase:
    seconds: float = 0.0
    ok: int = 0
    statuses: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else math.nan


@dataclass
class StarvationResult:
    clients: int
    alone: Phase
    alongside: Phase
    expensive: Counter  # status (or "503 no Retry-After", "no answer") → count
    health: list[float]  # /healthz latencies during the expensive phase, seconds
    health_failures: Counter

    @property
    def ratio(self) -> float:
        return self.alongside.rate / self.alone.rate if self.alone.rate else math.nan

    def problems(self) -> list[str]:
        """Non-timing properties only: no 500 anywhere, expensive queries refused with 503 + Retry-After."""
        found = []
        bad = {s: n for s, n in self.expensive.items() if s not in (200, 503)}
        if bad:
            found.append(f"expensive queries answered {statuses(Counter(bad))}")
        for phase, name in ((self.alone, "cheap alone"), (self.alongside, "cheap alongside")):
            errors = {s: n for s, n in phase.statuses.items() if not isinstance(s, int) or s >= 500}
            if any(s != 503 for s in errors):
                found.append(f"{name}: {statuses(Counter(errors))}")
        return found

    def rows(self) -> list[Row]:
        ratio = f"{self.ratio:.2f}" if not math.isnan(self.ratio) else "-"
        below = [f"ratio {ratio} < {TARGET}"] if not self.ratio >= TARGET else []
        alone, alongside = self.alone, self.alongside
        figures = (
            f"alone {alone.rate:.0f}/s ({statuses(alone.statuses)}); beside {alongside.rate:.0f}/s "
            f"({statuses(alongside.statuses)}); ratio {ratio} (target ≥ {TARGET})"
        )
        p50, p99 = _percentile(self.health, 50), _percentile(self.health, 99)
        health = f"/healthz p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms ({len(self.health)} polls"
        health += f", failed {statuses(self.health_failures)})" if self.health_failures else ")"
        what = f"{self.clients} cheap clients alone, then beside 4 expensive"
        return [
            Row("load", what, figures, verdict(below)),
            Row(
                "load",
                "the 4 expensive clients' statuses",
                statuses(self.expensive),
                verdict(self.problems()),
            ),
            Row("load", "/healthz polled in the expensive phase", health, "info"),
        ]


def _percentile(samples: list[float], q: float) -> float:
    if not samples:
        return math.nan
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def _status(reply: Reply) -> int | str:
    return (
        "503 no Retry-After" if reply.status == 503 and "retry-after" not in reply.headers else reply.status
    )


def _cheap_load(port: int, clients: int, seconds: float, seed: int, limit: int = 200_000) -> Phase:
    phase, lock = Phase(), threading.Lock()
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        rng, conn, seen = random.Random(f"{seed}-{index}"), Connection(port), Counter()
        for _ in range(limit):
            if time.monotonic() >= deadline:
                break
            try:
                seen[_status(conn.send(sparql(CHEAP.format(n=rng.getrandbits(48)))))] += 1
            except OSError:
                seen["no answer"] += 1
        conn.close()
        with lock:
            phase.statuses.update(seen)

    started = time.perf_counter()
    _together([threading.Thread(target=client, args=(i,)) for i in range(clients)], seconds)
    phase.seconds = time.perf_counter() - started
    phase.ok = phase.statuses[200]
    return phase


def _together(threads: list[threading.Thread], seconds: float) -> None:
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)


def run(server: Server, seconds: float = 10.0, clients: int = 4, seed: int = 0) -> StarvationResult:
    _cheap_load(server.port, clients, min(2.0, seconds), seed)  # warm-up, not counted
    alone = _cheap_load(server.port, clients, seconds, seed + 1)
    expensive, health, health_failures = Counter(), [], Counter()
    stop = threading.Event()
    lock = threading.Lock()

    def hog(index: int) -> None:
        rng, conn = random.Random(f"hog-{seed}-{index}"), Connection(server.port, timeout=60)
        while not stop.is_set():
            text = EXPENSIVE[index % len(EXPENSIVE)].format(n=rng.getrandbits(48))
            try:
                status = _status(conn.send(sparql(text)))
            except OSError:
                status = "no answer"
            with lock:
                expensive[status] += 1
            if status != 200:
                stop.wait(0.1)  # a refused client comes back soon, but does not spin on 503s
        conn.close()

    def poll_health() -> None:
        while not stop.wait(0.05):
            try:
                reply = exchange(server.port, get("/healthz"), timeout=30)
            except OSError:
                health_failures["no answer"] += 1
                continue
            if reply.status == 200:
                health.append(reply.seconds)
            else:
                health_failures[reply.status] += 1

    helpers = [threading.Thread(target=hog, args=(i,), daemon=True) for i in range(4)]
    helpers.append(threading.Thread(target=poll_health, daemon=True))
    for thread in helpers:
        thread.start()
    time.sleep(0.5)  # the expensive queries are running before the cheap clients start
    alongside = _cheap_load(server.port, clients, seconds, seed + 2)
    stop.set()
    for thread in helpers:
        thread.join(90)
    return StarvationResult(clients, alone, alongside, expensive, health, health_failures)

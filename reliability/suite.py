"""The four scenarios at a chosen scale, each returning its table rows and its failed properties.

`python -m reliability` prints the rows; tests/test_reliability.py asserts on the same results at the
quick scale. Properties are non-timing (statuses, tracebacks, liveness, counts); timings and the
throughput ratio are figures only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import damage, fuzz, kill, starvation
from . import server as srv
from .report import Row

log = logging.getLogger("reliability")


@dataclass(frozen=True)
class Scale:
    fuzz_requests: int
    fuzz_deadline: float  # seconds for the whole fuzz; what is left unsent is reported
    load_seconds: float  # per phase (alone, alongside)
    settle: float  # seconds of load before and after each kill
    recover_polls: int  # /healthz polls (0.1 s apart) allowed to come back after a kill


FULL = Scale(fuzz_requests=10_000, fuzz_deadline=420, load_seconds=10, settle=1.0, recover_polls=300)
QUICK = Scale(fuzz_requests=1_000, fuzz_deadline=90, load_seconds=4, settle=0.5, recover_polls=200)


@dataclass
class Outcome:
    """One scenario's rows for the table, its failed properties, and the raw result for tests."""

    rows: list[Row]
    problems: list[str]
    result: Any = field(repr=False, default=None)


@dataclass(frozen=True)
class Workspace:
    """A tmp folder with the generated ontology and the build cache every server shares."""

    folder: Path

    @property
    def ontology(self) -> Path:
        return self.folder / "ontology"

    @property
    def cache(self) -> Path:
        return self.folder / "cache"

    @classmethod
    def create(cls, folder: Path) -> Workspace:
        srv.write_ontology(folder / "ontology")
        return cls(folder)


def run_fuzz(ws: Workspace, scale: Scale, seed: int = 0) -> Outcome:
    log.info("fuzz: %d requests over %d routes (seed %d)", scale.fuzz_requests, len(fuzz.routes.ROUTES), seed)
    with srv.serving(ws.ontology, ws.cache, ws.folder / "fuzz-server.log") as server:
        result = fuzz.run(server, scale.fuzz_requests, seed, deadline=scale.fuzz_deadline)
    for example in result.examples:
        log.info("fuzz example: %s", example)
    return Outcome(result.rows(), result.problems(), result)


def run_load(ws: Workspace, scale: Scale, seed: int = 0) -> Outcome:
    log.info("load: cheap alone, then with expensive queries, %.0f s each", scale.load_seconds)
    with srv.serving(ws.ontology, ws.cache, ws.folder / "load-server.log") as server:
        result = starvation.run(server, scale.load_seconds, seed=seed)
    return Outcome(result.rows(), result.problems(), result)


def run_kill(ws: Workspace, scale: Scale, seed: int = 0) -> Outcome:
    log.info("kill: a query worker, a server worker, the main process")
    results = kill.run(ws.ontology, ws.cache, ws.folder, seed, scale.settle, scale.recover_polls)
    problems = [f"{r.kind}: {p}" for r in results for p in r.problems()]
    return Outcome([r.row() for r in results], problems, results)


def run_cache(ws: Workspace, scale: Scale, seed: int = 0) -> Outcome:
    log.info("cache: %d kinds of damage, then kg build and kg export", len(damage.DAMAGES))
    results = damage.run(ws.ontology, ws.folder / "damage")
    problems = [f"{r.damage}: {p}" for r in results for p in r.problems()]
    return Outcome([r.row() for r in results], problems, results)


SCENARIOS = {"fuzz": run_fuzz, "load": run_load, "kill": run_kill, "cache": run_cache}

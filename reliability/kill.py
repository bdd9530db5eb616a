"""Scenario 3: SIGKILL each kind of process under a light load; only the victim's requests may fail.

Kinds: a query worker (a `kg.worker` process forked by a zygote), a zygote, a server (granian) worker, and the
main `kg serve` process. A request in flight on a killed query worker should get a 503; one in flight
on a killed server worker can only lose its connection; every other request must succeed, and no
answer may be a 500. Killing the main process must take every descendant with it, so that a restart
on the same port works. Waits are bounded numbers of polls; times are figures, never assertions.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import server as srv
from .client import exchange, sparql
from .report import Row, statuses, verdict
from .server import PREFIX, Proc, Server

CHEAP = PREFIX + 'ASK {{ ex:c{i} ex:hasPartner ?x FILTER(?x != "r{n}") }}'
ORPHAN_POLLS, POLL_SECONDS = 50, 0.2  # orphans get 10 s to go


@dataclass(frozen=True)
class Sample:
    started: float
    ended: float
    status: int | str  # an HTTP status, or "no answer"


class LightLoad:
    """`clients` threads sending distinct cheap queries, one fresh connection each, until stopped."""

    def __init__(self, port: int, clients: int = 2, seed: int = 0, limit: int = 20_000) -> None:
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(
                target=self._client, args=(port, random.Random(f"{seed}-{i}"), limit), daemon=True
            )
            for i in range(clients)
        ]

    def _client(self, port: int, rng: random.Random, limit: int) -> None:
        for _ in range(limit):
            if self._stop.is_set():
                return
            started = time.monotonic()
            try:
                text = CHEAP.format(i=rng.randrange(200), n=rng.getrandbits(48))
                status: int | str = exchange(port, sparql(text), timeout=20).status
            except OSError:
                status = "no answer"
            with self._lock:
                self.samples.append(Sample(started, time.monotonic(), status))
            self._stop.wait(0.02 if status == 200 else 0.1)

    def __enter__(self) -> LightLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)


@dataclass
class KillResult:
    kind: str
    victim: str = "-"
    in_flight: int = 0  # requests started before the kill and answered after it
    victims: Counter = field(default_factory=Counter)  # statuses of those of them that failed
    later: Counter = field(default_factory=Counter)  # failures of requests started after the kill
    served: int = 0
    healthy_after: float | None = None
    orphans: int | None = None
    restarted: bool | None = None
    restart_said: str = ""
    tracebacks: int = 0  # in the server's log from the start of the load to the end (a figure)
    note: str = ""

    def problems(self) -> list[str]:
        found = []
        # a killed server process cannot answer what it held: those requests lose their connection
        allowed = {503} if self.kind in ("query worker", "zygote") else {503, "no answer"}
        wrong = {s: n for s, n in self.victims.items() if s not in allowed}
        if wrong:
            found.append(f"in-flight requests failed with {statuses(Counter(wrong))}")
        if self.kind != "main process" and self.later:
            found.append(f"requests sent after the kill failed: {statuses(self.later)}")
        if self.kind == "main process" and any(s != "no answer" for s in self.later):
            found.append(f"answers after the kill: {statuses(self.later)}")
        if self.restarted is None and self.healthy_after is None:
            found.append("never healthy again")
        if self.orphans:
            found.append(f"{self.orphans} orphan processes left")
        if self.restarted is False:
            found.append(f"restart on the same port failed ({self.restart_said})")
        return found

    def row(self) -> Row:
        healthy = "never" if self.healthy_after is None else f"{self.healthy_after:.1f}s"
        figures = (
            f"in flight {self.in_flight}, failed {statuses(self.victims) or 0}; sent later "
            f"{self.served + sum(self.later.values())}, failed {statuses(self.later) or 0}"
        )
        if self.orphans is not None:
            figures += f"; orphans {self.orphans}"
        if self.restarted is None:
            figures += f"; healthy again in {healthy}"
        else:
            figures += f"; restart on its port {'healthy in ' + healthy if self.restarted else 'FAILED'}"
        figures += f"; tracebacks in log {self.tracebacks}"
        if self.note:
            figures += f"; {self.note}"
        return Row("kill", f"SIGKILL a {self.kind} under light load", figures, verdict(self.problems()))


def _sigkill(victim: Proc) -> tuple[float, float]:
    """SIGKILL `victim`; (when the signal was sent, when the process was seen gone: ≤ 2 s later).

    A request sent between the two may still have reached the victim, so it counts as in flight.
    """
    sent = time.monotonic()
    os.kill(victim.pid, signal.SIGKILL)
    for _ in range(2000):
        if srv.exited(victim):
            break
        time.sleep(0.001)
    return sent, time.monotonic()


def _classify(result: KillResult, samples: list[Sample], window: tuple[float, float]) -> None:
    """In flight: sent before the victim was gone and answered after the signal. Later: sent after."""
    sent, gone = window
    for sample in samples:
        if sample.started < gone and sample.ended >= sent:
            result.in_flight += 1
            if sample.status != 200:
                result.victims[sample.status] += 1
        elif sample.started >= gone:
            if sample.status == 200:
                result.served += 1
            else:
                result.later[sample.status] += 1


def _wait_gone(procs: list[Proc]) -> list[Proc]:
    for _ in range(ORPHAN_POLLS):
        left = srv.alive(procs)
        if not left:
            return []
        time.sleep(POLL_SECONDS)
    return srv.alive(procs)


def _reap(procs: list[Proc]) -> None:
    """SIGKILL leftovers of ours by pid (they are descendants of a server this suite started)."""
    for proc in srv.alive(procs):
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)


def kill_child(server: Server, kind: str, seed: int, settle: float, polls: int = 300) -> KillResult:
    """SIGKILL a query worker or a server worker; then wait (bounded) for health to come back."""
    result = KillResult(kind)
    rng = random.Random(seed)
    mark = server.log_size()
    with LightLoad(server.port, seed=seed) as load:
        time.sleep(settle)
        finders = {"query worker": srv.query_workers, "zygote": srv.zygotes}
        candidates = finders.get(kind, srv.server_workers)(server)
        if not candidates:
            result.note = "no such process found"
            return result
        victim = rng.choice(sorted(candidates, key=lambda p: p.pid))
        # a zygote's workers are meant to outlive it: they belong to the server's pool, not to the zygote
        below = [] if kind == "zygote" else srv.descendants(victim.pid)
        result.victim = f"pid {victim.pid}"
        window = _sigkill(victim)
        for _ in range(polls):
            if server.healthy(timeout=1.0):
                result.healthy_after = time.monotonic() - window[0]
                break
            time.sleep(0.1)
        time.sleep(settle)  # the load goes on for a while after recovery
    _classify(result, load.samples, window)
    result.tracebacks = server.tracebacks(mark)
    if below:  # a server worker's query workers must not outlive it
        left = _wait_gone(below)
        result.orphans = len(left)
        _reap(left)
    return result


def kill_main(server: Server, seed: int, settle: float, polls: int = 300) -> KillResult:
    """SIGKILL `kg serve` itself: every descendant must go, and a restart on its port must work."""
    result = KillResult("main process", victim=f"pid {server.process.pid}")
    tree = srv.descendants(server.process.pid)
    mark = server.log_size()
    with LightLoad(server.port, seed=seed) as load:
        time.sleep(settle)
        sent = time.monotonic()
        server.process.kill()
        server.process.wait(10)  # reaped: gone
        window = (sent, time.monotonic())
        time.sleep(settle)
    _classify(result, load.samples, window)
    left = _wait_gone(tree)
    result.orphans = len(left)
    if left:
        workers = sum("kg.worker" in p.cmdline for p in left)
        result.note = f"left: {len(left) - workers} server + {workers} query workers"
    restart = srv.start(
        Path(server.env["KG_ONTOLOGY"]), Path(server.env["KG_CACHE_DIR"]), server.log, server.port
    )
    try:
        result.healthy_after = restart.wait_healthy(polls=polls * 2)
        result.restarted = result.healthy_after is not None
        result.tracebacks = server.tracebacks(mark)
        if not result.restarted:
            said = restart.log_text().strip().splitlines()
            result.restart_said = said[-1][:120] if said else ""
    finally:
        restart.stop()
        _reap(left)
    return result


def run(
    ontology: Path, cache: Path, workdir: Path, seed: int = 0, settle: float = 1.0, polls: int = 300
) -> list[KillResult]:
    """One server for the two child kills (a new one if the first kill took it down), one for the main."""
    results = []
    log = workdir / "kill-server.log"
    server = srv.start(ontology, cache, log)
    try:
        server.wait_healthy()
        for kind in ("query worker", "zygote", "server worker"):
            if not server.healthy():
                server.stop()
                server = srv.start(ontology, cache, log)
                server.wait_healthy()
            results.append(kill_child(server, kind, seed, settle, polls))
        if not server.healthy():
            server.stop()
            server = srv.start(ontology, cache, log)
            server.wait_healthy()
        results.append(kill_main(server, seed, settle, polls))
    finally:
        server.stop()
    return results

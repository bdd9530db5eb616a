"""The query time budget: a small pool of worker processes that run SPARQL and can be killed.

A thread cannot stop an Oxigraph query that is busy in Rust, but the kernel can stop a process. Each
worker loads its own copy of the snapshot (an N-Quads bulk load, cheap) and answers one request at a
time: it runs `sparql.run`, serializes with `formats` and sends back bytes plus metadata. When a query
overruns its budget the parent kills that worker — the CPU is really freed — starts a replacement in
the background and raises `QueryTimeout`; the other workers keep serving meanwhile.

Workers are fresh interpreters (never a `fork` of a threaded server). Nothing here knows about HTTP.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from . import formats, sparql
from .build import Snapshot
from .errors import KGError, QueryError, QueryTimeout
from .store import DatasetSpec, OxigraphStore
from .terms import OxTerm, parse_term

log = logging.getLogger(__name__)

_READY = "ready"
_PARENT_CHECK_SECONDS = 1.0
_RESTART_DELAY_SECONDS = 5


@dataclass(frozen=True)
class Job:
    """One query to run; every field pickles cheaply (terms travel as N-Triples strings)."""

    text: str
    format: str
    infer: bool = True
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    substitutions: tuple[tuple[str, str], ...] = ()
    cap: int | None = None
    allowed_service_hosts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Answer:
    """A serialized answer and what the caller needs for headers, logs and metrics."""

    body: bytes
    form: str
    rows: int
    truncated: bool


def substitutions(values: Mapping[str, OxTerm]) -> tuple[tuple[str, str], ...]:
    """Variable bindings in the form a `Job` carries them: (name, N-Triples term) pairs."""
    return tuple((name, str(term)) for name, term in values.items())


class WorkerFailed(KGError):
    """A worker died while answering (crash or memory exhaustion); the message hides the details."""

    status = 500


# --- inside a worker process ------------------------------------------------------------------


def _watch_parent(parent_pid: int) -> None:
    """Exit when the parent is gone, even in the middle of a query (Oxigraph releases the GIL)."""
    while True:
        time.sleep(_PARENT_CHECK_SECONDS)
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            os._exit(0)


def _answer(store: OxigraphStore, job: Job) -> Answer:
    spec = DatasetSpec(job.infer, job.default_graphs, job.named_graphs)
    subs = {name: parse_term(value) for name, value in job.substitutions}
    outcome = sparql.run(store, job.text, spec, subs, job.cap, job.allowed_service_hosts)
    fmt = formats.lookup(job.format)
    count = [0]

    def counted(items):
        for item in items:
            count[0] += 1
            yield item

    if outcome.form == "ASK":
        body = formats.write_boolean(fmt, bool(outcome.boolean))
        count[0] = 1
    elif outcome.form == "SELECT":
        body = b"".join(formats.write_rows(fmt, outcome.variables, counted(outcome.rows)))
    else:
        body = formats.write_graph(fmt, counted(outcome.triples)) or b""
    return Answer(body, outcome.form, count[0], outcome.truncated())


def worker_main(fd: int) -> None:
    """A worker's life: load the snapshot, say ready, then answer jobs until the socket closes."""
    conn = Connection(fd)
    folder, manifest, parent_pid = conn.recv()
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    store = OxigraphStore(Snapshot(Path(folder), manifest))
    conn.send(_READY)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = ("ok", _answer(store, job))
        except KGError as exc:
            reply = ("error", exc)
        except (OSError, ValueError, TypeError, RuntimeError, SyntaxError) as exc:
            # Oxigraph evaluates lazily: evaluation errors surface while iterating, after `query()`.
            reply = ("error", QueryError(f"query failed: {exc}"))
        except Exception:
            log.exception("query worker failed on a job")
            reply = ("error", WorkerFailed("internal error while running the query"))
        conn.send(reply)


# --- in the server process --------------------------------------------------------------------


class _Worker:
    """One worker process, started as a fresh interpreter (`python -c`), talking over a socket pair.

    A fresh interpreter rather than `multiprocessing`: it starts from any thread of any host
    (granian, pytest, the CLI) without re-importing the host's `__main__`, and never forks a
    threaded process.
    """

    def __init__(self, snapshot) -> None:
        ours, theirs = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"from kg.executor import worker_main; worker_main({theirs.fileno()})"],
            pass_fds=(theirs.fileno(),),
            env=env,
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.conn = Connection(ours.detach())
        self.conn.send((str(snapshot.folder), snapshot.manifest, os.getpid()))

    def wait_ready(self, timeout: float) -> bool:
        try:
            return self.conn.poll(timeout) and self.conn.recv() == _READY
        except (EOFError, OSError):
            return False

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)
        self.conn.close()


class Executor:
    """A pool of query workers. Thread-safe: any number of request threads may call `run`."""

    def __init__(self, snapshot, size: int = 2, start_timeout: float = 60) -> None:
        self._snapshot = snapshot
        self._start_timeout = start_timeout
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self._live: set[_Worker] = set()
        self._closed = False
        self.size = max(1, size)
        self.timeouts = 0
        for _ in range(self.size):
            self._replace()

    @property
    def alive(self) -> int:
        """How many workers have loaded the data and not been retired (a health signal)."""
        with self._lock:
            return len(self._live)

    @property
    def idle(self) -> int:
        return self._idle.qsize()

    def run(self, job: Job, budget: float) -> Answer:
        """Run `job` on a free worker within `budget` seconds (waiting for a worker counts too)."""
        deadline = time.monotonic() + budget
        try:
            worker = self._idle.get(timeout=budget)
        except queue.Empty:
            raise QueryTimeout(
                f"no query worker became free within the {budget:g} s budget; the server is busy"
            ) from None
        try:
            worker.conn.send(job)
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                self._retire(worker)
                self.timeouts += 1
                raise QueryTimeout(f"the query ran out of its {budget:g} s time budget and was stopped")
            status, payload = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self._retire(worker)
            raise WorkerFailed("the query worker stopped unexpectedly (out of memory?)") from None
        self._idle.put(worker)
        if status == "error":
            raise payload
        return payload

    def close(self) -> None:
        """Kill every worker; used at shutdown and by tests."""
        self._closed = True
        with self._lock:
            workers, self._workers, self._live = list(self._workers), set(), set()
        for worker in workers:
            worker.kill()

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker (it may be mid-query) and start its replacement without blocking the caller."""
        worker.kill()
        with self._lock:
            self._workers.discard(worker)
            self._live.discard(worker)
        threading.Thread(target=self._replace, name="kg-worker-replace", daemon=True).start()

    def _replace(self) -> None:
        if self._closed:
            return
        worker = _Worker(self._snapshot)
        with self._lock:
            self._workers.add(worker)
        threading.Thread(target=self._admit, args=(worker,), daemon=True).start()

    def _admit(self, worker: _Worker) -> None:
        if worker.wait_ready(self._start_timeout) and not self._closed:
            with self._lock:
                self._live.add(worker)
            self._idle.put(worker)
            return
        worker.kill()
        with self._lock:
            self._workers.discard(worker)
        if not self._closed:
            log.error("a query worker failed to start; retrying in %d s", _RESTART_DELAY_SECONDS)
            time.sleep(_RESTART_DELAY_SECONDS)
            self._replace()

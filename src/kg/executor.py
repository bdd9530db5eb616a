"""The query budget: a pool of worker processes that run SPARQL, walled off, bounded and killable.

A thread cannot stop an Oxigraph query that is busy in Rust, but the kernel can stop a process. The
workers (`worker.py`) wall themselves off from the network (`egress.py`), cap their address space
(RLIMIT_AS) and answer one job at a time: `sparql.run` with the shape the guard already found, the
answer serialized under a row cap and a byte cap. They are forked by a zygote process that loaded the
data once (never a `fork` of this threaded server), so replacing a killed worker costs milliseconds;
without a zygote a worker starts as a fresh interpreter.

The pool keeps cheap queries flowing while expensive ones run:

- **Admission.** At most `size + queue` requests are inside the pool (running or waiting for a
  worker); one more gets `Busy` (503) at once instead of a thread held for the whole budget.
- **The budget counts from arrival**, including the wait for a worker.
- **Two lanes.** Every query starts at normal priority. One still running after `fast_seconds` is
  *expensive*: its worker is reniced to the lowest priority, so cheap queries (and the server) get the
  CPU first, and a replacement starts at once (the demoted worker is retired after its answer), so
  `size` workers always serve the cheap lane. At most `max_expensive` expensive queries run at once; a
  query that turns expensive when that many already run is stopped at once with `Busy`. While that
  lane is full, new queries get a shorter probe (0.1 s), and a query whose fingerprint (its structure,
  constants and variable names aside) already ran long is refused before it takes a worker, so a
  client repeating an expensive query cannot keep the cheap lane busy with doomed probes.
- **Supervision.** A monitor replaces dead workers within a second, so `alive` (the health signal) is
  the truth; a job sent to a worker that had died idle is retried on another, since it never ran. A
  worker killed while answering costs exactly that request a 503. When a replacement cannot load the
  data because the cache was damaged or deleted, the pool asks `rebuild` once for a fresh snapshot,
  then backs off and reports, never looping hot.

Nothing here knows about HTTP.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from multiprocessing import reduction
from multiprocessing.connection import Connection
from typing import Protocol

from .errors import KGError, QueryTimeout
from .snapshot import Snapshot, verify
from .terms import OxTerm
from .worker import FORK, READY, Answer, Busy, Job, WorkerFailed, WorkerSettings, public_message

__all__ = [
    "Answer",
    "Busy",
    "Executor",
    "Job",
    "QueryRunner",
    "WorkerFailed",
    "WorkerSettings",
    "capacity",
    "public_message",
]

log = logging.getLogger(__name__)

_MONITOR_SECONDS = 0.5
_RESTART_DELAYS = (0.5, 2, 5, 15, 30)
_LOW_PRIORITY = 19
_PRESSURE_PROBE_SECONDS = 0.1
QUEUE_PER_WORKER = 8  # default admission queue per worker (see `capacity`)
_KNOWN_EXPENSIVE = 1024  # job keys remembered as expensive (LRU)


def capacity(size: int, queue_size: int | None) -> int:
    """Requests a pool admits at once (running or waiting for a worker): `size` plus the queue
    (eight times `size` by default: 16 clients on a 2-worker process wait their turn within their
    budget instead of getting 503 at once, measured in bench --scale). The server gives that many
    threads to queries, plus spares."""
    size = max(1, size)
    return size + (QUEUE_PER_WORKER * size if queue_size is None else max(0, queue_size))


def _job_key(job: Job) -> bytes:
    """What makes two jobs alike in cost: the query's structure (its fingerprint: constants and
    variable names aside, so a client cannot dodge the memory by changing a literal) and its dataset.
    The format is only how the answer is written."""
    text = job.shape.fingerprint if job.shape is not None and job.shape.fingerprint else job.text
    same = (text, job.default_graphs, job.named_graphs, job.infer)
    return hashlib.blake2b(repr(same).encode(), digest_size=16).digest()


def substitutions(values: Mapping[str, OxTerm]) -> tuple[tuple[str, str], ...]:
    """Variable bindings in the form a `Job` carries them: (name, N-Triples term) pairs."""
    return tuple((name, str(term)) for name, term in values.items())


# --- in the server process --------------------------------------------------------------------


def _python(entry: str, fd: int) -> subprocess.Popen:
    """A fresh interpreter running `kg.worker.<entry>(fd)`, from any thread of any host (granian,
    pytest, the CLI) without re-importing the host's `__main__` and without forking a threaded process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    return subprocess.Popen(
        [sys.executable, "-c", f"from kg.worker import {entry}; {entry}({fd})"],
        pass_fds=(fd,),
        env=env,
        stdin=subprocess.DEVNULL,
    )


class _Worker:
    """One query worker process and the socket the server talks to it over.

    Forked by the zygote (the usual way: milliseconds) or, when no zygote is available, started as a
    fresh interpreter that loads the data itself.
    """

    def __init__(self, pid: int, conn: Connection, process: subprocess.Popen | None = None) -> None:
        self.pid, self.conn, self.process = pid, conn, process
        self.wall = ""
        self.failure = ""
        self.lowered = False
        self.expensive = False  # demoted to the expensive lane: retired after its answer
        self._killing = threading.Lock()
        self._killed = False

    @classmethod
    def spawn(cls, snapshot: Snapshot, settings: WorkerSettings) -> _Worker:
        ours, theirs = socket.socketpair()
        process = _python("worker_main", theirs.fileno())
        theirs.close()
        worker = cls(process.pid, Connection(ours.detach()), process)
        worker.conn.send((str(snapshot.folder), snapshot.manifest, os.getpid(), settings))
        return worker

    def dead(self) -> bool:
        if self.process is not None:
            return self.process.poll() is not None
        try:
            os.kill(self.pid, 0)  # a zygote's child: the zygote reaps it, so no zombie lingers
        except ProcessLookupError:
            return True
        return False

    def wait_ready(self, timeout: float) -> bool:
        try:
            if not self.conn.poll(timeout):
                return False
            status, detail = self.conn.recv()
        except (EOFError, OSError):
            return False
        if status == READY:
            self.wall = detail
            return True
        self.failure = detail
        return False

    def lower_priority(self) -> None:
        """Let cheap work run first; only the query's thread (the worker's main thread) is affected."""
        try:
            os.setpriority(os.PRIO_PROCESS, self.pid, _LOW_PRIORITY)
            self.lowered = True
        except OSError:
            pass

    def restore_priority(self) -> bool:
        """Back to normal priority; False when this process may not raise it (not root)."""
        if not self.lowered:
            return True
        try:
            os.setpriority(os.PRIO_PROCESS, self.pid, 0)
        except OSError:
            return False
        self.lowered = False
        return True

    def kill(self) -> None:
        """Stop the process and close its socket, once: `close()` and a request thread retiring the
        same worker may both get here, and closing a file descriptor twice can close a stranger's."""
        with self._killing:
            if self._killed:
                return
            self._killed = True
        if self.process is not None:
            self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, 9)
        self.conn.close()


class _Zygote:
    """The process that holds the loaded data and forks ready workers on request (see worker.py)."""

    def __init__(self, snapshot: Snapshot, settings: WorkerSettings) -> None:
        ours, theirs = socket.socketpair()
        self.process = _python("zygote_main", theirs.fileno())
        theirs.close()
        self.conn = Connection(ours.detach())
        self.conn.send((str(snapshot.folder), snapshot.manifest, os.getpid(), settings))
        self._lock = threading.Lock()
        self.wall = ""

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float) -> bool:
        try:
            if not self.conn.poll(timeout):
                return False
            status, detail = self.conn.recv()
        except (EOFError, OSError):
            return False
        self.wall = detail if status == READY else ""
        return status == READY

    def dead(self) -> bool:
        return self.process.poll() is not None

    def fork(self) -> _Worker:
        """A new worker, forked with the data already loaded; OSError when the zygote is gone."""
        ours, theirs = socket.socketpair()
        try:
            with self._lock:
                self.conn.send(FORK)
                reduction.send_handle(self.conn, theirs.fileno(), self.process.pid)
                if not self.conn.poll(10):
                    raise OSError("the zygote did not answer")
                pid = self.conn.recv()
        except (EOFError, OSError):
            ours.close()
            raise OSError("the zygote is gone") from None
        finally:
            theirs.close()
        return _Worker(pid, Connection(ours.detach()))

    def kill(self) -> None:
        self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self.conn.close()


class QueryRunner(Protocol):
    """What the web app needs of whoever runs its queries: this pool, or `remote_executor` (a remote
    SPARQL store, no worker processes)."""

    capacity: int
    problem: str  # why queries cannot run now, for /healthz ("" when they can)
    wall: str  # what stops a query reaching the network, for /healthz

    @property
    def alive(self) -> int:
        """How many can answer now; 0 makes /healthz fail."""
        ...

    def run(self, job: Job, budget: float, arrived: float | None = None) -> Answer: ...

    def close(self) -> None: ...


class Executor:
    """A pool of query workers. Thread-safe: any number of request threads may call `run`."""

    def __init__(
        self,
        snapshot: Snapshot,
        size: int = 2,
        start_timeout: float = 60,
        queue_size: int | None = None,
        fast_seconds: float = 0.5,
        max_expensive: int | None = None,
        settings: WorkerSettings | None = None,
        rebuild: Callable[[], Snapshot] | None = None,
    ) -> None:
        self._snapshot = snapshot
        self._settings = settings or WorkerSettings()
        self._rebuild = rebuild
        self._start_timeout = start_timeout
        self.size = max(1, size)
        self.capacity = capacity(size, queue_size)
        self.fast_seconds = fast_seconds
        self.max_expensive = max(1, self.size // 2) if max_expensive is None else max(0, max_expensive)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self._live: set[_Worker] = set()
        self._admitted = 0
        self._expensive = 0
        self._known_expensive: OrderedDict[bytes, None] = OrderedDict()  # keys of jobs that ran long
        self._zygote: _Zygote | None = None
        self._zygote_lock = threading.Lock()
        self._failures = 0
        self._closed = False
        self.problem = ""  # why workers cannot start, for /healthz
        self.wall = ""  # the egress wall the workers reported
        for _ in range(self.size):
            self._replace()
        threading.Thread(target=self._monitor, name="kg-worker-monitor", daemon=True).start()

    @property
    def alive(self) -> int:
        """How many workers have loaded the data and are still running (a health signal)."""
        with self._lock:
            return sum(1 for w in self._live if not w.dead())

    def run(self, job: Job, budget: float, arrived: float | None = None) -> Answer:
        """Run `job` on a free worker within `budget` seconds counted from `arrived` (a
        `time.monotonic()` reading; now when omitted), waiting for a worker included."""
        deadline = (time.monotonic() if arrived is None else arrived) + budget
        key = _job_key(job)
        with self._lock:
            if self._admitted >= self.capacity:
                raise Busy(
                    f"the server is answering {self._admitted} queries already (its limit); retry shortly"
                )
            if key in self._known_expensive and self._expensive >= self.max_expensive:
                raise Busy(
                    f"this query ran long before, and the server is already running {self.max_expensive} "
                    "long queries; retry later"
                )
            self._admitted += 1
        try:
            return self._run(job, key, budget, deadline)
        finally:
            with self._lock:
                self._admitted -= 1

    def _probe_seconds(self, key: bytes) -> float:
        """How long a query runs at normal priority before it counts as expensive: none for one known
        to be expensive; less while the expensive lane is full (a probe that overruns then is stopped,
        so it should hold a worker briefly)."""
        with self._lock:
            if key in self._known_expensive:
                return 0.0
            if self._expensive >= self.max_expensive:
                return min(self.fast_seconds, _PRESSURE_PROBE_SECONDS)
        return self.fast_seconds

    def _run(self, job: Job, key: bytes, budget: float, deadline: float) -> Answer:
        if time.monotonic() >= deadline:
            raise QueryTimeout(f"the request waited its whole {budget:g} s budget before it could start")
        while True:
            worker = self._take(budget, deadline)
            try:
                worker.conn.send(job)
                break
            except (OSError, BrokenPipeError):
                self._retire(worker)  # it died idle: the job never ran, try another worker
        try:
            probe = self._probe_seconds(key)
            answered = worker.conn.poll(max(0.0, min(probe, deadline - time.monotonic())))
            if not answered:
                answered = self._wait_expensive(worker, key, budget, deadline)
            status, payload = worker.conn.recv()
        except (EOFError, OSError):
            self._retire(worker)
            raise WorkerFailed(
                "the query worker stopped while running this query (it was killed or ran out of "
                f"its {self._settings.memory_mb} MiB memory limit)"
            ) from None
        if worker.expensive or not worker.restore_priority():
            self._retire(worker)  # an expensive worker's replacement started when it was demoted
        else:
            self._idle.put(worker)
        if status == "error":
            raise payload
        return payload

    def _take(self, budget: float, deadline: float) -> _Worker:
        while True:
            try:
                worker = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise QueryTimeout(
                    f"no query worker became free within the {budget:g} s budget; the server is busy"
                ) from None
            if not worker.dead():
                return worker
            self._retire(worker)

    def _wait_expensive(self, worker: _Worker, key: bytes, budget: float, deadline: float) -> bool:
        """The query outlived the fast lane: run it at low priority if an expensive slot is free."""
        with self._lock:
            self._known_expensive[key] = None
            self._known_expensive.move_to_end(key)
            if len(self._known_expensive) > _KNOWN_EXPENSIVE:
                self._known_expensive.popitem(last=False)
            admitted = self._expensive < self.max_expensive
            if admitted:
                self._expensive += 1
        if not admitted:
            self._retire(worker)
            raise Busy(
                f"this query ran longer than {self.fast_seconds:g} s while the server was already running "
                f"{self.max_expensive} long queries; it was stopped, retry later"
            )
        try:
            worker.lower_priority()
            worker.expensive = True
            self._start_replacement()  # the cheap lane keeps `size` workers while this one runs long
            if worker.conn.poll(max(0.0, deadline - time.monotonic())):
                return True
            self._retire(worker)
            raise QueryTimeout(f"the query ran out of its {budget:g} s time budget and was stopped")
        finally:
            with self._lock:
                self._expensive -= 1

    def close(self) -> None:
        """Kill every worker; used at shutdown and by tests."""
        self._closed = True
        with self._lock:
            workers, self._workers, self._live = list(self._workers), set(), set()
        for worker in workers:
            worker.kill()
        with self._zygote_lock:
            if self._zygote is not None:
                self._zygote.kill()
                self._zygote = None

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker (it may be mid-query) and start its replacement without blocking the caller
        (unless it was an expensive one, whose replacement started when it was demoted)."""
        with self._lock:
            known = worker in self._workers
            self._workers.discard(worker)
            self._live.discard(worker)
        worker.kill()
        if known and not worker.expensive:
            self._start_replacement()

    def _start_replacement(self) -> None:
        threading.Thread(target=self._replace, name="kg-worker-replace", daemon=True).start()

    def _monitor(self) -> None:
        """Replace workers that died while idle, so that health and capacity stay true."""
        while not self._closed:
            time.sleep(_MONITOR_SECONDS)
            with self._lock:
                dead = [w for w in self._live if w.dead()]
            for worker in dead:
                log.warning("query worker %d died; replacing it", worker.pid)
                self._retire(worker)

    def _replace(self) -> None:
        if self._closed:
            return
        try:
            worker = self._new_worker()
        except OSError as exc:  # shutting down, or out of processes: report, retry later
            if not self._closed:
                log.error("cannot start a query worker (%s); retrying", exc)
                retry = threading.Timer(_RESTART_DELAYS[-1], self._replace)
                retry.daemon = True
                retry.start()
            return
        with self._lock:
            self._workers.add(worker)
        threading.Thread(target=self._admit, args=(worker,), daemon=True).start()

    def _new_worker(self) -> _Worker:
        """Forked by the zygote when there is one (started on first need); else a fresh interpreter."""
        with self._zygote_lock:
            if self._zygote is None or self._zygote.dead():
                if self._zygote is not None:
                    self._zygote.kill()
                self._zygote = _Zygote(self._snapshot, self._settings)
                if not self._zygote.wait_ready(self._start_timeout):
                    self._zygote.kill()
                    self._zygote = None
            zygote = self._zygote
        if zygote is not None:
            try:
                return zygote.fork()
            except OSError:
                pass
        return _Worker.spawn(self._snapshot, self._settings)

    def _admit(self, worker: _Worker) -> None:
        if worker.wait_ready(self._start_timeout) and not self._closed:
            with self._lock:
                self._live.add(worker)
                self._failures = 0
            self.wall, self.problem = worker.wall, ""
            self._idle.put(worker)
            return
        with self._lock:
            self._workers.discard(worker)
            self._failures += 1
            failures = self._failures
        worker.kill()
        if self._closed:
            return
        self._recover(worker.failure or "the worker did not start", failures)
        time.sleep(_RESTART_DELAYS[min(failures, len(_RESTART_DELAYS)) - 1])
        self._replace()

    def _recover(self, failure: str, failures: int) -> None:
        """A worker could not load the data: rebuild a damaged or deleted cache once, else report."""
        damage = verify(self._snapshot)
        if damage and self._rebuild is not None and failures == 1:
            log.warning("the build cache changed under the server (%s); rebuilding it", damage)
            try:
                self._snapshot = self._rebuild()
                return
            except KGError as exc:
                failure = exc.message
        self.problem = damage or failure
        if failures == 1 or failures % 20 == 0:
            log.error("a query worker failed to start (%s); retrying with back-off", self.problem)

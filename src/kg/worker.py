"""Inside a query worker: walled off, memory-capped, answering one job at a time until its parent goes.

Two ways to start one. `worker_main` is a fresh interpreter that loads the snapshot itself (about 0.3 s
of CPU). `zygote_main` loads it once, then forks a ready worker per request from the server in a few
milliseconds: a worker stopped at the time budget is replaced almost for free, so stopping expensive
queries does not eat the CPU that cheap ones need. The zygote walls itself off from the network before
it loads anything, and every fork inherits the wall (a seccomp filter survives fork). It runs no
thread of its own, so forking it is safe; its children share the loaded data copy-on-write.

Nothing here imports rdflib, owlrl or pyshacl: a worker starts from `snapshot.py`, not `build.py`.
"""

from __future__ import annotations

import logging
import os
import re
import resource
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing import reduction
from multiprocessing.connection import Connection
from pathlib import Path

from . import egress, formats, sparql
from .errors import KGError, QueryError
from .snapshot import Snapshot
from .store import DatasetSpec, OxigraphStore, Store
from .terms import parse_term

log = logging.getLogger(__name__)

READY = "ready"
FORK = "fork"
_PARENT_CHECK_SECONDS = 0.5


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
    #: what the guard found in the server process; None = the worker checks the text itself
    shape: sparql.QueryShape | None = None
    #: bytes of serialized answer before it is cut (at a row boundary); None = no byte cap
    max_bytes: int | None = None


@dataclass(frozen=True)
class Answer:
    """A serialized answer and what the caller needs for headers, logs and metrics."""

    body: bytes
    form: str
    rows: int
    truncated: bool
    cut_by: str = ""  # "rows" or "bytes" when truncated


@dataclass(frozen=True)
class WorkerSettings:
    """What a worker needs besides the snapshot: its memory cap (address space, applied once the data
    is loaded) and whether it may use the network (only when an operator allows SERVICE hosts)."""

    memory_mb: int = 1024
    allow_network: bool = False


class WorkerFailed(KGError):
    """A worker died while answering: killed, or out of its memory limit. Only that request fails."""

    status = 503


class Busy(KGError):
    """The pool is full (admission), or already running as many expensive queries as it may."""

    status = 503


_NETWORK_WORDS = re.compile(
    r"os error|connect|refused|resolve|dns|socket|network|http|tls|certificate|timed out|permission denied",
    re.IGNORECASE,
)


def public_message(exc: BaseException, shape: sparql.QueryShape | None) -> str:
    """An evaluation error as a client may see it: never a remote host's state (that would make the
    server a port scanner), never more than one short line."""
    text = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    if (shape is not None and shape.services) or isinstance(exc, OSError) or _NETWORK_WORDS.search(text):
        return "the query failed while calling another service (details are not disclosed)"
    return f"query failed: {text}"


def _watch_server(server_pid: int) -> None:
    """Exit when the server process is gone, even in the middle of a query (Oxigraph releases the
    GIL). The server, not the zygote: a worker forked by a zygote that died keeps serving."""
    while True:
        time.sleep(_PARENT_CHECK_SECONDS)
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            os._exit(0)


class _CappedBody:
    """Collects serialized chunks and tells the row source when the byte cap is reached."""

    def __init__(self, max_bytes: int | None) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.max_bytes = max_bytes
        self.rows = 0
        self.cut_by = ""

    def write(self, chunk: bytes) -> int:
        self.parts.append(bytes(chunk))
        self.size += len(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass

    def rows_of(self, items):
        """Yield items until the byte cap is reached (checked before each: the answer stays whole)."""
        for item in items:
            if self.max_bytes is not None and self.size >= self.max_bytes:
                self.cut_by = "bytes"
                return
            self.rows += 1
            yield item


def _answer(store: Store, job: Job) -> Answer:
    spec = DatasetSpec(job.infer, job.default_graphs, job.named_graphs)
    subs = {name: parse_term(value) for name, value in job.substitutions}
    outcome = sparql.run(store, job.text, spec, subs, job.cap, job.allowed_service_hosts, job.shape)
    fmt = formats.lookup(job.format)
    body = _CappedBody(job.max_bytes)
    if outcome.form == "ASK":
        body.write(formats.write_boolean(fmt, bool(outcome.boolean)))
        body.rows = 1
    elif outcome.form == "SELECT":
        for chunk in formats.write_rows(fmt, outcome.variables, body.rows_of(outcome.rows)):
            body.write(chunk)
    else:
        formats.write_graph(fmt, body.rows_of(outcome.triples), body)
    cut_by = body.cut_by or ("rows" if outcome.truncated() else "")
    return Answer(b"".join(body.parts), outcome.form, body.rows, bool(cut_by), cut_by)


def _limit_memory(megabytes: int) -> None:
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _quiet_stop_signals() -> None:
    """A stop signal to the whole process group must not cut the answers in flight: the server drains
    them, then leaves, and the parent watch ends the worker."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _load(conn: Connection) -> tuple[Store, WorkerSettings, int, str] | None:
    """Read the setup, wall off the network, load the data; None (after telling the parent) on failure."""
    folder, manifest, server_pid, settings = conn.recv()
    wall = "allowed by the operator" if settings.allow_network else egress.block_network()
    try:
        store = OxigraphStore(Snapshot(Path(folder), manifest))
    except KGError as exc:
        conn.send(("failed", exc.message))
        return None
    return store, settings, server_pid, wall


def _serve(
    conn: Connection, store: Store, settings: WorkerSettings, server_pid: int, wall: str
) -> None:
    threading.Thread(target=_watch_server, args=(server_pid,), daemon=True).start()
    _limit_memory(settings.memory_mb)  # after loading: the limit is for queries, bulk loads peak higher
    conn.send((READY, wall))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(_reply(store, job, settings))


def _reply(store: Store, job: Job, settings: WorkerSettings) -> tuple[str, object]:
    try:
        return ("ok", _answer(store, job))
    except QueryError as exc:
        if exc.message.startswith("query failed:"):
            exc = QueryError(public_message(exc, job.shape))
        return ("error", exc)
    except KGError as exc:
        return ("error", exc)
    except MemoryError:
        return ("error", WorkerFailed(f"the query needed more than {settings.memory_mb} MiB and was stopped"))
    except (OSError, ValueError, TypeError, RuntimeError, SyntaxError) as exc:
        # Oxigraph evaluates lazily: evaluation errors surface while iterating, after `query()`.
        return ("error", QueryError(public_message(exc, job.shape)))
    except Exception:
        log.exception("query worker failed on a job")
        return ("error", QueryError("internal error while running the query"))


def worker_main(fd: int) -> None:
    """A fresh-interpreter worker: load the snapshot, say ready, answer jobs until the socket closes."""
    _quiet_stop_signals()
    conn = Connection(fd)
    loaded = _load(conn)
    if loaded is not None:
        _serve(conn, *loaded)


def zygote_main(fd: int) -> None:
    """Load once, then fork a worker for each request: the request names nothing, the worker's socket
    comes with it as a passed file descriptor, and the reply is the worker's pid. Leaves when the
    server does (its control socket closes)."""
    _quiet_stop_signals()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the workers: no zombies
    control = Connection(fd)
    loaded = _load(control)
    if loaded is None:
        return
    store, settings, server_pid, wall = loaded
    control.send((READY, wall))
    while True:
        try:
            control.recv()
            worker_fd = reduction.recv_handle(control)
        except (EOFError, OSError):
            return
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _serve(Connection(worker_fd), store, settings, server_pid, wall)
            finally:
                os._exit(0)
        os.close(worker_fd)
        control.send(pid)

"""The real `kg serve` on a loopback port, with a small generated ontology and its own tmp cache.

As in tests/web_fixtures.py, but the server's stdout and stderr go to a log file, so the suite can
count the tracebacks the server printed, and the process tree is read from /proc, so a scenario can
pick a victim to SIGKILL and tell which processes outlived their parent.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .client import Reply, Request, exchange

EX = "https://w3id.org/pharma-kg/id/"  # our namespace, so that /id/<name> pages exist
PREFIX = f"PREFIX ex: <{EX}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
COMPANIES = 200
#: Small limits, so that the budget, the row cap and the body limit are cheap to reach.
SETTINGS = {
    "KG_QUERY_TIMEOUT": "1.5",
    "KG_MAX_ROWS": "50",
    "KG_MAX_BODY": str(64 * 1024),
    "KG_QUERY_WORKERS": "2",
    "KG_RETRY_AFTER": "2",
}
TRACEBACK = "Traceback (most recent call last)"

VOCAB = """\
@prefix ex: <https://w3id.org/pharma-kg/id/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:CRO rdfs:subClassOf ex:Company .
ex:partnerOf owl:inverseOf ex:hasPartner .
"""


def write_ontology(folder: Path, companies: int = COMPANIES) -> Path:
    """A ring of CROs with labels and partners: asserted 3 per company; the reasoner adds 2 per company."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"@prefix ex: <{EX}> .", "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> ."]
    for i in range(companies):
        lines.append(
            f'ex:c{i} a ex:CRO ; rdfs:label "Company {i}"@en ; ex:hasPartner ex:c{(i + 1) % companies} .'
        )
    (folder / "vocab.ttl").write_text(VOCAB, encoding="utf-8")
    (folder / "data.ttl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "shapes.ttl").write_text("", encoding="utf-8")
    return folder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def kg_env(ontology: Path, cache: Path, **settings: str) -> dict[str, str]:
    return {**os.environ, "KG_ONTOLOGY": str(ontology), "KG_CACHE_DIR": str(cache), **SETTINGS, **settings}


@dataclass
class Server:
    """One `kg serve` process group; `log` collects its stdout and stderr."""

    process: subprocess.Popen
    port: int
    log: Path
    env: dict[str, str] = field(repr=False)

    def get(self, path: str, timeout: float = 10.0) -> Reply:
        return exchange(self.port, Request("GET", path.encode()), timeout)

    def healthy(self, timeout: float = 2.0) -> bool:
        try:
            return self.get("/healthz", timeout).status == 200
        except OSError:
            return False

    def wait_healthy(self, polls: int = 600, every: float = 0.1) -> float | None:
        """Poll /healthz a bounded number of times; the seconds it took, or None if never healthy.

        Healthy means this process is running, has its workers, and the port answers 200: processes
        left over from an earlier server on the same port must not pass for this one.
        """
        started = time.monotonic()
        for _ in range(polls):
            if self.process.poll() is not None:
                return None
            if self.healthy() and self.process.poll() is None and descendants(self.process.pid):
                return time.monotonic() - started
            time.sleep(every)
        return None

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def log_text(self, since: int = 0) -> str:
        with open(self.log, "rb") as handle:
            handle.seek(since)
            return handle.read().decode("utf-8", "replace")

    def tracebacks(self, since: int = 0) -> int:
        return self.log_text(since).count(TRACEBACK)

    def stop(self) -> None:
        """SIGTERM the group, then SIGKILL it: no process of ours outlives the scenario."""
        for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(grace)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError):  # orphans keep the group id after their parent
            os.killpg(self.process.pid, signal.SIGKILL)


def start(ontology: Path, cache: Path, log: Path, port: int | None = None, workers: int = 2) -> Server:
    """Start `kg serve` (`python -m kg.cli serve`) in its own process group; not yet waited for."""
    port = port or free_port()
    env = kg_env(ontology, cache)
    command = [sys.executable, "-m", "kg.cli", "serve", "--port", str(port), "--workers", str(workers)]
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    return Server(process, port, log, env)


@contextlib.contextmanager
def serving(ontology: Path, cache: Path, log: Path, port: int | None = None):
    """A healthy server for the `with` block, stopped (group and all) on the way out."""
    server = start(ontology, cache, log, port)
    try:
        if server.wait_healthy() is None:
            tail = server.log_text()[-2000:]
            raise RuntimeError(f"kg serve did not become healthy (exit {server.process.poll()}):\n{tail}")
        yield server
    finally:
        server.stop()


# --- the process tree, from /proc -----------------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    started: int  # clock ticks after boot: tells a pid from a later process that reuses it
    state: str
    cmdline: str


def _read(pid: int) -> Proc | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    cmdline = raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()
    return Proc(pid, int(fields[1]), int(fields[19]), fields[0], cmdline)


def processes() -> list[Proc]:
    found = (_read(int(name)) for name in os.listdir("/proc") if name.isdigit())
    return [p for p in found if p is not None]


def descendants(root: int) -> list[Proc]:
    """Every live process below `root` (children first, then theirs)."""
    table = processes()
    found, frontier = [], {root}
    while frontier:
        children = [p for p in table if p.ppid in frontier and p.state != "Z"]
        found += children
        frontier = {p.pid for p in children}
    return found


def alive(procs: list[Proc]) -> list[Proc]:
    """Those of `procs` still running (same pid and start time, not a zombie)."""
    still = []
    for proc in procs:
        now = _read(proc.pid)
        if now is not None and now.started == proc.started and now.state != "Z":
            still.append(now)
    return still


def exited(proc: Proc) -> bool:
    """Every thread of `proc` has exited, so its sockets are closed (a zombie leader is not enough:
    the other threads of a SIGKILLed process may still be exiting and holding its files)."""
    now = _read(proc.pid)
    if now is None or now.started != proc.started:  # gone (or its pid already reused)
        return True
    try:
        tasks = os.listdir(f"/proc/{proc.pid}/task")
    except OSError:
        return True
    for tid in tasks:
        try:
            stat = Path(f"/proc/{proc.pid}/task/{tid}/stat").read_text()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2] not in "ZX":
            return False
    return True


def _kg_worker_processes(server: Server) -> list[Proc]:
    return [p for p in descendants(server.process.pid) if "kg.worker" in p.cmdline]


def zygotes(server: Server) -> list[Proc]:
    """The processes that fork query workers: `kg.worker` processes whose parent is not one."""
    ours = _kg_worker_processes(server)
    pids = {p.pid for p in ours}
    return [p for p in ours if p.ppid not in pids]


def query_workers(server: Server) -> list[Proc]:
    """The query workers: forked by a zygote (or, without one, started by a server worker)."""
    ours = _kg_worker_processes(server)
    forkers = {p.pid for p in zygotes(server)}
    return [p for p in ours if p.ppid in forkers] or [p for p in ours if p.pid not in forkers]


def server_workers(server: Server) -> list[Proc]:
    """The granian worker processes: the parents of the zygotes."""
    holders = {p.ppid for p in zygotes(server)}
    return [p for p in descendants(server.process.pid) if p.pid in holders]

"""Fixtures for the HTTP tests: a small ontology with known content and the REAL server process.

The server is `kg serve` (as `python -m kg.cli serve`) on a free loopback port with a tmp cache and
small limits (1.5 s budget, 50 rows, 64 KiB bodies), so limits can be hit cheaply. Test modules load
the fixtures with `pytest_plugins = ["web_fixtures"]`.

A port found free can be taken by another process before the server binds it, so no server is started
on a port chosen in advance: `launch` starts it, waits until a process of its own session listens on the
port and answers `/healthz`, and when the port turned out to be taken (the server says so and exits)
starts it again on another one, a bounded number of times.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import itertools
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest

EX = "http://example.org/"
GRAPH = "https://w3id.org/pharma-kg/graph/"
DATA_GRAPH, VOCAB_GRAPH, INFERRED_GRAPH = GRAPH + "data", GRAPH + "vocab", GRAPH + "inferred"
COMPANIES = 40
QUERY_TIMEOUT, MAX_ROWS, MAX_BODY = 1.5, 50, 64 * 1024
PREFIX = "PREFIX ex: <http://example.org/>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"

VOCAB = """\
@prefix ex: <http://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:CRO rdfs:subClassOf ex:Company .
ex:partnerOf owl:inverseOf ex:hasPartner .
"""


def data_ttl() -> str:
    lines = ["@prefix ex: <http://example.org/> .", "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> ."]
    for i in range(COMPANIES):
        nxt = (i + 1) % COMPANIES
        lines.append(f'ex:c{i} a ex:CRO ; rdfs:label "Company {i}"@en ; ex:hasPartner ex:c{nxt} .')
    return "\n".join(lines) + "\n"


#: What the source says: 3 triples per company asserted; 2 in the vocabulary; the closure adds, per
#: company, `a ex:Company` and the inverse `ex:partnerOf` link.
ASSERTED = {DATA_GRAPH: 3 * COMPANIES, VOCAB_GRAPH: 2}
INFERRED = 2 * COMPANIES
LABELS = {f"Company {i}" for i in range(COMPANIES)}


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class Client:
    """A bare HTTP client (http.client): no redirects, no retries, no header magic."""

    host: str
    port: int
    announcement: str = ""
    #: The server's stderr lines so far (its JSON query log among them), when this client started it.
    log: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=20_000))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        params: dict | list | None = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> Reply:
        if params:
            path += ("&" if "?" in path else "?") + urlencode(params, doseq=True)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            conn.close()

    def get(self, path: str, params=None, **headers: str) -> Reply:
        return self.request("GET", path, params, headers=_headers(headers))

    def query(self, text: str, accept: str | None = None, **params) -> Reply:
        headers = {"Accept": accept} if accept else {}
        return self.request("GET", "/sparql", {"query": text, **params}, headers=headers)

    def post_form(self, params, **headers: str) -> Reply:
        body = urlencode(params, doseq=True)
        hdrs = {"Content-Type": "application/x-www-form-urlencoded", **_headers(headers)}
        return self.request("POST", "/sparql", body=body, headers=hdrs)

    def post_direct(self, text: str | bytes, content_type="application/sparql-query", params=None, **headers):
        hdrs = {"Content-Type": content_type, **_headers(headers)}
        return self.request("POST", "/sparql", params, body=text, headers=hdrs)


def _headers(kwargs: dict[str, str]) -> dict[str, str]:
    return {k.replace("_", "-"): v for k, v in kwargs.items()}


#: How many ports `launch` tries before giving up; each failed try found its port taken by someone else.
PORT_ATTEMPTS = 5
#: What the server says when it cannot bind (`kg serve`'s own check; granian's, if the port was taken
#: between that check and granian's bind).
PORT_TAKEN = ("cannot listen on", "Address already in use")


def free_port() -> int:
    """A loopback port that was free a moment ago: a candidate only, since another process may take it
    before a server binds it. Start servers with `launch`, which retries on another port when it is."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports() -> Iterator[int]:
    while True:
        yield free_port()


class PortTaken(RuntimeError):
    """The server could not bind its port: someone else has it."""


@pytest.fixture(scope="session")
def web_ontology(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("web-ontology")
    (folder / "vocab.ttl").write_text(VOCAB, encoding="utf-8")
    (folder / "data.ttl").write_text(data_ttl(), encoding="utf-8")
    (folder / "shapes.ttl").write_text("", encoding="utf-8")
    return folder


def launch(
    command: Callable[[int], list[str]],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    ports: Iterable[int] | None = None,
    attempts: int = PORT_ATTEMPTS,
) -> tuple[subprocess.Popen, Client]:
    """Run `command(port)` (a server in a new session) and wait until it serves on that port.

    Candidate ports come from `ports` (default: fresh `free_port()`s). When the server exits because
    its port is taken, the next candidate is tried, at most `attempts` ports in all; any other failure
    is raised at once with the server's stderr. The process gets `attempts`, the [(port, reason)] of
    the tries that found their port taken. Returns the process and a `Client` for it.
    """
    candidates = iter(free_ports() if ports is None else ports)
    taken: list[tuple[int, str]] = []
    for port in itertools.islice(candidates, attempts):
        process = subprocess.Popen(
            command(port),
            env=env,
            cwd=cwd,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        client = Client("127.0.0.1", port)
        _drain(process, client.log)
        try:
            wait_healthy(client, process)
        except PortTaken as exc:
            taken.append((port, str(exc)))
            continue
        except BaseException:
            stop_server(process)
            raise
        process.attempts = taken
        return process, client
    raise RuntimeError(f"no port found free in {attempts} attempts: {taken}")


def start_server(
    ontology: Path,
    cache: Path,
    ports: Iterable[int] | None = None,
    attempts: int = PORT_ATTEMPTS,
    workers: int = 1,
    **settings: str,
) -> tuple[subprocess.Popen, Client]:
    """`kg serve --workers N` over `ontology` with the small test limits (overridden by `settings`),
    via `launch`."""
    env = {
        **os.environ,
        "KG_ONTOLOGY": str(ontology),
        "KG_CACHE_DIR": str(cache),
        "KG_QUERY_TIMEOUT": str(QUERY_TIMEOUT),
        "KG_MAX_ROWS": str(MAX_ROWS),
        "KG_MAX_BODY": str(MAX_BODY),
        "KG_QUERY_WORKERS": "2",
        **settings,
    }

    def command(port: int) -> list[str]:
        return [sys.executable, "-m", "kg.cli", "serve", "--port", str(port), "--workers", str(workers)]

    return launch(command, env, ports=ports, attempts=attempts)


def _drain(process: subprocess.Popen, log: collections.deque[str]) -> None:
    """Read the server's stdout and stderr from the start, so it can never block on a full pipe.

    The "serving on" line (granian logs to stdout too) is kept for `read_announcement`. Stderr lines
    are kept in `log` and passed on to our stderr as it is now (pytest's capture when a fixture starts
    the server), just as if the server had inherited it.
    """
    process.announcements = queue.Queue()
    process.log = log
    sink = os.dup(2)

    def drain_stdout() -> None:
        for line in process.stdout:
            if line.startswith("pharma-kg serving on"):
                process.announcements.put(line.strip())

    def drain_stderr() -> None:
        try:
            for line in process.stderr:
                log.append(line.rstrip("\n"))
                with contextlib.suppress(OSError):
                    os.write(sink, line.encode("utf-8", "replace"))
        finally:
            os.close(sink)

    threading.Thread(target=drain_stdout, daemon=True).start()
    process.stderr_reader = threading.Thread(target=drain_stderr, daemon=True)
    process.stderr_reader.start()


def wait_healthy(client: Client, process: subprocess.Popen, limit: float = 90) -> None:
    """Poll /healthz every 0.1 s for up to `limit` seconds (a start-up wait, not a speed check) until
    it answers 200 from a socket of `process`'s own session — not from whoever else may hold the port.

    `PortTaken` when the server exited because it could not bind; `RuntimeError` for any other exit.
    """
    for _ in range(int(limit * 10)):
        if process.poll() is not None:
            raise _exit_reason(process, client.port)
        try:  # a socket that listens but never answers (not a server) must not hold the poll up
            healthy = client.request("GET", "/healthz", timeout=2).status == 200
        except OSError:
            healthy = False
        if healthy and holds_port(process, client.port) is not False:
            return
        time.sleep(0.1)
    raise RuntimeError(f"server on port {client.port} did not become healthy")


def _exit_reason(process: subprocess.Popen, port: int) -> RuntimeError:
    process.stderr_reader.join(10)  # the whole of stderr, up to the exit
    said = "\n".join(line for line in process.log if line.strip())
    taken = next((line for line in process.log if any(s in line for s in PORT_TAKEN)), None)
    if process.returncode != 0 and taken is not None:
        return PortTaken(taken.strip())
    return RuntimeError(f"server on port {port} exited with {process.returncode}:\n{said[-4000:]}")


def holds_port(process: subprocess.Popen, port: int) -> bool | None:
    """Whether a process of `process`'s session (it was started in a new one) listens on loopback
    `port`; None where /proc cannot tell (not Linux). Granian listens in its worker process."""
    inodes = set()
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not any(table.exists() for table in tables):
        return None
    for table in tables:
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(f"socket:[{inode}]")
    if not inodes:
        return False
    for pid in _session(process.pid):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue  # gone meanwhile
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return True
            except OSError:
                continue
    return False


def _session(sid: int) -> list[int]:
    """The pids of session `sid`, read from /proc/<pid>/stat (field 6, after the parenthesised name)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[3]) == sid:
            pids.append(int(entry))
    return pids


def read_announcement(process: subprocess.Popen, limit: float) -> str:
    """The server's "serving on" line from its stdout, or "" when it did not come within `limit`."""
    try:
        return process.announcements.get(timeout=limit)
    except queue.Empty:
        return ""


def stop_server(process: subprocess.Popen) -> None:
    """SIGTERM granian (it stops its workers, whose query workers follow); SIGKILL the group if stuck."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


@pytest.fixture(scope="session")
def server(web_ontology: Path, tmp_path_factory: pytest.TempPathFactory):
    """The real server on 127.0.0.1:<a port it holds>; yields a `Client` (with the server's log)."""
    process, client = start_server(web_ontology, tmp_path_factory.mktemp("web-cache"))
    try:
        client.announcement = read_announcement(process, 30)
        yield client
    finally:
        stop_server(process)

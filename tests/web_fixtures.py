"""Fixtures for the HTTP tests: a small ontology with known content and the REAL server process.

The server is `kg serve` (as `python -m kg.cli serve`) on a free loopback port with a tmp cache and
small limits (1.5 s budget, 50 rows, 64 KiB bodies), so limits can be hit cheaply. Test modules load
the fixtures with `pytest_plugins = ["web_fixtures"]`.
"""

from __future__ import annotations

import http.client
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def web_ontology(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("web-ontology")
    (folder / "vocab.ttl").write_text(VOCAB, encoding="utf-8")
    (folder / "data.ttl").write_text(data_ttl(), encoding="utf-8")
    (folder / "shapes.ttl").write_text("", encoding="utf-8")
    return folder


def start_server(ontology: Path, cache: Path, port: int, **settings: str) -> subprocess.Popen:
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
    command = [sys.executable, "-m", "kg.cli", "serve", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.PIPE, text=True)
    _drain(process)
    return process


def _drain(process: subprocess.Popen) -> None:
    """Read the server's stdout from the start, so it can never block on a full pipe.

    The "serving on" line (granian logs to stdout too) is kept for `read_announcement`.
    """
    process.announcements = queue.Queue()

    def drain() -> None:
        for line in process.stdout:
            if line.startswith("pharma-kg serving on"):
                process.announcements.put(line.strip())

    threading.Thread(target=drain, daemon=True).start()


def wait_healthy(client: Client, process: subprocess.Popen, limit: float = 90) -> None:
    """Poll /healthz every 0.1 s for up to `limit` seconds (a start-up wait, not a speed check)."""
    for _ in range(int(limit * 10)):
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if client.get("/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not become healthy")


def read_announcement(process: subprocess.Popen, limit: float) -> str:
    """The server's "serving on" line from its stdout, or "" when it did not come within `limit`."""
    try:
        return process.announcements.get(timeout=limit)
    except queue.Empty:
        return ""


def stop_server(process: subprocess.Popen) -> None:
    """SIGTERM granian (it stops its workers, whose query workers follow); SIGKILL the group if stuck."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


@pytest.fixture(scope="session")
def server(web_ontology: Path, tmp_path_factory: pytest.TempPathFactory):
    """The real server on 127.0.0.1:<free port>; yields a `Client`."""
    port = free_port()
    process = start_server(web_ontology, tmp_path_factory.mktemp("web-cache"), port)
    client = Client("127.0.0.1", port)
    try:
        wait_healthy(client, process)
        client.announcement = read_announcement(process, 30)
        yield client
    finally:
        stop_server(process)

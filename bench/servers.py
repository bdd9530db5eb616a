"""Start and stop the SPARQL servers the HTTP benchmark compares, on free loopback ports.

Each server is a context manager: it starts the process in its own process group, waits until a
probe query answers 200, yields the port, and on exit (error or not) stops that group — SIGTERM,
then SIGKILL — so worker processes (granian, uvicorn) never outlive the benchmark.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from .core import PROBE

log = logging.getLogger(__name__)
BIN = Path(sys.executable).parent


class ServerUnavailable(Exception):
    """A server cannot be started here (not installed, or it failed to come up); its column is skipped."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        raise ServerUnavailable(f"`{name}` is not installed (pip install -e '.[bench]')")
    return found


def _wait_ready(proc: subprocess.Popen, port: int, path: str, log_path: Path, timeout: float) -> None:
    url = f"http://127.0.0.1:{port}{path}?query={quote(PROBE)}"
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-1500:]
            raise ServerUnavailable(f"exited with code {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(request, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise ServerUnavailable(f"not answering on port {port} after {timeout:.0f}s (log: {log_path})")


def _stop(proc: subprocess.Popen) -> None:
    """Stop the process group we created for this server (its workers included)."""
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def _serving(
    name: str, args: list[str], port: int, workdir: Path, env: dict | None = None, path="/sparql", ready=120.0
) -> Iterator[tuple[int, str]]:
    """Run `args` until the `with` block ends; yields (port, path of the SPARQL endpoint)."""
    log_path = workdir / f"{name}.log"
    log.info("starting %s: %s", name, " ".join(args))
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            args,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            start_new_session=True,  # its own process group, so _stop reaches every worker
        )
    try:
        _wait_ready(proc, port, path, log_path, ready)
        yield port, path
    finally:
        _stop(proc)


def kg_server(
    cache: Path, ontology: Path | None, workdir: Path, workers: int = 2, response_cache: bool = True
):
    """Our endpoint: `python -m kg.web.server` (granian), reading the snapshot already built in `cache`."""
    if importlib.util.find_spec("kg.web.server") is None:
        raise ServerUnavailable("kg.web.server does not exist yet (issue 3)")
    port = free_port()
    args = [sys.executable, "-m", "kg.web.server", "--host", "127.0.0.1", "--port", str(port)]
    env = {"KG_CACHE_DIR": str(cache), "KG_WORKERS": str(workers)}
    if ontology is not None:
        env["KG_ONTOLOGY"] = str(ontology)
    if not response_cache:
        env["KG_CACHE_ENTRIES"] = "0"
    return _serving(
        "kg" if response_cache else "kg-nocache", [*args, "--workers", str(workers)], port, workdir, env
    )


@contextlib.contextmanager
def oxigraph_server(nquads: Path, workdir: Path):
    """Oxigraph's own server, read-only, with the union of all graphs as the default graph."""
    oxigraph = _tool("oxigraph")
    location = workdir / "oxigraph-db"
    loaded = subprocess.run(
        [oxigraph, "load", "--location", str(location), "--file", str(nquads)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if loaded.returncode != 0:
        raise ServerUnavailable(f"oxigraph load failed: {loaded.stderr.strip()[-1000:]}")
    port = free_port()
    args = [oxigraph, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    with _serving("oxigraph", [*args, "--union-default-graph"], port, workdir) as endpoint:
        yield endpoint


def rdflib_endpoint_server(nquads: Path, workdir: Path):
    """rdflib-endpoint (FastAPI + uvicorn, rdflib's evaluator) on a Dataset with a union default graph."""
    port = free_port()
    args = [_tool("rdflib-endpoint"), "serve", str(nquads), "--host", "127.0.0.1", "--port", str(port)]
    return _serving("rdflib-endpoint", args, port, workdir, path="/", ready=300.0)


def servers_for(cache: Path, ontology: Path | None, nquads: Path, workdir: Path) -> dict:
    """Name → a zero-argument function opening that server; each is started only when its turn comes."""
    return {
        "kg": lambda: kg_server(cache, ontology, workdir),
        "kg-nocache": lambda: kg_server(cache, ontology, workdir, response_cache=False),
        "oxigraph": lambda: oxigraph_server(nquads, workdir),
        "rdflib-endpoint": lambda: rdflib_endpoint_server(nquads, workdir),
    }

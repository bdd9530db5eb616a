"""The server as a set of processes: what happens when one dies, when the main one is killed, when it is
asked to stop, and whether `/metrics` sees every process.

`kg serve` is granian's main process; it forks the server processes ("granian workers"), each of which
starts its query worker processes. These tests start the real server (several times, so they are slow)
and act on those processes through /proc.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from web_fixtures import (
    MAX_BODY,
    PREFIX,
    Client,
    Reply,
    start_server,
    stop_server,
)

pytest_plugins = ["web_fixtures"]

pytestmark = pytest.mark.slow

ASK = PREFIX + "ASK { ex:c1 ex:hasPartner ex:c2 }"
#: About a second of CPU on the test data, inside the 1.5 s budget (a 503 at the budget is an answer too).
SLOW_QUERY = PREFIX + "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g a ?i }"
#: Polls 0.1 s apart: enough for a respawn or an orderly exit; a bound on the test, not a speed check.
POLLS = 600


def start(
    ontology: Path, cache: Path, workers: int, ports: list[int] | None = None, **settings: str
) -> tuple[subprocess.Popen, Client]:
    """`kg serve --workers N` with the small test limits, healthy (on one of `ports` if given)."""
    return start_server(ontology, cache, ports=ports, workers=workers, **settings)


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the parenthesised name (state, ppid, pgrp, session, ...)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def running(pid: int) -> bool:
    """Alive and not a zombie (orphans whose reaper never waits stay as zombies in /proc)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def children(pid: int) -> list[int]:
    """Running processes whose parent is `pid`."""
    return [p for p in _pids() if (f := _stat(p)) and f[0] != "Z" and int(f[1]) == pid]


def session(sid: int) -> list[int]:
    """Running processes of session `sid` (the server was started in a new one)."""
    return [p for p in _pids() if (f := _stat(p)) and f[0] != "Z" and int(f[3]) == sid]


def poll(condition: Callable[[], bool]) -> bool:
    """Whether `condition` holds within POLLS checks, 0.1 s apart."""
    for _ in range(POLLS):
        if condition():
            return True
        time.sleep(0.1)
    return False


def healthy(client: Client) -> bool:
    try:
        return client.request("GET", "/healthz", timeout=5).status == 200
    except OSError:
        return False


# --- a dying server process ---------------------------------------------------------------------------


def test_a_killed_server_process_is_replaced_and_the_service_goes_on(web_ontology, tmp_path):
    process, client = start(web_ontology, tmp_path / "cache", workers=2)
    try:
        workers = children(process.pid)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)

        def replaced() -> bool:
            now = children(process.pid)
            return workers[0] not in now and len(now) == 2 and all(healthy(client) for _ in range(4))

        assert poll(lambda: process.poll() is not None or replaced())
        assert process.poll() is None, f"kg serve exited with {process.returncode}"
    finally:
        stop_server(process)


# --- a killed main process ------------------------------------------------------------------------------


def test_sigkill_of_kg_serve_leaves_no_process_and_the_port_free(web_ontology, tmp_path):
    process, client = start(web_ontology, tmp_path / "cache", workers=2)
    members = session(process.pid)
    assert len(members) >= 3  # kg serve, 2 server processes (and their query workers)
    process.kill()
    process.wait()
    assert poll(lambda: not any(running(pid) for pid in members)), [p for p in members if running(p)]
    again, _ = start(web_ontology, tmp_path / "cache", workers=1, ports=[client.port])
    stop_server(again)


# --- SIGTERM --------------------------------------------------------------------------------------------


def test_sigterm_lets_the_request_in_flight_answer_then_exits_0(web_ontology, tmp_path):
    process, client = start(web_ontology, tmp_path / "cache", workers=1)
    replies: list[Reply] = []
    asking = threading.Thread(target=lambda: replies.append(client.query(SLOW_QUERY)))
    asking.start()
    time.sleep(0.2)  # the query is running
    process.send_signal(signal.SIGTERM)
    asking.join(60)
    assert replies, "no answer to the request in flight"
    reply = replies[0]
    answered = reply.status == 200 and b'"n"' in reply.body
    assert answered or (reply.status == 503 and "Retry-After" in reply.headers)
    assert process.wait(60) == 0


def test_sigterm_ends_the_server_even_while_a_client_never_finishes(web_ontology, tmp_path):
    """The budget + 5 s after SIGTERM, what is still in flight is stopped (exit 0, nothing left)."""
    process, client = start(web_ontology, tmp_path / "cache", workers=1, KG_BODY_TIMEOUT="3600")
    members = session(process.pid)
    sock = socket.create_connection((client.host, client.port))
    sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n")
    sock.sendall(f"Content-Length: {MAX_BODY}\r\n\r\nA".encode())
    try:
        process.send_signal(signal.SIGTERM)
        for _ in range(POLLS // 5):  # a byte each 0.5 s: the client is alive, just slow
            if process.poll() is not None:
                break
            with contextlib.suppress(OSError):  # closed when its server process was stopped
                sock.send(b" ")
            time.sleep(0.5)
    finally:
        sock.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.wait(5) == 0
    assert poll(lambda: not any(running(pid) for pid in members))


# --- metrics across server processes ----------------------------------------------------------------


def test_metrics_count_every_server_process_and_their_folder_goes_with_the_server(web_ontology, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    process, client = start(web_ontology, tmp_path / "cache", workers=2, TMPDIR=str(tmp))
    try:
        for i in range(3):
            assert client.query(ASK + f" # {i}").status == 200
        reply = client.get("/metrics")
        assert reply.headers["Content-Type"].count("charset") == 1
        assert queries_counted(reply.text) >= 3
        assert metrics_folders(tmp), "no metrics folder while the server runs"
    finally:
        stop_server(process)
    assert process.returncode == 0
    assert not metrics_folders(tmp)


def queries_counted(exposition: str) -> float:
    """The sum of every kg_queries_total sample (one per label set, summed over processes already)."""
    lines = [line for line in exposition.splitlines() if line.startswith("kg_queries_total")]
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines)


def metrics_folders(tmp: Path) -> list[Path]:
    return [p for p in tmp.iterdir() if p.name.startswith("kg-metrics-")]


def test_metrics_are_made_once_when_the_first_requests_come_together(monkeypatch):
    """Two first requests at once each registering the metrics made one of them fail (a 500)."""
    from kg.web import metrics

    made: list[int] = []

    def slow_make() -> object:
        made.append(1)
        time.sleep(0.05)  # widens the window in which a second caller could start making too
        return object()

    monkeypatch.setattr(metrics, "_made", [])
    monkeypatch.setattr(metrics, "_make_metrics", slow_make)
    callers = [threading.Thread(target=metrics.metrics) for _ in range(8)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(30)
    assert len(made) == 1

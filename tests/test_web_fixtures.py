"""The server fixture itself: a port that turns out to be taken is never used, whoever holds it.

Each test hands `start_server` a port it holds itself as the first candidate, so the race that
`free_port()` alone would lose (someone binds between our check and the server's bind) happens every
time instead of rarely.
"""

from __future__ import annotations

import itertools
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from web_fixtures import free_ports, holds_port, start_server, stop_server

pytest_plugins = ["web_fixtures"]
pytestmark = pytest.mark.slow  # each test starts server processes


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fixture-cache")


def occupied() -> socket.socket:
    """A loopback socket listening on a port of its own (the other process that got there first)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    return sock


def test_a_taken_port_is_given_up_for_another(web_ontology: Path, cache: Path) -> None:
    with occupied() as taken:
        port = taken.getsockname()[1]
        process, client = start_server(web_ontology, cache, ports=itertools.chain([port], free_ports()))
        try:
            assert client.port != port
            assert [p for p, _ in process.attempts] == [port]
            assert f"cannot listen on 127.0.0.1:{port}" in process.attempts[0][1]
            assert holds_port(process, client.port) is True
            assert client.get("/healthz").status == 200
        finally:
            stop_server(process)


class _Impostor(BaseHTTPRequestHandler):
    """Answers 200 to everything, as another server (another test session's, say) on the port would."""

    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        body = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_a_healthy_answer_from_someone_else_on_the_port_is_not_taken_for_ours(
    web_ontology: Path, cache: Path
) -> None:
    impostor = ThreadingHTTPServer(("127.0.0.1", 0), _Impostor)
    threading.Thread(target=impostor.serve_forever, daemon=True).start()
    port = impostor.server_address[1]
    try:
        process, client = start_server(web_ontology, cache, ports=itertools.chain([port], free_ports()))
        try:
            assert _Impostor.hits > 0, "the impostor was never asked, so this test proved nothing"
            assert client.port != port and [p for p, _ in process.attempts] == [port]
            assert holds_port(process, client.port) is True
            assert "snapshot" in client.get("/healthz").text
        finally:
            stop_server(process)
    finally:
        impostor.shutdown()
        impostor.server_close()


def test_the_number_of_ports_tried_is_bounded(web_ontology: Path, cache: Path) -> None:
    with occupied() as first, occupied() as second:
        ports = [first.getsockname()[1], second.getsockname()[1]]
        with pytest.raises(RuntimeError, match="no port found free in 2 attempts") as failure:
            start_server(web_ontology, cache, ports=itertools.chain(ports, free_ports()), attempts=2)
    assert all(f"cannot listen on 127.0.0.1:{port}" in str(failure.value) for port in ports)


def test_other_start_up_failures_are_not_retried(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "data.ttl").write_text("this is not turtle .\n", encoding="utf-8")
    (tmp_path / "shapes.ttl").write_text("", encoding="utf-8")
    asked = []

    def ports():
        for port in free_ports():
            asked.append(port)
            yield port

    with pytest.raises(RuntimeError, match="exited with") as failure:
        start_server(tmp_path, cache, ports=ports())
    assert len(asked) == 1
    assert "data.ttl" in str(failure.value)

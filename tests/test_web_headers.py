"""What a request carries that could hurt the server: oversized headers, slow bodies, the Host header.

Oversized headers are refused (431) before anything parses them; a body that trickles in gets 408 at
its deadline (and only a few are read at once), while `/healthz` and cached queries keep answering;
the Service Description names the configured public URL, or a well-formed Host, and keeps a bounded
number of descriptions whatever Host names clients send.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
from flask import Flask

from kg.web import create_app, service
from kg.web.limits import MAX_HEADER, MAX_HEADERS, Limits

from web_fixtures import PREFIX, Client, start_server, stop_server

pytest_plugins = ["web_fixtures"]

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
ASK = PREFIX + "ASK { ex:c1 ex:hasPartner ex:c2 }"


# --- header sizes -------------------------------------------------------------------------------------


def test_an_accept_of_255_kib_is_refused_and_the_server_still_answers(server):
    reply = server.get("/sparql", {"query": ASK}, Accept="application/json," + "x" * (255 * 1024))
    assert reply.status == 431
    assert server.query(ASK).status == 200


def test_a_head_over_64_kib_is_refused_by_granian_before_python(server):
    """No Python thread sees it: granian's own 431 has no body (ours says why)."""
    reply = server.get("/healthz", X_Filler="x" * (100 * 1024))
    assert (reply.status, reply.body) == (431, b"")


def test_one_header_over_8_kib_gets_431_saying_which(server):
    reply = server.get("/sparql", {"query": ASK}, Accept="application/json," + "x" * MAX_HEADER)
    assert reply.status == 431
    assert "Accept header is larger than" in reply.text
    assert reply.headers["Connection"] == "close"


def test_headers_over_32_kib_in_all_get_431(server):
    filler = {f"X-Filler-{i}": "y" * (MAX_HEADER - 100) for i in range(MAX_HEADERS // MAX_HEADER + 1)}
    reply = server.get("/healthz", **filler)
    assert reply.status == 431
    assert "in all" in reply.text


def test_large_but_allowed_headers_pass(server):
    reply = server.query(ASK, accept="application/sparql-results+json," + "x" * (MAX_HEADER // 2))
    assert reply.status == 200


# --- slow bodies, against the real server ---------------------------------------------------------------

BODY_TIMEOUT = 2
#: More slow clients than the server process has Python threads (4 + 2 body readers).
SLOW_CLIENTS = 10
#: A byte to every slow client each 0.5 s, at most this many times (bounds the test, not the server).
ROUNDS = 40


@pytest.fixture(scope="module")
def slow_server(web_ontology: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """A server with a short body deadline and 1 MiB bodies allowed (so 100 kB ones are read)."""
    settings = {"KG_BODY_TIMEOUT": str(BODY_TIMEOUT), "KG_MAX_BODY": str(1024 * 1024)}
    process, client = start_server(web_ontology, tmp_path_factory.mktemp("slow-cache"), **settings)
    try:
        yield client
    finally:
        stop_server(process)


def announce_body(client: Client, length: int) -> socket.socket:
    """A POST whose headers promise `length` body bytes, of which only the first is sent."""
    sock = socket.create_connection((client.host, client.port))
    head = (
        f"POST /sparql HTTP/1.1\r\nHost: {client.host}:{client.port}\r\n"
        f"Content-Type: application/sparql-query\r\nContent-Length: {length}\r\n\r\nA"
    )
    sock.sendall(head.encode())
    return sock


def trickle(sockets: list[socket.socket], answers: dict[int, str]) -> None:
    """One more body byte to each slow client still waiting; note the status line of any answer."""
    for index, sock in enumerate(sockets):
        if index in answers:
            continue
        readable, _, _ = select.select([sock], [], [], 0)
        if readable:
            data = sock.recv(4096)
            answers[index] = data.split(b"\r\n", 1)[0].decode() if data else "closed"
            continue
        try:
            sock.send(b" ")
        except OSError:
            answers[index] = "closed"


@pytest.mark.slow
def test_slow_bodies_get_408_while_health_and_cached_queries_answer(slow_server):
    client = slow_server
    assert client.query(ASK).status == 200  # cached from now on
    sockets = [announce_body(client, 100_000) for _ in range(SLOW_CLIENTS)]
    answers: dict[int, str] = {}
    try:
        for _ in range(ROUNDS):
            trickle(sockets, answers)
            assert client.request("GET", "/healthz", timeout=30).status == 200
            assert client.request("GET", "/sparql", {"query": ASK}, timeout=30).status == 200
            if len(answers) == len(sockets):
                break
            time.sleep(0.5)
    finally:
        for sock in sockets:
            sock.close()
    assert len(answers) == SLOW_CLIENTS, f"only {len(answers)} slow clients were answered: {answers}"
    statuses = {line.split(" ")[1] if line != "closed" else line for line in answers.values()}
    assert "408" in statuses and statuses <= {"408", "503", "closed"}, answers


def test_an_ordinary_post_body_still_reaches_the_query(slow_server):
    reply = slow_server.post_direct(ASK)
    assert reply.status == 200 and b"true" in reply.body


# --- the body reader, without a server ----------------------------------------------------------------


class StalledBody:
    """A `wsgi.input` whose read blocks until released, recording when it returns."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.reading = threading.Event()
        self.release = threading.Event()

    def read(self, size: int = -1) -> bytes:
        self.reading.set()
        self.release.wait(30)
        self.log.append("read returned")
        return b""


def unexpected_app(environ: dict, start_response) -> list[bytes]:
    raise AssertionError("the app must not run without its body")


def test_a_late_body_gets_408_whose_response_ends_only_after_the_read():
    """Granian freezes if a handler returns while its body is still being read elsewhere."""
    log: list[str] = []
    body = StalledBody(log)
    limits = Limits(unexpected_app, body_timeout=0.05, readers=1, max_body=1000)
    started: list[str] = []
    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "10", "wsgi.input": body}
    chunks = iter(limits(environ, lambda status, headers: started.append(status)))
    assert started == ["408 Request Timeout"]
    assert b"did not arrive within" in next(chunks)
    finisher = threading.Thread(target=lambda: (list(chunks), log.append("response ended")))
    finisher.start()
    finisher.join(0.2)  # a response that does not wait for the read would end now
    body.release.set()
    finisher.join(30)
    assert log == ["read returned", "response ended"]


def test_bodies_beyond_the_readers_get_503_at_once():
    body = StalledBody([])
    limits = Limits(unexpected_app, body_timeout=30, readers=1, max_body=1000)
    first = threading.Thread(target=lambda: limits({"CONTENT_LENGTH": "10", "wsgi.input": body}, print))
    first.start()
    assert body.reading.wait(30)  # the first body holds the only reader
    started: list[str] = []
    environ = {"CONTENT_LENGTH": "10", "wsgi.input": StalledBody([])}
    reply = limits(environ, lambda status, headers: started.append(status))
    body.release.set()
    first.join(30)
    assert started == ["503 Service Unavailable"]
    assert b"retry" in b"".join(reply)


# --- the Service Description and the Host header ----------------------------------------------------


@pytest.fixture(scope="module")
def local_app(web_ontology: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app in this process with no KG_PUBLIC_URL (so the Host header names the endpoint)."""
    app = create_app(_config(web_ontology, tmp_path_factory))
    yield app
    app.extensions["kg"].executor.close()


@pytest.fixture(scope="module")
def public_app(web_ontology: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app({**_config(web_ontology, tmp_path_factory), "KG_PUBLIC_URL": "https://kg.example.org/"})
    yield app
    app.extensions["kg"].executor.close()


def _config(ontology: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return {
        "KG_ONTOLOGY": str(ontology),
        "KG_CACHE_DIR": str(tmp_path_factory.mktemp("local-cache")),
        "KG_QUERY_WORKERS": 1,
        "KG_PUBLIC_URL": None,
    }


def described_endpoints(body: bytes) -> set[str]:
    graph = rdflib.Graph().parse(data=body, format="turtle")
    return {str(s) for s in graph.subjects(rdflib.RDF.type, SD.Service)}


def kept_descriptions(app: Flask) -> int:
    """Entries the app keeps for descriptions: top-level memo entries, LRU contents counted one by one."""
    memo = app.extensions["kg"].memo
    return sum(len(v) if isinstance(v, service.Recent) else 1 for v in memo.values())


def test_many_host_names_keep_a_bounded_number_of_descriptions(local_app):
    client = local_app.test_client()
    before = kept_descriptions(local_app)
    for i in range(50):
        reply = client.get("/sparql", headers={"Host": f"h{i}.example", "Accept": "text/turtle"})
        assert described_endpoints(reply.data) == {f"http://h{i}.example/sparql"}
    assert kept_descriptions(local_app) <= before + service.MEMO_ENTRIES


@pytest.mark.parametrize("host", ['kg.example"><script>', "a<b>", "two words", "h:99999", "h:"])
def test_a_host_that_is_not_host_and_port_gets_400(local_app, host):
    reply = local_app.test_client().get("/sparql", headers={"Host": host, "Accept": "text/turtle"})
    assert reply.status_code == 400
    assert b"<" not in reply.data and b'"' not in reply.data


@pytest.mark.parametrize("host", ["kg.example.org", "KG.example.org:8080", "127.0.0.1:7878", "[::1]:7878"])
def test_a_well_formed_host_names_the_endpoint(local_app, host):
    reply = local_app.test_client().get("/sparql", headers={"Host": host, "Accept": "text/turtle"})
    assert described_endpoints(reply.data) == {f"http://{host.lower()}/sparql"}


def test_the_public_url_names_the_endpoint_whatever_the_host(public_app):
    client = public_app.test_client()
    for host in ("evil.example", "a<b>"):
        reply = client.get("/sparql", headers={"Host": host, "Accept": "text/turtle"})
        assert reply.status_code == 200
        assert described_endpoints(reply.data) == {"https://kg.example.org/sparql"}


def test_kg_serve_names_its_own_address_whatever_the_host(server):
    reply = server.get("/sparql", Host="elsewhere.example:1", Accept="text/turtle")
    assert described_endpoints(reply.body) == {server.url + "/sparql"}

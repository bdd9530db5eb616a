"""The remote store: a real `oxigraph serve` behind a loopback proxy that counts and can misbehave.

One Oxigraph server and one proxy per module. The proxy forwards every request and records it, so a
test can prove what reached the remote (nothing, for refused queries), and can be told to answer HTML,
truncated JSON, fail one graph's PUT, demand credentials, or drop connections (the remote "down").
Answers are compared with the embedded store on every named query, on the walks and on raw quads;
blank-node labels are the one thing allowed to differ (each store names its own).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg import explain, sparql, traverse
from kg.build import build
from kg.catalog import default_catalog
from kg.errors import BadStoreAnswer, KGError, QueryError, StoreUnavailable
from kg.remote import MARKER, Endpoint, RemoteStore, push, remote_build
from kg.store import DatasetSpec, Store

from web_fixtures import free_port, start_server, stop_server

pytest_plugins = ["web_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
OXIGRAPH = Path(sys.executable).parent / "oxigraph"
ONTOLOGY = ROOT / "ontology"

pytestmark = pytest.mark.skipif(not OXIGRAPH.exists(), reason="oxigraph (the test extra) is not installed")


# --- the remote and the proxy in front of it ----------------------------------------------------


class Proxy(http.server.ThreadingHTTPServer):
    """Forwards to `upstream`, records (method, path, body), misbehaves when `mode` says so."""

    daemon_threads = True

    def __init__(self, upstream: int) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream = upstream
        self.seen: list[tuple[str, str, bytes, str]] = []  # method, path, body, Authorization
        self.mode = "pass"
        self.fail_put = 0  # fail the n-th PUT from now (1 = the next one)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/query"

    def bodies(self) -> str:
        return "\n".join(body.decode("utf-8", "replace") for _, _, body, _ in self.seen)


class _Forward(http.server.BaseHTTPRequestHandler):
    server: Proxy
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while size := int(self.rfile.readline().strip() or b"0", 16):
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(parts)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, status: int, media: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        body = self._body()
        proxy = self.server
        auth = self.headers.get("Authorization", "")
        proxy.seen.append((self.command, self.path, body, auth))
        if proxy.mode == "down":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if proxy.mode == "auth":  # a careless remote that echoes what it was sent, decoded
            said = base64.b64decode(auth.partition(" ")[2] or "").decode("utf-8", "replace")
            return self._answer(401, "text/plain", f"who are you? you said {auth} ({said})".encode())
        if (
            proxy.mode in ("html", "truncated")
            and self.path.startswith("/query")
            and b"remote-build" not in body
        ):
            if proxy.mode == "html":
                return self._answer(200, "text/html", b"<html><body>Welcome to nginx</body></html>")
            return self._answer(
                200, "application/sparql-results+json", b'{"head":{"vars":["s"]},"results":{"bi'
            )
        if self.command == "PUT" and proxy.fail_put:
            proxy.fail_put -= 1
            if not proxy.fail_put:
                return self._answer(500, "text/plain", b"disk full")
        conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream, timeout=60)
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in ("transfer-encoding", "connection")
        }
        headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body, headers=headers)
        reply = conn.getresponse()
        data = reply.read()
        conn.close()
        self._answer(reply.status, reply.headers.get("Content-Type", ""), data)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`oxigraph serve` on a free loopback port, data in a tmp folder; stopped with its group."""
    folder = tmp_path_factory.mktemp("oxigraph")
    for _ in range(5):
        port = free_port()
        process = subprocess.Popen(
            [str(OXIGRAPH), "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):  # a start-up wait, not a speed check
            with contextlib.suppress(OSError), socket_to(port):
                break
            if process.poll() is not None:
                break
            time.sleep(0.1)
        if process.poll() is None:
            break
    try:
        yield port
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def socket_to(port: int) -> Iterator[None]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/query?query=ASK%7B%7D", headers={"Accept": "application/sparql-results+json"})
        conn.getresponse().read()
        yield
    finally:
        conn.close()


@pytest.fixture(scope="module")
def proxy(oxigraph: int) -> Iterator[Proxy]:
    server = Proxy(oxigraph)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def mode(proxy: Proxy, name: str) -> Iterator[None]:
    proxy.mode = name
    try:
        yield
    finally:
        proxy.mode = "pass"


@pytest.fixture(scope="module")
def remote(proxy: Proxy, store: Store, cache_dir: Path) -> RemoteStore:
    """The packaged build, pushed through the proxy; a `RemoteStore` on it."""
    snapshot = build(None, (), cache_dir)
    assert snapshot.key == store.key
    endpoint = Endpoint(proxy.url)
    push(snapshot, endpoint)
    return RemoteStore(endpoint, snapshot.manifest, timeout=30)


# --- comparing answers ----------------------------------------------------------------------------

_BNODE = re.compile(r"_:[A-Za-z0-9]+")


def _plain(value: Any) -> Any:
    """Blank-node labels erased (each store names its own), everything else kept."""
    if isinstance(value, dict):
        if value.get("type") == "bnode":
            return {**value, "value": "_"}
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return _BNODE.sub("_:", value)
    return value


def answer(store: Store, text: str, spec: DatasetSpec = DatasetSpec(), subs: dict | None = None) -> Any:
    outcome = sparql.run(store, text, spec, subs)
    if outcome.form == "ASK":
        return outcome.boolean
    if outcome.form == "SELECT":
        rows = [tuple(_plain(str(row[v])) for v in outcome.variables) for row in outcome.rows or ()]
        return outcome.variables, sorted(rows)
    return sorted(_plain(str(t)) for t in outcome.triples or ())


# --- the store --------------------------------------------------------------------------------


def test_push_writes_the_marker_and_every_graph(remote: RemoteStore, store: Store) -> None:
    assert remote_build(remote.endpoint) == store.key
    counts = remote.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", [], remote.graphs()
    )
    assert {row["g"].value: int(row["n"].value) for row in counts} == {  # type: ignore[union-attr]
        g: store.count(g) for g in store.graphs() if store.count(g)
    }
    assert remote.count() == store.count()


@pytest.mark.parametrize("infer", [True, False])
def test_every_named_query_answers_as_embedded(remote: RemoteStore, store: Store, infer: bool) -> None:
    catalog = list(default_catalog())
    assert len(catalog) > 20
    for named in catalog:
        spec = DatasetSpec(infer=infer)
        expected = answer(store, named.text, spec, named.bind({}))
        assert answer(remote, named.text, spec, named.bind({})) == expected, named.name


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("describe-resource", {"resource": "pkg:CRO"}),
        ("stages-after", {"stage": "pkg:PhaseIStage"}),
        ("responsibilities", {"role": "pkg:CMO"}),
    ],
)
def test_parameters_bind_as_substitutions_do(
    remote: RemoteStore, store: Store, name: str, params: dict
) -> None:
    named = default_catalog().get(name)
    subs = named.bind(params)
    assert answer(remote, named.text, DatasetSpec(), subs) == answer(store, named.text, DatasetSpec(), subs)
    assert answer(remote, named.text, DatasetSpec(), subs)[1]  # not vacuously equal


@pytest.mark.parametrize(
    "text",
    [
        "SELECT ?s WHERE { ?s a pkg:DevelopmentStage }",  # a declared-for-you prefix
        # its own PREFIX wins
        "PREFIX pkg: <http://example.org/> SELECT ?s WHERE { ?s a pkg:DevelopmentStage }",
        "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(isBlank(?s)) } GROUP BY ?s",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(isIRI(?s) && !isURI(?o)) }",
        "ASK { pkg:CRO a ?kind }",
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?s = pkg:CRO) }",
        "CONSTRUCT WHERE { ?s rdf:first ?o }",
        "SELECT * FROM <https://w3id.org/pharma-kg/graph/vocabulary> WHERE { ?s a owl:Class }",
    ],
)
def test_ad_hoc_queries_answer_as_embedded(remote: RemoteStore, store: Store, text: str) -> None:
    expected = answer(store, text)
    assert answer(remote, text) == expected
    assert expected if "example.org" not in text else not expected[1]  # never vacuously equal


def test_a_blank_node_counts_as_one(remote: RemoteStore, store: Store) -> None:
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(isBlank(?s)) }"
    assert int(answer(store, text)[1][0][0].split('"')[1]) > 0  # the data has blank nodes to test


def test_explicit_dataset_and_malformed_text(remote: RemoteStore, store: Store) -> None:
    spec = DatasetSpec(default_graphs=(store.inferred_graph,), named_graphs=())
    text = "SELECT * WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    assert answer(remote, text, spec) == answer(store, text, spec)
    with pytest.raises(QueryError) as remote_error:
        remote.query("SELECT ?s WHERE { ?s a unknown:Thing }")
    with pytest.raises(QueryError) as local_error:
        store.query("SELECT ?s WHERE { ?s a unknown:Thing }")
    assert remote_error.value.message == local_error.value.message


def test_quads_match_including_blank_node_lookups(remote: RemoteStore, store: Store) -> None:
    assert sorted(_plain(str(q)) for q in remote.quads()) == sorted(_plain(str(q)) for q in store.quads())
    remote_blanks = [
        q.subject for q in remote.quads(graphs=remote.asserted_graphs) if isinstance(q.subject, ox.BlankNode)
    ]
    assert remote_blanks
    for blank in remote_blanks[:20]:  # a blank node from the remote can be looked up again
        assert list(remote.quads(blank, None, None))
    order = [store.inferred_graph, store.asserted_graphs[0]]
    got = [
        q.graph_name.value
        for q in remote.quads(None, None, ox.NamedNode("https://w3id.org/pharma-kg/id/CRO"), order)
    ]
    assert got == sorted(got, key=order.index)  # graph by graph, in the order asked
    assert list(remote.quads(graphs=["https://example.org/not-ours", MARKER])) == []


def test_walks_answer_as_embedded(remote: RemoteStore, store: Store) -> None:
    for source, target in (("CRO", "Phase III"), ("CMO", "pkg:QualityControl")):
        expected = traverse.paths(store, source, target, max_depth=4, limit=10).to_dict()
        assert expected["paths"]
        assert traverse.paths(remote, source, target, max_depth=4, limit=10).to_dict() == expected
    around = [_plain(e.to_dict()) for e in traverse.neighbours(remote, "CRO")]
    assert around == [_plain(e.to_dict()) for e in traverse.neighbours(store, "CRO")]
    fact = next(q for q in store.quads(graphs=[store.inferred_graph]) if isinstance(q.subject, ox.NamedNode))
    why = explain.explain(store, fact.subject, fact.predicate, fact.object).to_dict()
    assert _plain(explain.explain(remote, fact.subject, fact.predicate, fact.object).to_dict()) == _plain(why)


def every_graph(endpoint: Endpoint) -> dict[str, int]:
    """Triples per graph over the whole remote (no dataset restriction): staging graphs included."""
    text = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    headers = {"Accept": "application/sparql-results+json", "Content-Type": "application/sparql-query"}
    status, _, body = endpoint.request("POST", endpoint.query_url, text.encode(), headers, 30)
    assert status == 200
    return {b["g"]["value"]: int(b["n"]["value"]) for b in json.loads(body)["results"]["bindings"]}


def test_a_failed_push_leaves_the_live_graphs(
    proxy: Proxy, remote: RemoteStore, web_ontology: Path, tmp_path: Path
) -> None:
    """The last graph's PUT fails: the remote still serves the previous build, whole, and nothing else."""
    small = build(web_ontology, (), tmp_path / "cache")
    endpoint = Endpoint(proxy.url)
    before = every_graph(endpoint)
    assert set(small.manifest["graphs"]) - set(before)  # graphs a half-done push would add
    proxy.fail_put = sum(1 for n in small.manifest["graphs"].values() if n)
    try:
        with pytest.raises(KGError, match="unchanged"):
            push(small, endpoint)
    finally:
        proxy.fail_put = 0
    assert remote_build(endpoint) == remote.key
    assert every_graph(endpoint) == before  # staging graphs were cleaned up after the failure


def test_garbage_and_silence_are_errors_with_a_message(proxy: Proxy, remote: RemoteStore) -> None:
    with mode(proxy, "html"), pytest.raises(BadStoreAnswer, match="text/html"):
        remote.query("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    with mode(proxy, "truncated"), pytest.raises(BadStoreAnswer, match="malformed"):
        remote.query("SELECT * WHERE { ?s ?p ?o } LIMIT 2")
    with mode(proxy, "down"), pytest.raises(StoreUnavailable, match=re.escape(proxy.url)):
        remote.query("SELECT * WHERE { ?s ?p ?o } LIMIT 3")


# --- the CLI ----------------------------------------------------------------------------------


def kg(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_cli_query_answers_from_the_store(remote: RemoteStore, proxy: Proxy) -> None:
    seen = len(proxy.seen)
    done = kg(
        "query",
        "--store",
        proxy.url,
        "--format",
        "csv",
        "SELECT ?s WHERE { ?s a pkg:DevelopmentStage } # cli-token",
    )
    assert done.returncode == 0, done.stderr
    assert "cli-token" in "".join(b.decode() for _, _, b, _ in proxy.seen[seen:]).replace("+", " ")
    assert len(done.stdout.splitlines()) > 3


def test_cli_unreachable_store_is_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    for args in (["query", "--store", url, "ASK {}"], ["serve", "--port", str(free_port()), "--store", url]):
        done = kg(*args)
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        assert url in done.stderr


def test_credentials_are_sent_but_never_shown(proxy: Proxy) -> None:
    secret = "s3cret-Pa55"
    with_userinfo = proxy.url.replace("http://", f"http://alice:{secret}@")
    with mode(proxy, "auth"):
        for url, env in (
            (with_userinfo, {}),
            (proxy.url, {"KG_STORE_USER": "bob", "KG_STORE_PASSWORD": secret}),
        ):
            seen = len(proxy.seen)
            done = kg("query", "--store", url, "ASK {}", env=env)
            assert done.returncode == 1
            assert secret not in done.stdout + done.stderr
            assert "credentials" in done.stderr and proxy.url in done.stderr
            assert proxy.seen[seen][3].startswith("Basic ")  # it was sent, as HTTP Basic
        with pytest.raises(StoreUnavailable) as failed:
            remote_build(Endpoint(with_userinfo))
        assert secret not in failed.value.message and secret not in repr(Endpoint(with_userinfo))


# --- the web server ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web(remote: RemoteStore, proxy: Proxy, cache_dir: Path):
    process, client = start_server(ONTOLOGY, cache_dir, KG_STORE_URL=proxy.url, KG_QUERY_TIMEOUT="20")
    try:
        yield client
    finally:
        stop_server(process)


def _json_rows(body: bytes) -> list:
    return sorted(json.dumps(_plain(b), sort_keys=True) for b in json.loads(body)["results"]["bindings"])


def test_server_answers_every_surface_from_the_store(web, store: Store, proxy: Proxy) -> None:
    health = web.get("/healthz")
    assert health.status == 200 and json.loads(health.body)["store"] == proxy.url
    seen = len(proxy.seen)
    text = "SELECT ?s ?label WHERE { ?s a pkg:DevelopmentStage ; skos:prefLabel ?label } # web-token"
    reply = web.query(text, accept="application/sparql-results+json")
    assert reply.status == 200, reply.text
    assert "web-token" in "\n".join(b.decode() for _, _, b, _ in proxy.seen[seen:]).replace("+", " ")
    expected = sparql.run(store, text).rows
    assert len(_json_rows(reply.body)) == len(list(expected or ()))
    assert len(proxy.seen) > seen
    surfaces = (
        "/api/queries/stages",
        "/api/queries/describe-resource?resource=pkg:CRO",
        "/api/paths?from=CRO&to=Phase%20III",
        "/api/neighbours?node=CRO",
        "/id/CRO",
        "/rdf-graphs?graph=https://w3id.org/pharma-kg/graph/vocabulary",
    )
    for path in surfaces:
        assert web.get(path, Accept="application/json").status == 200, path


def test_refused_queries_never_reach_the_store(web, proxy: Proxy) -> None:
    refused = [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } } # refused-token",
        "INSERT DATA { <urn:a> <urn:b> <urn:c> } # refused-token",
        "SELECT * WHERE { " + "{ " * 200 + "?s ?p ?o" + " }" * 200 + " } # refused-token",
        "SELECT * FROM <https://example.org/elsewhere> WHERE { ?s ?p ?o } # refused-token",
    ]
    seen = len(proxy.seen)
    for text in refused:
        reply = web.post_form({"query": text})
        assert reply.status in (400, 403), reply.text
    assert "refused-token" not in "\n".join(b.decode("utf-8", "replace") for _, _, b, _ in proxy.seen[seen:])
    reply = web.post_form({"query": "ASK { ?s ?p ?o } # allowed-token"})
    assert reply.status == 200
    arrived = "\n".join(b.decode("utf-8", "replace") for _, _, b, _ in proxy.seen[seen:])
    assert "allowed-token" in arrived.replace("+", " ")  # the control: allowed queries do arrive


def test_server_when_the_store_goes_away_and_misbehaves(web, proxy: Proxy) -> None:
    with mode(proxy, "down"):
        reply = web.query("ASK { ?s ?p ?o } # down-1")
        assert reply.status == 503 and reply.headers["Retry-After"]
        assert proxy.url in reply.text
        health = web.get("/healthz")
        assert health.status == 503 and json.loads(health.body)["status"] != "ok"
    with mode(proxy, "html"):
        reply = web.query("ASK { ?s ?p ?o } # garbage-1")
        assert reply.status == 502 and "text/html" in reply.text
    with mode(proxy, "truncated"):
        reply = web.query("SELECT * WHERE { ?s ?p ?o } LIMIT 1 # garbage-2")
        assert reply.status == 502 and "malformed" in reply.text
    for _ in range(30):  # the health answer is kept for a second
        if web.get("/healthz").status == 200:
            break
        time.sleep(0.2)
    assert web.get("/healthz").status == 200

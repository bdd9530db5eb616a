"""Security by default: nothing reaches the network or disk, Update is refused and changes nothing,
error bodies carry no tracebacks or paths."""

from __future__ import annotations

import json
import socket

import pytest

from web_fixtures import ASSERTED, INFERRED

pytest_plugins = ["web_fixtures"]


@pytest.fixture
def listener():
    """A loopback socket that records whether anything connected to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.5)
    yield sock.getsockname()[1], sock
    sock.close()


def connected(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except TimeoutError:
        return False
    conn.close()
    return True


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ BIND(<http://127.0.0.1:{port}/> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        "LOAD <http://127.0.0.1:{port}/data.ttl>",
        "SELECT * FROM <http://127.0.0.1:{port}/data.ttl> WHERE {{ ?s ?p ?o }}",
        "SELECT * FROM NAMED <http://127.0.0.1:{port}/data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "CONSTRUCT {{ ?s ?p ?o }} FROM <http://127.0.0.1:{port}/> WHERE {{ ?s ?p ?o }}",
    ],
)
def test_no_outbound_connection(server, listener, template):
    port, sock = listener
    reply = server.query(template.format(port=port))
    assert reply.status == 403
    assert not connected(sock), "the server connected out"
    for port_state in ("refused", "reset", "unreachable", "timed out", "errno"):
        assert port_state not in reply.text.lower()


def test_default_graph_uri_never_fetches(server, listener):
    port, sock = listener
    reply = server.query("ASK { ?s ?p ?o }", **{"default-graph-uri": f"http://127.0.0.1:{port}/g"})
    assert reply.status == 403  # one status for every unknown graph (UnknownGraph)
    assert not connected(sock)


@pytest.mark.parametrize("clause", ["FROM", "FROM NAMED"])
def test_from_file_is_not_read(server, clause):
    reply = server.query(f"SELECT * {clause} <file:///etc/passwd> WHERE {{ ?s ?p ?o }}")
    assert reply.status == 403
    assert "root:" not in reply.text


def count_all(server) -> int:
    reply = server.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    return int(json.loads(reply.body)["results"]["bindings"][0]["n"]["value"])


def test_update_is_refused_and_data_unchanged(server):
    before = count_all(server)
    assert before == sum(ASSERTED.values()) + INFERRED
    insert = "INSERT DATA { GRAPH <https://w3id.org/pharma-kg/graph/data> { <urn:a> <urn:b> <urn:c> } }"
    attempts = [
        server.query(insert),
        server.query("CLEAR ALL"),
        server.query("DELETE WHERE { ?s ?p ?o }"),
        server.get("/sparql", {"update": insert}),
        server.post_form({"update": "DROP ALL"}),
        server.post_direct(insert, "application/sparql-update"),
        server.post_direct("PREFIX ex: <http://example.org/>\nDELETE DATA { ex:c1 ex:hasPartner ex:c2 }"),
    ]
    assert [r.status for r in attempts] == [403] * len(attempts)
    assert all("read-only" in r.text for r in attempts)
    assert count_all(server) == before


@pytest.mark.parametrize(
    "request_args",
    [
        ("GET", "/sparql?query=SELECT%20*%20WHERE%20%7B"),
        ("GET", "/nowhere"),
        ("POST", "/sparql"),
        ("GET", "/rdf-graphs?graph=file:///etc/passwd"),
    ],
)
def test_error_bodies_have_no_internals(server, request_args):
    reply = server.request(*request_args)
    assert 400 <= reply.status < 500
    for leak in ("Traceback", 'File "', "/work/", "site-packages", ".py"):
        assert leak not in reply.text


def test_json_errors_when_asked(server):
    reply = server.query("SELECT * WHERE {", "application/json")
    assert reply.status == 400
    body = json.loads(reply.body)
    assert body["status"] == 400 and "malformed SPARQL" in body["message"]


def test_an_allow_listed_service_host_is_reached_and_others_are_not(server, listener, cache_dir):
    """Federation is opt-in per host: allowed, Oxigraph's client really queries that endpoint."""
    from kg import sparql
    from kg.build import build
    from kg.errors import ForbiddenQuery
    from kg.store import OxigraphStore

    local = OxigraphStore(build(cache=cache_dir))  # the packaged graph, as the querying side
    remote = f"http://127.0.0.1:{server.port}/sparql"
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ SERVICE <{remote}> {{ ?s ?p ?o }} }}"
    allowed = sparql.run(local, query, allowed_service_hosts=frozenset({"127.0.0.1"}))
    assert int(next(allowed.rows)["n"].value) > 0
    port, sock = listener
    elsewhere = f"SELECT * WHERE {{ SERVICE <http://localhost:{port}/> {{ ?s ?p ?o }} }}"
    with pytest.raises(ForbiddenQuery):  # "localhost" is another host name than the allowed one
        sparql.run(local, elsewhere, allowed_service_hosts=frozenset({"127.0.0.1"}))
    assert not connected(sock)


def test_healthz_says_the_query_workers_are_walled_off(server):
    """The second wall is visible to operators: workers report the seccomp filter they run under."""
    reply = server.get("/healthz")
    assert reply.status == 200
    body = json.loads(reply.body)
    assert body["egress"] in ("seccomp", "network-namespace")
    assert body["query_workers"] >= 1 and "problem" not in body

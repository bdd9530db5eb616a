"""The safe SPARQL runner: what it refuses, how it picks the dataset, caps and formats."""

from __future__ import annotations

import io
import json
import socket
import sys
import threading

import pyoxigraph as ox
import pytest
import rdflib

from kg import build, sparql
from kg.errors import ForbiddenQuery, QueryError, UnknownGraph
from kg.formats import FORMATS, RESULTS, lookup, write_boolean, write_rows
from kg.namespaces import INFERRED_GRAPH, graph_iri
from kg.store import DatasetSpec, OxigraphStore

from conftest import write_ontology

VOCAB = "ex:hasPart owl:inverseOf ex:partOf .\n"
DATA = (
    'ex:w1 ex:hasPart ex:p1 ; skos:prefLabel "W1 \\"quoted\\", with comma"@en .\nex:w2 ex:hasPart ex:p2 .\n'
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> OxigraphStore:
    root = tmp_path_factory.mktemp("tiny")
    folder = write_ontology(root / "o", {"vocab.ttl": VOCAB, "data.ttl": DATA})
    return OxigraphStore(build.build(folder, cache=root / "c"))


@pytest.mark.parametrize(
    "query",
    [
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "PREFIX ex: <http://example.org/>\nDELETE WHERE { ?s ?p ?o }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "CLEAR ALL",
        "DROP GRAPH <http://x>",
    ],
)
def test_updates_are_refused(tiny, query):
    with pytest.raises(ForbiddenQuery, match="read-only"):
        sparql.run(tiny, query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        "select * where { service silent <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
        "SELECT * WHERE {SERVICE<http://127.0.0.1:1/>{?s ?p ?o}}",
    ],
)
def test_service_is_refused(tiny, query):
    with pytest.raises(ForbiddenQuery, match="SERVICE"):
        sparql.run(tiny, query)


def test_keywords_inside_strings_comments_and_iris_are_not_mistaken(tiny):
    query = """# SERVICE <http://x> and INSERT in a comment
    SELECT ?s WHERE { ?s ?p ?o FILTER(?o != "SERVICE <http://x> { }" && ?p != <http://e/SERVICE>) }"""
    outcome = sparql.run(tiny, query)
    assert len(list(outcome.rows)) > 0


@pytest.mark.parametrize("iri", ["http://127.0.0.1:1/remote.ttl", "file:///etc/passwd"])
def test_from_unknown_graph_is_refused(tiny, iri):
    with pytest.raises(ForbiddenQuery, match="never loads"):
        sparql.run(tiny, f"SELECT * FROM <{iri}> WHERE {{ ?s ?p ?o }}")


def test_refused_queries_open_no_connection_and_no_file(tiny):
    """An audit hook records every socket connect and file open while forbidden queries run."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    events: list[tuple] = []
    watching = threading.Event()

    def hook(event, args):
        if watching.is_set() and event in ("socket.connect", "open"):
            events.append((event, args))

    sys.addaudithook(hook)
    queries = [
        f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
        f"LOAD <http://127.0.0.1:{port}/x.ttl>",
        f"SELECT * FROM <http://127.0.0.1:{port}/x.ttl> WHERE {{ ?s ?p ?o }}",
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
    ]
    watching.set()
    try:
        for query in queries:
            with pytest.raises(ForbiddenQuery):
                sparql.run(tiny, query)
    finally:
        watching.clear()
    assert events == []
    with pytest.raises(TimeoutError):
        listener.accept()  # nobody (not even Oxigraph's own HTTP client) knocked
    listener.close()


def test_from_a_known_graph_selects_it(tiny):
    asserted = f"SELECT ?s FROM <{graph_iri('data')}> WHERE {{ ?s <http://example.org/partOf> ?o }}"
    assert list(sparql.run(tiny, asserted).rows) == []
    inferred = f"SELECT ?s FROM <{INFERRED_GRAPH}> WHERE {{ ?s <http://example.org/partOf> ?o }}"
    assert {r["s"].value for r in sparql.run(tiny, inferred).rows} == {
        "http://example.org/p1",
        "http://example.org/p2",
    }


def test_infer_switch(tiny):
    query = "ASK { <http://example.org/p1> <http://example.org/partOf> <http://example.org/w1> }"
    assert sparql.run(tiny, query).boolean is True
    assert sparql.run(tiny, query, DatasetSpec(infer=False)).boolean is False


def test_malformed_query_reports_position(tiny):
    with pytest.raises(QueryError, match=r"1:\d+"):
        sparql.run(tiny, "SELECT ?s WHERE { ?s ?p }")


def test_unknown_default_graph_is_an_error(tiny):
    with pytest.raises(UnknownGraph, match="unknown graph"):
        sparql.run(tiny, "ASK {}", DatasetSpec(default_graphs=("http://nowhere/",)))


def test_row_cap_truncates_and_says_so(tiny):
    outcome = sparql.run(tiny, "SELECT * WHERE { ?s ?p ?o }", cap=2)
    assert len(list(outcome.rows)) == 2 and outcome.truncated()
    whole = sparql.run(tiny, "SELECT * WHERE { ?s ?p ?o }", cap=1000)
    list(whole.rows)
    assert not whole.truncated()


def test_substitution_binds_terms_not_text(tiny):
    query = "SELECT ?s ?o WHERE { ?s <http://example.org/hasPart> ?o }"
    nasty = ox.NamedNode("http://example.org/w1")
    rows = list(sparql.run(tiny, query, substitutions={"s": nasty}).rows)
    assert [r["o"].value for r in rows] == ["http://example.org/p1"]


@pytest.mark.parametrize("name", [f.name for f in FORMATS if f.kind == RESULTS])
def test_each_results_format_parses_back_with_oxigraph(tiny, name):
    fmt = lookup(name)
    label = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
    query = f"SELECT ?s ?label WHERE {{ ?s ?p ?o OPTIONAL {{ ?s {label} ?label }} }}"
    outcome = sparql.run(tiny, query)
    body = b"".join(write_rows(fmt, outcome.variables, outcome.rows))
    expected = list(sparql.run(tiny, query).rows)
    if name == "csv":  # lossy by design (no term types); Oxigraph refuses to parse it, rdflib reads it
        parsed = list(rdflib.query.Result.parse(io.BytesIO(body), format="csv"))
        labels = {str(r["label"]) for r in parsed if r["label"]}
    else:
        parsed = list(ox.parse_query_results(body, ox.QueryResultsFormat.from_media_type(fmt.media_type)))
        labels = {str(r["label"].value) for r in parsed if r["label"] is not None}
    assert len(parsed) == len(expected)
    assert 'W1 "quoted", with comma' in labels


@pytest.mark.parametrize("name", ["json", "xml"])
def test_boolean_results_parse_back_with_rdflib(name):
    fmt = lookup(name)
    result = rdflib.query.Result.parse(source=io.BytesIO(write_boolean(fmt, True)), format=name)
    assert result.askAnswer is True


def test_json_results_are_sparql_json(tiny):
    outcome = sparql.run(tiny, "SELECT ?s WHERE { ?s <http://example.org/hasPart> ?o } ORDER BY ?s")
    doc = json.loads(b"".join(write_rows(lookup("json"), outcome.variables, outcome.rows)))
    assert doc["head"]["vars"] == ["s"]
    assert [b["s"]["value"] for b in doc["results"]["bindings"]] == [
        "http://example.org/w1",
        "http://example.org/w2",
    ]


def test_union_fast_path_answers_like_the_explicit_graph_list(store):
    """All graphs visible uses Oxigraph's union flag; the same graphs listed explicitly must agree."""
    listed = tuple(reversed(store.graphs()))  # another order: forces the explicit-list path
    query = (
        "SELECT ?s ?o WHERE { ?s <https://w3id.org/pharma-kg/id/hasResponsibility> ?r . "
        "?r <https://w3id.org/pharma-kg/id/performedInStage> ?o } ORDER BY ?s ?o"
    )
    fast = [(r["s"].value, r["o"].value) for r in sparql.run(store, query).rows]
    slow = [
        (r["s"].value, r["o"].value) for r in sparql.run(store, query, DatasetSpec(True, listed, listed)).rows
    ]
    assert fast == slow and len(fast) > 5
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    n_fast = next(sparql.run(store, count).rows)["n"].value
    n_slow = next(sparql.run(store, count, DatasetSpec(True, listed, listed)).rows)["n"].value
    assert n_fast == n_slow

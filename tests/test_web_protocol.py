"""The SPARQL 1.1 Protocol (query side) against the real server: every W3C protocol test case, each
format parsed back with a real parser, content negotiation, Service Description, Graph Store reads."""

from __future__ import annotations

import csv
import gzip
import io
import json

import pyoxigraph as ox
import pytest
import rdflib

from web_fixtures import (
    ASSERTED,
    COMPANIES,
    DATA_GRAPH,
    EX,
    INFERRED,
    INFERRED_GRAPH,
    LABELS,
    MAX_BODY,
    MAX_ROWS,
    PREFIX,
    QUERY_TIMEOUT,
    VOCAB_GRAPH,
)

pytest_plugins = ["web_fixtures"]

LABELS_QUERY = PREFIX + "SELECT ?c ?label WHERE { ?c a ex:CRO ; rdfs:label ?label }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CONSTRUCT = PREFIX + "CONSTRUCT { ?c rdfs:label ?l } WHERE { ?c rdfs:label ?l }"
RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


def solutions(reply, fmt=ox.QueryResultsFormat.JSON) -> list[dict[str, str]]:
    if fmt == ox.QueryResultsFormat.CSV:  # lossy by design; Oxigraph will not read it, the csv module will
        return [{k: v for k, v in row.items() if v} for row in csv.DictReader(io.StringIO(reply.text))]
    parsed = ox.parse_query_results(reply.body, fmt)
    return [{v.value: row[v].value for v in parsed.variables if row[v] is not None} for row in parsed]


def count(reply) -> int:
    return int(solutions(reply)[0]["n"])


def labels(reply, fmt=ox.QueryResultsFormat.JSON) -> set[str]:
    return {row["label"] for row in solutions(reply, fmt)}


def media_type(reply) -> str:
    return reply.headers["Content-Type"].split(";")[0].strip()


# --- positive W3C cases: query_get, query_post_form, query_post_direct --------------------------


def test_query_get(server):
    reply = server.query(LABELS_QUERY)
    assert reply.status == 200
    assert media_type(reply) == "application/sparql-results+json"
    assert labels(reply) == LABELS


def test_query_post_form(server):
    reply = server.post_form({"query": LABELS_QUERY})
    assert reply.status == 200
    assert labels(reply) == LABELS


@pytest.mark.parametrize(
    "content_type", ["application/sparql-query", "application/sparql-query; charset=UTF-8"]
)
def test_query_post_direct(server, content_type):
    reply = server.post_direct(LABELS_QUERY.encode(), content_type)
    assert reply.status == 200
    assert labels(reply) == LABELS


def test_non_ascii_query_round_trips(server):
    reply = server.query('SELECT ?x WHERE { BIND("Zürich – 東京" AS ?x) }')
    assert solutions(reply) == [{"x": "Zürich – 東京"}]


# --- dataset: protocol params, several of them, overriding FROM, infer ---------------------------


def test_default_graph_uri_selects_graph(server):
    reply = server.query(COUNT, **{"default-graph-uri": VOCAB_GRAPH})
    assert count(reply) == ASSERTED[VOCAB_GRAPH]


@pytest.mark.parametrize("method", ["get", "form"])
def test_multiple_default_graphs_are_merged(server, method):
    params = {"query": COUNT, "default-graph-uri": [VOCAB_GRAPH, INFERRED_GRAPH]}
    reply = server.get("/sparql", params) if method == "get" else server.post_form(params)
    assert count(reply) == ASSERTED[VOCAB_GRAPH] + INFERRED


@pytest.mark.parametrize("method", ["get", "form"])
def test_named_graphs(server, method):
    text = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    params = {"query": text, "named-graph-uri": [VOCAB_GRAPH, DATA_GRAPH]}
    reply = server.get("/sparql", params) if method == "get" else server.post_form(params)
    assert {row["g"]: int(row["n"]) for row in solutions(reply)} == ASSERTED


def test_full_dataset_default_and_named(server):
    text = "SELECT ?g (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } GROUP BY ?g"
    params = {"query": text, "default-graph-uri": VOCAB_GRAPH, "named-graph-uri": INFERRED_GRAPH}
    rows = {row.get("g"): int(row["n"]) for row in solutions(server.get("/sparql", params))}
    assert rows == {None: ASSERTED[VOCAB_GRAPH], INFERRED_GRAPH: INFERRED}


def test_protocol_dataset_overrides_from(server):
    text = f"SELECT (COUNT(*) AS ?n) FROM <{DATA_GRAPH}> WHERE {{ ?s ?p ?o }}"
    assert count(server.query(text)) == ASSERTED[DATA_GRAPH]
    assert count(server.query(text, **{"default-graph-uri": VOCAB_GRAPH})) == ASSERTED[VOCAB_GRAPH]


def test_dataset_params_on_direct_post_come_from_the_url(server):
    reply = server.post_direct(COUNT, params={"default-graph-uri": VOCAB_GRAPH})
    assert count(reply) == ASSERTED[VOCAB_GRAPH]


def test_unknown_graph_is_403_however_it_is_named(server):
    """default-graph-uri, named-graph-uri, FROM and FROM NAMED: one status, one message."""
    nowhere = "http://example.org/nowhere"
    replies = [
        server.query(COUNT, **{"default-graph-uri": nowhere}),
        server.query(COUNT, **{"named-graph-uri": nowhere}),
        server.query(COUNT.replace("WHERE", f"FROM <{nowhere}> WHERE")),
        server.query(COUNT.replace("WHERE", f"FROM NAMED <{nowhere}> WHERE")),
    ]
    assert [r.status for r in replies] == [403] * 4
    for reply in replies:
        assert f"unknown graph <{nowhere}>: not a graph of this dataset" in reply.text


def test_infer_switch(server):
    ask = PREFIX + "ASK { ex:c1 a ex:Company }"
    assert json.loads(server.query(ask).body)["boolean"] is True
    assert json.loads(server.query(ask, infer="true").body)["boolean"] is True
    assert json.loads(server.query(ask, infer="false").body)["boolean"] is False
    assert count(server.query(COUNT, infer="false")) == sum(ASSERTED.values())
    assert count(server.query(COUNT)) == sum(ASSERTED.values()) + INFERRED
    assert server.query(ask, infer="maybe").status == 400


def test_inferred_graph_is_queryable_by_name(server):
    text = PREFIX + f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?a ex:partnerOf ?b }} }}"
    assert count(server.query(text)) == COMPANIES


# --- negative W3C cases ---------------------------------------------------------------------------


def test_bad_query_syntax_400_with_position(server):
    reply = server.query("SELECT * WHERE { ?s ?p }")
    assert reply.status == 400
    assert "1:" in reply.text and "malformed SPARQL" in reply.text


def test_missing_query(server):
    assert server.post_form({"default-graph-uri": VOCAB_GRAPH}).status == 400
    assert server.get("/sparql", {"default-graph-uri": VOCAB_GRAPH}).status == 400
    reply = server.post_direct(b"")
    assert reply.status == 400


def test_multiple_queries(server):
    assert server.get("/sparql", {"query": [COUNT, COUNT]}).status == 400
    assert server.post_form({"query": [COUNT, "ASK {}"]}).status == 400
    assert server.post_direct(COUNT, params={"query": COUNT}).status == 400


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json", "multipart/form-data; boundary=x"]
)
def test_wrong_media_type_415(server, content_type):
    reply = server.post_direct(COUNT, content_type)
    assert reply.status == 415
    assert "application/sparql-query" in reply.text


def test_missing_content_type_415(server):
    reply = server.request("POST", "/sparql", body=f"query={COUNT}")
    assert reply.status == 415


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_wrong_method_405_with_allow(server, method):
    reply = server.request(method, "/sparql", {"query": COUNT})
    assert reply.status == 405
    assert {m.strip() for m in reply.headers["Allow"].split(",")} >= {"GET", "POST"}


def test_non_utf8_direct_body_400(server):
    reply = server.post_direct('SELECT ?x WHERE { BIND("café" AS ?x) }'.encode("latin-1"))
    assert reply.status == 400
    assert "UTF-8" in reply.text


def test_non_utf8_charset_415(server):
    reply = server.post_direct(COUNT.encode("utf-16"), "application/sparql-query; charset=UTF-16")
    assert reply.status == 415


def test_non_utf8_url_400(server):
    reply = server.request(
        "GET", "/sparql?query=SELECT%20%3Fx%20WHERE%20%7B%20BIND(%22caf%E9%22%20AS%20%3Fx)%20%7D"
    )
    assert reply.status == 400


def test_update_via_query_endpoint_403(server):
    assert server.get("/sparql", {"update": "INSERT DATA { <a:a> <a:b> <a:c> }"}).status == 403
    assert server.post_form({"update": "CLEAR ALL"}).status == 403
    assert server.post_direct("DROP ALL", "application/sparql-update").status == 403
    assert server.query("INSERT DATA { <a:a> <a:b> <a:c> }").status == 403


# --- formats, both directions ---------------------------------------------------------------------


@pytest.mark.parametrize("accept", RESULT_FORMATS)
def test_select_in_each_results_format(server, accept):
    reply = server.query(LABELS_QUERY, accept)
    assert reply.status == 200
    assert media_type(reply) == accept
    assert labels(reply, RESULT_FORMATS[accept]) == LABELS


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml"])
@pytest.mark.parametrize("answer", [True, False])
def test_ask_in_results_formats(server, accept, answer):
    text = PREFIX + ("ASK { ex:c1 ex:hasPartner ex:c2 }" if answer else "ASK { ex:c2 ex:hasPartner ex:c1 }")
    reply = server.query(text, accept)
    assert media_type(reply) == accept
    assert bool(ox.parse_query_results(reply.body, RESULT_FORMATS[accept])) is answer


@pytest.mark.parametrize("accept", GRAPH_FORMATS)
@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
def test_graph_forms_in_each_rdf_format(server, accept, form):
    text = CONSTRUCT if form == "CONSTRUCT" else PREFIX + "DESCRIBE ex:c7"
    reply = server.query(text, accept)
    assert reply.status == 200
    assert media_type(reply) == accept
    triples = {
        (q.subject.value, q.predicate.value, q.object.value)
        for q in ox.parse(reply.body, GRAPH_FORMATS[accept])
    }
    if form == "CONSTRUCT":
        assert {t[2] for t in triples} == LABELS
    else:
        assert (EX + "c7", "http://www.w3.org/2000/01/rdf-schema#label", "Company 7") in triples
        assert all(t[0] == EX + "c7" for t in triples)


def test_rdflib_reads_the_graph_formats(server):
    for accept, name in [
        ("text/turtle", "turtle"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
    ]:
        graph = rdflib.Graph().parse(data=server.query(CONSTRUCT, accept).body, format=name)
        assert {str(o) for o in graph.objects()} == LABELS


# --- negotiation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("application/sparql-results+xml;q=0.1, text/tab-separated-values", "text/tab-separated-values"),
        ("*/*", "application/sparql-results+json"),
        ("text/*", "text/csv"),
        ("application/json", "application/sparql-results+json"),
        (BROWSER, "application/sparql-results+json"),
    ],
)
def test_q_values_for_select(server, accept, expected):
    assert media_type(server.query(LABELS_QUERY, accept)) == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("*/*", "text/turtle"),
        (BROWSER, "text/turtle"),
        ("application/n-triples;q=0.2, application/rdf+xml;q=0.8", "application/rdf+xml"),
        ("application/json", "application/ld+json"),
    ],
)
def test_q_values_for_construct(server, accept, expected):
    assert media_type(server.query(CONSTRUCT, accept)) == expected


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        ("format", "csv", "text/csv"),
        ("output", "tsv", "text/tab-separated-values"),
        ("format", "xml", "application/sparql-results+xml"),
        ("format", "application/sparql-results+json", "application/sparql-results+json"),
    ],
)
def test_format_override_beats_accept(server, param, value, expected):
    reply = server.query(
        LABELS_QUERY, "application/sparql-results+json;q=1, text/csv;q=0.1", **{param: value}
    )
    assert media_type(reply) == expected
    assert labels(reply, RESULT_FORMATS[expected]) == LABELS


def test_format_override_for_graphs(server):
    reply = server.query(CONSTRUCT, format="nt")
    assert media_type(reply) == "application/n-triples"
    assert {q.object.value for q in ox.parse(reply.body, ox.RdfFormat.N_TRIPLES)} == LABELS


def test_406_lists_supported(server):
    reply = server.query(LABELS_QUERY, "image/png")
    assert reply.status == 406
    assert "application/sparql-results+json" in reply.text and "text/csv" in reply.text
    reply = server.query(CONSTRUCT, format="csv")
    assert reply.status == 406
    assert "turtle" in reply.text


# --- HTTP caching -----------------------------------------------------------------------------------


def test_etag_and_304(server):
    first = server.query(LABELS_QUERY, "text/csv")
    tag = first.headers["ETag"]
    assert tag and first.headers["Vary"] == "Accept" and "max-age" in first.headers["Cache-Control"]
    again = server.request(
        "GET", "/sparql", {"query": LABELS_QUERY}, headers={"Accept": "text/csv", "If-None-Match": tag}
    )
    assert again.status == 304 and again.body == b""
    other = server.query(LABELS_QUERY, "text/tab-separated-values")
    assert other.headers["ETag"] != tag


def test_cached_answer_equals_fresh_answer(server):
    text = PREFIX + "SELECT ?c WHERE { ?c ex:hasPartner ex:c3 }"
    assert server.query(text).body == server.query(text).body
    assert solutions(server.query(text)) == [{"c": EX + "c2"}]


# --- Service Description ----------------------------------------------------------------------------

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")


def test_service_description_turtle(server):
    reply = server.get("/sparql")
    assert reply.status == 200 and media_type(reply) == "text/turtle"
    graph = rdflib.Graph().parse(data=reply.body, format="turtle")
    service = rdflib.URIRef(server.url + "/sparql")
    assert (service, rdflib.RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert len(set(graph.objects(service, SD.resultFormat))) == 10
    names = {str(o) for o in graph.objects(None, SD.name)}
    assert names == {DATA_GRAPH, VOCAB_GRAPH, INFERRED_GRAPH}
    limits = {
        str(p).rsplit("#", 1)[1]: o.toPython()
        for p, o in graph.predicate_objects(service)
        if "pharma-kg" in str(p)
    }
    assert limits == {
        "queryTimeoutSeconds": QUERY_TIMEOUT,
        "maxResultRows": MAX_ROWS,
        "maxRequestBytes": MAX_BODY,
        "maxResultBytes": 32 * 1024 * 1024,
        "maxQueryCharacters": 256 * 1024,
        "maxQueryDepth": 128,
    }


def test_service_description_jsonld(server):
    reply = server.get("/sparql", Accept="application/ld+json")
    assert media_type(reply) == "application/ld+json"
    graph = rdflib.Graph().parse(data=reply.body, format="json-ld")
    assert (rdflib.URIRef(server.url + "/sparql"), rdflib.RDF.type, SD.Service) in graph


# --- Graph Store Protocol (read) and the dataset download -----------------------------------------


def test_gsp_default_graph(server):
    reply = server.get("/rdf-graphs?default", Accept="application/n-triples")
    assert len(list(ox.parse(reply.body, ox.RdfFormat.N_TRIPLES))) == sum(ASSERTED.values()) + INFERRED
    asserted = server.get("/rdf-graphs?default&infer=false", Accept="application/n-triples")
    assert len(list(ox.parse(asserted.body, ox.RdfFormat.N_TRIPLES))) == sum(ASSERTED.values())


def test_gsp_named_graph(server):
    reply = server.get("/rdf-graphs", {"graph": VOCAB_GRAPH})
    assert media_type(reply) == "text/turtle"
    graph = rdflib.Graph().parse(data=reply.body, format="turtle")
    assert (rdflib.URIRef(EX + "CRO"), rdflib.RDFS.subClassOf, rdflib.URIRef(EX + "Company")) in graph
    assert len(graph) == ASSERTED[VOCAB_GRAPH]


def test_gsp_errors(server):
    assert server.get("/rdf-graphs", {"graph": EX + "none"}).status == 404
    assert server.get("/rdf-graphs").status == 400
    assert server.request("PUT", "/rdf-graphs?default", body=b"<a:a> <a:b> <a:c> .").status == 405
    assert server.request("DELETE", "/rdf-graphs", {"graph": VOCAB_GRAPH}).status == 405


def test_dataset_download_trig_and_nquads(server):
    trig = server.get("/dataset")
    assert media_type(trig) == "application/trig"
    quads = list(ox.parse(trig.body, ox.RdfFormat.TRIG))
    by_graph = {}
    for quad in quads:
        by_graph[quad.graph_name.value] = by_graph.get(quad.graph_name.value, 0) + 1
    assert by_graph == {**ASSERTED, INFERRED_GRAPH: INFERRED}
    nquads = server.get("/dataset.nq")
    assert len(list(ox.parse(nquads.body, ox.RdfFormat.N_QUADS))) == len(quads)
    assert media_type(server.get("/dataset", Accept="application/n-quads")) == "application/n-quads"


def test_dataset_gzip_etag_304(server):
    reply = server.get("/dataset", Accept_Encoding="gzip")
    assert reply.headers["Content-Encoding"] == "gzip"
    body = gzip.GzipFile(fileobj=io.BytesIO(reply.body)).read()
    assert len(list(ox.parse(body, ox.RdfFormat.TRIG))) == sum(ASSERTED.values()) + INFERRED
    again = server.get("/dataset", Accept_Encoding="gzip", If_None_Match=reply.headers["ETag"])
    assert again.status == 304
    plain = server.get("/dataset")
    assert plain.headers["ETag"] != reply.headers["ETag"]


# --- CORS, operations ----------------------------------------------------------------------------


def test_cors_reads_and_preflight(server):
    reply = server.get("/sparql", {"query": COUNT}, Origin="https://example.com")
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in reply.headers
    preflight = server.request(
        "OPTIONS",
        "/sparql",
        headers={
            "Origin": "https://example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"
    assert "Access-Control-Allow-Credentials" not in preflight.headers


def test_healthz_and_metrics(server):
    health = json.loads(server.get("/healthz").body)
    assert health["status"] == "ok" and health["triples"] == sum(ASSERTED.values()) + INFERRED
    server.query(COUNT)
    metrics = server.get("/metrics").text
    assert 'kg_queries_total{form="SELECT"' in metrics
    assert "kg_http_request_seconds_bucket" in metrics
    assert "kg_query_timeouts_total" in metrics


def test_announces_its_url(server):
    assert server.announcement == f"pharma-kg serving on {server.url}/ (sparql: /sparql)"


def test_service_description_declares_the_prefixes_every_query_may_use(server):
    """The prefixes the server declares for every query (kg.namespaces.QUERY_PREFIXES), as sh:declare."""
    import rdflib

    from kg.namespaces import QUERY_PREFIXES

    reply = server.get("/sparql", Accept="text/turtle")
    graph = rdflib.Graph().parse(data=reply.text, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    declared = {
        str(graph.value(d, sh.prefix)): str(graph.value(d, sh.namespace))
        for d in graph.objects(None, sh.declare)
    }
    assert declared == QUERY_PREFIXES

"""Real clients, unchanged: SPARQLWrapper, rdflib's SPARQLStore, curl."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, POST, TURTLE, XML, SPARQLWrapper

from web_fixtures import EX, LABELS, PREFIX

pytest_plugins = ["web_fixtures"]

LABELS_QUERY = PREFIX + "SELECT ?c ?label WHERE { ?c a ex:CRO ; rdfs:label ?label }"


def wrapper(server, query: str) -> SPARQLWrapper:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(query)
    return client


@pytest.mark.parametrize("method", ["GET", POST])
def test_sparqlwrapper_select_json(server, method):
    client = wrapper(server, LABELS_QUERY)
    client.setReturnFormat(JSON)
    client.setMethod(method)
    result = client.query().convert()
    assert {b["label"]["value"] for b in result["results"]["bindings"]} == LABELS


def test_sparqlwrapper_select_xml(server):
    client = wrapper(server, LABELS_QUERY)
    client.setReturnFormat(XML)
    document = client.query().convert()
    assert {n.firstChild.data for n in document.getElementsByTagName("literal")} == LABELS


def test_sparqlwrapper_ask(server):
    client = wrapper(server, PREFIX + "ASK { ex:c1 ex:hasPartner ex:c2 }")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True


@pytest.mark.parametrize("fmt", [TURTLE, XML])
def test_sparqlwrapper_construct_into_graph(server, fmt):
    client = wrapper(server, PREFIX + "CONSTRUCT { ?c rdfs:label ?l } WHERE { ?c rdfs:label ?l }")
    client.setReturnFormat(fmt)
    result = client.queryAndConvert()
    graph = result if isinstance(result, rdflib.Graph) else rdflib.Graph().parse(data=result, format="turtle")
    assert {str(o) for o in graph.objects()} == LABELS


def test_rdflib_sparqlstore(server):
    graph = rdflib.Graph(store=SPARQLStore(server.url + "/sparql"))
    rows = graph.query(LABELS_QUERY)
    assert {str(row.label) for row in rows} == LABELS
    assert bool(graph.query(PREFIX + "ASK { ex:c1 a ex:Company }").askAnswer) is True
    described = graph.query(PREFIX + "CONSTRUCT WHERE { ex:c3 ?p ?o }")
    assert (
        rdflib.URIRef(EX + "c3"),
        rdflib.RDFS.label,
        rdflib.Literal("Company 3", lang="en"),
    ) in described.graph


def test_rdflib_sparqlstore_triples(server):
    graph = rdflib.Graph(store=SPARQLStore(server.url + "/sparql"))
    partners = set(graph.objects(rdflib.URIRef(EX + "c5"), rdflib.URIRef(EX + "hasPartner")))
    assert partners == {rdflib.URIRef(EX + "c6")}


curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")


@curl
def test_curl_get(server):
    out = subprocess.run(
        [
            "curl",
            "-sS",
            "-G",
            server.url + "/sparql",
            "--data-urlencode",
            f"query={LABELS_QUERY}",
            "-H",
            "Accept: application/sparql-results+json",
        ],
        capture_output=True,
        check=True,
    ).stdout
    assert {b["label"]["value"] for b in json.loads(out)["results"]["bindings"]} == LABELS


@curl
def test_curl_post_direct_csv(server):
    out = subprocess.run(
        [
            "curl",
            "-sS",
            "-X",
            "POST",
            server.url + "/sparql?format=csv",
            "-H",
            "Content-Type: application/sparql-query",
            "--data-binary",
            LABELS_QUERY,
        ],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    lines = out.strip().splitlines()
    assert lines[0].strip() == "c,label"
    assert {line.split(",")[1].strip() for line in lines[1:]} == LABELS


@curl
def test_curl_failure_exit_code(server):
    result = subprocess.run(
        ["curl", "-sS", "--fail-with-body", "-G", server.url + "/sparql", "--data-urlencode", "query=SELECT"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 22
    assert "malformed SPARQL" in result.stdout

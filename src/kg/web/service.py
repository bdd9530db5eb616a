"""The SPARQL 1.1 Service Description (W3C `sd:` vocabulary) answered at `GET /sparql` without a query.

It says what a client can rely on: the query language, every result format, the default dataset (the
asserted graphs plus the inferred graph, each with its size) and our limits (time budget, row cap,
body size) in the pharma-kg service namespace.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Response, request

from ..formats import DATASET, FORMATS, GRAPH, write_graph
from ..namespaces import BASE, PREFIXES
from . import conneg
from .state import state

SD = PREFIXES["sd"]
VOID = PREFIXES["void"]
RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
LIMITS = BASE + "service#"
W3C_FORMATS = "http://www.w3.org/ns/formats/"


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def _integer(value: int | float) -> ox.Literal:
    datatype = "integer" if isinstance(value, int) else "decimal"
    return ox.Literal(str(value), datatype=ox.NamedNode(PREFIXES["xsd"] + datatype))


def triples(endpoint: str) -> list[ox.Triple]:
    s = state()
    service = ox.NamedNode(endpoint)
    dataset, default = ox.BlankNode(), ox.BlankNode()
    out = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(
            service, _sd("defaultEntailmentRegime"), ox.NamedNode("http://www.w3.org/ns/entailment/OWL-RL")
        ),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, _sd("Graph")),
        ox.Triple(default, ox.NamedNode(VOID + "triples"), _integer(s.memo["triples"])),
    ]
    out += [ox.Triple(service, _sd("resultFormat"), ox.NamedNode(W3C_FORMATS + f.w3c)) for f in FORMATS]
    sizes = s.snapshot.manifest.get("graphs", {})
    for name in s.store.graphs():
        named, graph = ox.BlankNode(), ox.BlankNode()
        out += [
            ox.Triple(dataset, _sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(named, _sd("name"), ox.NamedNode(name)),
            ox.Triple(named, _sd("graph"), graph),
            ox.Triple(graph, RDF_TYPE, _sd("Graph")),
        ]
        if name in sizes:
            out.append(ox.Triple(graph, ox.NamedNode(VOID + "triples"), _integer(sizes[name])))
    limits = {
        "queryTimeoutSeconds": s.config["KG_QUERY_TIMEOUT"],
        "maxResultRows": s.config["KG_MAX_ROWS"],
        "maxRequestBytes": s.config["KG_MAX_BODY"],
    }
    out += [ox.Triple(service, ox.NamedNode(LIMITS + k), _integer(v)) for k, v in limits.items()]
    return out


def description(endpoint: str, override: str | None) -> Response:
    """The description in the negotiated RDF format (Turtle by default), built once per format."""
    fmt = conneg.choose(request, (GRAPH, DATASET), override)
    memo = state().memo
    key = ("service-description", endpoint, fmt.name)
    if key not in memo:
        memo[key] = write_graph(fmt, triples(endpoint))
    response = Response(memo[key], 200, content_type=conneg.content_type(fmt))
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = f"public, max-age={state().config['KG_MAX_AGE']}"
    return response

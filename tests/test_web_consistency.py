# ruff: noqa: F811 -- the kg_server fixture is imported, then named as an argument
"""One parameter, one meaning, on every route of the real server.

- `format=` / `output=` / `infer=` given twice: the LAST value counts (as on /sparql); `format` beats
  `output`. The /api routes refuse a repeat of any parameter of their own (`node`, `directed`…).
- A boolean parameter (`infer`, `directed`, `literal`) that is not a boolean is a 400 naming it.
- A resource name that cannot be an IRI is a 404 with a message, whatever representation is asked for.
"""

from __future__ import annotations

import pytest

from api_fixtures import kg_server  # noqa: F401
from web_fixtures import Client

QUERY = "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) } ORDER BY ?s LIMIT 3"
TSV, CSV = "text/tab-separated-values", "text/csv"
TURTLE, NTRIPLES = "text/turtle", "application/n-triples"
JSONLD, TRIG, NQUADS = "application/ld+json", "application/trig", "application/n-quads"

#: route -> (path, its other parameters, two (format name, media type) choices)
FORMAT_ROUTES: dict[str, tuple[str, list[tuple[str, str]], tuple[tuple[str, str], tuple[str, str]]]] = {
    "sparql": ("/sparql", [("query", QUERY)], (("csv", CSV), ("tsv", TSV))),
    "service description": ("/sparql", [], (("ttl", TURTLE), ("jsonld", JSONLD))),
    "named query": ("/api/queries/stages", [], (("csv", CSV), ("tsv", TSV))),
    "resource": ("/id/CRO", [], (("ntriples", NTRIPLES), ("ttl", TURTLE))),
    "resource as html": ("/id/CRO", [], (("ttl", TURTLE), ("html", "text/html"))),
    "graph store": ("/rdf-graphs", [("default", "")], (("nt", NTRIPLES), ("ttl", TURTLE))),
    "dataset": ("/dataset", [], (("nq", NQUADS), ("trig", TRIG))),
}

#: route -> (path, its other parameters, the boolean parameter)
BOOLEAN_ROUTES: dict[str, tuple[str, list[tuple[str, str]], str]] = {
    "sparql": ("/sparql", [("query", QUERY)], "infer"),
    "query page": ("/query", [("query", QUERY)], "infer"),
    "resource": ("/id/CRO", [], "infer"),
    "resource as turtle": ("/id/CRO", [("format", "ttl")], "infer"),
    "graph store": ("/rdf-graphs", [("default", "")], "infer"),
    "named query": ("/api/queries/stages", [], "infer"),
    "neighbours": ("/api/neighbours", [("node", "CRO")], "infer"),
    "paths": ("/api/paths", [("from", "CRO"), ("to", "CMO")], "infer"),
    "paths, directed": ("/api/paths", [("from", "CRO"), ("to", "CMO")], "directed"),
    "explain": (
        "/api/explain",
        [("s", "pkg:QualityControl"), ("p", "skos:prefLabel"), ("o", '"Quality Control"@en')],
        "literal",
    ),
}

#: Ways to ask for a representation of a resource: HTML and every RDF format, by Accept and by name.
REPRESENTATIONS: list[tuple[dict[str, str], list[tuple[str, str]]]] = [
    ({"Accept": "text/html"}, []),
    ({"Accept": "*/*"}, []),
    ({"Accept": TURTLE}, []),
    ({"Accept": JSONLD}, []),
    ({"Accept": TRIG}, []),
    ({}, [("format", "ntriples")]),
    ({}, [("format", "nquads")]),
    ({}, [("format", "html")]),
]


def media_type(reply) -> str:
    return reply.headers["Content-Type"].split(";")[0].strip()


@pytest.mark.parametrize("param", ["format", "output"])
@pytest.mark.parametrize("route", list(FORMAT_ROUTES))
def test_a_repeated_format_means_its_last_value(kg_server: Client, route: str, param: str) -> None:
    path, params, choices = FORMAT_ROUTES[route]
    for first, last in (choices, choices[::-1]):
        reply = kg_server.get(path, [*params, (param, first[0]), (param, last[0])])
        assert reply.status == 200, reply.text
        assert media_type(reply) == last[1]
        alone = kg_server.get(path, [*params, (param, last[0])])
        assert reply.body == alone.body


@pytest.mark.parametrize("route", list(FORMAT_ROUTES))
def test_format_beats_output(kg_server: Client, route: str) -> None:
    path, params, (wanted, other) = FORMAT_ROUTES[route]
    for order in (
        [("output", other[0]), ("format", wanted[0])],
        [("format", wanted[0]), ("output", other[0])],
    ):
        reply = kg_server.get(path, [*params, *order])
        assert reply.status == 200 and media_type(reply) == wanted[1], reply.text


@pytest.mark.parametrize("route", list(BOOLEAN_ROUTES))
def test_a_boolean_that_is_not_one_is_400_naming_it(kg_server: Client, route: str) -> None:
    path, params, name = BOOLEAN_ROUTES[route]
    reply = kg_server.get(path, [*params, (name, "maybe")])
    assert reply.status == 400, reply.text
    assert name in reply.text and "'maybe'" in reply.text and "true or false" in reply.text
    for value in ("true", "FALSE", "1", "0", "yes", "off"):  # accepted (the answer may still be a 404)
        assert kg_server.get(path, [*params, (name, value)]).status in (200, 404), (name, value)


@pytest.mark.parametrize("route", [r for r, (_, _, name) in BOOLEAN_ROUTES.items() if name == "infer"])
def test_a_repeated_infer_means_its_last_value(kg_server: Client, route: str) -> None:
    path, params, name = BOOLEAN_ROUTES[route]
    for first, last in (("true", "false"), ("false", "true")):
        reply = kg_server.get(path, [*params, (name, first), (name, last)])
        alone = kg_server.get(path, [*params, (name, last)])
        assert (reply.status, reply.body) == (alone.status, alone.body)
        assert reply.status in (200, 404), reply.text


@pytest.mark.parametrize(("headers", "params"), REPRESENTATIONS)
@pytest.mark.parametrize(
    ("local", "message"),
    [
        ("a%20b", "not a valid IRI"),
        ("a%3Cb%3E", "not a valid IRI"),
        ("QualityControll", "pkg:QualityControl"),
    ],
)
def test_a_missing_or_impossible_resource_is_404_in_every_representation(
    kg_server: Client, headers: dict[str, str], params: list[tuple[str, str]], local: str, message: str
) -> None:
    reply = kg_server.get(f"/id/{local}", params, **headers)
    assert reply.status == 404, reply.text
    assert message in reply.text


#: An /api parameter of its own, given twice (even with the same value).
OWN_REPEATED: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "named query": ("/api/queries/responsibilities", [("role", "pkg:CMO")] * 2),
    "neighbours": ("/api/neighbours", [("node", "CRO")] * 2),
    "paths": ("/api/paths", [("from", "CRO"), ("to", "CMO"), *[("directed", "true")] * 2]),
    "explain": ("/api/explain", [*BOOLEAN_ROUTES["explain"][1], *[("literal", "true")] * 2]),
}


@pytest.mark.parametrize("route", list(OWN_REPEATED))
def test_an_api_parameter_of_its_own_given_twice_is_400(kg_server: Client, route: str) -> None:
    """Only the parameters every route shares (format, output, infer) may repeat; `node`, `directed`…
    name what to compute, and two of them is a mistake to report, not to guess at."""
    path, params = OWN_REPEATED[route]
    reply = kg_server.get(path, params)
    assert reply.status == 400 and "give it once" in reply.text, reply.text

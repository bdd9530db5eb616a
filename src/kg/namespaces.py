"""IRIs the code relies on: our namespace, the named graphs, and the prefixes we print with."""

from __future__ import annotations

BASE = "https://w3id.org/pharma-kg/"
PKG = BASE + "id/"
GRAPH = BASE + "graph/"
INFERRED_GRAPH = GRAPH + "inferred"
PROVENANCE_GRAPH = GRAPH + "provenance"  # one record (rdf:Statement) per statement, with its source
SOURCE = BASE + "source/"

PREFIXES: dict[str, str] = {
    "pkg": PKG,
    "graph": GRAPH,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "ncit": "http://purl.obolibrary.org/obo/NCIT_",
}

#: Declared for every SPARQL query, in the CLI and over HTTP (a query's own PREFIX wins).
QUERY_PREFIXES: dict[str, str] = {
    name: PREFIXES[name]
    for name in ("pkg", "rdf", "rdfs", "owl", "xsd", "skos", "dcterms", "prov", "org", "schema", "void", "sh")
}

#: Namespaces we do not declare for queries but can name when a query uses their usual prefix undeclared.
KNOWN_NAMESPACES: dict[str, str] = {
    **PREFIXES,
    "foaf": "http://xmlns.com/foaf/0.1/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcat": "http://www.w3.org/ns/dcat#",
}

#: Namespaces of the languages themselves; inferred triples about their terms are noise (see reason.py).
BUILTIN_NAMESPACES: tuple[str, ...] = (
    PREFIXES["rdf"],
    PREFIXES["rdfs"],
    PREFIXES["owl"],
    PREFIXES["xsd"],
)


def graph_iri(name: str) -> str:
    """The named graph a source file `name.ttl` is loaded into."""
    return GRAPH + name


def expand_curie(text: str) -> str | None:
    """`pkg:CRO` -> full IRI, or None when the prefix is unknown or the text is not a CURIE."""
    prefix, sep, local = text.partition(":")
    if not sep or prefix not in PREFIXES or local.startswith("//"):
        return None
    return PREFIXES[prefix] + local


def shorten(iri: str) -> str:
    """Full IRI -> CURIE when a known prefix fits, else the IRI itself."""
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(PREFIXES.get(best, "")):
            best = prefix
    if best:
        local = iri[len(PREFIXES[best]) :]
        if local and all(c.isalnum() or c in "_-." for c in local):
            return f"{best}:{local}"
    return iri

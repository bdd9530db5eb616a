"""Conversions between rdflib terms (parsing, SHACL, reasoning) and pyoxigraph terms (store, query)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

if TYPE_CHECKING:  # rdflib is imported where it is used: query workers never need it
    import rdflib

#: Any term pyoxigraph may hand over, RDF-star triple terms included (a query can build them).
OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
#: The terms our graphs hold: the build converts rdflib terms (`to_ox`), which are never triple terms.
Term = ox.NamedNode | ox.BlankNode | ox.Literal
#: What can be the subject of a statement in our graphs.
Node = ox.NamedNode | ox.BlankNode


def as_term(term: OxTerm) -> Term:
    """A term of a stored quad, as our graphs hold it; a triple term there is a bug, so it raises."""
    if isinstance(term, ox.Triple):
        raise TypeError(f"our graphs hold no triple terms: {term}")
    return term


def as_node(term: OxTerm) -> Node:
    """The subject of a stored quad (never a triple term, see `as_term`)."""
    if isinstance(term, ox.Triple | ox.Literal):
        raise TypeError(f"not a node of our graphs: {term}")
    return term


def to_ox(term: rdflib.term.Node) -> Term:
    import rdflib

    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r}")


def to_rdflib(term: Term) -> rdflib.term.Node:
    import rdflib

    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise TypeError(f"cannot convert {term!r}")


def quads(graph: rdflib.Graph, name: str) -> Iterator[ox.Quad]:
    """The triples of an rdflib graph as pyoxigraph quads in the named graph `name`."""
    g = ox.NamedNode(name)
    for s, p, o in graph:
        subject, predicate = to_ox(s), to_ox(p)
        if isinstance(subject, ox.Literal) or not isinstance(predicate, ox.NamedNode):
            raise TypeError(f"not an RDF triple: {s!r} {p!r}")  # rdflib graphs allow generalised RDF
        yield ox.Quad(subject, predicate, to_ox(o), g)


def parse_term(ntriples: str) -> OxTerm:
    """An RDF term from its N-Triples form (`<iri>`, `"text"@en`, `"1"^^<xsd:integer>`, `_:b`).

    Read as the object of a one-line N-Triples document, so the escaping rules are N-Triples' own;
    malformed input raises `SyntaxError`.
    """
    document = f"<urn:kg:s> <urn:kg:p> {ntriples} .".encode()
    return next(iter(ox.parse(document, ox.RdfFormat.N_TRIPLES))).object


def from_sparql_json(term: dict[str, Any]) -> OxTerm:
    """A term from its SPARQL 1.1 JSON results form (what the query workers answer with)."""
    kind, value = term["type"], term["value"]
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if kind == "triple":
        s, p, o = (from_sparql_json(value[k]) for k in ("subject", "predicate", "object"))
        if isinstance(s, ox.Literal) or not isinstance(p, ox.NamedNode):
            raise ValueError(f"not an RDF triple: {value!r}")
        return ox.Triple(s, p, o)
    if "xml:lang" in term:
        return ox.Literal(value, language=term["xml:lang"])
    if "datatype" in term:
        return ox.Literal(value, datatype=ox.NamedNode(term["datatype"]))
    return ox.Literal(value)


def literal(text: str) -> ox.Literal:
    """A literal as a user writes it: N-Triples when quoted (`"Quality Control"@en`), else plain text."""
    if text.startswith('"'):
        try:
            term = parse_term(text)
        except SyntaxError as exc:
            raise ValueError(f"{text!r} is not an N-Triples literal: {exc.msg}") from None
        if isinstance(term, ox.Literal):
            return term
    return ox.Literal(text)

"""Conversions between rdflib terms (parsing, SHACL, reasoning) and pyoxigraph terms (store, query)."""

from __future__ import annotations

import pyoxigraph as ox
import rdflib

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def to_ox(term: rdflib.term.Node) -> OxTerm:
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


def to_rdflib(term: OxTerm) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise TypeError(f"cannot convert {term!r}")


def quads(graph: rdflib.Graph, name: str):
    """The triples of an rdflib graph as pyoxigraph quads in the named graph `name`."""
    g = ox.NamedNode(name)
    for s, p, o in graph:
        yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), g)

"""Dump the graph (asserted, inferred or all) in any format, with a VoID + PROV description of the file.

The description says what the file holds: how many statements, which graphs (each with its size), which
input file (and its SHA-256) each asserted graph came from, and which libraries at which versions built
it, so an export can be traced and rebuilt. An export of some graphs describes those graphs only.

Turtle, TriG, RDF/XML and JSON-LD are written for people (grouped by subject, prefixed, JSON-LD with an
`@context`: see `formats.write_pretty`); N-Triples and N-Quads stream.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from .formats import DATASET, GRAPH, Format, write_pretty
from .namespaces import BASE, PREFIXES
from .store import Store

#: What `--graphs` selects: every graph, the asserted graphs (the source files) or the inferred graph.
SELECTIONS = ("all", "asserted", "inferred")
DATASET_IRI = BASE + "dataset"
BUILD_IRI = BASE + "build/"

_RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
CHUNK = 1 << 20
_TITLES = {
    "all": "pharma-kg",
    "asserted": "pharma-kg: asserted graphs",
    "inferred": "pharma-kg: inferred graph",
}


def _n(prefix: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(PREFIXES[prefix] + local)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n("xsd", "integer"))


def selected_graphs(store: Store, which: str) -> tuple[str, ...]:
    if which not in SELECTIONS:
        raise ValueError(f"unknown selection {which!r}; one of {', '.join(SELECTIONS)}")
    if which == "asserted":
        return store.asserted_graphs
    if which == "inferred":
        return (store.inferred_graph,)
    return (*store.asserted_graphs, store.inferred_graph)


def dataset_iri(which: str) -> str:
    """The IRI the VoID description gives the exported dataset: the whole one, or a part of it."""
    return DATASET_IRI if which == "all" else f"{DATASET_IRI}/{which}"


def void_description(store: Store, which: str = "all", statements: int | None = None) -> list[ox.Triple]:
    """VoID counts and PROV provenance of the selected graphs, as triples.

    `statements` is how many data statements the file holds (distinct triples in a graph format, quads
    in a dataset format); by default the quads of the selected graphs.
    """
    graphs = selected_graphs(store, which)
    if statements is None:
        statements = sum(store.count(g) for g in graphs)
    manifest = store.manifest
    dataset = ox.NamedNode(dataset_iri(which))
    build = ox.NamedNode(BUILD_IRI + manifest["key"])
    triples = [
        ox.Triple(dataset, _RDF_TYPE, _n("void", "Dataset")),
        ox.Triple(dataset, _n("dcterms", "title"), ox.Literal(_TITLES[which], language="en")),
        ox.Triple(dataset, _n("void", "triples"), _int(statements)),
        ox.Triple(dataset, _n("void", "uriSpace"), ox.Literal(PREFIXES["pkg"])),
        ox.Triple(dataset, _n("prov", "wasGeneratedBy"), build),
        ox.Triple(build, _RDF_TYPE, _n("prov", "Activity")),
        ox.Triple(
            build,
            _n("prov", "endedAtTime"),
            ox.Literal(manifest["built_at"], datatype=_n("xsd", "dateTime")),
        ),
        ox.Triple(build, _n("dcterms", "identifier"), ox.Literal(manifest["key"])),
    ]
    for name, version in sorted(manifest["versions"].items()):
        triples.append(ox.Triple(build, _n("prov", "used"), ox.Literal(f"{name} {version}")))
    inputs = {i["graph"]: i for i in manifest["inputs"]}
    for graph in graphs:
        node = ox.NamedNode(graph)
        triples += [
            ox.Triple(dataset, _n("void", "subset"), node),
            ox.Triple(node, _RDF_TYPE, _n("void", "Dataset")),
            ox.Triple(node, _n("void", "triples"), _int(store.count(graph))),
            ox.Triple(node, _n("prov", "wasGeneratedBy"), build),
        ]
        if graph in inputs:
            source = inputs[graph]
            triples.append(ox.Triple(node, _n("dcterms", "source"), ox.Literal(source["path"])))
            triples.append(ox.Triple(node, _n("pkg", "sha256"), ox.Literal(source["sha256"])))
        else:
            comment = "OWL 2 RL entailments (identical to owlrl's closure), without the noise rule's triples"
            triples.append(ox.Triple(node, _n("rdfs", "comment"), ox.Literal(comment, language="en")))
    return triples


def statements(store: Store, fmt: Format, which: str = "all", void: bool = True) -> Iterator:
    """Quads for dataset formats (graphs kept); distinct triples for graph formats; then the VoID
    description (in the default graph), which counts what came before it."""
    graphs = selected_graphs(store, which)
    written = 0
    if fmt.kind == DATASET:
        for quad in store.quads(graphs=graphs):
            written += 1
            yield quad
    else:
        seen: set[ox.Triple] = set()
        for quad in store.quads(graphs=graphs):
            triple = quad.triple
            if triple not in seen:
                seen.add(triple)
                written += 1
                yield triple
    if void:
        description = void_description(store, which, written)
        if fmt.kind == DATASET:
            yield from (ox.Quad(t.subject, t.predicate, t.object) for t in description)
        else:
            yield from description


def export(store: Store, out: BinaryIO, fmt: Format, which: str = "all", void: bool = True) -> None:
    """Write the selection to `out` in `fmt` (line formats streamed, the others grouped for reading).

    The whole dataset as N-Quads is the snapshot's own `dataset.nq`, copied as bytes (reading the
    on-disk store quad by quad is ~10x slower), then the VoID description; other stores and
    selections go quad by quad.
    """
    if fmt.kind not in (GRAPH, DATASET):
        raise ValueError(f"{fmt.name} is not an RDF format")
    copy = getattr(store, "nquads", None)
    if fmt.name == "nquads" and which == "all" and isinstance(copy, Path) and copy.is_file():
        with copy.open("rb") as data:
            shutil.copyfileobj(data, out, CHUNK)
        if void:
            description = void_description(store, which, store.count())
            write_pretty(fmt, (ox.Quad(t.subject, t.predicate, t.object) for t in description), out)
        return
    write_pretty(fmt, statements(store, fmt, which, void), out)

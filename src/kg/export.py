"""Dump the graph (asserted, inferred or all) in any format, with a VoID + PROV description of the build.

The description says how many triples each graph holds, which input file (and its SHA-256) each asserted
graph came from, and which libraries at which versions built it, so an export can be traced and rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import pyoxigraph as ox

from .formats import DATASET, GRAPH, Format, write_graph
from .namespaces import BASE, PREFIXES
from .store import OxigraphStore

SELECTIONS = ("all", "asserted", "inferred")
DATASET_IRI = BASE + "dataset"
BUILD_IRI = BASE + "build/"

_RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")


def _n(prefix: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(PREFIXES[prefix] + local)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n("xsd", "integer"))


def selected_graphs(store: OxigraphStore, which: str) -> tuple[str, ...]:
    if which == "asserted":
        return store.asserted_graphs
    if which == "inferred":
        return (store.inferred_graph,)
    return (*store.asserted_graphs, store.inferred_graph)


def void_description(store: OxigraphStore) -> list[ox.Triple]:
    """VoID counts per graph and PROV provenance of the build, as triples."""
    manifest = store.manifest
    dataset = ox.NamedNode(DATASET_IRI)
    build = ox.NamedNode(BUILD_IRI + manifest["key"])
    triples = [
        ox.Triple(dataset, _RDF_TYPE, _n("void", "Dataset")),
        ox.Triple(dataset, _n("dcterms", "title"), ox.Literal("pharma-kg", language="en")),
        ox.Triple(dataset, _n("void", "triples"), _int(store.count())),
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
    for graph in store.graphs():
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
            comment = "OWL 2 RL entailments computed by owlrl, without the noise rule's triples"
            triples.append(ox.Triple(node, _n("rdfs", "comment"), ox.Literal(comment, language="en")))
    return triples


def statements(store: OxigraphStore, fmt: Format, which: str = "all", void: bool = True) -> Iterator:
    """Quads for dataset formats (graphs kept); distinct triples for graph formats."""
    graphs = selected_graphs(store, which)
    if fmt.kind == DATASET:
        yield from store.quads(graphs=graphs)
        if void:
            yield from (ox.Quad(t.subject, t.predicate, t.object) for t in void_description(store))
        return
    seen: set[ox.Triple] = set()
    for quad in store.quads(graphs=graphs):
        triple = quad.triple
        if triple not in seen:
            seen.add(triple)
            yield triple
    if void:
        yield from void_description(store)


def export(store: OxigraphStore, out: BinaryIO, fmt: Format, which: str = "all", void: bool = True) -> None:
    """Stream the selection to `out` in `fmt`."""
    if fmt.kind not in (GRAPH, DATASET):
        raise ValueError(f"{fmt.name} is not an RDF format")
    write_graph(fmt, statements(store, fmt, which, void), out)

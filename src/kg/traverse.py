"""Walk the graph: the edges around one resource, and the shortest paths between two.

Which edges `paths` walks (the rule): edges between two IRIs (never literals or blank nodes, never a
self-loop) whose predicate is a *domain link*. Schema predicates — everything in the RDF, RDFS, OWL, XSD
and SHACL namespaces — and provenance bookkeeping (`dcterms:source`, `dcterms:isPartOf`,
`prov:wasDerivedFrom`, `rdfs:isDefinedBy`, `skos:inScheme`) are not walked: every resource cites a
passage and has a type, so those nodes would be hubs giving short, meaningless paths. One exception so a
path can end at a class: `rdf:type`, `rdfs:subClassOf` and `rdfs:subPropertyOf` edges are walked when
their object (the class or property) is the source or the target (Acme → pkg:ContractResearchOrganisation),
never through a class in the middle ("A and E are both pkg:Thing" is not a path).

Parallel edges: each fact linking two consecutive nodes of a path gives its own path, so CRO→CMO is one
path by `collaboratesWith` and another by `handsOverTo`. A fact is counted once however it is stated:
`a hasResponsibility b` and its inferred inverse `b isResponsibilityOf a`, or `a collaboratesWith b` and
its symmetric copy, are one edge, shown by its best statement (asserted before inferred, forward before
backward). Paths come shortest first; paths through the same nodes come together, their edges in that
order (asserted, forward, then by predicate) on every hop.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice, pairwise, product
from typing import Any

import pyoxigraph as ox

from .errors import UnknownResource
from .namespaces import PREFIXES, PROVENANCE_GRAPH, shorten
from .resolve import exists, label, resolve, term_dict
from .store import Store, graph_name
from .terms import Node, Term, as_node, as_term

_SCHEMA_NAMESPACES = tuple(PREFIXES[p] for p in ("rdf", "rdfs", "owl", "xsd", "sh"))
_BOOKKEEPING = frozenset(
    PREFIXES[p] + local
    for p, local in (
        ("dcterms", "source"),
        ("dcterms", "isPartOf"),
        ("prov", "wasDerivedFrom"),
        ("rdfs", "isDefinedBy"),
        ("skos", "inScheme"),
    )
)
_AT_ENDS_ONLY = frozenset(
    PREFIXES[p] + local for p, local in (("rdf", "type"), ("rdfs", "subClassOf"), ("rdfs", "subPropertyOf"))
)
_DIRECTION_ORDER = {"out": 0, "forward": 0, "in": 1, "backward": 1}
_INVERSE = ox.NamedNode(PREFIXES["owl"] + "inverseOf")
_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
_SYMMETRIC = ox.NamedNode(PREFIXES["owl"] + "SymmetricProperty")


@dataclass(frozen=True)
class Edge:
    """One triple seen from a node. `direction` is 'out'/'in' around a node (neighbours) and
    'forward'/'backward' along a walk (paths): backward means the walk went from object to subject."""

    subject: Node
    predicate: ox.NamedNode
    object: Term
    direction: str
    inferred: bool
    subject_label: str
    predicate_label: str
    object_label: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": term_dict(self.subject, self.subject_label),
            "predicate": term_dict(self.predicate, self.predicate_label),
            "object": term_dict(self.object, self.object_label),
            "direction": self.direction,
            "inferred": self.inferred,
        }

    def render_text(self) -> str:
        curie = shorten(self.predicate.value)
        arrow = f"—{curie}→" if self.direction in ("out", "forward") else f"←{curie}—"
        return arrow + (" (inferred)" if self.inferred else "")


def _edge(store: Store, quad: ox.Quad, direction: str) -> Edge:
    subject, obj = as_node(quad.subject), as_term(quad.object)
    return Edge(
        subject,
        quad.predicate,
        obj,
        direction,
        graph_name(quad) == store.inferred_graph,
        label(store, subject),
        label(store, quad.predicate),
        label(store, obj),
    )


def _node(store: Store, node: ox.NamedNode | str) -> ox.NamedNode:
    """Accept a resolved node or anything `resolve` accepts; a node must occur in the graph."""
    if isinstance(node, str):
        return resolve(store, node)
    if not exists(store, node):
        raise UnknownResource(f"{shorten(node.value)} does not occur in the graph")
    return node


class Neighbours(list[Edge]):
    """The edges around a node, first ones first, and how many there are in all (`total`)."""

    def __init__(self, edges: Iterable[Edge] = (), total: int = 0) -> None:
        super().__init__(edges)
        self.total = total


def walkable(store: Store, infer: bool) -> tuple[str, ...]:
    """The graphs a walk follows: what queries see, minus the statement records (graph:provenance),
    which describe statements rather than link resources."""
    return tuple(g for g in store.visible_graphs(infer) if g != PROVENANCE_GRAPH)


def neighbours(
    store: Store, node: ox.NamedNode | str, infer: bool = True, limit: int | None = None
) -> Neighbours:
    """Every edge touching `node` (outgoing first, then incoming), each triple once; the first `limit`.

    Sorted by direction, predicate CURIE, the other end's label and value, so output is stable. With a
    `limit`, the scan keeps only the best `limit` quads (heapq) and only those become `Edge`s with their
    labels, so a hub costs one pass over its quads, not a sort of every edge; `total` counts them all.
    """
    node = _node(store, node)
    total = 0

    def counted() -> Iterator[tuple[tuple, str, ox.Quad]]:
        nonlocal total
        curies: dict[str, str] = {}
        for direction, quad in _around(store, node, walkable(store, infer)):
            total += 1
            yield _order(store, curies, direction, quad), direction, quad

    def key(item: tuple[tuple, str, ox.Quad]) -> tuple:
        return item[0]

    best = sorted(counted(), key=key) if limit is None else heapq.nsmallest(limit, counted(), key=key)
    return Neighbours([_edge(store, quad, direction) for _, direction, quad in best], total)


def _around(store: Store, node: ox.NamedNode, graphs: tuple[str, ...]) -> Iterator[tuple[str, ox.Quad]]:
    """(direction, quad) for each triple touching `node`, once: from the first visible graph stating it.

    Asserted graphs come before the inferred one, so an asserted statement wins over an inferred copy.
    Duplicates are found by asking the earlier graphs, not by remembering every triple seen.
    """
    for direction, subject, obj in (("out", node, None), ("in", None, node)):
        for index, graph in enumerate(graphs):
            for quad in store.quads(subject, None, obj, (graph,)):
                if index and _stated(store, quad, graphs[:index]):
                    continue
                yield direction, quad


def _stated(store: Store, quad: ox.Quad, graphs: tuple[str, ...]) -> bool:
    """Whether one of `graphs` states the triple of `quad`."""
    same = store.quads(as_node(quad.subject), quad.predicate, as_term(quad.object), graphs)
    return next(same, None) is not None


def _order(store: Store, curies: dict[str, str], direction: str, quad: ox.Quad) -> tuple:
    """The sort key of an edge: direction, predicate CURIE, the other end's label and value."""
    other = quad.object if direction == "out" else quad.subject
    predicate = quad.predicate.value
    if predicate not in curies:
        curies[predicate] = shorten(predicate)
    return (_DIRECTION_ORDER[direction], curies[predicate], label(store, other), str(other))


@dataclass(frozen=True)
class Path:
    """A walk from source to target: `len(edges) == len(nodes) - 1`."""

    nodes: list[ox.NamedNode]
    labels: list[str]
    edges: list[Edge]

    @property
    def length(self) -> int:
        return len(self.edges)

    def to_dict(self) -> dict[str, Any]:
        return {
            "length": self.length,
            "nodes": [term_dict(n, t) for n, t in zip(self.nodes, self.labels, strict=True)],
            "edges": [e.to_dict() for e in self.edges],
        }

    def render_text(self) -> str:
        """`CRO —pkg:activeInStage→ (inferred) Phase III` on one line."""
        parts = [self.labels[0]]
        for edge, text in zip(self.edges, self.labels[1:], strict=True):
            parts += [edge.render_text(), text]
        return " ".join(parts)


class Paths(list[Path]):
    """The paths found, shortest first, and whether the search finished (`complete`) or why it stopped."""

    def __init__(self, paths: Iterable[Path] = (), complete: bool = True, stopped: str | None = None):
        super().__init__(paths)
        self.complete = complete
        self.stopped = stopped

    def to_dict(self) -> dict[str, Any]:
        return {"complete": self.complete, "stopped": self.stopped, "paths": [p.to_dict() for p in self]}


@dataclass
class _Walker:
    """Adjacency of the walkable graph, fetched lazily from the store and cached for one search."""

    store: Store
    graphs: tuple[str, ...]
    ends: frozenset[ox.NamedNode]
    undirected: bool
    cache: dict[tuple[ox.NamedNode, bool], dict[ox.NamedNode, list[ox.Quad]]] = field(default_factory=dict)
    canonical: dict[ox.NamedNode, ox.NamedNode] = field(default_factory=dict)
    symmetric: frozenset[ox.NamedNode] = frozenset()

    def __post_init__(self) -> None:
        """Read the inverse pairs and the symmetric properties: what makes two statements one fact."""
        for quad in self.store.quads(None, _INVERSE, None, self.graphs):
            p, q = quad.subject, quad.object
            if isinstance(p, ox.NamedNode) and isinstance(q, ox.NamedNode):
                first = min(p, q, self.canonical.get(p, p), self.canonical.get(q, q), key=_value)
                self.canonical[p] = self.canonical[q] = first
        self.symmetric = frozenset(
            q.subject
            for q in self.store.quads(None, _TYPE, _SYMMETRIC, self.graphs)
            if isinstance(q.subject, ox.NamedNode)
        )

    def walkable(self, quad: ox.Quad) -> bool:
        s, p, o = quad.subject, quad.predicate.value, quad.object
        if not isinstance(s, ox.NamedNode) or not isinstance(o, ox.NamedNode) or s == o:
            return False
        if p in _AT_ENDS_ONLY:
            return o in self.ends
        return p not in _BOOKKEEPING and not p.startswith(_SCHEMA_NAMESPACES)

    def fact(self, quad: ox.Quad) -> tuple[Term, ox.NamedNode, Term]:
        """The fact a statement states: the same for its inverse (`owl:inverseOf`) and symmetric copies."""
        s: Term = as_node(quad.subject)
        p, o = quad.predicate, as_term(quad.object)
        if (first := self.canonical.get(p, p)) != p:
            s, p, o = o, first, s
        if p in self.symmetric and str(o) < str(s):
            s, o = o, s
        return s, p, o

    def steps(self, node: ox.NamedNode, reverse: bool = False) -> dict[ox.NamedNode, list[ox.Quad]]:
        """Next node -> one edge per fact reaching it, best first. `reverse` walks against the allowed
        direction."""
        key = (node, reverse)
        if key not in self.cache:
            best: dict[ox.NamedNode, dict[tuple, tuple[tuple, ox.Quad]]] = {}
            directions = (False, True) if self.undirected else (reverse,)
            for backward in directions:
                subject, obj = (None, node) if backward else (node, None)
                for quad in self.store.quads(subject, None, obj, self.graphs):
                    other = quad.subject if backward else quad.object
                    if not isinstance(other, ox.NamedNode) or not self.walkable(quad):
                        continue
                    rank = (
                        graph_name(quad) == self.store.inferred_graph,
                        backward != reverse,
                        shorten(quad.predicate.value),
                    )
                    edges = best.setdefault(other, {})
                    fact = self.fact(quad)
                    if fact not in edges or rank < edges[fact][0]:
                        edges[fact] = (rank, quad)
            self.cache[key] = {
                other: [quad for _, quad in sorted(edges.values(), key=_by_rank)]
                for other, edges in sorted(best.items(), key=_by_value)
            }
        return self.cache[key]

    def variants(self, nodes: list[ox.NamedNode]) -> int:
        """How many paths run through these nodes: the product of the parallel edges of each hop."""
        return math.prod(len(self.steps(here)[there]) for here, there in pairwise(nodes))


def _value(term: ox.NamedNode) -> str:
    return term.value


def _by_rank(item: tuple[tuple, ox.Quad]) -> tuple:
    return item[0]


def _by_value(item: tuple[ox.NamedNode, Any]) -> str:
    return item[0].value


def paths(
    store: Store,
    source: ox.NamedNode | str,
    target: ox.NamedNode | str,
    max_depth: int = 4,
    infer: bool = True,
    limit: int = 10,
    timeout_s: float = 5.0,
    undirected: bool = True,
) -> Paths:
    """Up to `limit` simple paths of at most `max_depth` edges from source to target, shortest first.

    Breadth-first over partial paths, pruned by each node's distance to the target (computed first),
    so only prefixes that can still arrive are extended. Stops early when the time budget is used up
    (a budget of 0 allows no step), returning what it has with `complete=False`. No path gives an
    empty `Paths`.
    """
    source, target = _node(store, source), _node(store, target)
    if source == target:
        return Paths([Path([source], [label(store, source)], [])])
    deadline = time.monotonic() + timeout_s
    walker = _Walker(store, walkable(store, infer), frozenset((source, target)), undirected)
    distance = _distances(walker, target, max_depth, deadline)
    if distance is None:
        return Paths(complete=False, stopped=f"time budget of {timeout_s:g} s used up")
    found: list[list[ox.NamedNode]] = []  # node sequences; each gives `walker.variants` paths
    count = 0
    queue: deque[list[ox.NamedNode]] = deque([[source]] if source in distance else [])
    while queue and count < limit:
        if time.monotonic() >= deadline:
            return Paths(_paths(walker, found, limit), False, f"time budget of {timeout_s:g} s used up")
        prefix = queue.popleft()
        for nxt in walker.steps(prefix[-1]):
            if nxt in prefix or len(prefix) + distance.get(nxt, max_depth + 1) > max_depth:
                continue
            if nxt == target:
                found.append([*prefix, nxt])
                count += walker.variants(found[-1])
                if count >= limit:
                    break
            else:
                queue.append([*prefix, nxt])
    stopped = f"limit of {limit} paths reached" if count >= limit else None
    return Paths(_paths(walker, found, limit), True, stopped)


def _distances(
    walker: _Walker, target: ox.NamedNode, max_depth: int, deadline: float
) -> dict[ox.NamedNode, int] | None:
    """Edges from each node within `max_depth` of the target to the target (None when out of time)."""
    distance = {target: 0}
    frontier = [target]
    for depth in range(1, max_depth + 1):
        following = []
        for node in frontier:
            if time.monotonic() >= deadline:
                return None
            for other in walker.steps(node, reverse=True):
                if other not in distance:
                    distance[other] = depth
                    following.append(other)
        frontier = following
    return distance


def _paths(walker: _Walker, found: list[list[ox.NamedNode]], limit: int) -> list[Path]:
    """The first `limit` paths through the node sequences: one per choice of parallel edge on each hop."""
    return list(islice((path for nodes in found for path in _variants(walker, nodes)), limit))


def _variants(walker: _Walker, nodes: list[ox.NamedNode]) -> Iterator[Path]:
    store = walker.store
    labels = [label(store, n) for n in nodes]
    hops = [
        [
            _edge(store, quad, "forward" if quad.subject == here else "backward")
            for quad in walker.steps(here)[there]
        ]
        for here, there in pairwise(nodes)
    ]
    for edges in product(*hops):
        yield Path(nodes, labels, list(edges))

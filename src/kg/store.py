"""The store seam: the one interface through which query, traversal and export reach the data.

`Store` is a Protocol; `OxigraphStore` is its backend. Oxigraph (Rust) evaluates SPARQL 5-25x faster
than rdflib's pure-Python engine and parses queries far faster, so it is the hot path; rdflib stays the
API for parsing, SHACL and owlrl at build time. Terms crossing the seam are pyoxigraph terms.

Prefixes: every query may use the well-known prefixes of `namespaces.QUERY_PREFIXES` (pkg, rdf, rdfs,
owl, xsd, skos, dcterms, prov, org, schema, void, sh) without declaring them; its own PREFIX wins.

Dataset selection: by default a query sees the union of the asserted graphs and the inferred graph as
its default graph (`infer=True`), or the asserted graphs only (`infer=False`). Explicit default graphs
(`FROM`, `default-graph-uri`) replace that union; they must be graphs the store knows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from .errors import QueryError, UnknownGraph
from .namespaces import KNOWN_NAMESPACES, PREFIXES, QUERY_PREFIXES
from .snapshot import Snapshot, open_read_only
from .terms import Node, OxTerm, Term, as_term


@dataclass(frozen=True)
class DatasetSpec:
    """Which graphs a query sees."""

    infer: bool = True
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None


class Store(Protocol):
    """What the rest of kg may ask of a backend: one build's dataset, read-only and never changing.

    The dataset is a set of named graphs: the asserted graphs (one per source file) and the inferred
    graph (the OWL 2 RL entailments the sources do not state). The default graph is empty. Terms
    crossing the seam are pyoxigraph terms, and the graphs hold no RDF-star triple terms (`terms.Term`).

    The data never changes for the life of a store, so callers may keep what they derive from it:
    `key` names the data, and a store is hashable and weak-referenceable by identity (per-store caches,
    such as `resolve`'s label index, are keyed on the store itself). Nothing here writes.
    """

    @property
    def key(self) -> str:
        """The build's identity: the same key means the same data (a digest of inputs and build code)."""
        ...

    @property
    def manifest(self) -> Mapping[str, Any]:
        """The build's record (`snapshot.FIELDS`): `key`, `built_at`, the `versions` of the libraries
        that built it, its `inputs` (path, graph, sha256 of each source file), every graph's triple
        count (`graphs`), `asserted_graphs`, `inferred_graph`, `build_seconds`. Read-only."""
        ...

    @property
    def asserted_graphs(self) -> tuple[str, ...]:
        """The graphs the source files were loaded into, in load order (packaged ontology, then data)."""
        ...

    @property
    def inferred_graph(self) -> str:
        """The graph of the entailments, without the noise rule's triples (see reason.py)."""
        ...

    def graphs(self) -> list[str]:
        """Every graph: the asserted graphs in their order, then the inferred graph."""
        ...

    def visible_graphs(self, infer: bool) -> tuple[str, ...]:
        """The graphs a query sees by default: all of them with `infer`, else the asserted ones."""
        ...

    def count(self, graph: str | None = None) -> int:
        """Quads in `graph` (0 for a graph the store does not hold), or in every graph with None: a
        triple stated in two graphs counts twice, so `count()` is the sum over `graphs()`."""
        ...

    def quads(
        self,
        subject: Node | None = None,
        predicate: ox.NamedNode | None = None,
        obj: Term | None = None,
        graphs: Iterable[str] | None = None,
    ) -> Iterator[ox.Quad]:
        """The quads matching a pattern (None matches anything), lazily.

        With `graphs`, only those graphs, one after the other in the order given (so the first graph
        stating a triple can be found by asking them in turn); a graph the store does not hold matches
        nothing. With None, every graph. A triple stated in several graphs comes once per graph, with
        each graph's name; within a graph the order is the backend's, so sort where order matters.
        A term of the wrong kind (a literal as subject) raises `TypeError`.
        """
        ...

    def query(
        self,
        text: str,
        spec: DatasetSpec = DatasetSpec(),
        substitutions: Mapping[str, OxTerm] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Evaluate a SPARQL 1.1 query on the dataset `spec` selects (see the module docstring), with
        the `QUERY_PREFIXES` declared and `substitutions` binding variables to terms (SEP-0007).

        Answers are lazy: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT, DESCRIBE), and an
        evaluation error may surface while iterating them. Raises `QueryError` for text that is not a
        query (updates included: the message names the position) or that fails at once, and
        `UnknownGraph` when `spec` names a graph the store does not hold. This is not the guard: text
        from users goes through `sparql.run`, which refuses SERVICE, oversized and update queries first.
        """
        ...


class OxigraphStore:
    """A `Store` backed by a snapshot's on-disk Oxigraph store, opened read-only (shared, nothing loaded)."""

    def __init__(self, snapshot: Snapshot) -> None:
        # the store's files are checked against the manifest first (CacheDamaged if they differ)
        self._store, self._counts = open_read_only(snapshot)
        self.key = snapshot.key
        self.manifest = snapshot.manifest
        self.nquads = snapshot.nquads  # the same quads as N-Quads: what a whole-dataset dump copies
        self.asserted_graphs = tuple(snapshot.manifest["asserted_graphs"])
        self.inferred_graph = snapshot.manifest["inferred_graph"]

    def graphs(self) -> list[str]:
        return [*self.asserted_graphs, self.inferred_graph]

    def visible_graphs(self, infer: bool) -> tuple[str, ...]:
        return (*self.asserted_graphs, self.inferred_graph) if infer else self.asserted_graphs

    def count(self, graph: str | None = None) -> int:
        """Quads in one graph (or all); the snapshot never changes, so each count is computed once."""
        if graph not in self._counts:
            if graph is None:
                self._counts[graph] = len(self._store)
            else:
                pattern = self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
                self._counts[graph] = sum(1 for _ in pattern)
        return self._counts[graph]

    def quads(
        self,
        subject: Node | None = None,
        predicate: ox.NamedNode | None = None,
        obj: Term | None = None,
        graphs: Iterable[str] | None = None,
    ) -> Iterator[ox.Quad]:
        if graphs is None:
            yield from self._store.quads_for_pattern(subject, predicate, obj, None)
            return
        for graph in graphs:
            yield from self._store.quads_for_pattern(subject, predicate, obj, ox.NamedNode(graph))

    def query(
        self,
        text: str,
        spec: DatasetSpec = DatasetSpec(),
        substitutions: Mapping[str, OxTerm] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        visible = self.visible_graphs(spec.infer)
        default = spec.default_graphs if spec.default_graphs is not None else visible
        named = spec.named_graphs if spec.named_graphs is not None else visible
        self._check_known((*default, *named))
        dataset: dict[str, Any] = {}
        if tuple(default) == tuple(named) == tuple(self.graphs()):
            # Everything visible: Oxigraph's union flag gives the same answers as listing every graph,
            # and joins run 2-6x faster with it (measured in bench/ on 200k triples).
            dataset["use_default_graph_as_union"] = True
        else:
            dataset["default_graph"] = [ox.NamedNode(g) for g in default]
            dataset["named_graphs"] = [ox.NamedNode(g) for g in named]
        try:
            return self._store.query(
                text,
                prefixes=QUERY_PREFIXES,
                substitutions={ox.Variable(k): v for k, v in (substitutions or {}).items()},
                **dataset,
            )
        except SyntaxError as exc:
            raise QueryError(syntax_message(text, str(exc.msg))) from None
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            raise QueryError(f"query failed: {exc}") from None

    def _check_known(self, graphs: Iterable[str]) -> None:
        unknown = sorted(set(graphs) - set(self.graphs()))
        if unknown:
            raise UnknownGraph(unknown[0], self.graphs())


def graph_name(quad: ox.Quad) -> str:
    """The IRI of the graph a quad of a `Store` is in: every graph a store holds is a named graph."""
    graph = quad.graph_name
    if not isinstance(graph, ox.NamedNode):
        raise TypeError(f"a quad outside the named graphs: {quad}")
    return graph.value


_FIRST, _REST, _NIL = (ox.NamedNode(PREFIXES["rdf"] + name) for name in ("first", "rest", "nil"))


def rdf_list(store: Store, head: Term, graphs: Iterable[str]) -> list[Term]:
    """The members of the RDF list starting at `head` (`rdf:first` / `rdf:rest`), as `graphs` state
    it; a malformed list ends where it stops being one (no first, a literal, or a cycle)."""
    graphs = tuple(graphs)
    found: list[Term] = []
    seen: set[Term] = set()
    while isinstance(head, ox.NamedNode | ox.BlankNode) and head != _NIL and head not in seen:
        seen.add(head)
        first = sorted((as_term(q.object) for q in store.quads(head, _FIRST, None, graphs)), key=str)
        if not first:
            break
        found.append(first[0])
        rest = sorted((as_term(q.object) for q in store.quads(head, _REST, None, graphs)), key=str)
        head = rest[0] if rest else _NIL
    return found


_POSITION = re.compile(r"error at (\d+):(\d+): ")


def syntax_message(text: str, detail: str) -> str:
    """Oxigraph's parse error as one line a user can act on: `malformed SPARQL at line:column: …`.

    A prefixed name whose prefix is neither declared by the query nor one of `QUERY_PREFIXES` is named,
    with the PREFIX line to add (Oxigraph reports it as a list of Unicode ranges, or as something else
    expected further on). Otherwise Oxigraph's reason is kept, without its character-class listings.
    """
    undeclared = undeclared_prefix(text)
    if undeclared is not None:
        prefix, line, column = undeclared
        iri = KNOWN_NAMESPACES.get(prefix, "…")
        where = f"malformed SPARQL at {line}:{column}"
        return f"{where}: unknown prefix `{prefix}:` — add `PREFIX {prefix}: <{iri}>`"
    match = _POSITION.match(detail)
    where = f" at {match[1]}:{match[2]}" if match else ""
    reason = detail[match.end() :] if match else detail
    head, sep, listing = reason.partition("expected ")
    if sep:  # keep the tokens and keywords; drop character classes such as ['A' ..= 'Z' | …] and [_]
        items = listing.removeprefix("one of ").split(", ")  # a class never holds ", " (Oxigraph 0.5)
        names = [item for item in items if item and not item.startswith("[")]
        many = "one of " if len(names) > 1 else ""
        reason = head + (f"expected {many}{', '.join(names)}" if names else "unexpected input")
    return f"malformed SPARQL{where}: {' '.join(reason.split())}"


def undeclared_prefix(text: str) -> tuple[str, int, int] | None:
    """The first prefixed name whose prefix the query does not declare (and we do not declare for it),
    as (prefix, line, column), both counted from 1; None when every prefix is declared."""
    from .sparql import lex  # sparql imports this module

    declared = set(QUERY_PREFIXES)
    after_prefix = False
    offset = 0
    for kind, value in lex(text, strict=False):
        offset = _skip_blank(text, offset)
        start, offset = offset, offset + len(value)
        if kind == "word":
            after_prefix = value.upper() == "PREFIX"
            continue
        if kind == "pname":
            prefix = value.partition(":")[0]
            if after_prefix and value.endswith(":"):
                declared.add(prefix)
            elif prefix not in declared:
                line = text.count("\n", 0, start) + 1
                return prefix, line, start - (text.rfind("\n", 0, start) + 1) + 1
        after_prefix = False
    return None


def _skip_blank(text: str, offset: int) -> int:
    """Past the whitespace and comments at `offset` (the tokens `sparql.lex` leaves out)."""
    while offset < len(text):
        if text[offset] in " \t\r\n":
            offset += 1
        elif text[offset] == "#":
            ends = [i for i in (text.find("\n", offset), text.find("\r", offset)) if i >= 0]
            offset = min(ends) if ends else len(text)
        else:
            break
    return offset


def open_store(
    ontology: Path | None = None,
    extra: tuple[Path, ...] = (),
    cache: Path | None = None,
) -> Store:
    """Build (or reuse the cached build of) the sources and load the snapshot into Oxigraph."""
    from .build import build  # the write side: only when building

    return OxigraphStore(build(ontology, extra, cache))

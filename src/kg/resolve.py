"""Turn what a user types (IRI, CURIE or label) into a graph node, and a node back into something to print.

Labels come from the asserted graphs only (`skos:prefLabel`, `skos:altLabel`, `rdfs:label`), matched
case-insensitively. The label index is built once per store and kept in a weak map, so `label()` is
cheap enough to call for every node printed. `label` is how every surface shows a term; `term_dict` is
its JSON form.
"""

from __future__ import annotations

import difflib
import re
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from .errors import UnknownResource
from .namespaces import PKG, PREFIXES, expand_curie, shorten
from .store import Store, rdf_list
from .terms import OxTerm, Term, as_term

SKOS = PREFIXES["skos"]
RDFS = PREFIXES["rdfs"]
RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
FIRST = ox.NamedNode(PREFIXES["rdf"] + "first")
HAS_VALUE, ON_PROPERTY, INTERSECTION = (
    ox.NamedNode(PREFIXES["owl"] + name) for name in ("hasValue", "onProperty", "intersectionOf")
)
#: Label predicates, best first: the first one a node has gives its printed label.
LABEL_PREDICATES = (SKOS + "prefLabel", RDFS + "label", SKOS + "altLabel")
MAX_SUGGESTIONS = 5


class MalformedName(UnknownResource):
    """Text that looks like an IRI or CURIE but is not a valid IRI."""

    status = 400


class AmbiguousName(UnknownResource):
    """A label shared by several resources (a homonym); the message lists them so the user can pick one."""

    status = 400  # the request names several things: the client must pick, not retry elsewhere

    def __init__(self, message: str, candidates: list[ox.NamedNode]) -> None:
        super().__init__(message)
        self.candidates = candidates


@dataclass
class _LabelIndex:
    """Every label of every named node in the asserted graphs."""

    best: dict[str, str] = field(default_factory=dict)  # IRI -> printed label
    by_text: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # casefolded -> IRIs


_INDEXES: weakref.WeakKeyDictionary[Store, _LabelIndex] = weakref.WeakKeyDictionary()


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _index(store: Store) -> _LabelIndex:
    if (found := _INDEXES.get(store)) is not None:
        return found
    index = _LabelIndex()
    ranked: dict[str, tuple[int, int, str]] = {}
    for rank, predicate in enumerate(LABEL_PREDICATES):
        for quad in store.quads(None, ox.NamedNode(predicate), None, store.asserted_graphs):
            subject, text = quad.subject, quad.object
            if not isinstance(subject, ox.NamedNode) or not isinstance(text, ox.Literal):
                continue
            index.by_text[_normal(text.value)].add(subject.value)
            english = 0 if (text.language or "en").startswith("en") else 1
            key = (rank, english, text.value)
            if subject.value not in ranked or key < ranked[subject.value]:
                ranked[subject.value] = key
    index.best = {iri: key[2] for iri, key in ranked.items()}
    _INDEXES[store] = index
    return index


def label(store: Store, term: OxTerm, curie: bool = False) -> str:
    """How kg shows a term, on every surface (CLI, API, pages, console, explanations): the one place.

    An IRI: its best label (prefLabel, then rdfs:label, then altLabel), else its CURIE or IRI; with
    `curie`, its CURIE (or IRI). A literal: its lexical value. A blank node: the class expression or
    list it stands for (`[pkg:playsRole value CMO]`, `[A and B]`, `(p q)`), else its statements
    (`[p o; …]`), else `_:id`. An RDF-star triple term: its N-Triples form.
    """
    if isinstance(term, ox.NamedNode):
        return shorten(term.value) if curie else _index(store).best.get(term.value) or shorten(term.value)
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.BlankNode):
        return _blank(store, term, curie, _NESTING)
    return str(term)


#: How deep blank nodes inside blank nodes are described before they are shown as `_:id`.
_NESTING = 4


def _blank(store: Store, node: ox.BlankNode, curie: bool, depth: int) -> str:
    """A blank node in a Manchester-like form (see `label`)."""
    graphs = store.visible_graphs(True)

    def show(term: Term) -> str:
        if isinstance(term, ox.BlankNode):
            return _blank(store, term, curie, depth - 1) if depth > 0 else f"_:{term.value}"
        return f'"{term.value}"' if isinstance(term, ox.Literal) else label(store, term, curie)

    def objects(predicate: ox.NamedNode) -> list[Term]:
        return sorted((as_term(q.object) for q in store.quads(node, predicate, None, graphs)), key=str)

    if objects(FIRST):
        return "(" + " ".join(show(t) for t in rdf_list(store, node, graphs)) + ")"
    if (value := objects(HAS_VALUE)) and (prop := objects(ON_PROPERTY)):
        return f"[{label(store, prop[0], curie=True)} value {show(value[0])}]"
    if heads := objects(INTERSECTION):
        return "[" + " and ".join(show(t) for t in rdf_list(store, heads[0], graphs)) + "]"
    parts = sorted(
        f"{shorten(q.predicate.value)} {show(as_term(q.object))}"
        for q in store.quads(node, None, None, graphs)
        if q.predicate != RDF_TYPE
    )
    return "[" + "; ".join(parts) + "]" if parts else f"_:{node.value}"


def term_dict(term: Term, text: str) -> dict[str, Any]:
    """A term as in SPARQL JSON results, plus its printed label."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value, "curie": shorten(term.value), "label": text}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value, "label": text}
    found: dict[str, Any] = {"type": "literal", "value": term.value, "label": text}
    if term.language:
        found["xml:lang"] = term.language
    else:
        found["datatype"] = term.datatype.value
    return found


def exists(store: Store, node: ox.NamedNode) -> bool:
    """True when the node occurs anywhere in the store, as subject, predicate or object."""
    return any(
        next(store.quads(*pattern), None) is not None
        for pattern in ((node, None, None), (None, node, None), (None, None, node))
    )


def resolve(store: Store, name: str) -> ox.NamedNode:
    """The node a user means by `name`: a full IRI (`<…>` or bare), a CURIE (`pkg:CRO`) or a label.

    Raises `UnknownResource` (with close matches) when nothing fits, and `AmbiguousName` when a label
    names several resources.
    """
    text = name.strip()
    iri = _as_iri(text)
    if iri is not None:
        try:
            node = ox.NamedNode(iri)
        except ValueError as exc:  # a space, `<`, no scheme…: not an IRI at all
            raise MalformedName(f"{text!r} is not a valid IRI ({exc})") from None
        if exists(store, node):
            return node
    matches = sorted(_index(store).by_text.get(_normal(text), ()))
    if len(matches) == 1:
        return ox.NamedNode(matches[0])
    if matches:
        raise _ambiguous(store, text, [ox.NamedNode(m) for m in matches])
    local = ox.NamedNode(PKG + text) if re.fullmatch(r"[A-Za-z0-9_-]+", text) else None
    if local is not None and exists(store, local):  # a bare local name of our namespace: `CRO`
        return local
    if iri is not None:
        hint = _suggest(store, _local_name(iri))
        raise UnknownResource(f"{shorten(iri)} does not occur in the graph. {hint}")
    raise UnknownResource(f"nothing in the graph is named {text!r}. {_suggest(store, text)}")


def _as_iri(text: str) -> str | None:
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    if text.startswith(("http://", "https://", "urn:")):
        return text
    return expand_curie(text)


def _local_name(iri: str) -> str:
    return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _suggest(store: Store, wanted: str) -> str:
    """One sentence of close matches over labels and local names, or a hint when there are none."""
    index = _index(store)
    choices: dict[str, set[str]] = defaultdict(set)
    for key, iris in index.by_text.items():
        choices[key] |= iris
    for iri in index.best:
        choices[_local_name(iri).casefold()].add(iri)
    close = difflib.get_close_matches(_normal(wanted), list(choices), n=MAX_SUGGESTIONS, cutoff=0.6)
    seen: list[str] = []
    for key in close:
        seen += [iri for iri in sorted(choices[key]) if iri not in seen]
    if not seen:
        return "Give a full IRI, a CURIE such as pkg:CRO, or a label (prefLabel, altLabel or rdfs:label)."
    listed = ", ".join(f'"{index.best.get(iri, _local_name(iri))}" ({shorten(iri)})' for iri in seen[:5])
    return f"Did you mean: {listed}?"


def _ambiguous(store: Store, text: str, nodes: list[ox.NamedNode]) -> AmbiguousName:
    described = []
    for node in nodes:
        types = sorted(
            shorten(q.object.value)
            for q in store.quads(node, RDF_TYPE, None, store.asserted_graphs)
            if isinstance(q.object, ox.NamedNode)
        )
        kind = ", ".join(types) or "untyped"
        described.append(f"{shorten(node.value)} ({kind})")
    return AmbiguousName(
        f"{text!r} names {len(nodes)} resources: {'; '.join(described)}. Pick one by its CURIE.", nodes
    )

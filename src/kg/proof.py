"""Proof trees and explanations as people read them: the terms of each fact (labels, CURIEs, class
expressions for blank nodes), the source passages asserted facts cite, JSON and indented text.

The prover (explain.py) finds the derivations; this module only says what they look like.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from .namespaces import GRAPH, PREFIXES, PROVENANCE_GRAPH
from .resolve import label, term_dict
from .rules import OWL, RDF, RDFS, TYPE, Fact, Facts
from .terms import Term, as_node

SOURCE = ox.NamedNode(PREFIXES["dcterms"] + "source")
RDF_SUBJECT, RDF_PREDICATE, RDF_OBJECT = (
    ox.NamedNode(PREFIXES["rdf"] + n) for n in ("subject", "predicate", "object")
)
QUOTATION = ox.NamedNode(PREFIXES["pkg"] + "quotation")
_SCHEMA_NAMESPACES = (RDF, RDFS, OWL)


@dataclass
class Proof:
    """One node of a proof tree: a fact, how it holds, and the proofs of its premises.

    `status` is 'asserted' (in `graphs`), 'inferred' (stored in the inferred graph) or 'intermediate'
    (entailed but dropped from the store by the noise rule, re-derived here). `rule` is None for
    asserted facts and for an inferred fact no supported rule could derive within the depth cap.
    `text` is the fact as printed (labels for instance facts, CURIEs for schema facts); `labels` are
    the terms' labels for JSON, the same for a term wherever it appears (as in paths and neighbours).
    """

    fact: Fact
    text: tuple[str, str, str]
    labels: tuple[str, str, str]
    status: str
    rule: str | None = None
    graphs: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    premises: list[Proof] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            name: term_dict(term, text)
            for name, term, text in zip(
                ("subject", "predicate", "object"), self.fact, self.labels, strict=True
            )
        }
        found["status"] = self.status
        if self.status == "asserted":
            found |= {"graphs": self.graphs, "sources": self.sources}
        else:
            found |= {"rule": self.rule, "premises": [p.to_dict() for p in self.premises]}
        return found

    def lines(self, passages: Mapping[str, Mapping[str, str | None]], indent: int = 0) -> Iterator[str]:
        """The proof tree as indented lines, premises under the fact they support."""
        pad = "  " * indent
        if self.status == "asserted":
            where = "asserted in " + ", ".join(g.removeprefix(GRAPH) for g in self.graphs)
            where += "".join(f"; source: {passages[src]['label']}" for src in self.sources)
        elif self.rule:
            where = f"{self.status}, by {self.rule}"
        else:
            where = f"{self.status}; no derivation found by the supported rules"
        yield f"{pad}{' '.join(self.text)}  [{where}]"
        for premise in self.premises:
            yield from premise.lines(passages, indent + 1)


@dataclass
class Explanation:
    """Why `proof.fact` holds: the first `len(derivations)` of its `count` distinct derivations.

    `proof` is the first derivation (the assertion itself for an asserted triple), or the bare fact
    when no supported rule derives it (then `derivations` is empty). `passages` holds the text of every
    source passage the shown proofs cite.
    """

    proof: Proof
    derivations: list[Proof]
    count: int
    passages: dict[str, dict[str, str | None]]

    @property
    def asserted(self) -> bool:
        return self.proof.status == "asserted"

    @property
    def more(self) -> int:
        """How many derivations there are beyond those shown."""
        return self.count - len(self.derivations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "asserted": self.asserted,
            "proof": self.proof.to_dict(),
            "derivations": [d.to_dict() for d in self.derivations],
            "count": self.count,
            "more": self.more,
            "passages": self.passages,
        }

    def render_text(self, ask: str = "--max {n}") -> str:
        """The proof tree (for an asserted triple, then its quoted source passage), then each further
        derivation under `derivation k of n:`, then how many are not shown and how to `ask` for them."""
        lines = list(self.proof.lines(self.passages))
        if self.asserted:
            for iri in self.proof.sources:
                passage = self.passages[iri]
                lines.append(f"source: {passage['label']} <{iri}>")
                lines += [f"  > {line}".rstrip() for line in (passage["quotation"] or "").splitlines()]
        for number, derivation in enumerate(self.derivations[1:], 2):
            lines += ["", f"derivation {number} of {self.count}:", *derivation.lines(self.passages)]
        if self.more:
            plural = "s" if self.more > 1 else ""
            lines.append(
                f"{self.more} more derivation{plural} not shown ({self.count} in all): "
                f"{ask.format(n=self.count)} shows them all"
            )
        return "\n".join(lines)


# --- building proof nodes from the store ---


def node(
    kb: Facts,
    fact: Fact,
    status: str,
    rule: str | None = None,
    premises: list[Proof] | None = None,
    graphs: list[str] | None = None,
) -> Proof:
    """A proof node for `fact`, with its text, its labels and (when asserted in `graphs`) its sources."""
    s, p, o = fact
    schema = p != TYPE and p.value.startswith(_SCHEMA_NAMESPACES)
    text = (describe(kb, s, schema), describe(kb, p, curie=True), describe(kb, o, schema))
    labels = (label(kb.store, s), label(kb.store, p), label(kb.store, o))
    sources = _sources(kb, fact, graphs) if graphs else []
    return Proof(fact, text, labels, status, rule, graphs or [], sources, premises or [])


def describe(kb: Facts, term: Term, curie: bool = False) -> str:
    """A term as a fact's text shows it: `resolve.label`, literals in quotes."""
    return f'"{term.value}"' if isinstance(term, ox.Literal) else label(kb.store, term, curie)


def _sources(kb: Facts, fact: Fact, graphs: list[str]) -> list[str]:
    """The source the statement's own record cites (graph:provenance, docs/provenance.md); for data
    without records, the subject's `dcterms:source` in the graphs stating it, else those graphs' own.

    Per statement, not per subject: `CMO collaboratesWith CRO` cites the collaboration section even
    though CMO itself comes from the CMO section.
    """
    store = kb.store
    subject = fact[0]
    found = _iris(_record_sources(kb, fact))
    if not found and not isinstance(subject, ox.Literal):
        found = _iris(store.quads(subject, SOURCE, None, graphs))
    if not found:
        found = _iris(q for g in graphs for q in store.quads(ox.NamedNode(g), SOURCE, None, graphs))
    return sorted(found)


def _iris(quads: Iterable[ox.Quad]) -> set[str]:
    """The IRIs the quads have as object."""
    return {q.object.value for q in quads if isinstance(q.object, ox.NamedNode)}


def _record_sources(kb: Facts, fact: Fact) -> Iterator[ox.Quad]:
    """The `dcterms:source` statements of the statement records (graph:provenance) of `fact`."""
    subject, predicate, obj = fact
    records = (PROVENANCE_GRAPH,)
    if PROVENANCE_GRAPH not in kb.store.graphs():
        return
    for quad in kb.store.quads(None, RDF_SUBJECT, subject, records):
        record = as_node(quad.subject)
        if next(kb.store.quads(record, RDF_PREDICATE, predicate, records), None) is None:
            continue
        if next(kb.store.quads(record, RDF_OBJECT, obj, records), None) is None:
            continue
        yield from kb.store.quads(record, SOURCE, None, records)


def passages(kb: Facts, proofs: Iterable[Proof]) -> dict[str, dict[str, str | None]]:
    """Label and quotation of every source passage cited by an asserted leaf of the proofs."""
    store = kb.store
    found: dict[str, dict[str, str | None]] = {}
    stack = list(proofs)
    while stack:
        proof = stack.pop()
        stack += proof.premises
        for iri in proof.sources:
            passage = ox.NamedNode(iri)
            quotes = [
                q.object.value
                for q in store.quads(passage, QUOTATION, None, store.asserted_graphs)
                if isinstance(q.object, ox.Literal)
            ]
            found[iri] = {"label": label(store, passage), "quotation": min(quotes, default=None)}
    return dict(sorted(found.items()))

"""Why a triple holds: where an asserted triple is stated, or an OWL 2 RL derivation of an inferred one.

Backward chaining over the built store (asserted + inferred graphs): for a goal triple each supported
rule proposes premise sets (rule names and shapes as in the W3C OWL 2 RL rule tables), and the first set
whose premises all hold is proved recursively down to asserted triples, with an in-progress set against
cycles and a depth cap. The closure keeps no triple about blank nodes (reason.py's noise rule), so steps
through restriction and intersection classes (`x rdf:type [playsRole value CMO]`) are not stored; the
prover re-derives such steps and marks them `intermediate`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from .errors import KGError, QueryTimeout
from .namespaces import GRAPH, PREFIXES, shorten
from .reason import is_noise
from .resolve import label, resolve, term_dict
from .store import Store
from .terms import OxTerm, to_rdflib

RDF, RDFS, OWL = PREFIXES["rdf"], PREFIXES["rdfs"], PREFIXES["owl"]
TYPE = ox.NamedNode(RDF + "type")
FIRST, REST, NIL = (ox.NamedNode(RDF + n) for n in ("first", "rest", "nil"))
SCO, SPO = ox.NamedNode(RDFS + "subClassOf"), ox.NamedNode(RDFS + "subPropertyOf")
DOMAIN, RANGE = ox.NamedNode(RDFS + "domain"), ox.NamedNode(RDFS + "range")
INVERSE, EQC, EQP, SAME = (
    ox.NamedNode(OWL + n) for n in ("inverseOf", "equivalentClass", "equivalentProperty", "sameAs")
)
CHAIN, INTERSECTION = ox.NamedNode(OWL + "propertyChainAxiom"), ox.NamedNode(OWL + "intersectionOf")
HAS_VALUE, ON_PROPERTY = ox.NamedNode(OWL + "hasValue"), ox.NamedNode(OWL + "onProperty")
SYMMETRIC, TRANSITIVE = ox.NamedNode(OWL + "SymmetricProperty"), ox.NamedNode(OWL + "TransitiveProperty")
SOURCE = ox.NamedNode(PREFIXES["dcterms"] + "source")
QUOTATION = ox.NamedNode(PREFIXES["pkg"] + "quotation")
_SCHEMA_NAMESPACES = (RDF, RDFS, OWL)

Fact = tuple[OxTerm, ox.NamedNode, OxTerm]
Candidate = tuple[str, list[Fact]]


class NotEntailed(KGError):
    """The triple is neither asserted nor entailed by the OWL 2 RL closure."""

    status = 404


@dataclass
class Proof:
    """One node of a proof tree: a fact, how it holds, and the proofs of its premises.

    `status` is 'asserted' (in `graphs`), 'inferred' (stored in the inferred graph) or 'intermediate'
    (entailed but dropped from the store by the noise rule, re-derived here). `rule` is None for
    asserted facts and for an inferred fact no supported rule could derive within the depth cap.
    """

    fact: Fact
    text: tuple[str, str, str]
    status: str
    rule: str | None = None
    graphs: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    premises: list[Proof] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        s, p, o = self.fact
        found: dict[str, Any] = {
            "subject": term_dict(s, self.text[0]),
            "predicate": term_dict(p, self.text[1]),
            "object": term_dict(o, self.text[2]),
            "status": self.status,
        }
        if self.status == "asserted":
            found |= {"graphs": self.graphs, "sources": self.sources}
        else:
            found |= {"rule": self.rule, "premises": [p.to_dict() for p in self.premises]}
        return found

    def lines(self, passages: Mapping[str, Mapping[str, str | None]], indent: int = 0) -> Iterator[str]:
        """The proof tree as indented lines, premises under the fact they support."""
        pad = "  " * indent
        if self.status == "asserted":
            where = "asserted in " + ", ".join(_graph_name(g) for g in self.graphs)
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
    """Why `proof.fact` holds, with the text of every source passage the proof cites."""

    proof: Proof
    passages: dict[str, dict[str, str | None]]

    @property
    def asserted(self) -> bool:
        return self.proof.status == "asserted"

    def to_dict(self) -> dict[str, Any]:
        return {"asserted": self.asserted, "proof": self.proof.to_dict(), "passages": self.passages}

    def render_text(self) -> str:
        """The proof tree, then (for an asserted triple) the quoted source passage."""
        lines = list(self.proof.lines(self.passages))
        if self.asserted:
            for iri in self.proof.sources:
                passage = self.passages[iri]
                lines.append(f"source: {passage['label']} <{iri}>")
                lines += [f"  > {line}".rstrip() for line in (passage["quotation"] or "").splitlines()]
        return "\n".join(lines)


def _graph_name(graph: str) -> str:
    return graph.removeprefix(GRAPH)


class _Prover:
    """Backward chaining over one store; remembers proofs found and goals that failed for good."""

    def __init__(self, store: Store, max_depth: int, timeout_s: float | None = None) -> None:
        self.store = store
        self.max_depth = max_depth
        self.timeout_s = timeout_s
        self.deadline = None if timeout_s is None else time.monotonic() + timeout_s
        self.visible = store.visible_graphs(True)
        self.proved: dict[Fact, Proof] = {}
        self.failed: set[Fact] = set()
        self.cut = False  # set when a search was pruned by the depth cap or a cycle (so not memoised)

    # --- reading the store ---

    def graphs_of(self, fact: Fact) -> list[str]:
        if isinstance(fact[0], ox.Literal):
            return []
        return sorted({q.graph_name.value for q in self.store.quads(*fact, self.visible)})

    def stored(self, fact: Fact) -> bool:
        return bool(self.graphs_of(fact))

    def asserted(self, fact: Fact) -> bool:
        return any(g in self.store.asserted_graphs for g in self.graphs_of(fact))

    def may_hold(self, fact: Fact) -> bool:
        """Stored, or dropped by the noise rule and so maybe entailed (the closure is otherwise complete)."""
        if isinstance(fact[0], ox.Literal):
            return False
        return self.stored(fact) or is_noise(*(to_rdflib(t) for t in fact))

    def objects(self, s: OxTerm, p: ox.NamedNode) -> list[OxTerm]:
        if isinstance(s, ox.Literal):
            return []
        return sorted({q.object for q in self.store.quads(s, p, None, self.visible)}, key=str)

    def subjects(self, p: ox.NamedNode, o: OxTerm) -> list[OxTerm]:
        return sorted({q.subject for q in self.store.quads(None, p, o, self.visible)}, key=str)

    def items(self, head: OxTerm) -> list[OxTerm]:
        """The members of an RDF list."""
        found = []
        while head != NIL and (first := self.objects(head, FIRST)):
            found.append(first[0])
            head = (self.objects(head, REST) or [NIL])[0]
        return found

    def heads_containing(self, member: OxTerm) -> list[OxTerm]:
        """The heads of every RDF list that has `member` as an item."""
        heads = []
        for cell in self.subjects(FIRST, member):
            while previous := self.subjects(REST, cell):
                cell = previous[0]
            heads.append(cell)
        return heads

    def chains(self, start: OxTerm, props: list[OxTerm], end: OxTerm) -> Iterator[list[Fact]]:
        """Every stored walk start -p1-> x1 ... -pn-> end."""
        if len(props) == 1:
            if self.stored((start, props[0], end)):
                yield [(start, props[0], end)]
            return
        for middle in self.objects(start, props[0]):
            for rest in self.chains(middle, props[1:], end):
                yield [(start, props[0], middle), *rest]

    # --- proving ---

    def check_time(self) -> None:
        """`QueryTimeout` (503, Retry-After) once the budget is used up; a budget of 0 allows no step."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise QueryTimeout(
                f"the explanation used up its time budget of {self.timeout_s:g} s before a derivation "
                "was found; try again later"
            )

    def candidates(self, goal: Fact) -> list[Candidate]:
        found = [
            (rule, premises)
            for generate in RULES
            for rule, premises in generate(self, *goal)
            if goal not in premises and all(self.may_hold(f) for f in premises)
        ]
        return sorted(found, key=lambda c: sum(not self.asserted(f) for f in c[1]))

    def prove(self, goal: Fact, depth: int = 0, stack: frozenset[Fact] = frozenset()) -> Proof | None:
        graphs = self.graphs_of(goal)
        asserted = [g for g in graphs if g in self.store.asserted_graphs]
        if asserted:
            sources = self.sources(goal, asserted)
            return Proof(goal, self.text(goal), "asserted", graphs=asserted, sources=sources)
        if goal in self.proved:
            return self.proved[goal]
        status = "inferred" if self.store.inferred_graph in graphs else "intermediate"
        if goal in self.failed or (status == "intermediate" and not self.may_hold(goal)):
            return None
        if depth >= self.max_depth or goal in stack:
            self.cut = True
            return None
        self.check_time()  # before each derivation step: asserted facts cost no step
        outer_cut, self.cut = self.cut, False
        for rule, premises in self.candidates(goal):
            proofs = []
            for premise in premises:
                if (proof := self.prove(premise, depth + 1, stack | {goal})) is None:
                    break
                proofs.append(proof)
            else:
                self.proved[goal] = Proof(goal, self.text(goal), status, rule, premises=proofs)
                self.cut = outer_cut
                return self.proved[goal]
        if not self.cut:
            self.failed.add(goal)
        self.cut = outer_cut or self.cut
        return None

    # --- presenting ---

    def text(self, fact: Fact) -> tuple[str, str, str]:
        """Labels for instance facts; CURIEs for schema facts (`p owl:inverseOf q`), which read better."""
        s, p, o = fact
        schema = p != TYPE and p.value.startswith(_SCHEMA_NAMESPACES)
        return self.describe(s, schema), shorten(p.value), self.describe(o, schema)

    def describe(self, term: OxTerm, curie: bool = False) -> str:
        """A label (or CURIE); blank nodes of lists and class expressions in a Manchester-like form."""
        if isinstance(term, ox.Literal):
            return f'"{term.value}"'
        if isinstance(term, ox.NamedNode):
            return shorten(term.value) if curie else label(self.store, term)
        if self.objects(term, FIRST):
            return "(" + " ".join(self.describe(t, curie) for t in self.items(term)) + ")"
        if (value := self.objects(term, HAS_VALUE)) and (prop := self.objects(term, ON_PROPERTY)):
            return f"[{shorten(prop[0].value)} value {self.describe(value[0], curie)}]"
        if heads := self.objects(term, INTERSECTION):
            return "[" + " and ".join(self.describe(t, curie) for t in self.items(heads[0])) + "]"
        return f"_:{term.value}"

    def sources(self, fact: Fact, graphs: list[str]) -> list[str]:
        """The subject's `dcterms:source` in the graphs stating the fact, else those graphs' own source.

        Provenance is per named graph: a domain-knowledge triple about an article resource must cite
        the domain-knowledge source (FDA), not the article passage the subject comes from.
        """
        found = {q.object for q in self.store.quads(fact[0], SOURCE, None, graphs)}
        if not found:
            found = {
                q.object for g in graphs for q in self.store.quads(ox.NamedNode(g), SOURCE, None, graphs)
            }
        return sorted(o.value for o in found if isinstance(o, ox.NamedNode))


# --- the rules: each proposes (rule name, premises) for a goal (s, p, o) ---


def _property_rules(kb: _Prover, s: OxTerm, p: ox.NamedNode, o: OxTerm) -> Iterator[Candidate]:
    """prp-inv1/2, prp-symp, prp-trp, prp-spo1, prp-eqp1/2: facts that follow from property axioms."""
    for q in kb.subjects(INVERSE, p):
        yield "prp-inv1", [(q, INVERSE, p), (o, q, s)]
    for q in kb.objects(p, INVERSE):
        yield "prp-inv2", [(p, INVERSE, q), (o, q, s)]
    if kb.stored((p, TYPE, SYMMETRIC)):
        yield "prp-symp", [(p, TYPE, SYMMETRIC), (o, p, s)]
    if kb.stored((p, TYPE, TRANSITIVE)):
        for z in kb.objects(s, p):
            if z not in (s, o) and kb.stored((z, p, o)):
                yield "prp-trp", [(p, TYPE, TRANSITIVE), (s, p, z), (z, p, o)]
    for q in kb.subjects(SPO, p):
        if q != p:
            yield "prp-spo1", [(q, SPO, p), (s, q, o)]
    for q in kb.subjects(EQP, p):
        yield "prp-eqp1", [(q, EQP, p), (s, q, o)]
    for q in kb.objects(p, EQP):
        yield "prp-eqp2", [(p, EQP, q), (s, q, o)]


def _chain_and_value_rules(kb: _Prover, s: OxTerm, p: ox.NamedNode, o: OxTerm) -> Iterator[Candidate]:
    """prp-spo2 (property chains) and cls-hv1 (a member of a hasValue restriction has the value)."""
    for head in kb.objects(p, CHAIN):
        for walk in kb.chains(s, kb.items(head), o):
            yield "prp-spo2", [(p, CHAIN, head), *walk]
    for restriction in kb.subjects(HAS_VALUE, o):
        if p in kb.objects(restriction, ON_PROPERTY):
            yield (
                "cls-hv1",
                [(restriction, HAS_VALUE, o), (restriction, ON_PROPERTY, p), (s, TYPE, restriction)],
            )


def _type_rules(kb: _Prover, s: OxTerm, p: ox.NamedNode, c: OxTerm) -> Iterator[Candidate]:
    """prp-dom, prp-rng, cax-sco, cax-eqc1/2, cls-hv2, cls-int1/2: why `s rdf:type c`."""
    if p != TYPE:
        return
    for q in kb.subjects(DOMAIN, c):
        for y in kb.objects(s, q):
            yield "prp-dom", [(q, DOMAIN, c), (s, q, y)]
    for q in kb.subjects(RANGE, c):
        for x in kb.subjects(q, s):
            yield "prp-rng", [(q, RANGE, c), (x, q, s)]
    for d in kb.subjects(SCO, c):
        if d != c:
            yield "cax-sco", [(d, SCO, c), (s, TYPE, d)]
    for d in kb.subjects(EQC, c):
        yield "cax-eqc1", [(d, EQC, c), (s, TYPE, d)]
    for d in kb.objects(c, EQC):
        yield "cax-eqc2", [(c, EQC, d), (s, TYPE, d)]
    for value in kb.objects(c, HAS_VALUE):
        for q in kb.objects(c, ON_PROPERTY):
            yield "cls-hv2", [(c, HAS_VALUE, value), (c, ON_PROPERTY, q), (s, q, value)]
    for head in kb.objects(c, INTERSECTION):
        yield "cls-int1", [(c, INTERSECTION, head), *((s, TYPE, d) for d in kb.items(head))]
    for head in kb.heads_containing(c):
        for d in kb.subjects(INTERSECTION, head):
            yield "cls-int2", [(d, INTERSECTION, head), (s, TYPE, d)]


def _hierarchy_rules(kb: _Prover, s: OxTerm, p: ox.NamedNode, o: OxTerm) -> Iterator[Candidate]:
    """scm-sco, scm-eqc1/2, scm-int, scm-spo, scm-eqp1/2: subclass and subproperty hierarchies."""
    for sub, equivalent, short, eq in ((SCO, EQC, "sco", "eqc"), (SPO, EQP, "spo", "eqp")):
        if p == sub:
            middles = {*kb.objects(s, sub), *kb.objects(s, equivalent), *kb.subjects(equivalent, s)}
            for z in sorted(middles - {s, o}, key=str):
                yield f"scm-{short}", [(s, sub, z), (z, sub, o)]
            for fact in ((s, equivalent, o), (o, equivalent, s)):
                if kb.stored(fact):
                    yield f"scm-{eq}1", [fact]
        if p == equivalent:
            yield f"scm-{eq}2", [(s, sub, o), (o, sub, s)]
    if p == SCO:
        for head in kb.objects(s, INTERSECTION):
            if o in kb.items(head):
                yield "scm-int", [(s, INTERSECTION, head)]


def _domain_range_rules(kb: _Prover, s: OxTerm, p: ox.NamedNode, o: OxTerm) -> Iterator[Candidate]:
    """scm-dom1/2, scm-rng1/2: domains and ranges inherited along the hierarchies."""
    for axiom, suffix in ((DOMAIN, "dom"), (RANGE, "rng")):
        if p != axiom:
            continue
        for c in kb.objects(s, axiom):
            if c != o:
                yield f"scm-{suffix}1", [(s, axiom, c), (c, SCO, o)]
        for q in kb.objects(s, SPO):
            if q != s:
                yield f"scm-{suffix}2", [(q, axiom, o), (s, SPO, q)]


def _equality_rules(kb: _Prover, s: OxTerm, p: ox.NamedNode, o: OxTerm) -> Iterator[Candidate]:
    """eq-sym, eq-trans: owl:sameAs is symmetric and transitive."""
    if p != SAME:
        return
    yield "eq-sym", [(o, SAME, s)]
    for z in kb.objects(s, SAME):
        if z not in (s, o):
            yield "eq-trans", [(s, SAME, z), (z, SAME, o)]


RULES: tuple[Callable[..., Iterator[Candidate]], ...] = (
    _property_rules,
    _chain_and_value_rules,
    _type_rules,
    _hierarchy_rules,
    _domain_range_rules,
    _equality_rules,
)
SUPPORTED_RULES = (
    *("prp-inv1", "prp-inv2", "prp-symp", "prp-trp", "prp-spo1", "prp-spo2", "prp-eqp1", "prp-eqp2"),
    *("prp-dom", "prp-rng", "cax-sco", "cax-eqc1", "cax-eqc2", "cls-hv1", "cls-hv2", "cls-int1", "cls-int2"),
    *("scm-sco", "scm-eqc1", "scm-eqc2", "scm-int", "scm-spo", "scm-eqp1", "scm-eqp2"),
    *("scm-dom1", "scm-dom2", "scm-rng1", "scm-rng2", "eq-sym", "eq-trans"),
)


def _term(store: Store, term: OxTerm | str) -> OxTerm:
    return resolve(store, term) if isinstance(term, str) else term


def explain(
    store: Store,
    s: OxTerm | str,
    p: ox.NamedNode | str,
    o: OxTerm | str,
    max_depth: int = 8,
    timeout_s: float | None = None,
) -> Explanation:
    """Where the triple is stated, or a derivation of it down to asserted triples.

    Names (IRI, CURIE, label) are resolved first. Raises `NotEntailed` when the triple is neither
    asserted nor in the inferred graph (nor an entailment the noise rule dropped that we can derive),
    and `QueryTimeout` when the search outlasts `timeout_s` (None: no budget, as in the CLI) — a proof
    cut short is never returned as if it were the answer.
    """
    fact = (_term(store, s), _term(store, p), _term(store, o))
    prover = _Prover(store, max_depth, timeout_s)
    proof = prover.prove(fact)
    if proof is None:
        if prover.graphs_of(fact):  # stored in the inferred graph, but no supported rule derives it
            proof = Proof(fact, prover.text(fact), "inferred")
        else:
            raise NotEntailed(_not_entailed(prover, fact))
    return Explanation(proof, _passages(store, proof))


def _not_entailed(prover: _Prover, fact: Fact) -> str:
    shown = " ".join(prover.text(fact))
    if prover.may_hold(fact):
        return (
            f"{shown} is not in the graph: the build drops triples about blank nodes and RDF/RDFS/OWL terms "
            f"(see reason.py), and none of the supported rules derives it within depth {prover.max_depth}."
        )
    return f"{shown} is neither asserted nor inferred by the OWL 2 RL closure."


def _passages(store: Store, proof: Proof) -> dict[str, dict[str, str | None]]:
    """Label and quotation of every source passage cited by an asserted leaf of the proof."""
    found: dict[str, dict[str, str | None]] = {}
    stack = [proof]
    while stack:
        node = stack.pop()
        stack += node.premises
        for iri in node.sources:
            passage = ox.NamedNode(iri)
            quotes = [q.object.value for q in store.quads(passage, QUOTATION, None, store.asserted_graphs)]
            found[iri] = {"label": label(store, passage), "quotation": min(quotes, default=None)}
    return dict(sorted(found.items()))

"""The OWL 2 RL rules the explainer runs backwards, and the view of the store they read.

Each rule generator takes a goal triple (s, p, o) and proposes (rule name, premises): one rule
application that would conclude the goal if every premise holds. Rule names and premise shapes are
those of the W3C OWL 2 RL rule tables (https://www.w3.org/TR/owl2-profiles/#Reasoning_in_OWL_2_RL_and_RDF_Graphs_using_Rules).
The generators only look premises up in the built store (asserted + inferred graphs); proving them is
the prover's business (explain.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import pyoxigraph as ox

from .namespaces import PREFIXES
from .reason import is_noise
from .store import Store, graph_name, rdf_list
from .terms import Node, Term, as_node, as_term, to_rdflib

RDF, RDFS, OWL = PREFIXES["rdf"], PREFIXES["rdfs"], PREFIXES["owl"]
TYPE = ox.NamedNode(RDF + "type")
FIRST, REST = (ox.NamedNode(RDF + n) for n in ("first", "rest"))
SCO, SPO = ox.NamedNode(RDFS + "subClassOf"), ox.NamedNode(RDFS + "subPropertyOf")
DOMAIN, RANGE = ox.NamedNode(RDFS + "domain"), ox.NamedNode(RDFS + "range")
INVERSE, EQC, EQP, SAME = (
    ox.NamedNode(OWL + n) for n in ("inverseOf", "equivalentClass", "equivalentProperty", "sameAs")
)
CHAIN, INTERSECTION = ox.NamedNode(OWL + "propertyChainAxiom"), ox.NamedNode(OWL + "intersectionOf")
HAS_VALUE, ON_PROPERTY = ox.NamedNode(OWL + "hasValue"), ox.NamedNode(OWL + "onProperty")
SYMMETRIC, TRANSITIVE = ox.NamedNode(OWL + "SymmetricProperty"), ox.NamedNode(OWL + "TransitiveProperty")

Fact = tuple[Term, ox.NamedNode, Term]
Candidate = tuple[str, list[Fact]]


class Facts:
    """What the rules may ask of the built store: which graphs state a fact, and sorted lookups."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.visible = store.visible_graphs(True)

    def graphs_of(self, fact: Fact) -> list[str]:
        s, p, o = fact
        if isinstance(s, ox.Literal):
            return []
        return sorted({graph_name(q) for q in self.store.quads(s, p, o, self.visible)})

    def stored(self, fact: Fact) -> bool:
        return bool(self.graphs_of(fact))

    def asserted(self, fact: Fact) -> bool:
        return any(g in self.store.asserted_graphs for g in self.graphs_of(fact))

    def may_hold(self, fact: Fact) -> bool:
        """Stored, or dropped by the noise rule and so maybe entailed (the closure is otherwise complete)."""
        if isinstance(fact[0], ox.Literal):
            return False
        return self.stored(fact) or is_noise(*(to_rdflib(t) for t in fact))

    def objects(self, s: Term, p: ox.NamedNode) -> list[Term]:
        if isinstance(s, ox.Literal):
            return []
        return sorted({as_term(q.object) for q in self.store.quads(s, p, None, self.visible)}, key=str)

    def subjects(self, p: ox.NamedNode, o: Term) -> list[Node]:
        return sorted({as_node(q.subject) for q in self.store.quads(None, p, o, self.visible)}, key=str)

    def items(self, head: Term) -> list[Term]:
        """The members of an RDF list."""
        return rdf_list(self.store, head, self.visible)

    def heads_containing(self, member: Term) -> list[Node]:
        """The heads of every RDF list that has `member` as an item."""
        heads = []
        for cell in self.subjects(FIRST, member):
            while previous := self.subjects(REST, cell):
                cell = previous[0]
            heads.append(cell)
        return heads

    def chains(self, start: Term, props: list[ox.NamedNode], end: Term) -> Iterator[list[Fact]]:
        """Every stored walk start -p1-> x1 ... -pn-> end."""
        if len(props) == 1:
            if self.stored((start, props[0], end)):
                yield [(start, props[0], end)]
            return
        for middle in self.objects(start, props[0]):
            for rest in self.chains(middle, props[1:], end):
                yield [(start, props[0], middle), *rest]


def candidates(kb: Facts, goal: Fact) -> list[Candidate]:
    """Every distinct rule application (rule and premises) that concludes `goal` and whose premises may
    all hold, those with the fewest premises still to prove first, then in the order proposed."""
    found: dict[tuple[str, tuple[Fact, ...]], None] = {}
    for generate in RULES:
        for rule, premises in generate(kb, *goal):
            if goal not in premises and all(kb.may_hold(f) for f in premises):
                found.setdefault((rule, tuple(premises)), None)
    return sorted(
        ((rule, list(premises)) for rule, premises in found),
        key=lambda c: sum(not kb.asserted(f) for f in c[1]),
    )


def _properties(terms: Iterable[Term]) -> list[ox.NamedNode]:
    """The IRIs among `terms`: only an IRI can stand where a property goes in a premise."""
    return [t for t in terms if isinstance(t, ox.NamedNode)]


# --- the rules: each proposes (rule name, premises) for a goal (s, p, o) ---


def _property_rules(kb: Facts, s: Term, p: ox.NamedNode, o: Term) -> Iterator[Candidate]:
    """prp-inv1/2, prp-symp, prp-trp, prp-spo1, prp-eqp1/2: facts that follow from property axioms."""
    for q in _properties(kb.subjects(INVERSE, p)):
        yield "prp-inv1", [(q, INVERSE, p), (o, q, s)]
    for q in _properties(kb.objects(p, INVERSE)):
        yield "prp-inv2", [(p, INVERSE, q), (o, q, s)]
    if kb.stored((p, TYPE, SYMMETRIC)):
        yield "prp-symp", [(p, TYPE, SYMMETRIC), (o, p, s)]
    if kb.stored((p, TYPE, TRANSITIVE)):
        for z in kb.objects(s, p):
            if z not in (s, o) and kb.stored((z, p, o)):
                yield "prp-trp", [(p, TYPE, TRANSITIVE), (s, p, z), (z, p, o)]
    for q in _properties(kb.subjects(SPO, p)):
        if q != p:
            yield "prp-spo1", [(q, SPO, p), (s, q, o)]
    for q in _properties(kb.subjects(EQP, p)):
        yield "prp-eqp1", [(q, EQP, p), (s, q, o)]
    for q in _properties(kb.objects(p, EQP)):
        yield "prp-eqp2", [(p, EQP, q), (s, q, o)]


def _chain_and_value_rules(kb: Facts, s: Term, p: ox.NamedNode, o: Term) -> Iterator[Candidate]:
    """prp-spo2 (property chains) and cls-hv1 (a member of a hasValue restriction has the value)."""
    for head in kb.objects(p, CHAIN):
        members = kb.items(head)
        if len(chain := _properties(members)) < len(members):
            continue  # an inverse property expression in the chain: not supported
        for walk in kb.chains(s, chain, o):
            yield "prp-spo2", [(p, CHAIN, head), *walk]
    for restriction in kb.subjects(HAS_VALUE, o):
        if p in kb.objects(restriction, ON_PROPERTY):
            yield (
                "cls-hv1",
                [(restriction, HAS_VALUE, o), (restriction, ON_PROPERTY, p), (s, TYPE, restriction)],
            )


def _type_rules(kb: Facts, s: Term, p: ox.NamedNode, c: Term) -> Iterator[Candidate]:
    """prp-dom, prp-rng, cax-sco, cax-eqc1/2, cls-hv2, cls-int1/2: why `s rdf:type c`."""
    if p != TYPE:
        return
    for q in _properties(kb.subjects(DOMAIN, c)):
        for y in kb.objects(s, q):
            yield "prp-dom", [(q, DOMAIN, c), (s, q, y)]
    for q in _properties(kb.subjects(RANGE, c)):
        for x in kb.subjects(q, s):
            yield "prp-rng", [(q, RANGE, c), (x, q, s)]
    for d in kb.subjects(SCO, c):
        if d != c:
            yield "cax-sco", [(d, SCO, c), (s, TYPE, d)]
    for d in kb.subjects(EQC, c):
        yield "cax-eqc1", [(d, EQC, c), (s, TYPE, d)]
    for e in kb.objects(c, EQC):
        yield "cax-eqc2", [(c, EQC, e), (s, TYPE, e)]
    for value in kb.objects(c, HAS_VALUE):
        for q in _properties(kb.objects(c, ON_PROPERTY)):
            yield "cls-hv2", [(c, HAS_VALUE, value), (c, ON_PROPERTY, q), (s, q, value)]
    for head in kb.objects(c, INTERSECTION):
        yield "cls-int1", [(c, INTERSECTION, head), *((s, TYPE, d) for d in kb.items(head))]
    for head in kb.heads_containing(c):
        for d in kb.subjects(INTERSECTION, head):
            yield "cls-int2", [(d, INTERSECTION, head), (s, TYPE, d)]


def _hierarchy_rules(kb: Facts, s: Term, p: ox.NamedNode, o: Term) -> Iterator[Candidate]:
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


def _domain_range_rules(kb: Facts, s: Term, p: ox.NamedNode, o: Term) -> Iterator[Candidate]:
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


def _equality_rules(kb: Facts, s: Term, p: ox.NamedNode, o: Term) -> Iterator[Candidate]:
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

"""OWL 2 RL inference at Oxigraph speed: the same inferred graph as `reason.closure`, for large data.

owlrl applies every rule to every triple in Python (~1k triples/s). Here the work is split:

1. The T-Box (schema triples: subClassOf, domain, restrictions, property characteristics, the RDF lists
   they use, `rdf:type owl:Class`-like triples) is small: it is extracted and closed with owlrl itself.
2. The closed T-Box is compiled into instance rules, one row per axiom (prp-dom, prp-rng, prp-spo1,
   prp-spo2 chains, prp-inv, prp-symp, prp-trp, cax-sco/eqc, cls-hv1/2, cls-int1/2, cls-uni, cls-svf1/2,
   cls-avf), grouped by rule kind with SPARQL `VALUES`, and run inside Oxigraph as SPARQL updates to a
   fixpoint, semi-naively: after the first round each rule runs once per body atom with that atom bound to
   the triples new in the last round (scratch graphs work / delta / new).
3. The inconsistency checks (cax-dw, cax-adc, cls-com, cls-nothing2, prp-irp, prp-asyp, prp-pdw, prp-adp,
   cls-maxc1, cls-maxqc1/2, prp-npa, dt-not-type) run on the fixpoint; a hit raises `InconsistentGraph`
   naming the individual.
4. Whatever the compiled rules cannot reproduce exactly falls back to owlrl on the whole data (with a
   warning naming the reason): owl:sameAs in the data, or any sameAs-producing axiom (FunctionalProperty,
   InverseFunctionalProperty, hasKey, max(Qualified)Cardinality 1) that would fire; schema triples the
   data entails (punning the rules would miss); literals flowing into subject position where it matters.
   The guards run after the fixpoint, so data that never triggers them keeps the fast path.

The result is the noise rule of `reason` applied to everything new: T-Box blank nodes are skolemised to
`SKOLEM` IRIs while reasoning (SPARQL cannot name blank nodes), and triples with them are noise like the
blank nodes they stand for.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import pickle
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import owlrl
import pyoxigraph as ox
import rdflib
from owlrl.DatatypeHandling import AltXSDToPYTHON
from owlrl.XsdDatatypes import OWL_RL_Datatypes
from rdflib.namespace import OWL, RDF, RDFS, XSD

from . import reason
from .errors import InconsistentGraph
from .namespaces import BUILTIN_NAMESPACES, shorten
from .terms import to_ox, to_rdflib

log = logging.getLogger(__name__)
#: Part of the T-Box cache key: a cached schema is only reused by the code that compiled it.
_SOURCE_DIGEST = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()

SCRATCH = "urn:x-pharma-kg:entail:"
SKOLEM = SCRATCH + "bnode:"

#: Predicates whose triples are schema (T-Box): they are closed with owlrl, never by the compiled rules.
SCHEMA_PREDICATES = (
    RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range,
    OWL.equivalentClass, OWL.equivalentProperty, OWL.inverseOf, OWL.propertyChainAxiom,
    OWL.onProperty, OWL.onClass, OWL.hasValue, OWL.someValuesFrom, OWL.allValuesFrom,
    OWL.intersectionOf, OWL.unionOf, OWL.complementOf, OWL.oneOf, OWL.disjointWith, OWL.disjointUnionOf,
    OWL.members, OWL.distinctMembers, OWL.propertyDisjointWith, OWL.hasKey,
    OWL.maxCardinality, OWL.maxQualifiedCardinality, OWL.cardinality, OWL.minCardinality,
    OWL.qualifiedCardinality, OWL.minQualifiedCardinality, OWL.hasSelf, OWL.onProperties,
    OWL.sourceIndividual, OWL.assertionProperty, OWL.targetIndividual, OWL.targetValue,
    OWL.withRestrictions, OWL.onDatatype, OWL.datatypeComplementOf,
)  # fmt: skip
#: Schema predicates whose object is an RDF list: the list's rdf:first/rdf:rest triples are schema too.
LIST_PREDICATES = (
    OWL.propertyChainAxiom, OWL.intersectionOf, OWL.unionOf, OWL.oneOf, OWL.members, OWL.distinctMembers,
    OWL.hasKey, OWL.disjointUnionOf, OWL.onProperties, OWL.withRestrictions,
)  # fmt: skip
#: `rdf:type` objects that owlrl's rules dispatch on; an individual typed so is schema.
TRIGGER_TYPES = (
    OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property,
    OWL.FunctionalProperty, OWL.InverseFunctionalProperty, OWL.IrreflexiveProperty, OWL.SymmetricProperty,
    OWL.AsymmetricProperty, OWL.TransitiveProperty, OWL.AllDisjointProperties, OWL.AllDifferent,
    OWL.AllDisjointClasses,
)  # fmt: skip
#: Further `rdf:type` objects that mark schema resources (extracted with the T-Box, harmless there).
SCHEMA_TYPES = (
    *TRIGGER_TYPES, OWL.Restriction, RDFS.Class, OWL.AnnotationProperty, OWL.OntologyProperty,
    OWL.ReflexiveProperty, OWL.Ontology, RDFS.Datatype, OWL.DeprecatedClass, OWL.DeprecatedProperty,
    OWL.NegativePropertyAssertion, RDF.List,
)  # fmt: skip

_TYPE = f"<{RDF.type}>"
_NOT_IN_BUILTIN = " && ".join(f'!STRSTARTS(STR({{v}}), "{ns}")' for ns in BUILTIN_NAMESPACES)


Atom = tuple[str, str, str]


def _noise_free(s: str = "?s", p: str = "?p", o: str = "?o") -> str:
    """SPARQL test keeping what `reason.is_noise` keeps (skolem IRIs count as the blank nodes they are).

    The terms are variables or constants; an error (STR of a blank subject, say) means noise, as in FILTER.
    """
    return (
        f'(!isBlank({o}) && !sameTerm({s}, {o}) && !STRSTARTS(STR({s}), "{SKOLEM}")'
        f' && !STRSTARTS(STR({p}), "{SKOLEM}")'
        f' && (isLiteral({o}) || !STRSTARTS(STR({o}), "{SKOLEM}"))'
        f" && {_NOT_IN_BUILTIN.format(v=s)}"
        f" && (isLiteral({o}) || ({_NOT_IN_BUILTIN.format(v=o)})))"
    )


@dataclass(frozen=True)
class View:
    """The graphs rules and checks read: every named graph of the store but `exclude`.

    Each atom gets its own graph variable (`?view<n>`), so a join may take its triples from several graphs.
    """

    exclude: tuple[str, ...]

    def atom(self, atom: Atom, n: int) -> str:
        text = f"GRAPH ?view{n} {{ {' '.join(atom)} }}"
        if self.exclude:
            text += f" FILTER(?view{n} NOT IN ({', '.join(f'<{g}>' for g in self.exclude)}))"
        return text


@dataclass(frozen=True)
class InferenceStats:
    """What one `infer` did: fixpoint rounds, triples written to the inferred graph, and why owlrl ran."""

    rounds: int
    inferred: int
    fallback: str | None  # why owlrl was used, else None


class _Fallback(Exception):
    """The compiled rules cannot give owlrl's answer for this data; the message says why."""


@dataclass
class Template:
    """One rule kind: body atoms and head over variables; `rows` bind the parameters (?P, ?C...)."""

    name: str
    params: tuple[str, ...]
    body: tuple[Atom, ...]
    head: Atom
    rows: set[tuple[str, ...]] = field(default_factory=set)

    def where(self, view: View, delta: str | None, position: int | None) -> str:
        values = " ".join("(" + " ".join(row) + ")" for row in sorted(self.rows))
        parts = [f"VALUES ({' '.join(self.params)}) {{ {values} }}"] if self.params else []
        # The delta atom first: Oxigraph joins in the written order, so the small side drives the join.
        order = sorted(range(len(self.body)), key=lambda i: i != position)
        for i in order:
            if i == position and delta:
                parts.append(f"GRAPH <{delta}> {{ {' '.join(self.body[i])} }}")
            else:
                parts.append(view.atom(self.body[i], i))
        return " ".join(parts)

    def update(
        self, view: View, delta: str | None, position: int | None, new: str, inferred: str, noise: str
    ) -> str:
        """Heads not yet in the view into `new` and into `inferred` (or `noise`, for noise).

        "Not yet" is an OPTIONAL lookup per distinct head: Oxigraph answers FILTER NOT EXISTS by scanning the
        class (quadratic at scale) and MINUS by reading all of the view's matching triples every time.
        """
        head = " ".join(self.head)
        variables = " ".join(dict.fromkeys(t for t in self.head if t.startswith("?")))
        known = view.atom(self.head, len(self.body))
        target = f"COALESCE(IF({_noise_free(*self.head)}, <{inferred}>, <{noise}>), <{noise}>)"
        return (
            f"INSERT {{ GRAPH <{new}> {{ {head} }} GRAPH ?target {{ {head} }} }} WHERE {{ "
            f"{{ SELECT DISTINCT {variables} WHERE {{ {self.where(view, delta, position)} }} }} "
            f"OPTIONAL {{ {known} BIND(true AS ?known) }} FILTER(!BOUND(?known)) BIND({target} AS ?target) }}"
        )


@dataclass
class Check:
    """An inconsistency check (or a fallback guard): a SELECT whose answers are the offenders."""

    rule: str
    params: tuple[str, ...]
    body: tuple[Atom, ...]
    select: tuple[str, ...]
    message: str  # str.format over the selected variables (without '?')
    rows: set[tuple[str, ...]] = field(default_factory=set)
    filter: str = ""

    def query(self, view: View, limit: int = 20) -> str:
        values = " ".join("(" + " ".join(row) + ")" for row in sorted(self.rows))
        parts = [f"VALUES ({' '.join(self.params)}) {{ {values} }}"] if self.params else []
        parts += [view.atom(atom, i) for i, atom in enumerate(self.body)]
        where = " ".join(parts)
        return f"SELECT DISTINCT {' '.join(self.select)} WHERE {{ {where} {self.filter} }} LIMIT {limit}"


def _templates() -> dict[str, Template]:
    t = _TYPE
    kinds = [
        Template("prp-dom", ("?P", "?C"), (("?x", "?P", "?y"),), ("?x", t, "?C")),
        Template("prp-rng", ("?P", "?C"), (("?x", "?P", "?y"),), ("?y", t, "?C")),
        Template("prp-spo1", ("?P", "?Q"), (("?x", "?P", "?y"),), ("?x", "?Q", "?y")),
        Template("prp-inv", ("?P", "?Q"), (("?x", "?P", "?y"),), ("?y", "?Q", "?x")),
        Template("prp-symp", ("?P",), (("?x", "?P", "?y"),), ("?y", "?P", "?x")),
        Template("prp-trp", ("?P",), (("?x", "?P", "?y"), ("?y", "?P", "?z")), ("?x", "?P", "?z")),
        Template("cax-sco", ("?C", "?D"), (("?x", t, "?C"),), ("?x", t, "?D")),
        Template("cls-hv1", ("?R", "?P", "?V"), (("?x", t, "?R"),), ("?x", "?P", "?V")),
        Template("cls-hv2", ("?R", "?P", "?V"), (("?x", "?P", "?V"),), ("?x", t, "?R")),
        Template("cls-svf1", ("?R", "?P", "?Y"), (("?u", "?P", "?v"), ("?v", t, "?Y")), ("?u", t, "?R")),
        Template("cls-svf2", ("?R", "?P"), (("?u", "?P", "?v"),), ("?u", t, "?R")),
        Template("cls-avf", ("?R", "?P", "?Y"), (("?u", t, "?R"), ("?u", "?P", "?v")), ("?v", t, "?Y")),
    ]
    return {k.name: k for k in kinds}


class _Compiler:
    """Reads the closed T-Box (rdflib) and fills rule templates, checks and fallback guards."""

    def __init__(self, tbox: rdflib.Graph) -> None:
        self.g = tbox
        self.templates = _templates()
        self.chains: list[Template] = []  # prp-spo2 and cls-int1: one template each (own body length)
        self.checks: list[Check] = []
        self.sameas: list[Check] = []  # rules that would derive owl:sameAs: a hit means fallback
        self.unsupported: list[str] = []
        self.datatype_ranges: list[tuple[str, str]] = []

    def term(self, node: rdflib.term.Node) -> str:
        if isinstance(node, rdflib.BNode):
            return f"<{SKOLEM}{node}>"
        return str(to_ox(node))

    def items(self, head: rdflib.term.Node) -> list[rdflib.term.Node]:
        return list(self.g.items(head))

    def pairs(self, predicate: rdflib.URIRef) -> Iterable[tuple[rdflib.term.Node, rdflib.term.Node]]:
        return self.g.subject_objects(predicate)

    def compile(self) -> None:
        g, tp, add = self.g, self.templates, self._add
        for p, c in self.pairs(RDFS.domain):
            add("prp-dom", p, c)
        for p, c in self.pairs(RDFS.range):
            add("prp-rng", p, c)
            if isinstance(c, rdflib.URIRef) and (c in OWL_RL_Datatypes or (c, RDF.type, RDFS.Datatype) in g):
                self.datatype_ranges.append((self.term(p), self.term(c)))
        for p, q in self.pairs(RDFS.subPropertyOf):
            if p != q:
                add("prp-spo1", p, q)
        for p, q in self.pairs(OWL.equivalentProperty):
            if p != q:
                add("prp-spo1", p, q)
                add("prp-spo1", q, p)
        for p, q in self.pairs(OWL.inverseOf):
            add("prp-inv", p, q)
            add("prp-inv", q, p)
        for p in g.subjects(RDF.type, OWL.SymmetricProperty):
            add("prp-symp", p)
        for p in g.subjects(RDF.type, OWL.TransitiveProperty):
            add("prp-trp", p)
        for c, d in self.pairs(RDFS.subClassOf):
            if c != d:
                add("cax-sco", c, d)
        for c, d in self.pairs(OWL.equivalentClass):
            if c != d:
                add("cax-sco", c, d)
                add("cax-sco", d, c)
        for r, v in self.pairs(OWL.hasValue):
            for p in g.objects(r, OWL.onProperty):
                add("cls-hv1", r, p, v)
                add("cls-hv2", r, p, v)
        for r, y in self.pairs(OWL.someValuesFrom):
            for p in g.objects(r, OWL.onProperty):
                if y == OWL.Thing:
                    add("cls-svf2", r, p)
                else:
                    add("cls-svf1", r, p, y)
        for r, y in self.pairs(OWL.allValuesFrom):
            for p in g.objects(r, OWL.onProperty):
                add("cls-avf", r, p, y)
        for c, lst in self.pairs(OWL.unionOf):
            for member in self.items(lst):
                add("cax-sco", member, c)
        for p, lst in self.pairs(OWL.propertyChainAxiom):
            self._chain(p, self.items(lst))
        for c, lst in self.pairs(OWL.intersectionOf):
            members = self.items(lst)
            for member in members:
                add("cax-sco", c, member)  # cls-int2
            if members:
                self._intersection(c, members)
        self._consistency()
        self._sameas()
        self._reduce()
        self._prune()
        for name in list(tp):
            if not tp[name].rows:
                del tp[name]

    def _reduce(self) -> None:
        """Drop rows another row plus cax-sco already give (C ⊑ E ⊑ D): the fixpoint is the same, cheaper."""
        sub: dict[str, set[str]] = {}
        for c, d in self.templates["cax-sco"].rows:
            sub.setdefault(c, set()).add(d)

        def strictly(c: str, d: str) -> bool:  # c ⊑ d and not d ⊑ c
            return d in sub.get(c, set()) and c not in sub.get(d, set())

        def implied(c: str, d: str) -> bool:
            return any(strictly(c, e) and strictly(e, d) for e in sub.get(c, set()))

        sco = self.templates["cax-sco"]
        sco.rows = {(c, d) for c, d in sco.rows if not implied(c, d)}
        for name in ("prp-dom", "prp-rng"):
            rows = self.templates[name].rows
            classes: dict[str, set[str]] = {}
            for p, c in rows:
                classes.setdefault(p, set()).add(c)
            self.templates[name].rows = {
                (p, d) for p, d in rows if not any(strictly(c, d) for c in classes[p] if c != d)
            }

    def _prune(self) -> None:
        """Drop rule rows whose head is always noise (a built-in or anonymous class, say) unless read on."""

        def fixed(term: str) -> bool:
            return term.startswith(tuple("<" + ns for ns in (*BUILTIN_NAMESPACES, SKOLEM)))

        instances = []  # (template, row, body atoms, head) with the row's parameters substituted
        for rule in [*self.templates.values(), *self.chains]:
            for row in rule.rows if rule.params else [()]:
                bind = dict(zip(rule.params, row, strict=True))
                body = [_bind(atom, bind) for atom in rule.body]
                instances.append((rule, row, body, _bind(rule.head, bind)))
        readers = [atom for check in [*self.checks, *self.sameas] for atom in _instances(check)]
        schema = {f"<{p}>" for p in SCHEMA_PREDICATES}
        triggers = {f"<{t}>" for t in TRIGGER_TYPES}
        keep: set[int] = set()
        changed = True
        while changed:
            changed = False
            for i, (_, _, _, head) in enumerate(instances):
                if i in keep:
                    continue
                s, p, o = head
                useful = not (fixed(s) or fixed(o)) or p in schema or (p == _TYPE and o in triggers)
                useful = useful or any(_matches(head, atom) for atom in readers)
                if useful:
                    keep.add(i)
                    readers += instances[i][2]
                    changed = True
        for rule in self.templates.values():
            rule.rows = {row for i, (r, row, _, _) in enumerate(instances) if r is rule and i in keep}
        self.chains = [
            c for i, (r, _, _, _) in enumerate(instances) if i in keep for c in [r] if c in self.chains
        ]

    def _add(self, name: str, *terms: rdflib.term.Node) -> None:
        self.templates[name].rows.add(tuple(self.term(t) for t in terms))

    def _chain(self, p: rdflib.term.Node, chain: list[rdflib.term.Node]) -> None:
        if not chain:
            return
        body = tuple((f"?x{i}", self.term(q), f"?x{i + 1}") for i, q in enumerate(chain))
        self.chains.append(Template("prp-spo2", (), body, ("?x0", self.term(p), f"?x{len(chain)}")))

    def _intersection(self, c: rdflib.term.Node, members: list[rdflib.term.Node]) -> None:
        body = tuple(("?x", _TYPE, self.term(m)) for m in dict.fromkeys(members))
        self.chains.append(Template("cls-int1", (), body, ("?x", _TYPE, self.term(c))))

    def _check(
        self,
        rule: str,
        params: tuple[str, ...],
        body: tuple[Atom, ...],
        select: tuple[str, ...],
        message: str,
        flt: str = "",
    ) -> Check:
        check = Check(rule, params, body, select, message, filter=flt)
        self.checks.append(check)
        return check

    def _consistency(self) -> None:
        g, t = self.g, _TYPE
        pair = (("?x", t, "?C"), ("?x", t, "?D"))
        dw = self._check(
            "cax-dw", ("?C", "?D"), pair, ("?x", "?C", "?D"), "{x} is in the disjoint classes {C} and {D}"
        )
        for c, d in self.pairs(OWL.disjointWith):
            dw.rows.add((self.term(c), self.term(d)))
        adc = self._check(
            "cax-adc",
            ("?C", "?D"),
            pair,
            ("?x", "?C", "?D"),
            "{x} is in the disjoint classes {C} and {D} (owl:AllDisjointClasses)",
        )
        for x in g.subjects(RDF.type, OWL.AllDisjointClasses):
            for lst in g.objects(x, OWL.members):
                classes = self.items(lst)
                for i, c in enumerate(classes[:-1]):
                    for d in classes[i + 1 :]:
                        adc.rows.add((self.term(c), self.term(d)))
        com = self._check(
            "cls-com", ("?C", "?D"), pair, ("?x", "?C", "?D"), "{x} is in {C} and in its complement {D}"
        )
        for c, d in self.pairs(OWL.complementOf):
            com.rows.add((self.term(c), self.term(d)))
        nothing = self._check(
            "cls-nothing2", (), (("?x", t, f"<{OWL.Nothing}>"),), ("?x",), "{x} is an instance of owl:Nothing"
        )
        nothing.rows.add(())
        irp = self._check(
            "prp-irp",
            ("?P",),
            (("?x", "?P", "?x"),),
            ("?x", "?P"),
            "{x} is related to itself by the irreflexive property {P}",
        )
        for p in g.subjects(RDF.type, OWL.IrreflexiveProperty):
            irp.rows.add((self.term(p),))
        asyp = self._check(
            "prp-asyp",
            ("?P",),
            (("?x", "?P", "?y"), ("?y", "?P", "?x")),
            ("?x", "?P", "?y"),
            "{x} and {y} are related both ways by the asymmetric property {P}",
        )
        for p in g.subjects(RDF.type, OWL.AsymmetricProperty):
            asyp.rows.add((self.term(p),))
        pdw = self._check(
            "prp-pdw",
            ("?P", "?Q"),
            (("?x", "?P", "?y"), ("?x", "?Q", "?y")),
            ("?x", "?P", "?Q", "?y"),
            "{x} is related to {y} by the disjoint properties {P} and {Q}",
        )
        for p, q in self.pairs(OWL.propertyDisjointWith):
            pdw.rows.add((self.term(p), self.term(q)))
        adp = self._check(
            "prp-adp",
            ("?P", "?Q"),
            pdw.body,
            pdw.select,
            "{x} is related to {y} by the disjoint properties {P} and {Q} (owl:AllDisjointProperties)",
        )
        for x in g.subjects(RDF.type, OWL.AllDisjointProperties):
            for lst in g.objects(x, OWL.members):
                props = self.items(lst)
                for i in range(len(props) - 1):  # owlrl's loops: the last member is never compared
                    for j in range(i + 1, len(props) - 1):
                        adp.rows.add((self.term(props[i]), self.term(props[j])))
        maxc = self._check(
            "cls-maxc1",
            ("?R", "?P"),
            (("?u", t, "?R"), ("?u", "?P", "?y")),
            ("?u", "?P", "?y"),
            "{u} has the value {y} for {P} but a max-0-cardinality restriction forbids it",
        )
        maxqc = self._check(
            "cls-maxqc1",
            ("?R", "?P", "?C"),
            (("?u", t, "?R"), ("?u", "?P", "?y"), ("?y", t, "?C")),
            ("?u", "?P", "?y"),
            "{u} has the value {y} for {P} but a max-0-qualified-cardinality restriction forbids it",
        )
        maxqc2 = self._check("cls-maxqc2", ("?R", "?P"), maxc.body, maxc.select, maxqc.message)
        for r, n in self.pairs(OWL.maxCardinality):
            if _int(n) == 0:
                for p in g.objects(r, OWL.onProperty):
                    maxc.rows.add((self.term(r), self.term(p)))
        for r, n in self.pairs(OWL.maxQualifiedCardinality):
            if _int(n) == 0:
                for p in g.objects(r, OWL.onProperty):
                    for c in g.objects(r, OWL.onClass):
                        if c == OWL.Thing:
                            maxqc2.rows.add((self.term(r), self.term(p)))
                        else:
                            maxqc.rows.add((self.term(r), self.term(p), self.term(c)))
        npa = self._check(
            "prp-npa",
            ("?I", "?P", "?J"),
            (("?I", "?P", "?J"),),
            ("?I", "?P", "?J"),
            "the negative property assertion ({I} {P} {J}) is contradicted",
        )
        for x, i1 in self.pairs(OWL.sourceIndividual):
            for p in g.objects(x, OWL.assertionProperty):
                for i2 in itertools.chain(g.objects(x, OWL.targetIndividual), g.objects(x, OWL.targetValue)):
                    npa.rows.add((self.term(i1), self.term(p), self.term(i2)))
        self.checks = [c for c in self.checks if c.rows]

    def _sameas(self) -> None:
        g, t = self.g, _TYPE
        two = "FILTER(!sameTerm(?y1, ?y2))"
        fp = Check(
            "prp-fp",
            ("?P",),
            (("?x", "?P", "?y1"), ("?x", "?P", "?y2")),
            ("?P",),
            "owl:FunctionalProperty {P}",
            filter=two,
        )
        ifp = Check(
            "prp-ifp",
            ("?P",),
            (("?y1", "?P", "?x"), ("?y2", "?P", "?x")),
            ("?P",),
            "owl:InverseFunctionalProperty {P}",
            filter=two,
        )
        for p in g.subjects(RDF.type, OWL.FunctionalProperty):
            fp.rows.add((self.term(p),))
        for p in g.subjects(RDF.type, OWL.InverseFunctionalProperty):
            ifp.rows.add((self.term(p),))
        maxc = Check(
            "cls-maxc2",
            ("?R", "?P"),
            (("?u", t, "?R"), ("?u", "?P", "?y1"), ("?u", "?P", "?y2")),
            ("?R",),
            "owl:maxCardinality 1 on {R}",
            filter=two,
        )
        maxqc = Check(
            "cls-maxqc3",
            ("?R", "?P", "?C"),
            (("?u", t, "?R"), ("?u", "?P", "?y1"), ("?u", "?P", "?y2"), ("?y1", t, "?C"), ("?y2", t, "?C")),
            ("?R",),
            "owl:maxQualifiedCardinality 1 on {R}",
            filter=two,
        )
        maxqc4 = Check("cls-maxqc4", ("?R", "?P"), maxc.body, ("?R",), maxqc.message, filter=two)
        for r, n in self.pairs(OWL.maxCardinality):
            if _int(n) == 1:
                for p in g.objects(r, OWL.onProperty):
                    maxc.rows.add((self.term(r), self.term(p)))
        for r, n in self.pairs(OWL.maxQualifiedCardinality):
            if _int(n) == 1:
                for p in g.objects(r, OWL.onProperty):
                    for c in g.objects(r, OWL.onClass):
                        if c == OWL.Thing:
                            maxqc4.rows.add((self.term(r), self.term(p)))
                        else:
                            maxqc.rows.add((self.term(r), self.term(p), self.term(c)))
        key = Check(
            "prp-key",
            ("?C",),
            (("?x", t, "?C"), ("?y", t, "?C")),
            ("?C",),
            "owl:hasKey on {C}",
            filter="FILTER(!sameTerm(?x, ?y))",
        )
        for c, lst in self.pairs(OWL.hasKey):
            if self.items(lst):
                key.rows.add((self.term(c),))
        same = Check(
            "eq",
            (),
            (("?x", f"<{OWL.sameAs}>", "?y"),),
            ("?x",),
            "owl:sameAs between {x} and others",
            filter="FILTER(!sameTerm(?x, ?y))",
        )
        same.rows.add(())
        self.sameas = [c for c in (fp, ifp, maxc, maxqc, maxqc4, key, same) if c.rows]


def _int(node: rdflib.term.Node) -> int | None:
    value = node.toPython() if isinstance(node, rdflib.Literal) else None
    return value if isinstance(value, int) else None


@dataclass
class _Schema:
    """The closed and compiled T-Box, blank nodes named canonically: what the cache keeps per T-Box."""

    closed: list[tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]]  # skolemised when loaded
    news: list[tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]]  # closed - tbox - noise
    closed_terms: frozenset[tuple[str, str, str]]  # closed, skolemised, as strings (the schema guard)
    errors: str | None  # owlrl's contradictions in the T-Box alone
    templates: dict[str, Template]
    chains: list[Template]
    checks: list[Check]
    sameas: list[Check]
    datatype_ranges: list[tuple[str, str]]


_SCHEMAS: dict[str, _Schema] = {}  # per process, by T-Box key
_SCHEMAS_KEPT = 8


def _canonical_labels(tbox: rdflib.Graph) -> dict[rdflib.BNode, str] | None:
    """Names for the T-Box's blank nodes from the graph's shape alone (colour refinement), or None.

    Two runs over the same T-Box (blank node ids differ per load) give the same names, so the closed and
    compiled T-Box can be cached. None when refinement leaves two blank nodes alike (no canonical choice).
    """
    bnodes = {t for triple in tbox for t in (triple[0], triple[2]) if isinstance(t, rdflib.BNode)}
    colour = dict.fromkeys(bnodes, "")

    def name(term: rdflib.term.Node) -> str:
        return "_:" + colour[term] if isinstance(term, rdflib.BNode) else term.n3()

    classes = 1 if bnodes else 0
    while True:
        signature: dict[rdflib.BNode, list[str]] = {b: [colour[b]] for b in bnodes}
        for s, p, o in tbox:
            if isinstance(s, rdflib.BNode):
                signature[s].append(f"> {p.n3()} {name(o)}")
            if isinstance(o, rdflib.BNode):
                signature[o].append(f"< {p.n3()} {name(s)}")
        colour = {
            b: hashlib.sha256("\n".join(sorted(sig)).encode()).hexdigest()[:24]
            for b, sig in signature.items()
        }
        refined = len(set(colour.values()))
        if refined == classes:
            break
        classes = refined
    if classes != len(bnodes):
        return None
    return {b: "t" + c for b, c in colour.items()}


def _schema_key(tbox: rdflib.Graph) -> str:
    lines = sorted(" ".join(t.n3() for t in triple) for triple in tbox)
    digest = hashlib.sha256(_SOURCE_DIGEST.encode())
    digest.update(owlrl.__version__.encode() if hasattr(owlrl, "__version__") else b"")
    digest.update("\n".join(lines).encode())
    return digest.hexdigest()


def _close(tbox: rdflib.Graph) -> _Schema:
    """owlrl's closure of the T-Box, compiled into rules, checks and guards."""
    closed = rdflib.Graph()
    for triple in tbox:
        closed.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closed)
    try:
        _raise_owlrl_errors(closed)
        errors = None
    except InconsistentGraph as exc:
        errors = exc.message
    compiler = _Compiler(closed)
    if errors is None:
        compiler.compile()
    news = [t for t in closed if t not in tbox and not reason.is_noise(*t)]
    return _Schema(
        closed=list(closed),
        news=news,
        closed_terms=frozenset(
            (str(_skolem(to_ox(s))), str(_skolem(to_ox(p))), str(_skolem(to_ox(o)))) for s, p, o in closed
        ),
        errors=errors,
        templates=compiler.templates,
        chains=compiler.chains,
        checks=compiler.checks,
        sameas=compiler.sameas,
        datatype_ranges=compiler.datatype_ranges,
    )


def _schema(tbox: rdflib.Graph, cache: Path | None) -> tuple[_Schema, dict[str, str]]:
    """The closed, compiled T-Box (cached when its blank nodes have canonical names) and the blank node map.

    The map takes the store's blank node ids in the T-Box to the names the schema uses for them.
    """
    labels = _canonical_labels(tbox)
    if labels is None:  # no canonical names: compile this T-Box as it is, uncached
        return _close(tbox), {}
    canonical = rdflib.Graph()
    for s, p, o in tbox:
        canonical.add(
            (rdflib.BNode(labels[s]) if isinstance(s, rdflib.BNode) else s, p,
             rdflib.BNode(labels[o]) if isinstance(o, rdflib.BNode) else o)
        )  # fmt: skip
    mapping = {str(b): label for b, label in labels.items()}
    key = _schema_key(canonical)
    schema = _SCHEMAS.get(key)
    path = cache / f"entail-tbox-{key[:40]}.pickle" if cache is not None else None
    if schema is None and path is not None and path.exists():
        try:
            with path.open("rb") as f:
                loaded = pickle.load(f)
            if isinstance(loaded, _Schema):
                schema = loaded
        except Exception as exc:  # a damaged or foreign cache file is recomputed
            log.debug("ignoring the T-Box cache %s: %s", path, exc)
    if schema is None:
        schema = _close(canonical)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
                with partial.open("wb") as f:
                    pickle.dump(schema, f, protocol=pickle.HIGHEST_PROTOCOL)
                partial.replace(path)
            except OSError as exc:
                log.debug("cannot write the T-Box cache %s: %s", path, exc)
    _SCHEMAS[key] = schema
    while len(_SCHEMAS) > _SCHEMAS_KEPT:
        del _SCHEMAS[next(iter(_SCHEMAS))]
    return schema, mapping


class _Run:
    """One `infer` call: scratch graph names, the store, and the steps.

    Rules read a *view*: the asserted graphs in place, the closed T-Box (skolemised, graph `tbox`), and what
    they derived so far (`inferred`, and `noise` for the triples the noise rule drops). When the data has
    triples about the T-Box's blank nodes that some rule or check could read, the asserted graphs are copied
    into `work` with those blank nodes skolemised instead, and the view reads `work`.
    """

    def __init__(self, store: ox.Store, asserted: Sequence[str], inferred: str, cache: Path | None) -> None:
        self.store = store
        self.asserted = list(asserted)
        self.inferred = inferred
        self.cache = cache
        run = uuid.uuid4().hex
        self.work = f"{SCRATCH}{run}:work"
        self.tbox_graph = f"{SCRATCH}{run}:tbox"
        self.noise = f"{SCRATCH}{run}:noise"
        self.rounds = [f"{SCRATCH}{run}:a", f"{SCRATCH}{run}:b"]
        self.scratch = [self.work, self.tbox_graph, self.noise, *self.rounds]
        self.labels: dict[str, str] = {}  # the store's T-Box blank nodes -> the schema's names
        self.view = View(())

    def graphs_values(self) -> str:
        return "VALUES ?g { " + " ".join(f"<{g}>" for g in self.asserted) + " }"

    def select(self, query: str) -> list[ox.QuerySolution]:
        return list(self.store.query(query))  # type: ignore[arg-type]

    def count(self, graph: str) -> int:
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return int(rows[0]["n"].value)

    def drop_scratch(self) -> None:
        self.store.update(" ; ".join(f"DROP SILENT GRAPH <{g}>" for g in self.scratch))

    def skolem(self, term: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.NamedNode | ox.Literal:
        if isinstance(term, ox.BlankNode):
            return ox.NamedNode(SKOLEM + self.labels.get(term.value, term.value))
        return term

    # --- T-Box -----------------------------------------------------------------------------------------

    def tbox(self) -> rdflib.Graph:
        """The schema triples of the asserted graphs (SCHEMA_PREDICATES, SCHEMA_TYPES, LIST_PREDICATES)."""
        preds = " ".join(f"<{p}>" for p in SCHEMA_PREDICATES)
        types = " ".join(f"<{t}>" for t in SCHEMA_TYPES)
        lists = "|".join(f"<{p}>" for p in LIST_PREDICATES)
        query = f"""SELECT DISTINCT ?s ?p ?o WHERE {{
          {self.graphs_values()}
          {{ VALUES ?p {{ {preds} }} GRAPH ?g {{ ?s ?p ?o }} }}
          UNION {{ VALUES ?o {{ {types} }} GRAPH ?g {{ ?s <{RDF.type}> ?o }} BIND(<{RDF.type}> AS ?p) }}
          UNION {{ GRAPH ?g {{ ?x {lists} ?head . ?head <{RDF.rest}>* ?s . ?s ?p ?o
                   FILTER(?p = <{RDF.first}> || ?p = <{RDF.rest}>) }} }}
        }}"""
        graph = rdflib.Graph()
        for row in self.select(query):
            graph.add((to_rdflib(row["s"]), to_rdflib(row["p"]), to_rdflib(row["o"])))
        return graph

    # --- the run ---------------------------------------------------------------------------------------

    def execute(self, on_round: Callable[[int, int], None] | None) -> InferenceStats:
        same = self.select(
            f"SELECT ?s WHERE {{ {self.graphs_values()} GRAPH ?g {{ ?s <{OWL.sameAs}> ?o }} "
            "FILTER(!sameTerm(?s, ?o)) } LIMIT 1"
        )
        if same:
            raise _Fallback(f"owl:sameAs in the data ({same[0]['s']})")
        started = time.perf_counter()
        self.store.clear_graph(ox.NamedNode(self.inferred))
        tbox = self.tbox()
        schema, self.labels = _schema(tbox, self.cache)
        if schema.errors is not None:
            raise InconsistentGraph(schema.errors)
        log.debug(
            "T-Box: %d triples, %d closed (%.2fs)",
            len(tbox),
            len(schema.closed),
            time.perf_counter() - started,
        )
        self._load(schema)
        log.debug("loaded (%.2fs)", time.perf_counter() - started)
        rounds = self._fixpoint(schema, on_round)
        log.debug("fixpoint after %d rounds (%.2fs)", rounds, time.perf_counter() - started)
        self._inconsistencies(schema)
        self._guards(schema)
        self._literals()
        log.debug("checks and guards done (%.2fs)", time.perf_counter() - started)
        return InferenceStats(rounds=rounds, inferred=self.count(self.inferred), fallback=None)

    def _load(self, schema: _Schema) -> None:
        """The closed T-Box into `tbox` (skolemised), its news into `inferred`, and the view to read."""
        tbox = ox.NamedNode(self.tbox_graph)
        self.store.extend(
            ox.Quad(self.skolem(to_ox(s)), to_ox(p), self.skolem(to_ox(o)), tbox)  # type: ignore[arg-type]
            for s, p, o in schema.closed
        )
        asserted = [ox.NamedNode(g) for g in self.asserted]
        stale: list[ox.Quad] = []  # asserted triples about the T-Box's blank nodes
        for b in self.labels:
            node = ox.BlankNode(b)
            for graph in asserted:
                stale += self.store.quads_for_pattern(node, None, None, graph)
                stale += self.store.quads_for_pattern(None, None, node, graph)
        rules: list[Template | Check] = [*schema.templates.values(), *schema.chains]
        readers = [atom for rule in [*rules, *schema.checks, *schema.sameas] for atom in _instances(rule)]
        readers += [_bind(rule.head, dict(zip(rule.params, row, strict=True)))
                    for rule in [*schema.templates.values(), *schema.chains]
                    for row in (rule.rows if rule.params else [()])]  # fmt: skip
        keys = {(str(q.subject), str(q.predicate), str(q.object)) for q in stale}
        if any(_matches(key, atom) for key in keys for atom in readers):
            # Some rule reads (or makes) such a triple: it must see it skolemised, so read a skolemised copy.
            log.debug("copying the asserted graphs: %d triples about T-Box blank nodes", len(stale))
            work = ox.NamedNode(self.work)
            self.store.update(
                f"INSERT {{ GRAPH <{self.work}> {{ ?s ?p ?o }} }} "
                f"WHERE {{ {self.graphs_values()} GRAPH ?g {{ ?s ?p ?o }} }}"
            )
            for quad in dict.fromkeys(ox.Quad(q.subject, q.predicate, q.object, work) for q in stale):
                self.store.remove(quad)
            self.store.extend(
                ox.Quad(self.skolem(q.subject), q.predicate, self.skolem(q.object), work)  # type: ignore[arg-type]
                for q in stale
            )
            exclude = set(self.asserted)
        else:
            exclude = {self.work}
        named = {g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode)}
        readable = {*self.asserted, self.work, self.tbox_graph, self.inferred, self.noise}
        self.view = View(tuple(sorted((named - readable) | exclude | set(self.rounds))))
        target = ox.NamedNode(self.inferred)
        news = []
        for s, p, o in schema.news:
            triple = (to_ox(s), to_ox(p), to_ox(o))
            if not any(ox.Quad(*triple, g) in self.store for g in asserted):  # type: ignore[arg-type]
                news.append(ox.Quad(*triple, target))  # type: ignore[arg-type]
        self.store.extend(news)

    def _fixpoint(self, schema: _Schema, on_round: Callable[[int, int], None] | None) -> int:
        """Rules to a fixpoint, semi-naively: after round 1, each rule once per body atom bound to the delta.

        A rule's heads go straight into `inferred` (or `noise`) and into the round's graph `new`, which is the
        next round's delta. Later rules of a round see earlier rules' heads: still complete, as a triple new
        in a round is in that round's delta, and every other body triple was in the view by then.
        """
        rules = [*schema.templates.values(), *schema.chains]
        delta, new = self.rounds
        rounds = 0
        while True:
            rounds += 1
            for rule in rules:
                positions: list[int | None] = [None] if rounds == 1 else list(range(len(rule.body)))
                for position in positions:
                    self.store.update(
                        rule.update(
                            self.view, delta if rounds > 1 else None, position, new, self.inferred, self.noise
                        )
                    )
            added = self.count(new)
            if on_round is not None:
                on_round(rounds, added)
            if not added:
                return rounds
            self.store.update(f"DROP SILENT GRAPH <{delta}>")
            delta, new = new, delta

    def _inconsistencies(self, schema: _Schema) -> None:
        problems = []
        for check in schema.checks:
            for row in self.select(check.query(self.view)):
                names = {v[1:]: _show(row[v[1:]]) for v in check.select}
                problems.append(f"{check.message.format(**names)} [{check.rule}]")
        if problems:
            raise InconsistentGraph(
                "the OWL 2 RL closure is inconsistent:\n  " + "\n  ".join(sorted(problems))
            )

    def _guards(self, schema: _Schema) -> None:
        for check in schema.sameas:
            rows = self.select(check.query(self.view, limit=1))
            if rows:
                names = {v[1:]: _show(rows[0][v[1:]]) for v in check.select}
                raise _Fallback(f"{check.message.format(**names)} derives owl:sameAs [{check.rule}]")
        # Schema triples entailed by the data: the compiled rules were made without them. The asserted ones
        # are all in the T-Box, so only what the rules derived is looked at.
        preds = " ".join(f"<{p}>" for p in SCHEMA_PREDICATES)
        types = " ".join(f"<{t}>" for t in TRIGGER_TYPES)
        derived = f"VALUES ?g {{ <{self.inferred}> <{self.noise}> }}"
        query = (
            f"SELECT ?s ?p ?o WHERE {{ {derived} {{ VALUES ?p {{ {preds} }} GRAPH ?g {{ ?s ?p ?o }} }} "
            f"UNION {{ VALUES ?o {{ {types} }} GRAPH ?g {{ ?s <{RDF.type}> ?o }} "
            f"BIND(<{RDF.type}> AS ?p) }} }}"
        )
        for row in self.select(query):
            key = (str(self.skolem(row["s"])), str(row["p"]), str(self.skolem(row["o"])))
            if key not in schema.closed_terms:
                raise _Fallback(f"the data entails the schema triple {' '.join(key)}")
        # Literals in subject position: Oxigraph stores no such triple, so they must not matter here.
        consumed = _consumed_classes([*schema.templates.values(), *schema.chains, *schema.checks])
        for name in ("prp-inv", "prp-symp"):
            template = schema.templates.get(name)
            for params in template.rows if template else ():
                self._no_literal_objects(params[0], f"{name} on {params[0]}")
        for name, prop in (("prp-rng", 0), ("cls-avf", 1)):
            template = schema.templates.get(name)
            for params in template.rows if template else ():
                if params[-1] in consumed:
                    self._no_literal_objects(params[prop], f"{name} into {params[-1]}")
        for p, dt in schema.datatype_ranges:
            atom = self.view.atom(("?s", p, "?o"), 0)
            rows = self.select(
                f"SELECT ?o WHERE {{ {atom} "
                f"FILTER(!isLiteral(?o) || (DATATYPE(?o) != {dt} && {dt} != <{RDFS.Literal}>)) }} LIMIT 1"
            )
            if rows:
                raise _Fallback(f"a value of {p} outside its datatype range {dt}")

    def _no_literal_objects(self, p: str, why: str) -> None:
        atom = self.view.atom(("?s", p, "?o"), 0)
        rows = self.select(f"SELECT ?o WHERE {{ {atom} FILTER(isLiteral(?o)) }} LIMIT 1")
        if rows:
            raise _Fallback(f"a literal would become a subject ({why})")

    def _literals(self) -> None:
        """dt-not-type: owlrl reports a literal whose lexical form does not fit its datatype."""
        query = (
            f"SELECT DISTINCT ?o WHERE {{ {self.graphs_values()} GRAPH ?g {{ ?s ?p ?o }} "
            "FILTER(isLiteral(?o) "
            f"&& DATATYPE(?o) != <{XSD.string}> && DATATYPE(?o) != <{RDF.langString}>) }}"
        )
        problems = []
        for row in self.select(query):
            lit = row["o"]
            assert isinstance(lit, ox.Literal)
            datatype = rdflib.URIRef(lit.datatype.value)
            converter = AltXSDToPYTHON.get(datatype) if datatype in OWL_RL_Datatypes else None
            try:
                if converter is not None:
                    converter(lit.value)
            except ValueError:
                problems.append(f"the literal {lit} does not match its datatype [dt-not-type]")
        if problems:
            raise InconsistentGraph(
                "the OWL 2 RL closure is inconsistent:\n  " + "\n  ".join(sorted(problems))
            )


def _bind(atom: Atom, bind: dict[str, str]) -> Atom:
    return (bind.get(atom[0], atom[0]), bind.get(atom[1], atom[1]), bind.get(atom[2], atom[2]))


def _instances(rule: Template | Check) -> list[Atom]:
    """The body atoms of every row of a rule, parameters substituted."""
    out: list[Atom] = []
    for row in rule.rows if rule.params else [()]:
        bind = dict(zip(rule.params, row, strict=True))
        out += [(bind.get(a[0], a[0]), bind.get(a[1], a[1]), bind.get(a[2], a[2])) for a in rule.body]
    return out


def _matches(head: Atom, atom: Atom) -> bool:
    """Could a triple made by `head` match `atom`? (constants must agree; variables match anything)."""
    return all(h.startswith("?") or a.startswith("?") or h == a for h, a in zip(head, atom, strict=True))


def _consumed_classes(rules: Iterable[Template | Check]) -> set[str]:
    """Classes some rule or check reads in a `?x rdf:type C` atom (a constant or a parameter's rows)."""
    out = set()
    for rule in rules:
        for atom in rule.body:
            if atom[1] != _TYPE:
                continue
            if atom[2] in rule.params:
                out |= {row[rule.params.index(atom[2])] for row in rule.rows}
            elif not atom[2].startswith("?"):
                out.add(atom[2])
    return out


def _skolem(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.NamedNode | ox.Literal:
    """A blank node as the IRI that stands for it while reasoning (its id, or the schema's canonical name)."""
    if isinstance(term, ox.BlankNode):
        return ox.NamedNode(SKOLEM + term.value)
    return term


def _show(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        if term.value.startswith(SKOLEM):
            return "an anonymous class or property"
        return shorten(term.value)
    if isinstance(term, ox.BlankNode):
        return f"the blank node _:{term.value}"
    return str(term)


def _raise_owlrl_errors(graph: rdflib.Graph) -> None:
    """The contradictions owlrl found in the T-Box alone (same test as `reason.closure`)."""
    error = rdflib.URIRef("http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage")
    text = rdflib.URIRef("http://www.daml.org/2002/03/agents/agent-ont#error")
    problems = sorted(str(graph.value(m, text)) for m in graph.subjects(RDF.type, error))
    problems += [f"{s} is an instance of owl:Nothing" for s in graph.subjects(RDF.type, OWL.Nothing)]
    if problems:
        raise InconsistentGraph("the OWL 2 RL closure is inconsistent:\n  " + "\n  ".join(problems))


def _fallback(store: ox.Store, asserted: Sequence[str], inferred: str) -> int:
    """owlrl on the whole data via `reason.closure`; returns the number of triples written."""
    graph = rdflib.Graph()
    for name in asserted:
        for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(name)):
            graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))  # type: ignore[arg-type]
    result = reason.closure(graph)
    target = ox.NamedNode(inferred)
    store.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), target) for s, p, o in result)  # type: ignore[arg-type]
    return len(result)


def infer(
    store: ox.Store,
    asserted: Sequence[str],
    inferred: str,
    on_round: Callable[[int, int], None] | None = None,
    *,
    cache: Path | None = None,
) -> InferenceStats:
    """Write into graph `inferred` what `reason.closure` would infer from the union of the `asserted` graphs.

    Raises `InconsistentGraph` like `reason.closure`. Scratch graphs are removed, and `inferred` emptied
    first and whatever goes wrong; other graphs of the store are neither read nor written. The closed and
    compiled T-Box is kept per process, and in a file under `cache` when given (a build cache folder).
    """
    run = _Run(store, asserted, inferred, cache)
    try:
        try:
            return run.execute(on_round)
        except _Fallback as why:
            log.warning("OWL 2 RL inference falls back to owlrl (slow): %s", why)
            store.clear_graph(ox.NamedNode(inferred))
            run.drop_scratch()
            count = _fallback(store, asserted, inferred)
            return InferenceStats(rounds=0, inferred=count, fallback=str(why))
    except BaseException:
        store.clear_graph(ox.NamedNode(inferred))
        raise
    finally:
        run.drop_scratch()

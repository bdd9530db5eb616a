"""SHACL validation as SPARQL on Oxigraph: the shapes compiled to queries, run where the data already is.

`validate.validate` (pyshacl over rdflib) needs 529 s for a million triples; a user's data must not cost
that on every build. This module gives the same violations (focus node, path, message) for the part
of SHACL Core that `ontology/shapes.ttl` uses, by compiling each constraint into one SPARQL query over
the union of the checked graphs.

**RDFS, as pyshacl's `inference="rdfs"` does it.** pyshacl first adds the RDFS closure of the data,
then validates. Here nothing is added: the queries read RDFS through property paths instead.

* A node is an instance of C when `?x rdf:type/rdfs:subClassOf* C`, or it is the subject of a
  property (or subproperty) whose `rdfs:domain` is C or a subclass of it, or the object of one whose
  `rdfs:range` is. Literals typed by a range count as targets (pyshacl targets them too) but never
  satisfy `sh:class` (pyshacl refuses literals there). The RDFS axiomatic triples (`rdf:subject rdfs:domain
  rdf:Statement`, …) are not used: pyshacl's closure (owlrl without axiomatic triples) has none.
* The values of a path P are those of P and of every `rdfs:subPropertyOf*` P; `sh:targetSubjectsOf`
  follows subproperties the same way.

**Computed once, in a scratch graph.** `check` first fills a scratch graph of the store (a fresh
`urn:uuid:` name, never one of the checked graphs, removed before returning, also on error) with the
RDFS instances of every class the shapes target or test with `sh:class`, and the focus nodes of each
node shape with several targets; every constraint query then joins on it (`compile_plan`) instead of
recomputing them (`compile_shapes`, the reference the plan is tested against). So `check` needs a
writable store, and nothing else may write to it meanwhile. `sh:class` is a MINUS over the class's
members: Oxigraph rescans them for every value with FILTER NOT EXISTS.

**Supported, exactly:** targets `sh:targetClass`, `sh:targetSubjectsOf`; paths: an IRI or
`[ sh:inversePath IRI ]`; constraints `sh:nodeKind`, `sh:pattern` (no `sh:flags`), `sh:datatype`,
`sh:languageIn`, `sh:uniqueLang`, `sh:minCount`, `sh:maxCount`, `sh:class`, `sh:in`, `sh:minInclusive`,
`sh:minLength`; `sh:property` from node shapes; `sh:message`; `sh:severity sh:Violation`. Any other
term of the SHACL namespace on a shape raises `UnsupportedShape` (naming it and the shape) instead of
being skipped, so a constraint added to shapes.ttl is never silently lost: support it here, or keep
validating with pyshacl.

**Results are pyshacl's, one for one:** one per (focus, value) for value constraints, one per focus
for counts, one per duplicated language for `sh:uniqueLang`, and once per parent node shape when two
node shapes share a property shape. Two differences, both in rendering: an inverse path is shown as
`^pkg:hasResponsibility` (pyshacl's report holds a blank node, which `validate` prints as `_:N…`),
and blank nodes have Oxigraph's identifiers, not rdflib's. Without `sh:message`, the messages
imitate pyshacl's defaults; those naming a focus node or a list are close, not identical.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import SourceError
from .namespaces import shorten


@dataclass(frozen=True)
class Violation:
    """One SHACL violation: the files stating the focus node, the node, the path and the message."""

    files: tuple[str, ...]
    focus: str
    path: str
    message: str
    severity: str

    def __str__(self) -> str:
        where = ", ".join(self.files) or "(no file states this node)"
        return f"{where}: {self.focus} {self.path}: {self.message} [{self.severity}]"


__all__ = ["UnsupportedShape", "check", "compile_shapes"]

SH = "http://www.w3.org/ns/shacl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"

_TYPE = ox.NamedNode(RDF + "type")
_FIRST, _REST, _NIL = ox.NamedNode(RDF + "first"), ox.NamedNode(RDF + "rest"), ox.NamedNode(RDF + "nil")


#: An RDF term as the parser and the query results give it (RDF-star triples are not expected).
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def _sh(name: str) -> ox.NamedNode:
    return ox.NamedNode(SH + name)


#: SHACL terms a shape may carry that are not constraints: structure and documentation.
_STRUCTURE = {"targetClass", "targetSubjectsOf", "property", "path", "message", "severity"}
_DOCUMENTATION = {"name", "description", "order", "group", "defaultValue"}
#: The constraint components compiled below; anything else in the sh: namespace is refused.
_CONSTRAINTS = (
    "nodeKind",
    "pattern",
    "datatype",
    "languageIn",
    "uniqueLang",
    "minCount",
    "maxCount",
    "class",
    "in",
    "minInclusive",
    "minLength",
)
_SUPPORTED = _STRUCTURE | _DOCUMENTATION | set(_CONSTRAINTS)

_NODE_KINDS = {
    "IRI": "isIRI(?value)",
    "BlankNode": "isBlank(?value)",
    "Literal": "isLiteral(?value)",
    "BlankNodeOrIRI": "!isLiteral(?value)",
    "BlankNodeOrLiteral": "!isIRI(?value)",
    "IRIOrLiteral": "!isBlank(?value)",
}

#: Datatypes SPARQL can cast to: a literal of these must also be well-formed ("abc"^^xsd:integer is not).
_CASTABLE = {XSD + t for t in ("integer", "decimal", "double", "float", "boolean", "dateTime", "string")}


class UnsupportedShape(SourceError):
    """The shapes file uses SHACL this compiler does not implement; validating would silently skip it."""


@dataclass(frozen=True)
class Query:
    """One compiled constraint: a SELECT binding ?focus (one row per result), and how to report it."""

    shape: str
    component: str
    path: str
    message: str
    sparql: str


@dataclass
class _Triples:
    """The shapes graph, indexed by subject then predicate (it has a few hundred triples)."""

    index: dict[Term, dict[str, list[Term]]] = field(default_factory=dict)

    def add(self, triple: ox.Quad) -> None:
        subject = triple.subject
        assert isinstance(subject, ox.NamedNode | ox.BlankNode)
        self.index.setdefault(subject, {}).setdefault(triple.predicate.value, []).append(triple.object)

    def objects(self, subject: Term, predicate: str) -> list[Term]:
        return self.index.get(subject, {}).get(predicate, [])

    def one(self, subject: Term, predicate: str) -> Term | None:
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def subjects(self, predicate: str, obj: Term | None = None) -> Iterator[Term]:
        for subject, edges in self.index.items():
            if predicate in edges and (obj is None or obj in edges[predicate]):
                yield subject

    def items(self, head: Term) -> list[Term]:
        """The members of an RDF list."""
        members = []
        while head != _NIL:
            first = self.one(head, RDF + "first")
            if first is None:
                raise UnsupportedShape(f"{_show(head)} is not a well-formed RDF list")
            members.append(first)
            rest = self.one(head, RDF + "rest")
            head = rest if rest is not None else _NIL
        return members


def check(store: ox.Store, files: Mapping[str, Path], shapes: Path) -> list[Violation]:
    """Validate the union of the graphs named in `files` (graph IRI → its source file) against `shapes`.

    Returns the violations sorted as `validate.validate` sorts them; each names the files whose graph
    states the focus node as a subject. Raises `UnsupportedShape` for SHACL this module cannot compile.

    The RDFS instances of each class the shapes name, and the focus nodes of each node shape, are
    computed once into a scratch graph of `store` (a fresh `urn:uuid:` IRI, outside the checked
    graphs), which every constraint query then joins on; the scratch graph is removed before
    returning, also on error.
    """
    graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [ox.NamedNode(g) for g in files]
    if not graphs:
        return []
    scratch = _scratch_graph(store)
    plan = compile_plan(shapes, Schema(store, graphs), scratch, [ox.NamedNode(g) for g in files])
    found: list[tuple[Term, Query, str]] = []
    try:
        for fill in plan.fills:
            store.update(fill)
        for query in plan.queries:
            solutions = store.query(query.sparql, default_graph=graphs, named_graphs=[scratch])
            assert isinstance(solutions, ox.QuerySolutions)
            for row in solutions:
                focus = row["focus"]
                assert focus is not None
                message = query.message
                if _FOCUS in message or _VALUE in message:  # a default message naming the nodes
                    value = row["value"] if ox.Variable("value") in solutions.variables else None
                    message = message.replace(_FOCUS, _n3(focus)).replace(_VALUE, _n3(value))
                found.append((focus, query, message))
    finally:
        store.remove_graph(scratch)
    stated = _stating_files(store, files, {focus for focus, _, _ in found})
    violations = [
        Violation(
            files=stated.get(focus, ()),
            focus=_show(focus),
            path=query.path,
            message=message,
            severity="sh:Violation",
        )
        for focus, query, message in found
    ]
    return sorted(violations, key=str)


def _scratch_graph(store: ox.Store) -> ox.NamedNode:
    """A graph name no graph of `store` has (a random UUID; checked all the same)."""
    while True:
        graph = ox.NamedNode(f"urn:uuid:{uuid.uuid4()}")
        if not store.contains_named_graph(graph):
            return graph


def _stating_files(
    store: ox.Store, files: Mapping[str, Path], nodes: Iterable[Term]
) -> dict[Term, tuple[str, ...]]:
    """For each node, the files whose graph has it as a subject (index lookups, so blank nodes work)."""
    stated: dict[Term, tuple[str, ...]] = {}
    for node in nodes:
        if isinstance(node, ox.Literal):
            continue
        stated[node] = tuple(
            str(path)
            for graph, path in files.items()
            if next(iter(store.quads_for_pattern(node, None, None, ox.NamedNode(graph))), None) is not None
        )
    return stated


# --- compiling ----------------------------------------------------------------------------------------


def compile_shapes(shapes: Path, rdfs: Rdfs | None = None) -> list[Query]:
    """Every constraint of every targeted node shape (and of its property shapes) as one SPARQL query.

    Each query computes its shape's focus nodes itself (and each `sh:class` test its class's
    instances), so the queries run on the data as it is: the reference `compile_plan` is tested
    against. `rdfs` says how the queries read RDFS: by default with property paths over the schema
    (complete, slow on big data: each class pattern scans every triple); a `Schema` resolved from
    the data first turns classes and properties into VALUES lists.
    """
    focus = _Inline(rdfs or Rdfs())
    return _compile_all(_read_shapes(shapes), focus)


@dataclass(frozen=True)
class Plan:
    """SPARQL updates filling a scratch graph (run in order), then the queries reading it."""

    scratch: ox.NamedNode
    fills: list[str]
    queries: list[Query]


def compile_plan(shapes: Path, rdfs: Rdfs, scratch: ox.NamedNode, graphs: list[ox.NamedNode]) -> Plan:
    """The queries of `compile_shapes`, reading focus nodes and class instances from `scratch`.

    The fills (SPARQL updates reading `graphs`) write into `scratch`, once for the whole check,
    `<class> kg:member ?x` for the RDFS instances of each class a shape targets or tests with
    `sh:class`, and `<shape> kg:focus ?x` for the focus nodes of each node shape that has more
    than one target (a shape with one target class reads its class's members). Nodes are objects
    there because literals can be instances (typed by `rdfs:range`). The queries must then be run
    with `graphs` as default graph and `scratch` among the named graphs.
    """
    focus = _Scratch(rdfs, scratch, graphs)
    queries = _compile_all(_read_shapes(shapes), focus)
    return Plan(scratch, focus.fills(), queries)


def _read_shapes(shapes: Path) -> _Triples:
    triples = _Triples()
    try:
        for quad in ox.parse(
            path=str(shapes), format=ox.RdfFormat.TURTLE, base_iri=shapes.absolute().as_uri()
        ):
            triples.add(quad)
    except SyntaxError as exc:
        raise SourceError(
            f"{shapes}:{exc.lineno or 0}:{exc.offset or 0}: malformed Turtle: {exc.msg}"
        ) from None
    except OSError as exc:
        raise SourceError(f"{shapes}: cannot read ({exc.strerror or exc})") from None
    return triples


def _compile_all(triples: _Triples, focus: _Focus) -> list[Query]:
    for shape in _all_shapes(triples):
        _refuse_unsupported(triples, shape)
    queries: list[Query] = []
    roots = sorted(
        set(triples.subjects(SH + "targetClass")) | set(triples.subjects(SH + "targetSubjectsOf")), key=str
    )
    for root in roots:
        if triples.one(root, SH + "path") is not None:
            raise UnsupportedShape(f"{_show(root)}: a property shape with its own targets is not supported")
        targets = focus.targets(triples, root)
        queries += _constraints(triples, root, targets, None, focus)
        for prop in triples.objects(root, SH + "property"):
            path = triples.one(prop, SH + "path")
            if path is None:
                raise UnsupportedShape(f"{_show(prop)}: a property shape without sh:path")
            queries += _constraints(triples, prop, targets, _path(triples, prop, path, focus.rdfs), focus)
    return queries


def _all_shapes(triples: _Triples) -> set[Term]:
    shapes: set[Term] = set(triples.subjects(RDF + "type", _sh("NodeShape")))
    shapes |= set(triples.subjects(RDF + "type", _sh("PropertyShape")))
    shapes |= set(triples.subjects(SH + "targetClass")) | set(triples.subjects(SH + "targetSubjectsOf"))
    shapes |= {prop for shape in list(shapes) for prop in triples.objects(shape, SH + "property")}
    return shapes


def _refuse_unsupported(triples: _Triples, shape: Term) -> None:
    edges = triples.index.get(shape, {})
    for predicate in sorted(edges):
        if predicate.startswith(SH) and predicate[len(SH) :] not in _SUPPORTED:
            raise UnsupportedShape(
                f"shape {_show(shape)} uses sh:{predicate[len(SH) :]}, which kg.shapecheck does not "
                f"implement (it supports sh:targetClass, sh:targetSubjectsOf and "
                f"{', '.join('sh:' + c for c in _CONSTRAINTS)}); validating would skip that constraint"
            )
    for severity in edges.get(SH + "severity", []):
        if severity != _sh("Violation"):
            raise UnsupportedShape(f"shape {_show(shape)}: only sh:severity sh:Violation is supported")
    if triples.one(shape, SH + "path") is not None and edges.get(SH + "property"):
        raise UnsupportedShape(f"shape {_show(shape)}: sh:property inside a property shape is not supported")
    for kind in edges.get(RDF + "type", []):
        if kind in (ox.NamedNode(RDFS + "Class"), ox.NamedNode("http://www.w3.org/2002/07/owl#Class")):
            raise UnsupportedShape(
                f"shape {_show(shape)} is also a class (implicit class target): not supported"
            )
    for flag in edges.get(SH + "uniqueLang", []):
        if not isinstance(flag, ox.Literal) or flag.value not in ("true", "false", "1", "0"):
            raise UnsupportedShape(f"shape {_show(shape)}: sh:uniqueLang must be true or false")


class Rdfs:
    """RDFS entailment written into the queries with property paths over the schema in the data.

    Complete for any schema, and the reference `Schema` is tested against, but each class pattern
    joins over every triple of the data, so it is slow on big data.
    """

    def subproperty(self, var: str, prop: Term) -> str:
        """`var` is `prop` or one of its subproperties (`var rdfs:subPropertyOf* prop`).

        Oxigraph evaluates a zero-length path only for terms that occur as nodes of the graph, and a
        property such as dcterms:source occurs only as a predicate; so the zero-length case is a BIND.
        """
        return f"{{ BIND({prop} AS {var}) }} UNION {{ {var} rdfs:subPropertyOf+ {prop} }}"

    def instance(self, node: str, cls: Term, tag: str) -> str:
        """A group pattern: `node` is an instance of the class `cls` in the RDFS closure of the data.

        Typed directly (`rdf:type` some subclass of `cls`), or through the domain or range of a
        property (or of a property it is a subproperty of). `tag` keeps the helper variables of two
        such patterns in one query apart.
        """
        c, d, p, o = f"?_c{tag}", f"?_d{tag}", f"?_p{tag}", f"?_o{tag}"
        subclass = f"{{ BIND({cls} AS {c}) }} UNION {{ {c} rdfs:subClassOf+ {cls} }}"
        # `d` is bound by the join, so its zero-length case is written out rather than BIND (which
        # would see `d` unbound inside its own group).
        subject = f"{{ {node} {d} {o} }} UNION {{ {p} rdfs:subPropertyOf+ {d} . {node} {p} {o} }}"
        object_ = f"{{ {o} {d} {node} }} UNION {{ {p} rdfs:subPropertyOf+ {d} . {o} {p} {node} }}"
        return (
            f"{{ {subclass} {node} rdf:type {c} }}"
            f" UNION {{ {subclass} {d} rdfs:domain {c} ."
            f" {subject} }}"
            f" UNION {{ {subclass} {d} rdfs:range {c} ."
            f" {object_} }}"
        )


class Schema(Rdfs):
    """The same entailment, with the schema looked up first: a class becomes the VALUES list of its
    subclasses, and of the properties whose domain or range is one of them (with their subproperties).

    The schema is small, so these lookups are cheap, and the data queries then start from an index
    lookup per listed term instead of a scan. A schema term that is a blank node cannot be written
    into a query; the class or property falls back to the property-path pattern of `Rdfs`.
    """

    def __init__(self, store: ox.Store, graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]) -> None:
        self._store = store
        self._graphs = graphs

    def _terms(self, where: str) -> set[Term]:
        solutions = self._store.query(
            _PREFIXES + f"SELECT DISTINCT ?x WHERE {{ {where} }}", default_graph=self._graphs
        )
        assert isinstance(solutions, ox.QuerySolutions)
        return {row["x"] for row in solutions if row["x"] is not None}

    def _subproperties(self, props: Iterable[Term]) -> set[Term]:
        found = set(props)
        for prop in list(found):
            if isinstance(prop, ox.NamedNode):
                found |= self._terms(f"?x rdfs:subPropertyOf+ {prop}")
        return found

    def subproperty(self, var: str, prop: Term) -> str:
        props = self._subproperties([prop])
        if not _writable(props):
            return super().subproperty(var, prop)
        return f"VALUES {var} {{ {' '.join(sorted(map(str, props)))} }}"

    def instance(self, node: str, cls: Term, tag: str) -> str:
        classes = {cls} | self._terms(f"?x rdfs:subClassOf+ {cls}")
        listed = " ".join(sorted(map(str, classes)))
        by_domain = self._terms(f"VALUES ?c {{ {listed} }} ?x rdfs:domain ?c")
        by_range = self._terms(f"VALUES ?c {{ {listed} }} ?x rdfs:range ?c")
        by_domain, by_range = self._subproperties(by_domain), self._subproperties(by_range)
        if not _writable(classes | by_domain | by_range):
            return super().instance(node, cls, tag)
        c, p, o = f"?_c{tag}", f"?_p{tag}", f"?_o{tag}"
        branches = [f"{{ VALUES {c} {{ {listed} }} {node} rdf:type {c} }}"]
        if by_domain:
            branches.append(f"{{ VALUES {p} {{ {' '.join(sorted(map(str, by_domain)))} }} {node} {p} {o} }}")
        if by_range:
            branches.append(f"{{ VALUES {p} {{ {' '.join(sorted(map(str, by_range)))} }} {o} {p} {node} }}")
        return " UNION ".join(branches)


def _writable(terms: Iterable[Term]) -> bool:
    """Whether all terms can be written into a query (a blank node there would be a variable)."""
    return all(isinstance(t, ox.NamedNode) for t in terms)


def _targets(triples: _Triples, shape: Term, rdfs: Rdfs) -> str:
    """A subquery binding ?focus to each focus node of `shape` once."""
    branches = [rdfs.instance("?focus", c, "t") for c in triples.objects(shape, SH + "targetClass")]
    branches += [
        f"{{ {rdfs.subproperty('?_tp', p)} ?focus ?_tp ?_to }}"
        for p in triples.objects(shape, SH + "targetSubjectsOf")
    ]
    return "{ SELECT DISTINCT ?focus WHERE { " + " UNION ".join(f"{{ {b} }}" for b in branches) + " } }"


class _Focus:
    """How the queries get a node shape's focus nodes and test a value's class."""

    rdfs: Rdfs

    def targets(self, triples: _Triples, shape: Term) -> str:
        """A group pattern binding ?focus to each focus node of `shape` once."""
        raise NotImplementedError

    def not_member(self, cls: ox.NamedNode) -> str:
        """A clause keeping the solutions whose ?value is a literal or no instance of `cls`."""
        raise NotImplementedError


class _Inline(_Focus):
    """Everything computed in each query (`compile_shapes`)."""

    def __init__(self, rdfs: Rdfs) -> None:
        self.rdfs = rdfs

    def targets(self, triples: _Triples, shape: Term) -> str:
        return _targets(triples, shape, self.rdfs)

    def not_member(self, cls: ox.NamedNode) -> str:
        return f"FILTER(isLiteral(?value) || NOT EXISTS {{ {self.rdfs.instance('?value', cls, 'c')} }})"


_MEMBER = ox.NamedNode("urn:kg:shapecheck:member")
_FOCUS_OF = ox.NamedNode("urn:kg:shapecheck:focus")


class _Scratch(_Focus):
    """Class instances and focus sets computed once into a scratch graph (`compile_plan`)."""

    def __init__(self, rdfs: Rdfs, scratch: ox.NamedNode, graphs: list[ox.NamedNode]) -> None:
        self.rdfs = rdfs
        self._scratch = scratch
        self._using = " ".join(f"USING {g}" for g in graphs) + f" USING NAMED {scratch}"
        self._classes: dict[ox.NamedNode, str] = {}
        self._shapes: list[str] = []

    def fills(self) -> list[str]:
        """Class members first: the focus fills read them."""
        return [*self._classes.values(), *self._shapes]

    def _insert(self, template: str, where: str) -> str:
        return (
            _PREFIXES
            + f"INSERT {{ GRAPH {self._scratch} {{ {template} }} }} {self._using} WHERE {{ {where} }}"
        )

    def _members(self, cls: Term) -> str:
        if not isinstance(cls, ox.NamedNode):
            raise UnsupportedShape(f"sh:targetClass {_show(cls)} is not an IRI")
        if cls not in self._classes:
            self._classes[cls] = self._insert(f"{cls} {_MEMBER} ?x", self.rdfs.instance("?x", cls, "m"))
        return f"GRAPH {self._scratch} {{ {cls} {_MEMBER} ?focus }}"

    def targets(self, triples: _Triples, shape: Term) -> str:
        classes = triples.objects(shape, SH + "targetClass")
        subjects_of = triples.objects(shape, SH + "targetSubjectsOf")
        branches = [self._members(c) for c in classes]
        if len(branches) == 1 and not subjects_of:
            return branches[0]
        branches += [f"{self.rdfs.subproperty('?_tp', p)} ?focus ?_tp ?_to" for p in subjects_of]
        key = ox.NamedNode(f"urn:kg:shapecheck:shape:{len(self._shapes)}")
        self._shapes.append(
            self._insert(f"{key} {_FOCUS_OF} ?focus", " UNION ".join(f"{{ {b} }}" for b in branches))
        )
        return f"GRAPH {self._scratch} {{ {key} {_FOCUS_OF} ?focus }}"

    def not_member(self, cls: ox.NamedNode) -> str:
        """MINUS, not FILTER NOT EXISTS: Oxigraph evaluates MINUS as one hash anti-join, but NOT
        EXISTS by scanning the class's members for every solution (quadratic: 5 s at 1M triples)."""
        members = self._members(cls).replace("?focus", "?value")
        return f"MINUS {{ {members} FILTER(!isLiteral(?value)) }}"


@dataclass(frozen=True)
class _Path:
    shown: str
    pattern: str  # binds ?value from ?focus


def _path(triples: _Triples, shape: Term, path: Term, rdfs: Rdfs) -> _Path:
    if isinstance(path, ox.NamedNode):
        return _Path(shorten(path.value), f"{rdfs.subproperty('?_vp', path)} ?focus ?_vp ?value .")
    inverse = triples.one(path, SH + "inversePath")
    if isinstance(path, ox.BlankNode) and isinstance(inverse, ox.NamedNode) and len(triples.index[path]) == 1:
        return _Path(
            "^" + shorten(inverse.value),
            f"{rdfs.subproperty('?_vp', inverse)} ?value ?_vp ?focus .",
        )
    raise UnsupportedShape(
        f"shape {_show(shape)}: only an IRI or [ sh:inversePath IRI ] is supported as sh:path"
    )


#: Stand-ins in default messages for the focus and value nodes of each result (never in a sh:message).
_FOCUS, _VALUE = "\x00focus\x00", "\x00value\x00"

_PREFIXES = f"PREFIX rdf: <{RDF}> PREFIX rdfs: <{RDFS}> PREFIX xsd: <{XSD}>\n"


def _constraints(
    triples: _Triples, shape: Term, targets: str, path: _Path | None, focus: _Focus
) -> list[Query]:
    """The queries for the constraints `shape` itself states (a node shape: path None, value = focus)."""
    messages = sorted(m.value for m in triples.objects(shape, SH + "message") if isinstance(m, ox.Literal))
    values = path.pattern if path else "BIND(?focus AS ?value)"
    shown = path.shown if path else "(node)"
    queries = []
    for component in _CONSTRAINTS:
        for param in triples.objects(shape, SH + component):
            body, default = _compile(triples, component, param, targets, values, shown, focus)
            if body is None:
                continue
            queries.append(
                Query(_show(shape), component, shown, messages[0] if messages else default, _PREFIXES + body)
            )
    return queries


def _per_value(targets: str, values: str, violated: str) -> str:
    return f"SELECT DISTINCT ?focus ?value WHERE {{ {targets} {values} FILTER({violated}) }}"


def _compile(
    triples: _Triples, component: str, param: Term, targets: str, values: str, shown: str, focus: _Focus
) -> tuple[str | None, str]:
    """(SPARQL selecting one row per result, pyshacl's default message) for one constraint."""
    name = _show(param)
    if component == "nodeKind":
        kind = (
            param.value[len(SH) :] if isinstance(param, ox.NamedNode) and param.value.startswith(SH) else ""
        )
        if kind not in _NODE_KINDS:
            raise UnsupportedShape(f"unknown sh:nodeKind {name}")
        return _per_value(targets, values, f"!({_NODE_KINDS[kind]})"), f"Value is not of Node Kind {name}"
    if component == "pattern":
        regex = ox.Literal(_literal(param, component))
        return (
            _per_value(targets, values, f"!COALESCE(REGEX(STR(?value), {regex}), false)"),
            f"Value does not match pattern '{regex.value}'",
        )
    if component == "datatype":
        if not isinstance(param, ox.NamedNode):
            raise UnsupportedShape(f"sh:datatype {name} is not an IRI")
        test = f"isLiteral(?value) && DATATYPE(?value) = {param}"
        if param.value in _CASTABLE:
            test += f" && COALESCE(STRLEN(STR({param}(?value))) >= 0, false)"
        return _per_value(
            targets, values, f"!COALESCE({test}, false)"
        ), f"Value is not Literal with datatype {name}"
    if component == "languageIn":
        tags = [_literal(t, component) for t in triples.items(param)]
        test = " || ".join(f"langMatches(LANG(?value), {ox.Literal(t)})" for t in tags) or "false"
        listed = " ".join(f'Literal("{t}")' for t in tags)
        return _per_value(
            targets, values, f"!COALESCE({test}, false)"
        ), f"String language is not in ( {listed} )"
    if component == "uniqueLang":
        if isinstance(param, ox.Literal) and param.value in ("false", "0"):
            return None, ""
        return (
            f"SELECT ?focus WHERE {{ {targets} {values} FILTER(isLiteral(?value) && LANG(?value) != '')"
            " BIND(LCASE(LANG(?value)) AS ?lang) } GROUP BY ?focus ?lang HAVING (COUNT(DISTINCT ?value) > 1)",
            "More than one String shares the same Language",
        )
    if component in ("minCount", "maxCount"):
        limit = int(_literal(param, component))
        if component == "minCount":
            default = f"Less than {limit} values on {_FOCUS}->{shown}"
            if limit <= 0:
                return None, default
            if limit == 1:
                return f"SELECT ?focus WHERE {{ {targets} FILTER NOT EXISTS {{ {values} }} }}", default
            return (
                f"SELECT ?focus WHERE {{ {targets} OPTIONAL {{ {values} }} }}"
                f" GROUP BY ?focus HAVING (COUNT(DISTINCT ?value) < {limit})"
            ), default
        return (
            f"SELECT ?focus WHERE {{ {targets} {values} }}"
            f" GROUP BY ?focus HAVING (COUNT(DISTINCT ?value) > {limit})",
            f"More than {limit} values on {_FOCUS}->{shown}",
        )
    if component == "class":
        if not isinstance(param, ox.NamedNode):
            raise UnsupportedShape(f"sh:class {name} is not an IRI")
        return (
            f"SELECT DISTINCT ?focus ?value WHERE {{ {targets} {values} {focus.not_member(param)} }}",
            f"Value does not have class {name}",
        )
    if component == "in":
        members = triples.items(param)
        test = " || ".join(f"sameTerm(?value, {m})" for m in members) or "false"
        listed = ", ".join(repr(_show(m) if isinstance(m, ox.NamedNode) else _n3(m)) for m in members)
        return _per_value(targets, values, f"!({test})"), f"Value {_VALUE} not in list [{listed}]"
    if component == "minInclusive":
        if not isinstance(param, ox.Literal):
            raise UnsupportedShape(f"sh:minInclusive {name} is not a literal")
        return _per_value(
            targets, values, f"!COALESCE(?value >= {param}, false)"
        ), f"Value is not >= {_n3(param)}"
    if component == "minLength":
        length = int(_literal(param, component))
        return (
            _per_value(
                targets, values, f"isBlank(?value) || !COALESCE(STRLEN(STR(?value)) >= {length}, false)"
            ),
            f"String length not >= {_n3(param)}",
        )
    raise AssertionError(component)  # _CONSTRAINTS and this function list the same components


def _literal(term: Term, component: str) -> str:
    if not isinstance(term, ox.Literal):
        raise UnsupportedShape(f"sh:{component} {_show(term)} must be a literal")
    return term.value


def _n3(term: Term | None) -> str:
    """A node as pyshacl's default messages print one: `<iri>`, `Literal("1", datatype=xsd:integer)`."""
    if isinstance(term, ox.Literal):
        if term.language:
            return f'Literal("{term.value}", lang="{term.language}")'
        if term.datatype.value != XSD + "string":
            return f'Literal("{term.value}", datatype={shorten(term.datatype.value)})'
        return f'Literal("{term.value}")'
    return str(term) if term is not None else "?"


def _show(term: Term | None) -> str:
    """A term as `validate` prints one: a CURIE when a known prefix fits, else N-Triples."""
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term) if term is not None else "?"

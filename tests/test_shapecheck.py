"""kg.shapecheck gives pyshacl's violations (validate.validate, inference="rdfs"), one for one.

Each test validates the same files both ways and compares the multisets of (files, focus, path,
message). Blank nodes are named differently by rdflib and Oxigraph, and pyshacl's report names an
inverse path by a blank node, so those two are normalised before comparing (see `_key`).
"""

from __future__ import annotations

import ast
import textwrap
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.namespace import SH

from kg import shapecheck, validate
from kg.loader import load_file
from kg.namespaces import shorten
from kg.sources import Source, data_dir, discover, parse_turtle, shapes_path, user_graph

ONTOLOGY = data_dir("ontology")
PREFIXES = """\
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix ex: <http://example.org/> .
@prefix pkg: <https://w3id.org/pharma-kg/id/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

#: User data breaking every constraint component shapes.ttl uses, next to the domain data.
BAD_DATA = """\
pkg:NoLabel a pkg:Product ; dcterms:source ex:src .                                   # minCount
pkg:TwoLabels a pkg:Product ; skos:prefLabel "A"@en, "B"@EN ; dcterms:source ex:src .  # uniqueLang
pkg:German a pkg:Product ; skos:prefLabel "Produkt"@de ; dcterms:source ex:src .      # languageIn
pkg:British a pkg:Product ; skos:prefLabel "Colour"@en-GB ; dcterms:source ex:src .   # en-GB is en
pkg:Plain a pkg:Product ; skos:prefLabel "Plain" ; dcterms:source ex:src .            # datatype
pkg:LiteralSource a pkg:Product ; skos:prefLabel "L"@en ; dcterms:source "a book" .   # nodeKind
<https://example.org/not-pkg> a pkg:Product ; skos:prefLabel "N"@en ; dcterms:source ex:src .  # pattern
pkg:Bad_local.name a pkg:Product ; skos:prefLabel "D"@en ; dcterms:source ex:src ;
  skos:definition "one"@en, "zwei"@de .                                                # definition
ex:acme pkg:playsRole pkg:Sponsor ; skos:prefLabel "Acme"@en ; dcterms:source ex:src . # in
pkg:Stage0 a pkg:DevelopmentStage ; skos:prefLabel "S0"@en ; dcterms:source ex:src ;
  pkg:stageOrder 0 .                                                                   # minInclusive
pkg:StageTwice a pkg:DevelopmentStage ; skos:prefLabel "S2"@en ; dcterms:source ex:src ;
  pkg:stageOrder 7, 8 ; pkg:immediatelyPrecedes pkg:Stage0, pkg:StageTwice .           # maxCount
pkg:StageText a pkg:DevelopmentStage ; skos:prefLabel "ST"@en ; dcterms:source ex:src ;
  pkg:stageOrder "3", "x"^^xsd:integer .                                               # ill-typed
pkg:HandOverByDomain pkg:handedOverBy pkg:CRO .                      # typed by rdfs:domain only
pkg:Resp1 a pkg:ResearchResponsibility ; skos:prefLabel "R1"@en ;    # a subclass instance,
  dcterms:source ex:src ; pkg:produces "a text" .                    # sh:class on a literal, ^path
ex:cro2 a pkg:ContractResearchOrganisation ; skos:prefLabel "C"@en, "K"@en .  # subclass target
pkg:Collab1 a pkg:Collaboration ; skos:prefLabel "C1"@en ; dcterms:source ex:src ;
  pkg:hasParticipant ex:acme .                                                         # minCount 2
<https://example.org/passage> a pkg:SourcePassage ; pkg:quotation "" .                 # minLength
[] a pkg:SourcePassage ; rdfs:label "blank" ; dcterms:isPartOf ex:doc ; pkg:quotation "q" .  # (node)
[] rdf:subject "not an IRI" ; rdf:predicate skos:prefLabel ; rdf:object "x" .          # targetSubjectsOf
[] a rdf:Statement ; rdf:subject pkg:CRO ; rdf:predicate skos:prefLabel ; rdf:object "y" ;
  dcterms:source ex:src .
"""


def _write(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(PREFIXES + textwrap.dedent(body), encoding="utf-8")
    return path


def _inverse_paths(shapes: Path) -> dict[str, str]:
    """sh:message → `^pkg:p` for the property shapes with an inverse path (read with rdflib)."""
    graph = parse_turtle(shapes)
    found = {}
    for shape, path in graph.subject_objects(SH.path):
        inverse = graph.value(path, SH.inversePath)
        if inverse is not None:
            found[str(graph.value(shape, SH.message))] = "^" + shorten(str(inverse))
    return found


def _key(v: validate.Violation, inverse: dict[str, str]) -> tuple[tuple[str, ...], str, str, str]:
    focus = "_:blank" if v.focus.startswith("_:") else v.focus
    path = inverse.get(v.message, v.path) if v.path.startswith("_:") else v.path
    message = v.message
    if " not in list [" in message:  # pyshacl lists sh:in in set order, which varies from run to run
        head, _, listed = message.partition(" not in list ")
        message = f"{head} not in list {sorted(ast.literal_eval(listed))}"
    return v.files, focus, path, message


def _both(sources: list[Source], shapes: Path) -> tuple[Counter, Counter]:
    """(pyshacl's, shapecheck's) violations of these sources, as comparable multisets."""
    inverse = _inverse_paths(shapes)
    old = validate.validate({s.path: parse_turtle(s.path) for s in sources}, parse_turtle(shapes))
    store = ox.Store()
    for source in sources:
        load_file(store, source)
    new = shapecheck.check(store, {s.graph: s.path for s in sources}, shapes)
    return Counter(_key(v, inverse) for v in old), Counter(_key(v, inverse) for v in new)


def test_domain_data_conforms_both_ways():
    old, new = _both(discover(ONTOLOGY), shapes_path(ONTOLOGY))
    assert old == new == Counter()


@pytest.fixture(scope="module")
def bad_user_data(tmp_path_factory) -> list[Source]:
    path = _write(tmp_path_factory.mktemp("bad"), "bad.ttl", BAD_DATA)
    return discover(ONTOLOGY, (path,))


def test_bad_data_gives_pyshacls_violations(bad_user_data):
    old, new = _both(bad_user_data, shapes_path(ONTOLOGY))
    assert new == old
    assert sum(old.values()) > 40


def test_bad_data_exercises_every_component(bad_user_data):
    """Each compiled constraint kind finds something in BAD_DATA, so the comparison above covers it."""
    store = ox.Store()
    for source in bad_user_data:
        load_file(store, source)
    graphs: list = [ox.NamedNode(s.graph) for s in bad_user_data]
    hits: Counter = Counter()
    for query in shapecheck.compile_shapes(shapes_path(ONTOLOGY), shapecheck.Schema(store, graphs)):
        hits[query.component] += len(list(store.query(query.sparql, default_graph=graphs)))  # type: ignore[arg-type]
    assert set(hits) == set(shapecheck._CONSTRAINTS)
    assert all(hits.values()), hits


def test_violations_are_attributed_to_files(bad_user_data):
    store = ox.Store()
    for source in bad_user_data:
        load_file(store, source)
    found = shapecheck.check(store, {s.graph: s.path for s in bad_user_data}, shapes_path(ONTOLOGY))
    user = str(bad_user_data[-1].path)
    by_focus = {v.focus: v for v in found}
    assert by_focus["pkg:NoLabel"].files == (user,)
    assert by_focus["pkg:NoLabel"].path == "skos:prefLabel"
    assert by_focus['"a text"'].files == ()  # a literal typed by rdfs:range: no file states it
    assert str(by_focus["pkg:NoLabel"]).startswith(f"{user}: pkg:NoLabel skos:prefLabel: A resource needs")


# --- a small ontology: RDFS entailment in targets, paths and sh:class ------------------------------

VOCAB = """\
ex:Special rdfs:subClassOf ex:Thing .
ex:Gadget rdfs:subClassOf ex:Special .
ex:made rdfs:domain ex:Gadget .
ex:madeBy rdfs:range ex:Maker .
ex:mainPart rdfs:subPropertyOf ex:part .
ex:firstPart rdfs:subPropertyOf ex:mainPart .
ex:Maker rdfs:subClassOf ex:Agent .
ex:knownBy rdfs:subPropertyOf ex:tag .
"""
SHAPES = """\
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ;
  sh:property [ sh:path ex:part ; sh:minCount 2 ; sh:maxCount 3 ; sh:class ex:Agent ;
                sh:message "parts: 2-3 agents"@en ] ,
              [ sh:path ex:size ; sh:minInclusive 10 ; sh:datatype xsd:integer ] ,
              [ sh:path ex:code ; sh:minLength 3 ; sh:pattern "^[A-Z]+$" ; sh:in ( "ABC" "XYZ" ) ] ,
              [ sh:path [ sh:inversePath ex:owns ] ; sh:maxCount 1 ; sh:message "one owner"@en ] .
ex:StatementShape a sh:NodeShape ; sh:targetClass rdf:Statement ;
  sh:property [ sh:path ex:why ; sh:minCount 1 ; sh:message "a statement says why"@en ] .
ex:TagShape a sh:NodeShape ; sh:targetSubjectsOf ex:tag ; sh:nodeKind sh:IRI ;
  sh:property [ sh:path ex:tag ; sh:nodeKind sh:Literal ; sh:languageIn ( "en" "fr" ) ; sh:uniqueLang true ] .
"""
DATA = """\
ex:g1 a ex:Gadget ; ex:part ex:m1 .                      # a sub-subclass instance; one part
ex:m1 a ex:Maker .
ex:g3 a ex:Thing ; ex:firstPart "p1", "p2" ; ex:part "p3", "p4" .   # a sub-subproperty: 4 parts
ex:x ex:madeBy ex:m2 .                                   # ex:m2 is a Maker by range, so an Agent
ex:g2 ex:made "yes" ; ex:mainPart ex:m2, ex:nobody, "text" ;   # a Gadget by domain; subproperty values
  ex:size 5, 12, "big" ; ex:code "AB", "abc", "XYZ" .
ex:a1 ex:owns ex:g2 . ex:a2 ex:owns ex:g2 .
ex:t1 ex:knownBy "hello"@en, "salut"@fr, "hi"@EN, "hallo"@de, ex:iri .   # targetSubjectsOf via subproperty
_:t2 ex:tag "x"@en .
ex:st rdf:object ex:g1 .                                 # an rdf:Statement only by the RDFS axioms
"""


@pytest.fixture
def small(tmp_path) -> tuple[list[Source], Path]:
    shapes = _write(tmp_path, "shapes.ttl", SHAPES)
    vocab = _write(tmp_path, "vocab.ttl", VOCAB)
    data = _write(tmp_path, "data.ttl", DATA)
    return [Source(vocab, user_graph("vocab")), Source(data, user_graph("data"))], shapes


def test_rdfs_entailment_matches_pyshacl(small):
    sources, shapes = small
    old, new = _both(sources, shapes)
    assert new == old
    focus = {k[1] for k in old}
    assert {"http://example.org/g1", "http://example.org/g2", "http://example.org/t1", "_:blank"} <= focus
    messages = {k[3] for k in old}
    assert {"parts: 2-3 agents", "one owner"} <= messages
    assert "a statement says why" not in messages  # pyshacl's closure has no RDFS axiomatic triples


def test_the_generic_property_path_compilation_agrees(small):
    """`Rdfs` (property paths, no schema lookup) is the reference for `Schema`'s VALUES lists."""
    sources, shapes = small
    store = ox.Store()
    for source in sources:
        load_file(store, source)
    graphs: list = [ox.NamedNode(s.graph) for s in sources]

    def rows(rdfs: shapecheck.Rdfs) -> Counter:
        found: Counter = Counter()
        for query in shapecheck.compile_shapes(shapes, rdfs):
            for row in store.query(query.sparql, default_graph=graphs):  # type: ignore[union-attr]
                found[(query.component, query.path, query.message, str(row["focus"]))] += 1
        return found

    assert rows(shapecheck.Rdfs()) == rows(shapecheck.Schema(store, graphs))


@pytest.mark.parametrize("schema", [False, True])
def test_the_scratch_graph_plan_agrees_with_the_inline_queries(small, bad_user_data, schema):
    """`compile_plan` (focus sets and class members filled once into a scratch graph, what `check`
    runs) gives the rows of `compile_shapes` (each query computing them itself), query for query,
    with the property-path RDFS fills and with the schema's VALUES lists."""
    for sources, shapes in (small, (bad_user_data, shapes_path(ONTOLOGY))):
        store = ox.Store()
        for source in sources:
            load_file(store, source)
        graphs: list = [ox.NamedNode(s.graph) for s in sources]
        inline = shapecheck.compile_shapes(shapes)
        scratch = ox.NamedNode("urn:test:scratch")
        rdfs = shapecheck.Schema(store, graphs) if schema else shapecheck.Rdfs()
        plan = shapecheck.compile_plan(shapes, rdfs, scratch, graphs)
        assert plan.fills and len(plan.queries) == len(inline)
        for fill in plan.fills:
            store.update(fill)
        for old, new in zip(inline, plan.queries, strict=True):
            assert (old.component, old.path, old.message) == (new.component, new.path, new.message)
            want = Counter(map(str, store.query(old.sparql, default_graph=graphs)))  # type: ignore[arg-type]
            got = Counter(map(str, store.query(new.sparql, default_graph=graphs, named_graphs=[scratch])))  # type: ignore[arg-type]
            assert got == want, (new.shape, new.component, new.path)


def _graphs(store: ox.Store) -> tuple[set, int]:
    return set(store.named_graphs()), len(store)


def test_check_leaves_no_scratch_graph(bad_user_data):
    store = ox.Store()
    for source in bad_user_data:
        load_file(store, source)
    before = _graphs(store)
    found = shapecheck.check(store, {s.graph: s.path for s in bad_user_data}, shapes_path(ONTOLOGY))
    assert found and _graphs(store) == before
    assert not any("urn:" in str(v) for v in found)


def test_the_scratch_graph_is_removed_on_error(bad_user_data, monkeypatch):
    store = ox.Store()
    for source in bad_user_data:
        load_file(store, source)
    before = _graphs(store)
    compile_plan = shapecheck.compile_plan

    def broken(*args, **kwargs):  # the first fill runs, the second one fails
        plan = compile_plan(*args, **kwargs)
        return shapecheck.Plan(plan.scratch, [plan.fills[0], "INSERT nonsense"], plan.queries)

    monkeypatch.setattr(shapecheck, "compile_plan", broken)
    with pytest.raises(SyntaxError):
        shapecheck.check(store, {s.graph: s.path for s in bad_user_data}, shapes_path(ONTOLOGY))
    assert _graphs(store) == before


def test_no_graphs_no_violations(small):
    _, shapes = small
    assert shapecheck.check(ox.Store(), {}, shapes) == []


@pytest.mark.parametrize(
    ("constraint", "named"),
    [
        ("sh:maxLength 3", "sh:maxLength"),
        ("sh:node ex:Other", "sh:node"),
        ("sh:closed true", "sh:closed"),
        ("sh:targetNode ex:a", "sh:targetNode"),
        ("sh:or ( [ sh:class ex:A ] [ sh:class ex:B ] )", "sh:or"),
        ("sh:pattern 'a' ; sh:flags 'i'", "sh:flags"),
        ("sh:severity sh:Warning", "sh:severity sh:Violation"),
    ],
)
def test_an_unsupported_component_is_an_error_not_a_skipped_constraint(tmp_path, constraint, named):
    shapes = _write(tmp_path, "shapes.ttl", f"ex:S a sh:NodeShape ; sh:targetClass ex:T ; {constraint} .\n")
    with pytest.raises(shapecheck.UnsupportedShape, match=named):
        shapecheck.compile_shapes(shapes)


@pytest.mark.parametrize(
    "path", ["( ex:a ex:b )", "[ sh:zeroOrMorePath ex:a ]", "[ sh:alternativePath ( ex:a ex:b ) ]"]
)
def test_an_unsupported_path_is_an_error(tmp_path, path):
    shapes = _write(
        tmp_path,
        "shapes.ttl",
        f"ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:property [ sh:path {path} ; sh:minCount 1 ] .\n",
    )
    with pytest.raises(shapecheck.UnsupportedShape, match="sh:path"):
        shapecheck.compile_shapes(shapes)


def test_the_packaged_shapes_compile():
    queries = shapecheck.compile_shapes(shapes_path(ONTOLOGY))
    assert {q.component for q in queries} == set(shapecheck._CONSTRAINTS)

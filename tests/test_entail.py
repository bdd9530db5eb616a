"""`entail.infer` (compiled rules in Oxigraph) gives exactly `reason.closure`'s inferred graph (owlrl).

owlrl stays the reference: every test reasons over the same asserted graphs both ways and compares the
sets of triples, or checks that both report the same inconsistency.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox
import pytest
import rdflib

from kg import reason
from kg.entail import SCRATCH, InferenceStats, infer
from kg.errors import InconsistentGraph
from kg.namespaces import PROVENANCE_GRAPH
from kg.sources import discover, parse_turtle
from kg.terms import to_ox

INFERRED = "urn:test:inferred"
OTHER = "urn:test:other"  # a graph of the store that is not asserted: never read, never written
PREFIXES = """\
@prefix pkg: <https://w3id.org/pharma-kg/id/> .
@prefix ex: <https://example.org/test/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
"""
PKG = "https://w3id.org/pharma-kg/id/"
EX = "https://example.org/test/"

ROOT = Path(__file__).resolve().parents[1]

Triples = set[tuple[ox.NamedNode | ox.BlankNode | ox.Literal, ...]]


@pytest.fixture
def userdata(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """`bench.userdata`; `bench/` is a top-level folder, not part of the installed package."""
    monkeypatch.syspath_prepend(str(ROOT))
    import bench.userdata

    return bench.userdata


def _domain() -> dict[str, rdflib.Graph]:
    """The asserted graphs as build.py forms them: every ontology file but shapes and provenance."""
    return {s.graph: parse_turtle(s.path) for s in discover() if s.graph != PROVENANCE_GRAPH}


DOMAIN = _domain()


def _with(**files: str) -> dict[str, rdflib.Graph]:
    """The domain graphs plus user files given as Turtle bodies (prefixes added), one graph each."""
    graphs = dict(DOMAIN)
    for name, body in files.items():
        graphs[f"urn:test:user:{name}"] = rdflib.Graph().parse(data=PREFIXES + body, format="turtle")
    return graphs


def _from_files(paths: list[Path]) -> dict[str, rdflib.Graph]:
    graphs = dict(DOMAIN)
    for path in paths:
        graphs[f"urn:test:user:{path.stem}"] = rdflib.Graph().parse(path, format="turtle")
    return graphs


def _as_set(graph: rdflib.Graph) -> Triples:
    return {(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in graph}


def _reference(graphs: dict[str, rdflib.Graph]) -> Triples:
    union = rdflib.Graph()
    for graph in graphs.values():
        union += graph
    return _as_set(reason.closure(union))


def _store(graphs: dict[str, rdflib.Graph]) -> ox.Store:
    store = ox.Store()
    for name, graph in graphs.items():
        g = ox.NamedNode(name)
        store.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), g) for s, p, o in graph)  # type: ignore[arg-type]
    other = ox.NamedNode(OTHER)  # would classify ex:Stranger a CRO if it were read
    store.add(
        ox.Quad(
            ox.NamedNode(EX + "Stranger"), ox.NamedNode(PKG + "playsRole"), ox.NamedNode(PKG + "CRO"), other
        )
    )
    return store


def _infer(graphs: dict[str, rdflib.Graph]) -> tuple[Triples, InferenceStats, ox.Store]:
    store = _store(graphs)
    before = {
        name: len(list(store.quads_for_pattern(None, None, None, ox.NamedNode(name)))) for name in graphs
    }
    stats = infer(store, list(graphs), INFERRED)
    after = {
        name: len(list(store.quads_for_pattern(None, None, None, ox.NamedNode(name)))) for name in graphs
    }
    assert before == after, "asserted graphs must not change"
    _assert_clean(store, graphs)
    got = {
        (q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED))
    }
    return got, stats, store  # type: ignore[return-value]


def _assert_clean(store: ox.Store, graphs: dict[str, rdflib.Graph]) -> None:
    names = {g.value for g in store.named_graphs()}  # type: ignore[union-attr]
    assert not [n for n in names if n.startswith(SCRATCH)], "scratch graphs left behind"
    assert names <= {*graphs, INFERRED, OTHER}
    assert len(list(store.quads_for_pattern(None, None, None, ox.NamedNode(OTHER)))) == 1


def _assert_same(graphs: dict[str, rdflib.Graph]) -> tuple[Triples, InferenceStats]:
    expected = _reference(graphs)
    got, stats, _ = _infer(graphs)
    missing, extra = expected - got, got - expected
    assert not missing and not extra, (
        f"missing {sorted(map(str, missing))[:10]}, extra {sorted(map(str, extra))[:10]}"
    )
    return got, stats


def _triple(s: str, p: str, o: str) -> tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode]:
    def term(text: str) -> ox.NamedNode:
        prefix, _, local = text.partition(":")
        return ox.NamedNode(
            {"pkg": PKG, "ex": EX, "skos": "http://www.w3.org/2004/02/skos/core#"}[prefix] + local
        )

    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    return term(s), rdf_type if p == "a" else term(p), term(o)


def test_domain_graph_is_identical_to_owlrl():
    rounds: list[tuple[int, int]] = []
    expected = _reference(DOMAIN)
    store = _store(DOMAIN)
    stats = infer(store, list(DOMAIN), INFERRED, on_round=lambda r, n: rounds.append((r, n)))
    got = {
        (q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED))
    }
    assert got == expected
    assert stats.fallback is None and stats.inferred == len(expected) and stats.rounds == len(rounds)
    assert [r for r, _ in rounds] == list(range(1, len(rounds) + 1)) and rounds[-1][1] == 0
    assert len(rounds) > 2  # chains and transitive order need several rounds: the semi-naive part ran
    _assert_clean(store, DOMAIN)
    assert _triple("pkg:ExampleResearchCompany", "a", "pkg:ContractResearchOrganisation") in got
    assert _triple("ex:Stranger", "a", "pkg:ContractResearchOrganisation") not in got


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_user_data_is_identical_to_owlrl(userdata, tmp_path, seed):
    graphs = _from_files(userdata.write_userdata(tmp_path, 900, seed))
    got, stats = _assert_same(graphs)
    assert stats.fallback is None
    # each kind of entailment the generator sets up is there
    for triple in [
        ("pkg:UserStage0_1", "pkg:precedes", "pkg:UserStage0_6"),  # spo1 + transitive
        ("pkg:UserStage0_6", "pkg:follows", "pkg:UserStage0_1"),  # inverse of the closure
        ("pkg:UserProduct0_0", "skos:broader", "pkg:UserProduct0"),  # isKindOf -> broader
        ("pkg:UserResponsibility0_0", "pkg:isResponsibilityOf", "pkg:UserRole0"),  # prp-inv
    ]:
        assert _triple(*triple) in got, triple


def test_generated_organisations_are_classified_like_owlrl(userdata, tmp_path):
    """Class-only, CDMO-only, both-roles and the user's own subclass: spot checks on top of identity."""
    paths = userdata.write_userdata(tmp_path, 2500, 11)
    got, _ = _assert_same(_from_files(paths))
    text = (tmp_path / "userdata-organisations.ttl").read_text()
    cdmo = "pkg:ContractDevelopmentAndManufacturingOrganisation"
    typed_cdmo = [line.split()[0] for line in text.splitlines() if line.endswith(f"a {cdmo} .")]
    sterile = [line.split()[0] for line in text.splitlines() if line.endswith("a ex:SterileManufacturer .")]
    assert typed_cdmo and sterile
    for org in typed_cdmo:
        iri = ox.NamedNode("https://example.org/userdata/" + org.split(":")[1])
        assert (iri, ox.NamedNode(PKG + "playsRole"), ox.NamedNode(PKG + "CRO")) in got
    for org in sterile:
        iri = ox.NamedNode("https://example.org/userdata/" + org.split(":")[1])
        assert (iri, ox.NamedNode(PKG + "playsRole"), ox.NamedNode(PKG + "CMO")) in got


def test_generated_inconsistent_data_raises_like_owlrl_and_names_the_organisation(userdata, tmp_path):
    graphs = _from_files(userdata.write_userdata(tmp_path, 600, 5, inconsistent=True))
    union = rdflib.Graph()
    for graph in graphs.values():
        union += graph
    with pytest.raises(InconsistentGraph) as reference:
        reason.closure(union)
    store = _store(graphs)
    with pytest.raises(InconsistentGraph) as ours:
        infer(store, list(graphs), INFERRED)
    assert userdata.INCONSISTENT_ORGANISATION in reference.value.message
    assert userdata.INCONSISTENT_ORGANISATION in ours.value.message
    assert "pkg:Organisation" in ours.value.message and "pkg:Product" in ours.value.message
    _assert_clean(store, graphs)
    assert not list(store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED)))


ORGS = """
ex:OneRole a pkg:Organisation ; skos:prefLabel "One role"@en ; dcterms:source ex:src ; pkg:playsRole pkg:CMO .
ex:BothRoles a pkg:Organisation ; skos:prefLabel "Both"@en ; dcterms:source ex:src ;
  pkg:playsRole pkg:CMO , pkg:CRO ; pkg:collaboratesWith ex:OneRole .
ex:ClassOnly a pkg:ContractResearchOrganisation ; skos:prefLabel "Class only"@en ; dcterms:source ex:src .
ex:CdmoOnly a pkg:ContractDevelopmentAndManufacturingOrganisation ;
  skos:prefLabel "CDMO"@en ; dcterms:source ex:src .
"""

STAGES = """
ex:S1 a pkg:DevelopmentStage ; pkg:immediatelyPrecedes ex:S2 .
ex:S2 a pkg:DevelopmentStage ; pkg:immediatelyPrecedes ex:S3 .
ex:S3 a pkg:DevelopmentStage ; pkg:immediatelyPrecedes ex:S4 .
ex:S4 a pkg:DevelopmentStage ; pkg:immediatelyPrecedes ex:S5 .
ex:S5 a pkg:DevelopmentStage .
ex:Tablets pkg:isKindOf pkg:Tablet .
ex:R1 a pkg:Responsibility ; pkg:performedInStage ex:S3 ; pkg:produces ex:Tablets .
ex:NewRole a pkg:Role ; pkg:hasResponsibility ex:R1 ; pkg:performsHandOver ex:H1 .
ex:H1 pkg:handedOverTo pkg:CMO ; pkg:handedOverItem ex:Candidate .
"""


def test_hand_written_organisations_stages_products_and_hand_overs():
    got, _ = _assert_same(_with(orgs=ORGS, stages=STAGES))
    for triple in [
        ("ex:BothRoles", "a", "pkg:ContractDevelopmentAndManufacturingOrganisation"),  # cls-hv2 + cls-int1
        ("ex:ClassOnly", "pkg:playsRole", "pkg:CRO"),  # cls-hv1
        ("ex:CdmoOnly", "pkg:playsRole", "pkg:CMO"),  # cls-int2 + cls-hv1
        ("ex:OneRole", "pkg:collaboratesWith", "ex:BothRoles"),  # prp-symp
        ("ex:S1", "pkg:precedes", "ex:S5"),  # prp-spo1 + prp-trp over four links
        ("ex:S5", "pkg:follows", "ex:S1"),  # prp-inv of a derived triple
        ("ex:NewRole", "pkg:activeInStage", "ex:S3"),  # prp-spo2
        ("ex:NewRole", "pkg:manufactures", "ex:Tablets"),  # prp-spo2
        ("ex:NewRole", "pkg:handsOverTo", "pkg:CMO"),  # prp-spo2 on an asserted link
        ("pkg:CMO", "pkg:collaboratesWith", "ex:NewRole"),  # spo1 then symp on the chain's result
        ("ex:H1", "a", "pkg:HandOver"),  # prp-dom
        ("ex:Candidate", "a", "pkg:DrugCandidate"),  # prp-rng
        ("ex:Tablets", "skos:broader", "pkg:Tablet"),
    ]:
        assert _triple(*triple) in got, triple


def test_long_chain_needs_the_delta_in_every_body_position():
    """A 3-link property chain whose links arrive in different rounds (transitive, inverse, subproperty)."""
    tbox = """
ex:reach a owl:ObjectProperty ; owl:propertyChainAxiom ( pkg:precedes pkg:follows ex:near ) .
ex:T1 pkg:immediatelyPrecedes ex:T2 . ex:T2 pkg:immediatelyPrecedes ex:T3 .
ex:T3 pkg:immediatelyPrecedes ex:T4 .
ex:T2 ex:near ex:K .
"""
    got, _ = _assert_same(_with(chain=tbox))
    assert _triple("ex:T1", "ex:reach", "ex:K") in got


def test_blank_node_organisations():
    data = """
[] a pkg:Organisation ; skos:prefLabel "Anonymous"@en ; pkg:playsRole pkg:CRO , pkg:CMO ;
   pkg:collaboratesWith ex:Named .
ex:Named a pkg:Organisation ; pkg:playsRole pkg:CRO ;
   pkg:collaboratesWith [ a pkg:ContractManufacturingOrganisation ] .
ex:Hub pkg:hasParticipant [ pkg:playsRole pkg:CMO ] .
"""
    got, _ = _assert_same(_with(blank=data))
    assert not [t for t in got if isinstance(t[0], ox.BlankNode) or isinstance(t[2], ox.BlankNode)]
    assert _triple("ex:Named", "a", "pkg:ContractResearchOrganisation") in got


def test_user_tbox_axioms():
    data = """
ex:OncologyCro a owl:Class ; rdfs:subClassOf pkg:ContractResearchOrganisation .
ex:coDevelops rdfs:subPropertyOf pkg:handsOverTo .
ex:Onco a ex:OncologyCro ; skos:prefLabel "Onco"@en ; ex:coDevelops ex:Partner .
ex:Partner a pkg:Organisation ; pkg:playsRole pkg:CMO .
ex:OncoRole a owl:Class ; owl:equivalentClass [ a owl:Restriction ; owl:onProperty pkg:collaboratesWith ;
   owl:someValuesFrom pkg:ContractManufacturingOrganisation ] .
ex:Everything a owl:Class ; owl:unionOf ( ex:OncologyCro pkg:Product ) .
"""
    got, _ = _assert_same(_with(tbox=data))
    for triple in [
        ("ex:Onco", "a", "pkg:Organisation"),  # the user's subclass, then ours
        ("ex:Onco", "pkg:playsRole", "pkg:CRO"),  # cax-sco then cls-hv1
        ("ex:Partner", "pkg:collaboratesWith", "ex:Onco"),  # spo1, spo1, symp
        ("ex:Onco", "a", "ex:OncoRole"),  # cls-svf1 through an anonymous restriction
        ("ex:Onco", "a", "ex:Everything"),  # cls-uni
    ]:
        assert _triple(*triple) in got, triple


@pytest.mark.parametrize(
    ("body", "names"),
    [
        (  # a responsibility of both roles is in two disjoint classes (cls-hv2, cax-dw)
            "ex:Both a pkg:Responsibility ; pkg:isResponsibilityOf pkg:CMO , pkg:CRO .",
            ["https://example.org/test/Both", "pkg:ProductionResponsibility", "pkg:ResearchResponsibility"],
        ),
        (  # an asymmetric property both ways (prp-asyp), through transitivity
            "ex:A pkg:immediatelyPrecedes ex:B . ex:B pkg:immediatelyPrecedes ex:C ."
            " ex:C pkg:precedes ex:A .",
            ["https://example.org/test/A", "pkg:precedes"],
        ),
        (  # typed both as disjoint classes of the AllDisjointClasses axiom (cax-adc), via domain and range
            "ex:Odd pkg:playsRole pkg:CRO . ex:Thing pkg:performedInStage ex:Odd .",
            ["https://example.org/test/Odd", "pkg:Organisation", "pkg:DevelopmentStage"],
        ),
        (  # a blank node typed as two disjoint classes
            "[] a pkg:Role , pkg:Product .",
            ["the blank node", "pkg:Role", "pkg:Product"],
        ),
        (  # owl:Nothing (cls-nothing2) through the user's own axiom
            "ex:Never rdfs:subClassOf owl:Nothing . ex:Ghost a ex:Never .",
            ["https://example.org/test/Ghost", "owl:Nothing"],
        ),
    ],
)
def test_inconsistency_raises_like_owlrl_and_names_the_individual(body, names):
    graphs = _with(bad=body)
    union = rdflib.Graph()
    for graph in graphs.values():
        union += graph
    with pytest.raises(InconsistentGraph):
        reason.closure(union)
    store = _store(graphs)
    with pytest.raises(InconsistentGraph) as ours:
        infer(store, list(graphs), INFERRED)
    for name in names:
        assert name in ours.value.message
    _assert_clean(store, graphs)


def test_functional_property_that_fires_falls_back_to_owlrl(caplog):
    data = """
ex:leadPartner a owl:FunctionalProperty .
ex:C1 ex:leadPartner ex:P1 , ex:P2 .
ex:P1 pkg:playsRole pkg:CRO .
"""
    with caplog.at_level(logging.WARNING, logger="kg.entail"):
        _, stats = _assert_same(_with(fp=data))
    assert stats.fallback and "FunctionalProperty" in stats.fallback
    assert any("FunctionalProperty" in r.getMessage() for r in caplog.records)


def test_functional_property_that_never_fires_keeps_the_fast_path():
    data = """
ex:leadPartner a owl:FunctionalProperty .
ex:C1 ex:leadPartner ex:P1 .
ex:P1 pkg:playsRole pkg:CRO .
"""
    _, stats = _assert_same(_with(fp=data))
    assert stats.fallback is None


def test_same_as_in_the_data_falls_back_to_owlrl():
    data = "ex:Alias owl:sameAs pkg:ExampleResearchCompany . ex:Alias pkg:playsRole pkg:CMO ."
    got, stats = _assert_same(_with(same=data))
    assert stats.fallback and "sameAs" in stats.fallback
    assert (
        _triple("pkg:ExampleResearchCompany", "a", "pkg:ContractDevelopmentAndManufacturingOrganisation")
        in got
    )


def test_data_about_tbox_blank_nodes_reads_a_skolemised_copy(caplog):
    """A data triple about an anonymous restriction that a rule reads: the copy path, same answer."""
    data = """
ex:Sterile a owl:Class ; owl:equivalentClass _:r .
_:r a owl:Restriction ; owl:onProperty pkg:playsRole ; owl:hasValue pkg:CMO ; skos:prefLabel "odd"@en .
ex:Thing a pkg:Organisation ; pkg:collaboratesWith _:r ; pkg:playsRole pkg:CMO .
"""
    with caplog.at_level(logging.DEBUG, logger="kg.entail"):
        got, stats = _assert_same(_with(odd=data))
    assert stats.fallback is None
    assert any("copying the asserted graphs" in r.getMessage() for r in caplog.records)
    assert _triple("ex:Thing", "a", "ex:Sterile") in got


def test_the_compiled_tbox_is_cached_in_memory_and_in_a_file(tmp_path, monkeypatch):
    """Same T-Box, new blank node ids (a second load): the cached schema gives owlrl's answer again."""
    from kg import entail

    graphs = _with(tbox=TBOX_WITH_RESTRICTIONS, orgs=ORGS)
    expected = _reference(graphs)
    monkeypatch.setattr(entail, "_SCHEMAS", {})
    closes: list[int] = []
    real_close = entail._close
    monkeypatch.setattr(entail, "_close", lambda tbox: closes.append(len(tbox)) or real_close(tbox))
    for attempt in range(3):
        if attempt == 2:
            entail._SCHEMAS.clear()  # a new process: the file is read
        graphs = _with(tbox=TBOX_WITH_RESTRICTIONS, orgs=ORGS)  # parsed again: other blank node ids
        store = _store(graphs)
        stats = infer(store, list(graphs), INFERRED, cache=tmp_path)
        got = {
            (q.subject, q.predicate, q.object)
            for q in store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED))
        }
        assert got == expected and stats.fallback is None
        _assert_clean(store, graphs)
    assert len(closes) == 1, "the T-Box was closed again"
    files = list(tmp_path.glob("entail-tbox-*.pickle"))
    assert len(files) == 1
    files[0].write_bytes(b"damaged")
    entail._SCHEMAS.clear()
    store = _store(graphs)
    infer(store, list(graphs), INFERRED, cache=tmp_path)  # a damaged file is recomputed
    assert len(closes) == 2
    assert {
        (q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED))
    } == expected


TBOX_WITH_RESTRICTIONS = """
ex:OncoRole a owl:Class ; owl:equivalentClass [ a owl:Restriction ; owl:onProperty pkg:collaboratesWith ;
   owl:someValuesFrom pkg:ContractManufacturingOrganisation ] .
ex:Either a owl:Class ; owl:unionOf ( ex:OncoRole pkg:Product ) .
"""


def test_blank_nodes_without_canonical_names_are_compiled_uncached():
    """Two identical anonymous restrictions cannot be told apart: no cache key, still owlrl's answer."""
    from kg import entail

    data = """
ex:Twin rdfs:subClassOf
   [ a owl:Restriction ; owl:onProperty pkg:playsRole ; owl:hasValue pkg:CRO ] ,
   [ a owl:Restriction ; owl:onProperty pkg:playsRole ; owl:hasValue pkg:CRO ] .
ex:T1 a ex:Twin .
"""
    graph = rdflib.Graph().parse(data=PREFIXES + data, format="turtle")
    assert entail._canonical_labels(graph) is None
    assert entail._canonical_labels(rdflib.Graph().parse(data=PREFIXES + TBOX_WITH_RESTRICTIONS)) is not None
    got, stats = _assert_same(_with(twins=data))
    assert stats.fallback is None
    assert _triple("ex:T1", "pkg:playsRole", "pkg:CRO") in got


def test_chain_whose_last_link_is_derived_rounds_after_the_first():
    """The first link is asserted, the second comes from transitivity rounds later: delta in position 1."""
    data = """
ex:reachesLate a owl:ObjectProperty ; owl:propertyChainAxiom ( ex:link pkg:precedes ) .
ex:A ex:link ex:L1 .
ex:L1 pkg:immediatelyPrecedes ex:L2 . ex:L2 pkg:immediatelyPrecedes ex:L3 .
ex:L3 pkg:immediatelyPrecedes ex:L4 . ex:L4 pkg:immediatelyPrecedes ex:L5 .
ex:L5 pkg:immediatelyPrecedes ex:L6 . ex:L6 pkg:immediatelyPrecedes ex:L7 .
"""
    got, _ = _assert_same(_with(late=data))
    assert _triple("ex:A", "ex:reachesLate", "ex:L7") in got

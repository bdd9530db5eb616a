"""The ontology files: SHACL shapes catch bad data, and every OWL 2 RL axiom relied on infers.

Uses rdflib, owlrl and pyshacl directly (not the kg package), on the files in ontology/.
"""

from __future__ import annotations

import re
from pathlib import Path

import owlrl
import pyshacl
import pytest
from owlrl.Namespaces import ERRNS
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology"
#: The article as received; the shared folder sits beside the repository (in CI too).
SOURCE_MD = ROOT.parent / "shared" / "domain" / "SOURCE.md"
DATA_FILES = ["vocabulary", "article", "domain-knowledge", "examples"]

PKG = Namespace("https://w3id.org/pharma-kg/id/")
SH = Namespace("http://www.w3.org/ns/shacl#")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
EX = Namespace("http://example.org/")
XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")
ONTOLOGY_IRI = URIRef("https://w3id.org/pharma-kg/id/")
ARTICLE = URIRef("https://w3id.org/pharma-kg/source/article")
FDA = URIRef("https://www.fda.gov/patients/learn-about-drug-and-device-approvals/drug-development-process")
EXAMPLES_SOURCE = URIRef("https://w3id.org/pharma-kg/source/illustrative-examples")
CHECKED_NCIT = {f"http://purl.obolibrary.org/obo/NCIT_C1560{n}" for n in (0, 1, 2)}
PREFIXES = """
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix ex: <http://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix pkg: <https://w3id.org/pharma-kg/id/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""


def load(*stems: str) -> Graph:
    graph = Graph()
    for stem in stems:
        graph.parse(ONTOLOGY / f"{stem}.ttl")
    return graph


def closure_of(graph: Graph) -> Graph:
    expanded = Graph()
    expanded += graph
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(expanded)
    return expanded


def errors(graph: Graph) -> list[str]:
    return sorted(str(message) for message in graph.objects(None, ERRNS.error))


@pytest.fixture(scope="module")
def vocabulary() -> Graph:
    return load("vocabulary")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load("shapes")


@pytest.fixture(scope="module")
def union() -> Graph:
    return load(*DATA_FILES)


@pytest.fixture(scope="module")
def closure(union: Graph) -> Graph:
    return closure_of(union)


def with_vocabulary(vocabulary: Graph, turtle: str) -> Graph:
    graph = Graph()
    graph += vocabulary
    graph.parse(data=PREFIXES + turtle, format="turtle")
    return graph


# ---------------------------------------------------------------------------------------------
# SHACL: the real data conforms
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stem", DATA_FILES)
def test_each_data_file_conforms(stem: str, shapes: Graph, vocabulary: Graph) -> None:
    conforms, _, text = pyshacl.validate(
        load(stem), shacl_graph=shapes, ont_graph=vocabulary, inference="none"
    )
    assert conforms, text


def test_union_and_its_closure_conform(union: Graph, closure: Graph, shapes: Graph) -> None:
    for graph in (union, closure):
        conforms, _, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
        assert conforms, text


# ---------------------------------------------------------------------------------------------
# SHACL: data breaking one rule gives exactly that violation
# ---------------------------------------------------------------------------------------------

GOOD_ROLE = """
pkg:CMO a pkg:Role ;
  skos:prefLabel "CMO"@en ;
  skos:definition "Production specialists."@en ;
  dcterms:source ex:passage ;
  pkg:hasResponsibility ex:Resp .
"""
GOOD_RESPONSIBILITY = """
ex:Resp a pkg:Responsibility ;
  skos:prefLabel "Packaging"@en ;
  skos:definition "Packaging the product."@en ;
  dcterms:source ex:passage .
"""
# resources in the pkg namespace must have plain local names; the snippets use pkg: IRIs for that
GOOD_STAGE = """
pkg:StageA a pkg:DevelopmentStage ;
  skos:prefLabel "Stage A"@en ;
  dcterms:source ex:page ;
  pkg:stageOrder 1 .
"""
GOOD_SIBLINGS = GOOD_ROLE.replace("ex:Resp", "pkg:Resp") + GOOD_RESPONSIBILITY.replace("ex:Resp", "pkg:Resp")
INVERSE_HAS_RESPONSIBILITY = "inverse hasResponsibility"

VIOLATIONS = {
    "responsibility without description": (
        GOOD_SIBLINGS.replace('  skos:definition "Packaging the product."@en ;\n', ""),
        PKG.Resp,
        SKOS.definition,
    ),
    "responsibility without role": (
        GOOD_RESPONSIBILITY.replace("ex:Resp", "pkg:Resp"),
        PKG.Resp,
        INVERSE_HAS_RESPONSIBILITY,
    ),
    "resource without prefLabel": (
        GOOD_SIBLINGS.replace('  skos:prefLabel "Packaging"@en ;\n', ""),
        PKG.Resp,
        SKOS.prefLabel,
    ),
    "prefLabel not in English": (
        GOOD_SIBLINGS.replace('"Packaging"@en', '"Emballage"@fr'),
        PKG.Resp,
        SKOS.prefLabel,
    ),
    "two English prefLabels": (
        GOOD_SIBLINGS.replace('"Packaging"@en', '"Packaging"@en , "Boxing"@en'),
        PKG.Resp,
        SKOS.prefLabel,
    ),
    "prefLabel without language": (
        GOOD_SIBLINGS.replace('"Packaging"@en', '"Packaging"'),
        PKG.Resp,
        SKOS.prefLabel,
    ),
    "resource without source": (
        GOOD_SIBLINGS.replace("  dcterms:source ex:passage .\n", "  .\n").replace(";\n  .", " ."),
        PKG.Resp,
        DCTERMS.source,
    ),
    "local name not plain": (
        GOOD_ROLE.replace("ex:Resp", "<https://w3id.org/pharma-kg/id/Resp%20One>")
        + GOOD_RESPONSIBILITY.replace("ex:Resp", "<https://w3id.org/pharma-kg/id/Resp%20One>"),
        URIRef("https://w3id.org/pharma-kg/id/Resp%20One"),
        None,
    ),
    "role without responsibility": (
        GOOD_ROLE.replace("ex:Resp", "pkg:Resp").replace(" ;\n  pkg:hasResponsibility pkg:Resp .", " ."),
        PKG.CMO,
        PKG.hasResponsibility,
    ),
    "performed in a non-stage": (
        GOOD_SIBLINGS.replace(
            "dcterms:source ex:passage .\n\npkg:Resp", "dcterms:source ex:passage .\n\npkg:Resp"
        ).replace(
            '"Packaging the product."@en ;',
            '"Packaging the product."@en ;\n  pkg:performedInStage pkg:CMO ;',
        ),
        PKG.Resp,
        PKG.performedInStage,
    ),
    "produces a non-product": (
        GOOD_SIBLINGS.replace(
            '"Packaging the product."@en ;', '"Packaging the product."@en ;\n  pkg:produces pkg:CMO ;'
        ),
        PKG.Resp,
        PKG.produces,
    ),
    "stage without order": (
        GOOD_STAGE.replace(" ;\n  pkg:stageOrder 1 .", " ."),
        PKG.StageA,
        PKG.stageOrder,
    ),
    "stage order not an integer": (
        GOOD_STAGE.replace("pkg:stageOrder 1", 'pkg:stageOrder "first"'),
        PKG.StageA,
        PKG.stageOrder,
    ),
    "stage order zero": (
        GOOD_STAGE.replace("pkg:stageOrder 1", "pkg:stageOrder 0"),
        PKG.StageA,
        PKG.stageOrder,
    ),
    "stage with two immediate successors": (
        GOOD_STAGE.replace(" .", " ;\n  pkg:immediatelyPrecedes pkg:StageB , pkg:StageC .")
        + GOOD_STAGE.replace("StageA", "StageB").replace('"Stage A"', '"Stage B"')
        + GOOD_STAGE.replace("StageA", "StageC").replace('"Stage A"', '"Stage C"'),
        PKG.StageA,
        PKG.immediatelyPrecedes,
    ),
    "criterion for no role": (
        """pkg:Crit a pkg:SelectionCriterion ;
  skos:prefLabel "Price"@en ; skos:definition "Cheap."@en ; dcterms:source ex:p .""",
        PKG.Crit,
        PKG.isSelectionCriterionFor,
    ),
    "benefit without explanation": (
        """pkg:Ben a pkg:CollaborationBenefit ; skos:prefLabel "Speed"@en ; dcterms:source ex:p .""",
        PKG.Ben,
        SKOS.definition,
    ),
    "collaboration with one participant": (
        GOOD_ROLE.replace("ex:Resp", "pkg:Resp")
        + GOOD_RESPONSIBILITY.replace("ex:Resp", "pkg:Resp")
        + """pkg:Collab a pkg:Collaboration ; skos:prefLabel "Solo"@en ; dcterms:source ex:p ;
  pkg:hasParticipant pkg:CMO .""",
        PKG.Collab,
        PKG.hasParticipant,
    ),
    "hand-over to two roles": (
        GOOD_SIBLINGS
        + GOOD_ROLE.replace("pkg:CMO", "pkg:CRO").replace("ex:Resp", "pkg:Resp")
        + """pkg:Cand a pkg:DrugCandidate ; skos:prefLabel "X"@en ; dcterms:source ex:p .
pkg:Hand a pkg:HandOver ; skos:prefLabel "H"@en ; dcterms:source ex:p ;
  pkg:handedOverBy pkg:CRO ; pkg:handedOverTo pkg:CMO , pkg:CRO ; pkg:handedOverItem pkg:Cand .""",
        PKG.Hand,
        PKG.handedOverTo,
    ),
    "organisation playing a misspelt role": (
        """pkg:Acme a pkg:Organisation ; skos:prefLabel "Acme"@en ; dcterms:source ex:p ;
  pkg:playsRole pkg:Cmo .""",
        PKG.Acme,
        PKG.playsRole,
    ),
    "passage without quotation": (
        """<https://w3id.org/pharma-kg/source/article#x> a pkg:SourcePassage ;
  <http://www.w3.org/2000/01/rdf-schema#label> "X"@en ;
  dcterms:isPartOf <https://w3id.org/pharma-kg/source/article> .""",
        URIRef("https://w3id.org/pharma-kg/source/article#x"),
        PKG.quotation,
    ),
}


def _results(report: Graph) -> set[tuple[object, object]]:
    found = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        if isinstance(path, BNode):
            inverse = report.value(path, SH.inversePath)
            path = INVERSE_HAS_RESPONSIBILITY if inverse == PKG.hasResponsibility else path
        found.add((focus, path))
    return found


@pytest.mark.parametrize("case", sorted(VIOLATIONS))
def test_shape_violation(case: str, shapes: Graph, vocabulary: Graph) -> None:
    turtle, focus, path = VIOLATIONS[case]
    data = Graph().parse(data=PREFIXES + turtle, format="turtle")
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=vocabulary, inference="none")
    assert not conforms
    assert _results(report) == {(focus, path)}


def test_snippet_base_is_valid(shapes: Graph, vocabulary: Graph) -> None:
    data = Graph().parse(data=PREFIXES + GOOD_SIBLINGS + GOOD_STAGE, format="turtle")
    conforms, _, text = pyshacl.validate(data, shacl_graph=shapes, ont_graph=vocabulary, inference="none")
    assert conforms, text


# ---------------------------------------------------------------------------------------------
# OWL 2 RL: each axiom relied on infers its triple (owlrl, union of the ontology files)
# ---------------------------------------------------------------------------------------------


def test_union_is_consistent(closure: Graph) -> None:
    assert errors(closure) == []


def test_no_individual_in_two_disjoint_classes(closure: Graph) -> None:
    pairs = set(closure.subject_objects(OWL.disjointWith))
    for group in closure.subjects(RDF.type, OWL.AllDisjointClasses):
        members = list(closure.items(closure.value(group, OWL.members)))
        pairs |= {(a, b) for a in members for b in members if a != b}
    for first, second in pairs:
        both = set(closure.subjects(RDF.type, first)) & set(closure.subjects(RDF.type, second))
        assert not both, (first, second, both)


AXIOM_CASES = [
    ("prp-inv1", (PKG.QualityControl, PKG.isResponsibilityOf, PKG.CMO)),
    ("prp-inv2", (PKG.CRO, PKG.performsHandOver, PKG.DrugCandidateHandOver)),
    ("prp-inv (follows)", (PKG.PhaseIIIStage, PKG.follows, PKG.PhaseIStage)),
    ("prp-symp", (PKG.CRO, PKG.collaboratesWith, PKG.CMO)),
    ("prp-trp", (PKG.DrugDiscoveryStage, PKG.precedes, PKG.PostMarketStage)),
    ("prp-spo1 (precedes)", (PKG.PhaseIStage, PKG.precedes, PKG.PhaseIIStage)),
    (
        "prp-spo1 (submittedTo)",
        (PKG.RegulatorySubmissions, PKG.involvesRegulatoryAuthority, PKG.RegulatoryAuthorities),
    ),
    (
        "prp-spo1 (meetsRegulationsOf)",
        (
            PKG.RegulatoryComplianceResponsibility,
            PKG.involvesRegulatoryAuthority,
            PKG.RegulatoryAuthorities,
        ),
    ),
    ("prp-spo1 (isKindOf)", (PKG.Tablet, SKOS.broader, PKG.FinishedDosageForm)),
    ("prp-spo2 (activeInStage)", (PKG.CRO, PKG.activeInStage, PKG.PhaseIIStage)),
    ("prp-spo2 (handsOverTo)", (PKG.CRO, PKG.handsOverTo, PKG.CMO)),
    ("cls-hv2 (organisation)", (PKG.ExampleResearchCompany, RDF.type, PKG.ContractResearchOrganisation)),
    ("cls-hv1 (organisation)", (PKG.ExampleManufacturingCompany, PKG.playsRole, PKG.CMO)),
    ("cls-hv2 (responsibility)", (PKG.QualityControl, RDF.type, PKG.ProductionResponsibility)),
    ("cls-hv2 (research)", (PKG.DataManagement, RDF.type, PKG.ResearchResponsibility)),
    (
        "cls-int1 (CDMO)",
        (PKG.ExampleCdmoCompany, RDF.type, PKG.ContractDevelopmentAndManufacturingOrganisation),
    ),
    ("cax-sco (org:Organization)", (PKG.ExampleResearchCompany, RDF.type, ORG.Organization)),
    ("cax-sco (schema:Organization)", (PKG.ExampleCdmoCompany, RDF.type, SCHEMA.Organization)),
    ("cax-sco (org:Role)", (PKG.CMO, RDF.type, ORG.Role)),
    ("cax-sco (Organisation)", (PKG.ExampleManufacturingCompany, RDF.type, PKG.Organisation)),
]


@pytest.mark.parametrize(("rule", "triple"), AXIOM_CASES)
def test_axiom_infers(closure: Graph, union: Graph, rule: str, triple: tuple) -> None:
    assert triple not in union, f"{rule}: {triple} is asserted, so the test proves nothing"
    assert triple in closure, rule


def test_cmo_is_not_active_in_any_stage(closure: Graph) -> None:
    assert list(closure.objects(PKG.CMO, PKG.activeInStage)) == []


def test_cls_hv1_for_responsibilities(vocabulary: Graph) -> None:
    graph = closure_of(with_vocabulary(vocabulary, "ex:Packaging a pkg:ProductionResponsibility ."))
    assert (EX.Packaging, PKG.isResponsibilityOf, PKG.CMO) in graph
    assert (PKG.CMO, PKG.hasResponsibility, EX.Packaging) in graph


def test_cls_int1_cdmo_plays_both_roles(vocabulary: Graph) -> None:
    graph = closure_of(
        with_vocabulary(vocabulary, "ex:Co a pkg:ContractDevelopmentAndManufacturingOrganisation .")
    )
    assert {(EX.Co, PKG.playsRole, PKG.CMO), (EX.Co, PKG.playsRole, PKG.CRO)} <= set(graph)
    assert errors(graph) == []


@pytest.mark.parametrize(
    ("turtle", "expected"),
    [
        ("ex:r pkg:performedInStage ex:s .", [(EX.r, PKG.Responsibility), (EX.s, PKG.DevelopmentStage)]),
        ("ex:o pkg:playsRole ex:x .", [(EX.o, PKG.Organisation), (EX.x, PKG.Role)]),
        ("ex:r pkg:produces ex:p .", [(EX.r, PKG.Responsibility), (EX.p, PKG.Product)]),
        ("ex:c pkg:yieldsBenefit ex:b .", [(EX.c, PKG.Collaboration), (EX.b, PKG.CollaborationBenefit)]),
        ("ex:c pkg:isSelectionCriterionFor ex:x .", [(EX.c, PKG.SelectionCriterion), (EX.x, PKG.Role)]),
        ("ex:h pkg:handedOverItem ex:d .", [(EX.h, PKG.HandOver), (EX.d, PKG.DrugCandidate)]),
        ("ex:r pkg:submittedTo ex:a .", [(EX.r, PKG.Responsibility), (EX.a, PKG.RegulatoryAuthority)]),
    ],
)
def test_domain_and_range_typing(vocabulary: Graph, turtle: str, expected: list) -> None:
    graph = closure_of(with_vocabulary(vocabulary, turtle))
    for node, cls in expected:
        assert (node, RDF.type, cls) in graph


def test_research_organisation_classified_and_two_roles_do_not_clash(vocabulary: Graph) -> None:
    graph = closure_of(with_vocabulary(vocabulary, "ex:Co pkg:playsRole pkg:CMO , pkg:CRO ."))
    assert {
        (EX.Co, RDF.type, PKG.ContractManufacturingOrganisation),
        (EX.Co, RDF.type, PKG.ContractResearchOrganisation),
        (EX.Co, RDF.type, PKG.ContractDevelopmentAndManufacturingOrganisation),
    } <= set(graph)
    assert errors(graph) == []


@pytest.mark.parametrize(
    ("rule", "turtle", "message"),
    [
        (
            "cax-dw",
            "pkg:CMO pkg:hasResponsibility ex:r . pkg:CRO pkg:hasResponsibility ex:r .",
            "Disjoint classes",
        ),
        ("cax-adc", "ex:x a pkg:Role , pkg:Responsibility .", "Disjoint classes"),
        (
            "prp-asyp",
            "ex:a pkg:immediatelyPrecedes ex:b . ex:b pkg:immediatelyPrecedes ex:a .",
            "asymmetric",
        ),
        ("eq-diff1", "pkg:CMO owl:sameAs pkg:CRO .", "differentFrom"),
    ],
)
def test_inconsistency_is_reported(vocabulary: Graph, rule: str, turtle: str, message: str) -> None:
    graph = with_vocabulary(vocabulary, turtle)
    graph += load("article")
    found = errors(closure_of(graph))
    assert any(message in text for text in found), (rule, found)


# ---------------------------------------------------------------------------------------------
# Conventions: documentation, provenance, alignments
# ---------------------------------------------------------------------------------------------


def test_ontology_header(vocabulary: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in vocabulary
    for prop in (DCTERMS.title, DCTERMS.description, OWL.versionInfo, DCTERMS.license, DCTERMS.creator):
        assert vocabulary.value(ONTOLOGY_IRI, prop) is not None, prop


def test_every_term_is_documented(vocabulary: Graph) -> None:
    terms = {
        term
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
        for term in vocabulary.subjects(RDF.type, kind)
        if isinstance(term, URIRef)
    }
    assert len(terms) > 30
    for term in terms:
        assert str(term).startswith(str(PKG)), term
        assert vocabulary.value(term, RDFS.label) is not None, term
        assert vocabulary.value(term, SKOS.definition) or vocabulary.value(term, RDFS.comment), term
        assert vocabulary.value(term, RDFS.isDefinedBy) == ONTOLOGY_IRI, term


def test_all_pkg_iris_have_plain_local_names(union: Graph) -> None:
    for node in set(union.all_nodes()) | set(union.predicates()):
        if isinstance(node, URIRef) and str(node).startswith(str(PKG)) and node != ONTOLOGY_IRI:
            assert re.fullmatch(r"[A-Za-z0-9_-]+", str(node)[len(PKG) :]), node


def test_article_individuals_cite_article_sections() -> None:
    article = load("article")
    individuals = {s for s in article.subjects(SKOS.prefLabel, None)}
    assert len(individuals) == 29
    passages = set(article.subjects(RDF.type, PKG.SourcePassage))
    for individual in individuals:
        label = article.value(individual, SKOS.prefLabel)
        assert isinstance(label, Literal) and label.language == "en", individual
        sources = set(article.objects(individual, DCTERMS.source))
        assert sources and sources <= passages, individual
    for passage in passages:
        assert article.value(passage, DCTERMS.isPartOf) == ARTICLE
    assert {str(p).rsplit("#", 1)[1] for p in passages} == {
        "cmo",
        "cro",
        "collaboration",
        "choosing-a-partner",
        "conclusion",
    }
    assert article.value(ARTICLE, DCTERMS.title) == Literal(
        "Understanding the Distinctions: CMO vs CRO", lang="en"
    )


def test_quotations_are_verbatim() -> None:
    """Each passage's quotation is its whole section of the article, character for character: from its
    heading (the passage's label) up to the next section's heading."""
    assert SOURCE_MD.is_file(), (
        f"the article's text is missing: expected {SOURCE_MD} (the shared folder beside the repository)"
    )
    source = SOURCE_MD.read_text(encoding="utf-8")
    article = load("article")
    passages = {p: article.value(p, RDFS.label) for p in article.subjects(RDF.type, PKG.SourcePassage)}
    assert len(passages) == 5
    headings = {str(label) for label in passages.values()}
    lines = source.split("---\n", 1)[1].splitlines()  # the article, below the notes about it
    starts = [i for i, line in enumerate(lines) if line in headings]
    assert sorted(lines[i] for i in starts) == sorted(headings), "each heading once, as a line of its own"
    sections = {
        lines[start]: "\n".join(lines[start:end]).strip()
        for start, end in zip(starts, [*starts[1:], len(lines)], strict=True)
    }
    for passage, label in passages.items():
        quotations = list(article.objects(passage, PKG.quotation))
        assert len(quotations) == 1, passage
        assert str(quotations[0]) == sections[str(label)], f"{passage} does not quote its section verbatim"
        assert "CRO PRICE" not in str(quotations[0])  # the page noise above the article is not quoted


def test_domain_knowledge_cites_fda_and_says_it_is_beyond_the_article() -> None:
    domain = load("domain-knowledge")
    assert domain.value(FDA, DCTERMS.title) == Literal("The Drug Development Process", lang="en")
    stages = set(domain.subjects(RDF.type, PKG.DevelopmentStage))
    assert len(stages) == 7
    assert sorted(domain.value(s, PKG.stageOrder).toPython() for s in stages) == list(range(1, 8))
    assert {domain.value(s, PKG.stageOrder).datatype for s in stages} == {XSD_INTEGER}
    for stage in stages:
        assert domain.value(stage, DCTERMS.source) == FDA
        assert "beyond the article" in str(domain.value(stage, RDFS.comment))
    # the article file places nothing in a stage
    assert not list(load("article").triples((None, PKG.performedInStage, None)))


def test_only_checked_ncit_codes_are_used(union: Graph) -> None:
    used = {str(n) for n in union.all_nodes() if "NCIT_" in str(n)}
    assert used <= CHECKED_NCIT
    assert (PKG.PhaseIIStage, SKOS.closeMatch, URIRef("http://purl.obolibrary.org/obo/NCIT_C15601")) in union


def test_homonyms_are_distinct_and_related() -> None:
    article = load("article")
    for first, second in [
        (PKG.RegulatoryComplianceResponsibility, PKG.RegulatoryComplianceCriterion),
        (PKG.ExpertiseBenefit, PKG.ExpertiseCriterion),
    ]:
        assert article.value(first, SKOS.prefLabel) == article.value(second, SKOS.prefLabel)
        assert (first, SKOS.related, second) in article
        assert (second, SKOS.related, first) in article


def test_examples_are_marked_as_invented() -> None:
    examples = load("examples")
    organisations = {
        s for s in examples.subjects(DCTERMS.source, EXAMPLES_SOURCE) if str(s).startswith(str(PKG))
    }
    assert organisations == {
        PKG.ExampleCdmoCompany,
        PKG.ExampleManufacturingCompany,
        PKG.ExampleResearchCompany,
    }
    for organisation in organisations:
        assert "not from the article" in str(examples.value(organisation, RDFS.comment))
    assert "not from the article" in str(examples.value(EXAMPLES_SOURCE, RDFS.comment))
    assert set(examples.objects(PKG.ExampleManufacturingCompany, PKG.playsRole)) == set()

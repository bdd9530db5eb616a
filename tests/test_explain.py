"""Explain: each supported OWL 2 RL rule derives one inferred triple of a tiny fixture down to asserted
premises; asserted triples cite their graph and passage; non-entailed triples are refused."""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg import explain as explain_module
from kg import rules as explain_rules
from kg.cli import cli
from kg.errors import QueryTimeout
from kg.explain import NotEntailed, Proof, explain
from kg.namespaces import INFERRED_GRAPH, expand_curie, graph_iri, shorten
from kg.store import Store, open_store

from conftest import write_ontology

PKG = "@prefix pkg: <https://w3id.org/pharma-kg/id/> .\n@prefix dcterms: <http://purl.org/dc/terms/> .\n"
VOCAB = """\
pkg:hasPart owl:inverseOf pkg:partOf ; skos:prefLabel "has part" .
pkg:partOf skos:prefLabel "part of" .
pkg:knows a owl:SymmetricProperty .
pkg:before a owl:TransitiveProperty .
pkg:immediatelyBefore rdfs:subPropertyOf pkg:before .
pkg:before rdfs:subPropertyOf pkg:relatedTo .
pkg:attends owl:equivalentProperty pkg:participatesIn .
pkg:activeIn owl:propertyChainAxiom ( pkg:hasTask pkg:inStage ) .
pkg:hasTask rdfs:domain pkg:Role .
pkg:hasMainTask rdfs:subPropertyOf pkg:hasTask .
pkg:inStage rdfs:range pkg:Stage .
pkg:hasMainStage rdfs:subPropertyOf pkg:inStage .
pkg:Stage rdfs:subClassOf pkg:Period .
pkg:Dog rdfs:subClassOf pkg:Animal .
pkg:Animal rdfs:subClassOf pkg:Creature .
pkg:Person owl:equivalentClass pkg:Human .
pkg:Org owl:equivalentClass [ a owl:Restriction ; owl:onProperty pkg:playsRole ; owl:hasValue pkg:Maker ] .
pkg:Lab owl:equivalentClass [ a owl:Restriction ; owl:onProperty pkg:playsRole ; owl:hasValue pkg:Tester ] .
pkg:Both owl:intersectionOf ( pkg:Org pkg:Lab ) .
"""
DATA = """\
pkg:passage skos:prefLabel "Section 1" ; pkg:quotation "The a has the b." .
pkg:a pkg:hasPart pkg:b ; dcterms:source pkg:passage .
pkg:c pkg:partOf pkg:d .
pkg:a pkg:knows pkg:e .
pkg:s1 pkg:immediatelyBefore pkg:s2 .
pkg:s2 pkg:before pkg:s3 .
pkg:m pkg:attends pkg:x .
pkg:n pkg:participatesIn pkg:y .
pkg:r pkg:hasTask pkg:t .
pkg:t pkg:inStage pkg:s1 .
pkg:rex a pkg:Dog .
pkg:bob a pkg:Person .
pkg:acme pkg:playsRole pkg:Maker , pkg:Tester .
pkg:globex a pkg:Org .
pkg:initech a pkg:Both .
pkg:x1 owl:sameAs pkg:x2 .
pkg:x2 owl:sameAs pkg:x3 .
pkg:r2 pkg:hasTask pkg:u1 , pkg:u2 .
pkg:u1 pkg:inStage pkg:s9 .
pkg:u2 pkg:inStage pkg:s9 .
"""
CHAIN, INTERSECTION = "owl:propertyChainAxiom", "owl:intersectionOf"
HAS_VALUE_MAKER = {"_ owl:hasValue pkg:Maker", "_ owl:onProperty pkg:playsRole"}

# goal triple, rule at the root, every rule used, the asserted leaves (blank nodes written `_`)
CASES = [
    (
        "pkg:b pkg:partOf pkg:a",
        "prp-inv1",
        {"pkg:hasPart owl:inverseOf pkg:partOf", "pkg:a pkg:hasPart pkg:b"},
    ),
    (
        "pkg:d pkg:hasPart pkg:c",
        "prp-inv2",
        {"pkg:hasPart owl:inverseOf pkg:partOf", "pkg:c pkg:partOf pkg:d"},
    ),
    (
        "pkg:e pkg:knows pkg:a",
        "prp-symp",
        {"pkg:knows rdf:type owl:SymmetricProperty", "pkg:a pkg:knows pkg:e"},
    ),
    (
        "pkg:s1 pkg:before pkg:s3",
        "prp-trp",
        {
            "pkg:before rdf:type owl:TransitiveProperty",
            "pkg:immediatelyBefore rdfs:subPropertyOf pkg:before",
            "pkg:s1 pkg:immediatelyBefore pkg:s2",
            "pkg:s2 pkg:before pkg:s3",
        },
    ),
    (
        "pkg:s1 pkg:before pkg:s2",
        "prp-spo1",
        {"pkg:immediatelyBefore rdfs:subPropertyOf pkg:before", "pkg:s1 pkg:immediatelyBefore pkg:s2"},
    ),
    (
        "pkg:r pkg:activeIn pkg:s1",
        "prp-spo2",
        {f"pkg:activeIn {CHAIN} _", "pkg:r pkg:hasTask pkg:t", "pkg:t pkg:inStage pkg:s1"},
    ),
    (
        "pkg:m pkg:participatesIn pkg:x",
        "prp-eqp1",
        {"pkg:attends owl:equivalentProperty pkg:participatesIn", "pkg:m pkg:attends pkg:x"},
    ),
    (
        "pkg:n pkg:attends pkg:y",
        "prp-eqp2",
        {"pkg:attends owl:equivalentProperty pkg:participatesIn", "pkg:n pkg:participatesIn pkg:y"},
    ),
    ("pkg:r rdf:type pkg:Role", "prp-dom", {"pkg:hasTask rdfs:domain pkg:Role", "pkg:r pkg:hasTask pkg:t"}),
    (
        "pkg:s1 rdf:type pkg:Stage",
        "prp-rng",
        {"pkg:inStage rdfs:range pkg:Stage", "pkg:t pkg:inStage pkg:s1"},
    ),
    (
        "pkg:rex rdf:type pkg:Animal",
        "cax-sco",
        {"pkg:Dog rdfs:subClassOf pkg:Animal", "pkg:rex rdf:type pkg:Dog"},
    ),
    (
        "pkg:bob rdf:type pkg:Human",
        "cax-eqc1",
        {"pkg:Person owl:equivalentClass pkg:Human", "pkg:bob rdf:type pkg:Person"},
    ),
    (
        "pkg:acme rdf:type pkg:Org",
        "cax-eqc2",
        {"pkg:Org owl:equivalentClass _", *HAS_VALUE_MAKER, "pkg:acme pkg:playsRole pkg:Maker"},
    ),
    (
        "pkg:globex pkg:playsRole pkg:Maker",
        "cls-hv1",
        {"pkg:Org owl:equivalentClass _", *HAS_VALUE_MAKER, "pkg:globex rdf:type pkg:Org"},
    ),
    (
        "pkg:acme rdf:type pkg:Both",
        "cls-int1",
        {
            f"pkg:Both {INTERSECTION} _",
            "pkg:Org owl:equivalentClass _",
            "pkg:Lab owl:equivalentClass _",
            *HAS_VALUE_MAKER,
            "_ owl:hasValue pkg:Tester",
            "pkg:acme pkg:playsRole pkg:Maker",
            "pkg:acme pkg:playsRole pkg:Tester",
        },
    ),
    (
        "pkg:initech rdf:type pkg:Lab",
        "cls-int2",
        {f"pkg:Both {INTERSECTION} _", "pkg:initech rdf:type pkg:Both"},
    ),
    ("pkg:Both rdfs:subClassOf pkg:Org", "scm-int", {f"pkg:Both {INTERSECTION} _"}),
    (
        "pkg:Dog rdfs:subClassOf pkg:Creature",
        "scm-sco",
        {"pkg:Dog rdfs:subClassOf pkg:Animal", "pkg:Animal rdfs:subClassOf pkg:Creature"},
    ),
    ("pkg:Human rdfs:subClassOf pkg:Person", "scm-eqc1", {"pkg:Person owl:equivalentClass pkg:Human"}),
    ("pkg:Human owl:equivalentClass pkg:Person", "scm-eqc2", {"pkg:Person owl:equivalentClass pkg:Human"}),
    (
        "pkg:immediatelyBefore rdfs:subPropertyOf pkg:relatedTo",
        "scm-spo",
        {
            "pkg:immediatelyBefore rdfs:subPropertyOf pkg:before",
            "pkg:before rdfs:subPropertyOf pkg:relatedTo",
        },
    ),
    (
        "pkg:attends rdfs:subPropertyOf pkg:participatesIn",
        "scm-eqp1",
        {"pkg:attends owl:equivalentProperty pkg:participatesIn"},
    ),
    (
        "pkg:participatesIn owl:equivalentProperty pkg:attends",
        "scm-eqp2",
        {"pkg:attends owl:equivalentProperty pkg:participatesIn"},
    ),
    (
        "pkg:inStage rdfs:range pkg:Period",
        "scm-rng1",
        {"pkg:inStage rdfs:range pkg:Stage", "pkg:Stage rdfs:subClassOf pkg:Period"},
    ),
    (
        "pkg:hasMainTask rdfs:domain pkg:Role",
        "scm-dom2",
        {"pkg:hasTask rdfs:domain pkg:Role", "pkg:hasMainTask rdfs:subPropertyOf pkg:hasTask"},
    ),
    (
        "pkg:hasMainStage rdfs:range pkg:Stage",
        "scm-rng2",
        {"pkg:inStage rdfs:range pkg:Stage", "pkg:hasMainStage rdfs:subPropertyOf pkg:inStage"},
    ),
    ("pkg:x2 owl:sameAs pkg:x1", "eq-sym", {"pkg:x1 owl:sameAs pkg:x2"}),
    ("pkg:x1 owl:sameAs pkg:x3", "eq-trans", {"pkg:x1 owl:sameAs pkg:x2", "pkg:x2 owl:sameAs pkg:x3"}),
]


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = write_ontology(
        tmp_path_factory.mktemp("explain") / "o", {"vocab.ttl": PKG + VOCAB, "data.ttl": PKG + DATA}
    )
    return open_store(folder, cache=folder.parent / "cache")


def _fact(text: str) -> tuple[ox.NamedNode, ...]:
    return tuple(ox.NamedNode(expand_curie(part)) for part in text.split())


def _show(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    return shorten(term.value) if isinstance(term, ox.NamedNode) else "_"


def _leaves(proof: Proof) -> set[str]:
    if proof.status == "asserted":
        return {" ".join(_show(t) for t in proof.fact)}
    assert proof.premises, f"{proof.text} has no derivation"
    return set().union(*(_leaves(p) for p in proof.premises))


@pytest.mark.parametrize(("goal", "rule", "leaves"), CASES, ids=[c[1] for c in CASES])
def test_rule_explains_inferred_triple_down_to_asserted_premises(mini, goal, rule, leaves):
    fact = _fact(goal)
    assert {q.graph_name.value for q in mini.quads(*fact)} == {INFERRED_GRAPH}
    explanation = explain(mini, *fact)
    assert not explanation.asserted
    assert explanation.proof.status == "inferred"
    assert explanation.proof.rule == rule
    assert _leaves(explanation.proof) == leaves


def test_restriction_steps_are_rederived_and_shown_as_class_expressions(mini):
    proof = explain(mini, *_fact("pkg:acme rdf:type pkg:Org")).proof
    step = next(p for p in proof.premises if p.status == "intermediate")
    assert step.rule == "cls-hv2"
    assert step.text == ("pkg:acme", "rdf:type", "[pkg:playsRole value pkg:Maker]")
    text = explain(mini, *_fact("pkg:acme rdf:type pkg:Org")).render_text()
    assert text.splitlines()[0] == "pkg:acme rdf:type pkg:Org  [inferred, by cax-eqc2]"
    assert "    pkg:acme pkg:playsRole pkg:Maker  [asserted in data]" in text.splitlines()


def test_asserted_triple_names_graph_and_source_passage(mini):
    explanation = explain(mini, "pkg:a", "pkg:hasPart", "pkg:b")
    assert explanation.asserted
    assert explanation.proof.graphs == [graph_iri("data")]
    assert explanation.proof.sources == [expand_curie("pkg:passage")]
    data = json.loads(json.dumps(explanation.to_dict()))
    assert data["passages"] == {
        expand_curie("pkg:passage"): {"label": "Section 1", "quotation": "The a has the b."}
    }
    assert data["proof"]["status"] == "asserted"
    lines = explanation.render_text().splitlines()
    assert lines[0] == "pkg:a pkg:hasPart pkg:b  [asserted in data; source: Section 1]"
    assert "  > The a has the b." in lines


def test_explanation_serialises_rule_and_premises(mini):
    data = explain(mini, *_fact("pkg:b pkg:partOf pkg:a")).to_dict()
    assert data["asserted"] is False
    assert data["proof"]["rule"] == "prp-inv1"
    assert [p["status"] for p in data["proof"]["premises"]] == ["asserted", "asserted"]
    assert data["proof"]["premises"][0]["graphs"] == [graph_iri("vocab")]


def test_not_entailed_is_404_with_reason(mini):
    with pytest.raises(NotEntailed) as err:
        explain(mini, "pkg:b", "pkg:hasPart", "pkg:a")
    assert err.value.status == 404
    assert "neither asserted nor inferred" in err.value.message


def test_depth_cap_stops_the_search(mini):
    # prp-trp over prp-spo1 needs two levels of rules; with one level the derivation is not found
    explanation = explain(mini, *_fact("pkg:s1 pkg:before pkg:s3"), max_depth=1)
    assert explanation.proof.rule is None
    assert "no derivation found" in explanation.render_text()


def test_time_budget_stops_a_derivation_with_a_503(mini):
    with pytest.raises(QueryTimeout) as err:
        explain(mini, *_fact("pkg:b pkg:partOf pkg:a"), timeout_s=0)
    assert err.value.status == 503 and "time budget of 0 s" in err.value.message
    asserted = explain(mini, "pkg:a", "pkg:hasPart", "pkg:b", timeout_s=0)  # no proof step to time
    assert asserted.asserted


class _Ticking:
    """A clock that advances one second each time it is read: the budget runs out after so many reads."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        self.now += 1
        return self.now


def test_time_budget_is_checked_between_proof_steps(mini, monkeypatch):
    # prp-trp, then prp-spo1 for a premise: two steps, each reading the clock; 1.5 "seconds" allow one
    goal = _fact("pkg:s1 pkg:before pkg:s3")
    monkeypatch.setattr(explain_module, "time", _Ticking())
    with pytest.raises(QueryTimeout):
        explain(mini, *goal, timeout_s=1.5)
    assert explain(mini, *goal, timeout_s=1000).proof.rule == "prp-trp"


# --- every derivation, bounded ---

CHAIN_VIA = {
    "u1": {f"pkg:activeIn {CHAIN} _", "pkg:r2 pkg:hasTask pkg:u1", "pkg:u1 pkg:inStage pkg:s9"},
    "u2": {f"pkg:activeIn {CHAIN} _", "pkg:r2 pkg:hasTask pkg:u2", "pkg:u2 pkg:inStage pkg:s9"},
}


def test_every_distinct_derivation_is_returned_first_one_first(mini):
    explanation = explain(mini, *_fact("pkg:r2 pkg:activeIn pkg:s9"))
    assert explanation.count == 2 and explanation.more == 0
    assert [d.rule for d in explanation.derivations] == ["prp-spo2", "prp-spo2"]
    assert [_leaves(d) for d in explanation.derivations] == [CHAIN_VIA["u1"], CHAIN_VIA["u2"]]
    assert explanation.proof == explanation.derivations[0]


def test_derivations_by_different_rules_are_all_returned(mini):
    # s9 is a Period as a Stage (cax-sco) and by the inherited range of inStage, once per task (prp-rng)
    explanation = explain(mini, *_fact("pkg:s9 rdf:type pkg:Period"))
    assert [d.rule for d in explanation.derivations] == ["prp-rng", "prp-rng", "cax-sco"]
    assert explanation.count == 3
    for derivation in explanation.derivations:
        assert _leaves(derivation) and all(_down_to_asserted(derivation))


def test_at_most_max_derivations_with_a_count_of_the_rest(mini):
    goal = _fact("pkg:r2 pkg:activeIn pkg:s9")
    explanation = explain(mini, *goal, max_derivations=1)
    assert len(explanation.derivations) == 1 and explanation.count == 2 and explanation.more == 1
    assert _leaves(explanation.derivations[0]) == CHAIN_VIA["u1"]
    data = json.loads(json.dumps(explanation.to_dict()))
    assert data["count"] == 2 and data["more"] == 1
    assert data["derivations"] == [data["proof"]]
    assert explanation.render_text().splitlines()[-1] == (
        "1 more derivation not shown (2 in all): --max 2 shows them all"
    )
    assert explanation.render_text(ask="max={n}").splitlines()[-1].endswith(": max=2 shows them all")


def test_all_derivations_are_rendered_one_after_another(mini):
    lines = explain(mini, *_fact("pkg:r2 pkg:activeIn pkg:s9")).render_text().splitlines()
    root = "pkg:r2 pkg:activeIn pkg:s9  [inferred, by prp-spo2]"
    assert lines[0] == root
    assert lines[4:7] == ["", "derivation 2 of 2:", root]
    assert "  pkg:r2 pkg:hasTask pkg:u1  [asserted in data]" in lines[:4]
    assert "  pkg:r2 pkg:hasTask pkg:u2  [asserted in data]" in lines[6:]
    data = explain(mini, *_fact("pkg:r2 pkg:activeIn pkg:s9")).to_dict()
    assert [len(d["premises"]) for d in data["derivations"]] == [3, 3] and data["more"] == 0


def test_the_same_rule_application_is_one_derivation(mini, monkeypatch):
    twice = (*explain_rules.RULES, explain_rules.RULES[1])  # property chains proposed twice
    monkeypatch.setattr(explain_rules, "RULES", twice)
    explanation = explain(mini, *_fact("pkg:r2 pkg:activeIn pkg:s9"))
    assert explanation.count == 2 and [_leaves(d) for d in explanation.derivations] == list(
        CHAIN_VIA.values()
    )


def test_counting_the_rest_is_within_the_time_budget(mini, monkeypatch):
    # the first derivation alone fits in the budget; trying the second one is a further step
    goal = _fact("pkg:r2 pkg:activeIn pkg:s9")
    clock = _Ticking()
    monkeypatch.setattr(explain_module, "time", clock)
    explain(mini, *goal, timeout_s=1000)
    reads = int(clock.now)  # 1 to set the deadline, then 1 per step
    clock.now = 0
    with pytest.raises(QueryTimeout):
        explain(mini, *goal, timeout_s=reads - 1.5, max_derivations=1)
    assert explain(mini, *goal, timeout_s=reads - 0.5, max_derivations=1).count == 2


def test_json_terms_carry_curie_and_label_like_paths_and_neighbours(mini):
    data = explain(mini, *_fact("pkg:b pkg:partOf pkg:a")).to_dict()["proof"]
    assert data["predicate"] == {
        "type": "uri",
        "value": expand_curie("pkg:partOf"),
        "curie": "pkg:partOf",
        "label": "part of",
    }
    schema = data["premises"][0]  # pkg:hasPart owl:inverseOf pkg:partOf: CURIEs in the text, labels in JSON
    assert schema["subject"]["label"] == "has part" and schema["object"]["label"] == "part of"
    assert (
        explain(mini, *_fact("pkg:b pkg:partOf pkg:a"))
        .render_text()
        .splitlines()[1]
        .startswith("  pkg:hasPart owl:inverseOf pkg:partOf  [asserted in vocab]")
    )


def _down_to_asserted(proof: Proof, above: frozenset = frozenset()) -> list[bool]:
    """One flag per leaf: asserted, and no fact on the way from the root to it is repeated."""
    if proof.fact in above:
        return [False]
    if proof.status == "asserted":
        return [True]
    if not proof.premises:
        return [False]
    return [ok for p in proof.premises for ok in _down_to_asserted(p, above | {proof.fact})]


# --- the real domain graph ---


def test_cro_active_in_phase_two_by_property_chain(store):
    fact = _fact("pkg:CRO pkg:activeInStage pkg:PhaseIIStage")
    assert {q.graph_name.value for q in store.quads(*fact)} == {INFERRED_GRAPH}
    proof = explain(store, *fact).proof
    assert proof.rule == "prp-spo2"
    assert _leaves(proof) == {
        "pkg:activeInStage owl:propertyChainAxiom _",
        "pkg:CRO pkg:hasResponsibility pkg:ClinicalTrials",
        "pkg:ClinicalTrials pkg:performedInStage pkg:PhaseIIStage",
    }
    graphs = {" ".join(_show(t) for t in p.fact): p.graphs for p in proof.premises}
    assert graphs["pkg:CRO pkg:hasResponsibility pkg:ClinicalTrials"] == [graph_iri("article")]
    assert graphs["pkg:ClinicalTrials pkg:performedInStage pkg:PhaseIIStage"] == [
        graph_iri("domain-knowledge")
    ]


def test_every_inferred_triple_of_the_domain_graph_has_a_derivation(store):
    for quad in store.quads(None, None, None, [store.inferred_graph]):
        proof = explain(store, quad.subject, quad.predicate, quad.object).proof
        assert proof.rule is not None, proof.text


def test_cro_active_in_phase_three_by_both_responsibilities(store):
    explanation = explain(store, "pkg:CRO", "pkg:activeInStage", "pkg:PhaseIIIStage")
    assert explanation.count == 2
    via = [
        {" ".join(_show(t) for t in p.fact) for p in d.premises if p.fact[0] == _fact("pkg:CRO")[0]}
        for d in explanation.derivations
    ]
    assert via == [
        {"pkg:CRO pkg:hasResponsibility pkg:ClinicalTrials"},
        {"pkg:CRO pkg:hasResponsibility pkg:DataManagement"},
    ]
    predicate = explanation.to_dict()["proof"]["predicate"]
    assert predicate["curie"] == "pkg:activeInStage" and predicate["label"] == "active in stage"


def test_every_derivation_of_the_domain_graph_is_well_founded(store):
    """Each derivation of each inferred triple goes down to asserted triples, and no fact is used to
    derive itself (a remembered sub-proof is reused only where it does not cite a fact above it)."""
    for quad in store.quads(None, None, None, [store.inferred_graph]):
        explanation = explain(store, quad.subject, quad.predicate, quad.object, max_derivations=1000)
        assert explanation.count == len(explanation.derivations) >= 1
        for derivation in explanation.derivations:
            assert all(_down_to_asserted(derivation)), derivation.text


def test_cli_prints_every_derivation_and_at_most_max(store, cache_dir):
    def kg(*args: str) -> str:
        done = CliRunner().invoke(cli, ["--cache-dir", str(cache_dir), "explain", *args])
        assert done.exit_code == 0, done.output
        return done.output

    goal = ("CRO", "activeInStage", "pkg:PhaseIIIStage")
    both = kg(*goal)
    assert "derivation 2 of 2:" in both and "Data Management" in both and "Clinical Trials" in both
    one = kg(*goal, "--max", "1").splitlines()
    assert "Data Management" not in "\n".join(one)
    assert one[-1] == "1 more derivation not shown (2 in all): --max 2 shows them all"
    as_json = json.loads(kg(*goal, "--max", "1", "--json"))
    core = explain(store, *goal, max_derivations=1).to_dict()
    assert stable(as_json) == stable(json.loads(json.dumps(core))) and as_json["more"] == 1


def stable(data: Any) -> Any:
    """JSON without blank node identifiers, which each load of the store draws afresh."""
    if isinstance(data, list):
        return [stable(item) for item in data]
    if isinstance(data, dict):
        if data.get("type") == "bnode":
            return {k: v for k, v in data.items() if k != "value"}
        return {k: stable(v) for k, v in data.items()}
    return data


def test_an_asserted_premise_cites_its_own_statement_not_its_subject(store) -> None:
    """`CMO collaboratesWith CRO` comes from the collaboration section, although CMO itself is
    introduced in the CMO section (per-statement provenance, graph:provenance).
    Mutation: proof._sources ignores the records → it cites #cmo."""
    from kg.explain import explain as explain_triple

    result = explain_triple(store, "CMO", "collaboratesWith", "CRO")
    assert result.proof.sources == ["https://w3id.org/pharma-kg/source/article#collaboration"]


def test_walks_do_not_follow_statement_records(store) -> None:
    """Records (blank nodes with rdf:subject/rdf:object) describe statements; they are not links."""
    from kg.resolve import resolve
    from kg.traverse import neighbours

    edges = neighbours(store, resolve(store, "CMO"))
    record_links = ("22-rdf-syntax-ns#subject", "22-rdf-syntax-ns#object")
    assert not [e for e in edges if any(link in str(e) for link in record_links)]

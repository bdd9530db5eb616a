"""On the built store: each axiom's entailment sits in the inferred graph only, and explain names its rule."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.explain import explain
from kg.terms import to_ox

from test_ontology import AXIOM_CASES


@pytest.mark.parametrize(("rule", "triple"), AXIOM_CASES)
def test_entailment_is_in_the_inferred_graph_only(store, rule, triple):
    s, p, o = (to_ox(t) for t in triple)
    graphs = {q.graph_name.value for q in store.quads(s, p, o)}
    assert graphs == {store.inferred_graph}, rule


def _walk(proof: dict):
    yield proof
    for premise in proof.get("premises", []):
        yield from _walk(premise)


@pytest.mark.parametrize(("rule", "triple"), AXIOM_CASES)
def test_explanation_uses_the_axiom_rule_down_to_asserted_premises(store, rule, triple):
    s, p, o = (to_ox(t) for t in triple)
    proof = explain(store, s, p, o).to_dict()["proof"]
    family = rule.split()[0]  # "prp-inv (follows)" -> "prp-inv", covering prp-inv1 and prp-inv2
    steps = list(_walk(proof))
    assert any((step.get("rule") or "").startswith(family) for step in steps), rule
    leaves = [step for step in steps if not step.get("premises")]
    assert leaves and all(step["status"] == "asserted" for step in leaves), rule


def test_asserted_triple_is_explained_with_its_passage(store):
    pkg = "https://w3id.org/pharma-kg/id/"
    answer = explain(
        store,
        ox.NamedNode(pkg + "CMO"),
        ox.NamedNode(pkg + "hasResponsibility"),
        ox.NamedNode(pkg + "QualityControl"),
    ).to_dict()
    assert answer["asserted"]
    quotes = [p.get("quotation", "") for p in answer["passages"].values()]
    assert any("Ensuring the quality of the products meets regulatory standards." in q for q in quotes)

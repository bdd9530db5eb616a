"""Resolve: IRIs, CURIEs and labels to nodes; homonyms and unknown names refused with something to act on."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.errors import UnknownResource
from kg.namespaces import expand_curie
from kg.resolve import AmbiguousName, label, resolve
from kg.store import Store, open_store

from conftest import write_ontology

DATA = """\
@prefix pkg: <https://w3id.org/pharma-kg/id/> .
pkg:CRO a pkg:Role ; skos:prefLabel "CRO"@en ; skos:altLabel "Contract Research Organization"@en .
pkg:QualityControl a pkg:Responsibility ; skos:prefLabel "Quality Control"@en ; skos:altLabel "QC"@en .
pkg:ExpertiseBenefit a pkg:CollaborationBenefit ; skos:prefLabel "Expertise"@en .
pkg:ExpertiseCriterion a pkg:SelectionCriterion ; skos:prefLabel "Expertise"@en .
pkg:Role rdfs:label "Role"@en .
pkg:Unlabelled pkg:relatedTo <http://example.org/outside> .
"""


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = write_ontology(tmp_path_factory.mktemp("resolve") / "o", {"data.ttl": DATA})
    return open_store(folder, cache=folder.parent / "cache")


def _iri(curie: str) -> ox.NamedNode:
    return ox.NamedNode(expand_curie(curie))


@pytest.mark.parametrize(
    ("name", "curie"),
    [
        ("pkg:CRO", "pkg:CRO"),
        ("<https://w3id.org/pharma-kg/id/CRO>", "pkg:CRO"),
        ("https://w3id.org/pharma-kg/id/CRO", "pkg:CRO"),
        ("cro", "pkg:CRO"),
        ("  contract   research organization ", "pkg:CRO"),
        ("qc", "pkg:QualityControl"),
        ("ROLE", "pkg:Role"),
        ("pkg:relatedTo", "pkg:relatedTo"),
    ],
)
def test_resolves_iri_curie_and_labels(mini, name, curie):
    assert resolve(mini, name) == _iri(curie)


def test_resolves_a_node_known_only_as_an_object(mini):
    assert resolve(mini, "<http://example.org/outside>") == ox.NamedNode("http://example.org/outside")


def test_homonym_lists_candidates_with_types(mini):
    with pytest.raises(AmbiguousName) as err:
        resolve(mini, "expertise")
    assert isinstance(err.value, UnknownResource)
    assert err.value.candidates == [_iri("pkg:ExpertiseBenefit"), _iri("pkg:ExpertiseCriterion")]
    assert err.value.message == (
        "'expertise' names 2 resources: pkg:ExpertiseBenefit (pkg:CollaborationBenefit); "
        "pkg:ExpertiseCriterion (pkg:SelectionCriterion). Pick one by its CURIE."
    )


def test_unknown_label_suggests_close_matches(mini):
    with pytest.raises(UnknownResource) as err:
        resolve(mini, "Qualty Contrl")
    assert err.value.status == 404
    assert err.value.message == (
        "nothing in the graph is named 'Qualty Contrl'. "
        'Did you mean: "Quality Control" (pkg:QualityControl)?'
    )


@pytest.mark.parametrize(
    "name", ["pkg:CROO", "<https://w3id.org/pharma-kg/id/CROO>", "http://example.org/none"]
)
def test_unknown_iri_or_curie_is_refused(mini, name):
    with pytest.raises(UnknownResource) as err:
        resolve(mini, name)
    assert "does not occur in the graph" in err.value.message
    if "CROO" in name:
        assert '"CRO" (pkg:CRO)' in err.value.message


def test_label_prefers_pref_label_then_falls_back_to_curie(mini):
    assert label(mini, _iri("pkg:CRO")) == "CRO"
    assert label(mini, _iri("pkg:Role")) == "Role"
    assert label(mini, _iri("pkg:Unlabelled")) == "pkg:Unlabelled"
    assert label(mini, ox.NamedNode("http://example.org/outside")) == "http://example.org/outside"
    assert label(mini, ox.Literal("x", language="en")) == "x"


# --- the real domain graph ---


def test_domain_homonyms_name_both_kinds(store):
    with pytest.raises(AmbiguousName) as err:
        resolve(store, "Regulatory Compliance")
    assert err.value.candidates == [
        _iri("pkg:RegulatoryComplianceCriterion"),
        _iri("pkg:RegulatoryComplianceResponsibility"),
    ]
    assert "pkg:SelectionCriterion" in err.value.message and "pkg:Responsibility" in err.value.message
    assert resolve(store, "Contract Research Organization") == _iri("pkg:CRO")


@pytest.mark.parametrize("name", ["pkg:a b", "<x y>", "<http://a b/>"])
def test_malformed_iri_is_a_clear_400_error(store, name):
    from kg.resolve import MalformedName

    with pytest.raises(MalformedName, match="not a valid IRI") as err:
        resolve(store, name)
    assert err.value.status == 400

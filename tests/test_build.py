"""Build: parse errors with positions, SHACL failures, the closure's graph, the noise rule, the cache."""

from __future__ import annotations

import pytest

from kg import build
from kg.errors import InconsistentGraph, SourceError, ValidationFailed
from kg.namespaces import INFERRED_GRAPH, graph_iri
from kg.store import OxigraphStore

from conftest import write_ontology

VOCAB = """\
ex:hasPart a owl:ObjectProperty ; owl:inverseOf ex:partOf .
ex:Widget rdfs:subClassOf ex:Thing .
ex:Widget owl:disjointWith ex:Gadget .
"""
DATA = """\
ex:w1 a ex:Widget ; ex:hasPart ex:p1 ; skos:prefLabel "W1" .
"""


def test_malformed_turtle_names_file_line_and_column(tmp_path):
    folder = write_ontology(tmp_path / "o", {"data.ttl": 'ex:a ex:b "unterminated .\n'})
    with pytest.raises(SourceError) as err:
        build.build(folder, cache=tmp_path / "c")
    # the prefix block is 5 lines, so the bad statement sits on line 6
    assert f"{folder / 'data.ttl'}:6:" in err.value.message
    assert not (tmp_path / "c").exists() or not any((tmp_path / "c").iterdir())


def test_shacl_violation_stops_build_with_file_focus_path_message(tmp_path):
    shapes = """\
    ex:LabelShape a sh:NodeShape ; sh:targetClass ex:Widget ;
      sh:property [ sh:path skos:prefLabel ; sh:minCount 1 ; sh:message "a widget needs a label" ] .
    """
    folder = write_ontology(
        tmp_path / "o", {"shapes.ttl": shapes, "vocab.ttl": VOCAB, "data.ttl": "ex:w2 a ex:Widget .\n"}
    )
    with pytest.raises(ValidationFailed) as err:
        build.build(folder, cache=tmp_path / "c")
    message = err.value.message
    assert str(folder / "data.ttl") in message
    assert "http://example.org/w2" in message or "ex:w2" in message
    assert "skos:prefLabel" in message
    assert "a widget needs a label" in message


def test_inferred_triples_live_only_in_the_inferred_graph(tmp_path):
    folder = write_ontology(tmp_path / "o", {"vocab.ttl": VOCAB, "data.ttl": DATA})
    store = OxigraphStore(build.build(folder, cache=tmp_path / "c"))
    ask = "ASK { GRAPH <%s> { <http://example.org/p1> <http://example.org/partOf> <http://example.org/w1> } }"
    assert store.query(ask % INFERRED_GRAPH).__bool__()
    assert not store.query(ask % graph_iri("data")).__bool__()
    typed = "ASK { GRAPH <%s> { <http://example.org/w1> a <http://example.org/Thing> } }"
    assert bool(store.query(typed % INFERRED_GRAPH))


def test_noise_rule_drops_reflexive_builtin_and_blank_node_triples(tmp_path):
    folder = write_ontology(tmp_path / "o", {"vocab.ttl": VOCAB, "data.ttl": DATA})
    store = OxigraphStore(build.build(folder, cache=tmp_path / "c"))
    g = f"GRAPH <{INFERRED_GRAPH}>"
    assert not bool(store.query(f"ASK {{ {g} {{ ?x <http://www.w3.org/2002/07/owl#sameAs> ?x }} }}"))
    assert not bool(store.query(f"ASK {{ {g} {{ ?x ?p ?y FILTER(isBlank(?x) || isBlank(?y)) }} }}"))
    builtin = "FILTER(STRSTARTS(STR(?x), 'http://www.w3.org/2002/07/owl#'))"
    assert not bool(store.query(f"ASK {{ {g} {{ {{ ?x ?p ?y }} UNION {{ ?y ?p ?x }} {builtin} }} }}"))


def test_inconsistency_fails_the_build(tmp_path):
    data = DATA + "ex:w1 a ex:Gadget .\n"
    folder = write_ontology(tmp_path / "o", {"vocab.ttl": VOCAB, "data.ttl": data})
    with pytest.raises(InconsistentGraph) as err:
        build.build(folder, cache=tmp_path / "c")
    assert "w1" in err.value.message


def test_second_build_comes_from_the_cache_and_changes_invalidate_it(tmp_path):
    folder = write_ontology(tmp_path / "o", {"vocab.ttl": VOCAB, "data.ttl": DATA})
    first = build.build(folder, cache=tmp_path / "c")
    again = build.build(folder, cache=tmp_path / "c")
    assert again.key == first.key and again.manifest["built_at"] == first.manifest["built_at"]
    (folder / "data.ttl").write_text((folder / "data.ttl").read_text() + "ex:w9 a ex:Widget .\n")
    changed = build.build(folder, cache=tmp_path / "c")
    assert changed.key != first.key
    assert changed.manifest["graphs"][graph_iri("data")] == first.manifest["graphs"][graph_iri("data")] + 1


def test_missing_shapes_file_is_an_error(tmp_path):
    folder = write_ontology(tmp_path / "o", {"data.ttl": DATA})
    (folder / "shapes.ttl").unlink()
    with pytest.raises(SourceError, match="shapes"):
        build.build(folder, cache=tmp_path / "c")

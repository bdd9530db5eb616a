"""Traverse: neighbours in a stable order, shortest paths with exact nodes, edges and directions, and
the walking rule (no literals, no provenance or type hubs), depth cap, limit, time budget."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg import traverse
from kg.cli import cli
from kg.errors import UnknownResource
from kg.namespaces import expand_curie, shorten
from kg.resolve import label
from kg.store import Store, open_store
from kg.traverse import Edge, Path, neighbours, paths

from conftest import write_ontology

PKG = "@prefix pkg: <https://w3id.org/pharma-kg/id/> .\n@prefix dcterms: <http://purl.org/dc/terms/> .\n"
VOCAB = """\
pkg:hasStep owl:inverseOf pkg:stepOf .
pkg:reaches owl:propertyChainAxiom ( pkg:hasStep pkg:next ) .
pkg:partners a owl:SymmetricProperty .
"""
DATA = """\
pkg:A skos:prefLabel "A" ; pkg:hasStep pkg:B ; dcterms:source pkg:Passage ; a pkg:Thing .
pkg:B skos:prefLabel "B" ; pkg:next pkg:C ; pkg:note "a literal is never walked" .
pkg:C pkg:next pkg:E .
pkg:D pkg:next pkg:C ; dcterms:source pkg:Passage .
pkg:E a pkg:Thing .
pkg:F pkg:supplies pkg:G ; pkg:partners pkg:G .
pkg:G pkg:buysFrom pkg:F ; pkg:ships pkg:K ; pkg:delivers pkg:K .
"""


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = write_ontology(
        tmp_path_factory.mktemp("traverse") / "o", {"vocab.ttl": PKG + VOCAB, "data.ttl": PKG + DATA}
    )
    return open_store(folder, cache=folder.parent / "cache")


def _node(curie: str) -> ox.NamedNode:
    return ox.NamedNode(expand_curie(curie))


def _shape(path: Path) -> tuple[list[str], list[tuple[str, str, str, str, bool]]]:
    """Nodes as CURIEs; edges as (subject, predicate, object, direction, inferred)."""
    edges = [
        (
            shorten(e.subject.value),
            shorten(e.predicate.value),
            shorten(e.object.value),
            e.direction,
            e.inferred,
        )
        for e in path.edges
    ]
    return [shorten(n.value) for n in path.nodes], edges


def test_shortest_path_first_inferred_edges_flagged(mini):
    found = paths(mini, "pkg:A", "pkg:C")
    assert found.complete and found.stopped is None
    assert [_shape(p) for p in found] == [
        (["pkg:A", "pkg:C"], [("pkg:A", "pkg:reaches", "pkg:C", "forward", True)]),
        (
            ["pkg:A", "pkg:B", "pkg:C"],
            [
                ("pkg:A", "pkg:hasStep", "pkg:B", "forward", False),
                ("pkg:B", "pkg:next", "pkg:C", "forward", False),
            ],
        ),
    ]


def test_backward_edges_prefer_the_asserted_triple_over_its_inferred_inverse(mini):
    [path] = paths(mini, "pkg:C", "pkg:A", infer=False)
    assert _shape(path) == (
        ["pkg:C", "pkg:B", "pkg:A"],
        [
            ("pkg:B", "pkg:next", "pkg:C", "backward", False),
            ("pkg:A", "pkg:hasStep", "pkg:B", "backward", False),
        ],
    )
    # with inference, A-B is still shown as the asserted hasStep, not the inferred stepOf
    assert _shape(paths(mini, "pkg:C", "pkg:A")[1])[1][1] == (
        "pkg:A",
        "pkg:hasStep",
        "pkg:B",
        "backward",
        False,
    )


def test_directed_walk_follows_edges_forward_only(mini):
    assert paths(mini, "pkg:C", "pkg:A", infer=False, undirected=False) == []
    assert len(paths(mini, "pkg:A", "pkg:C", infer=False, undirected=False)) == 1


def test_provenance_and_type_hubs_are_not_walked(mini):
    # A and D share dcterms:source pkg:Passage, A and E share rdf:type pkg:Thing: neither is a path
    [to_d] = paths(mini, "pkg:A", "pkg:D", infer=False)
    assert _shape(to_d)[0] == ["pkg:A", "pkg:B", "pkg:C", "pkg:D"]
    [to_e] = paths(mini, "pkg:A", "pkg:E", infer=False)
    assert _shape(to_e)[0] == ["pkg:A", "pkg:B", "pkg:C", "pkg:E"]


def test_type_edge_is_walked_when_it_reaches_the_target_class(mini):
    found = paths(mini, "pkg:A", "pkg:Thing", infer=False)
    assert [_shape(p) for p in found] == [
        (["pkg:A", "pkg:Thing"], [("pkg:A", "rdf:type", "pkg:Thing", "forward", False)]),
        (
            ["pkg:A", "pkg:B", "pkg:C", "pkg:E", "pkg:Thing"],
            [
                ("pkg:A", "pkg:hasStep", "pkg:B", "forward", False),
                ("pkg:B", "pkg:next", "pkg:C", "forward", False),
                ("pkg:C", "pkg:next", "pkg:E", "forward", False),
                ("pkg:E", "rdf:type", "pkg:Thing", "forward", False),
            ],
        ),
    ]


def test_each_predicate_between_two_nodes_is_its_own_path(mini):
    # F-G: supplies, partners (asserted one way, inferred back: one edge) and buysFrom (stated backwards)
    found = paths(mini, "pkg:F", "pkg:G")
    assert [_shape(p)[1] for p in found] == [
        [("pkg:F", "pkg:partners", "pkg:G", "forward", False)],
        [("pkg:F", "pkg:supplies", "pkg:G", "forward", False)],
        [("pkg:G", "pkg:buysFrom", "pkg:F", "backward", False)],
    ]
    directed = paths(mini, "pkg:F", "pkg:G", undirected=False)
    assert [_shape(p)[1][0][1] for p in directed] == ["pkg:partners", "pkg:supplies"]
    back = paths(mini, "pkg:G", "pkg:F", undirected=False)  # only the inferred partners and buysFrom
    assert [_shape(p)[1] for p in back] == [
        [("pkg:G", "pkg:buysFrom", "pkg:F", "forward", False)],
        [("pkg:G", "pkg:partners", "pkg:F", "forward", True)],
    ]


def test_parallel_edges_on_every_hop_multiply_and_the_limit_still_holds(mini):
    found = paths(mini, "pkg:F", "pkg:K")
    hops = [tuple(e[1] for e in _shape(p)[1]) for p in found]
    assert hops == [
        (first, second)
        for first in ("pkg:partners", "pkg:supplies", "pkg:buysFrom")
        for second in ("pkg:delivers", "pkg:ships")
    ]
    assert all(_shape(p)[0] == ["pkg:F", "pkg:G", "pkg:K"] for p in found) and found.stopped is None
    limited = paths(mini, "pkg:F", "pkg:K", limit=4)
    assert [tuple(e[1] for e in _shape(p)[1]) for p in limited] == hops[:4]
    assert limited.complete and limited.stopped == "limit of 4 paths reached"


def test_an_inverse_or_symmetric_copy_is_not_a_parallel_edge(mini):
    # hasStep and its inferred inverse stepOf state one fact: one path from A to B, not two
    assert [_shape(p)[1] for p in paths(mini, "pkg:A", "pkg:B", max_depth=1)] == [
        [("pkg:A", "pkg:hasStep", "pkg:B", "forward", False)]
    ]
    assert [_shape(p)[1] for p in paths(mini, "pkg:G", "pkg:F", max_depth=1)][1] == [
        ("pkg:F", "pkg:partners", "pkg:G", "backward", False)
    ]


def test_depth_cap(mini):
    assert paths(mini, "pkg:A", "pkg:E", infer=False, max_depth=2) == []
    assert [len(p.edges) for p in paths(mini, "pkg:A", "pkg:E", infer=False, max_depth=3)] == [3]


def test_limit_and_time_budget_stop_early(mini):
    limited = paths(mini, "pkg:A", "pkg:C", limit=1)
    assert len(limited) == 1 and limited.complete and limited.stopped == "limit of 1 paths reached"
    out_of_time = paths(mini, "pkg:A", "pkg:C", timeout_s=-1)
    assert out_of_time == [] and not out_of_time.complete
    assert out_of_time.to_dict() == {"complete": False, "stopped": "time budget of -1 s used up", "paths": []}


class _Frozen:
    """A clock that never moves: only a budget of 0 can run out."""

    @staticmethod
    def monotonic() -> float:
        return 0.0


def test_a_zero_time_budget_always_stops_the_search(mini, monkeypatch):
    monkeypatch.setattr(traverse, "time", _Frozen())
    out_of_time = paths(mini, "pkg:A", "pkg:C", timeout_s=0)
    assert not out_of_time.complete and out_of_time.stopped == "time budget of 0 s used up"
    assert paths(mini, "pkg:A", "pkg:C", timeout_s=1).complete


def test_same_source_and_target_is_a_zero_length_path(mini):
    [path] = paths(mini, "A", "pkg:A")
    assert path.length == 0 and _shape(path) == (["pkg:A"], [])


def test_unknown_node_is_refused(mini):
    with pytest.raises(UnknownResource):
        paths(mini, "pkg:A", "pkg:Nowhere")
    with pytest.raises(UnknownResource):
        neighbours(mini, _node("pkg:Nowhere"))


def test_path_serialises_and_renders(mini):
    path = paths(mini, "pkg:A", "pkg:C", infer=False)[0]
    data = json.loads(json.dumps(path.to_dict()))
    assert data["length"] == 2
    assert [n["label"] for n in data["nodes"]] == ["A", "B", "pkg:C"]
    assert data["edges"][0]["predicate"] == {
        "type": "uri",
        "value": expand_curie("pkg:hasStep"),
        "curie": "pkg:hasStep",
        "label": "pkg:hasStep",
    }
    assert path.render_text() == "A —pkg:hasStep→ B —pkg:next→ pkg:C"


def test_neighbours_out_then_in_sorted_with_inferred_flag(mini):
    edges = neighbours(mini, _node("pkg:B"))
    shown = [
        (e.direction, shorten(e.predicate.value), e.object_label, e.subject_label, e.inferred) for e in edges
    ]
    assert shown == [
        ("out", "pkg:next", "pkg:C", "B", False),
        ("out", "pkg:note", "a literal is never walked", "B", False),
        ("out", "pkg:stepOf", "A", "B", True),
        ("out", "skos:prefLabel", "B", "B", False),
        ("in", "pkg:hasStep", "B", "A", False),
    ]
    assert [e.inferred for e in neighbours(mini, "B", infer=False)] == [False] * 4
    assert json.loads(json.dumps(edges[1].to_dict()))["object"]["type"] == "literal"


def reference_neighbours(store: Store, node: ox.NamedNode, infer: bool = True) -> list[Edge]:
    """What `neighbours` answered before it learnt `limit`: every edge built, then all of them sorted."""
    edges: dict[tuple, Edge] = {}
    for direction, pattern in (("out", (node, None, None)), ("in", (None, None, node))):
        for quad in store.quads(*pattern, traverse.walkable(store, infer)):
            key = (quad.subject, quad.predicate, quad.object, direction)
            if key not in edges or edges[key].inferred:
                inferred = quad.graph_name.value == store.inferred_graph
                labels = (label(store, t) for t in (quad.subject, quad.predicate, quad.object))
                edges[key] = Edge(quad.subject, quad.predicate, quad.object, direction, inferred, *labels)

    def order(edge: Edge) -> tuple:
        other, text = (
            (edge.object, edge.object_label)
            if edge.direction == "out"
            else (edge.subject, edge.subject_label)
        )
        return (edge.direction != "out", shorten(edge.predicate.value), text, str(other))

    return sorted(edges.values(), key=order)


HUB_SIZE = 300


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """pkg:Hub with 900 edges: links out, points in, inferred inverses; one triple stated in two graphs."""
    data = [
        f'pkg:Hub pkg:links pkg:n{i} . pkg:n{i} pkg:points pkg:Hub ; skos:prefLabel "Node {i % 17}" .'
        for i in range(HUB_SIZE)
    ]
    vocab = "pkg:links owl:inverseOf pkg:linkedFrom .\npkg:Hub pkg:links pkg:n7 .\n"
    folder = write_ontology(
        tmp_path_factory.mktemp("hub") / "o", {"vocab.ttl": PKG + vocab, "data.ttl": PKG + "\n".join(data)}
    )
    return open_store(folder, cache=folder.parent / "cache")


@pytest.mark.parametrize("infer", [True, False])
def test_neighbours_with_a_limit_are_the_first_of_the_same_order(hub, infer):
    node = _node("pkg:Hub")
    everything = reference_neighbours(hub, node, infer)
    assert len(everything) == (3 if infer else 2) * HUB_SIZE  # pkg:n7's link counted once
    for limit in (1, 5, 17, HUB_SIZE, len(everything) - 1, len(everything), len(everything) + 1):
        found = neighbours(hub, node, infer, limit=limit)
        assert list(found) == everything[:limit] and found.total == len(everything)
    assert list(neighbours(hub, node, infer)) == everything


def test_neighbours_with_a_limit_builds_only_the_edges_it_returns(hub, monkeypatch):
    built = []

    def counting(*args) -> Edge:
        built.append(args)
        return edge(*args)

    edge = traverse._edge
    monkeypatch.setattr(traverse, "_edge", counting)
    found = neighbours(hub, _node("pkg:Hub"), limit=5)
    assert len(found) == 5 and found.total == 3 * HUB_SIZE and len(built) == 5


def test_neighbours_are_the_same_as_before_on_the_test_graphs(mini, store):
    nodes = {q.subject for q in mini.quads()} | {q.object for q in mini.quads()}
    for node in sorted((n for n in nodes if isinstance(n, ox.NamedNode)), key=str):
        assert list(neighbours(mini, node)) == reference_neighbours(mini, node)
    for local in ("CRO", "CMO", "PhaseIIStage", "QualityControl", "Responsibility"):
        node = _node(f"pkg:{local}")
        assert list(neighbours(store, node, limit=7)) == reference_neighbours(store, node)[:7]


# --- the real domain graph ---


def test_cro_to_phase_three(store):
    found = paths(store, "pkg:CRO", "pkg:PhaseIIIStage")
    assert _shape(found[0]) == (
        ["pkg:CRO", "pkg:PhaseIIIStage"],
        [("pkg:CRO", "pkg:activeInStage", "pkg:PhaseIIIStage", "forward", True)],
    )
    asserted = paths(store, "pkg:CRO", "pkg:PhaseIIIStage", infer=False)
    assert _shape(asserted[0]) == (
        ["pkg:CRO", "pkg:ClinicalTrials", "pkg:PhaseIIIStage"],
        [
            ("pkg:CRO", "pkg:hasResponsibility", "pkg:ClinicalTrials", "forward", False),
            ("pkg:ClinicalTrials", "pkg:performedInStage", "pkg:PhaseIIIStage", "forward", False),
        ],
    )
    assert all(not e.inferred for p in asserted for e in p.edges)


def test_cro_to_cmo_by_collaboration_and_by_hand_over(store):
    found = paths(store, "pkg:CRO", "pkg:CMO", max_depth=1)
    assert [_shape(p)[1] for p in found] == [
        [("pkg:CMO", "pkg:collaboratesWith", "pkg:CRO", "backward", False)],
        [("pkg:CRO", "pkg:handsOverTo", "pkg:CMO", "forward", True)],
    ]
    assert {
        (e.predicate.value, e.direction) for e in neighbours(store, "pkg:CRO") if e.object_label == "CMO"
    } >= {
        (expand_curie("pkg:collaboratesWith"), "out"),
        (expand_curie("pkg:handsOverTo"), "out"),
    }


def test_cli_says_how_to_search_deeper_when_there_is_no_path(cache_dir, store):
    def kg(*args: str) -> str:
        done = CliRunner().invoke(cli, ["--cache-dir", str(cache_dir), "paths", *args])
        assert done.exit_code == 0, done.output
        return done.output

    assert kg("CRO", "pkg:PostMarketStage", "--max-depth", "1").splitlines() == [
        "no path of length <= 1 between 'CRO' and 'pkg:PostMarketStage'",
        "search deeper with --max-depth 2 (now 1; at most 8)",
    ]
    deepest = kg("pkg:PostMarketStage", "CRO", "--directed", "--max-depth", "8").splitlines()
    assert (
        deepest[1]
        == "--max-depth 8 is the deepest search; without --directed, edges are also walked backwards"
    )
    assert "search deeper" not in kg("CRO", "pkg:PhaseIStage", "--max-depth", "1")

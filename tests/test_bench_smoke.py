"""The benchmark's synthetic graph: deterministic for a seed, and built by kg like the real data.

No timings here: performance lives in `bench/` (`make bench`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kg.build import build
from kg.namespaces import GRAPH, PKG
from kg.store import OxigraphStore

pytestmark = pytest.mark.slow

SIZE = 2000
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def generate(monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """`bench.synthetic.generate`; `bench/` is a top-level folder, not part of the installed package."""
    monkeypatch.syspath_prepend(str(ROOT))
    from bench.synthetic import generate

    return generate


def synthetic_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("synthetic-*.ttl"))}


def test_same_seed_same_files_other_seed_other_files(generate, tmp_path: Path) -> None:
    first = generate(tmp_path / "a", SIZE, seed=7)
    again = generate(tmp_path / "b", SIZE, seed=7)
    other = generate(tmp_path / "c", SIZE, seed=8)
    assert first == again and first >= SIZE and other >= SIZE
    assert synthetic_files(tmp_path / "a") == synthetic_files(tmp_path / "b")
    assert synthetic_files(tmp_path / "a") != synthetic_files(tmp_path / "c")
    assert {"vocabulary.ttl", "shapes.ttl"} <= {p.name for p in (tmp_path / "a").iterdir()}


def test_synthetic_graph_builds_and_reasons(generate, tmp_path: Path) -> None:
    written = generate(tmp_path / "onto", SIZE, seed=3)
    snapshot = build(tmp_path / "onto", cache=tmp_path / "cache")
    graphs = snapshot.manifest["graphs"]
    synthetic = {g: n for g, n in graphs.items() if g.startswith(GRAPH + "synthetic-")}
    assert len(synthetic) == 5 and sum(synthetic.values()) == written
    store = OxigraphStore(snapshot)
    # The first organisation typed by class only gets its role from the reasoner (cls-hv1), and a
    # synthetic stage chain is closed transitively (prp-trp), both in the inferred graph.
    inferred = store.query(
        f"""SELECT ?org ?first ?last WHERE {{
          GRAPH <{GRAPH}inferred> {{
            ?org <{PKG}playsRole> <{PKG}CMO> .
            ?first <{PKG}precedes> ?last .
          }}
          FILTER (STRSTARTS(STR(?org), "{PKG}SynOrg"))
          FILTER (?first = <{PKG}SynStage00000_1> && ?last = <{PKG}SynStage00000_7>)
        }} LIMIT 1"""
    )
    assert len(list(inferred)) == 1

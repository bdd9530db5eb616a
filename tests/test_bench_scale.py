"""The scale benchmark's harness at a tiny size, HTTP part off: every table has its rows and every
number it prints is a number ≥ 0. No timings are asserted: performance lives in `bench/`.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SIZE = 1000
NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?x?$")


@pytest.fixture
def scale(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """`bench.scale`; `bench/` is a top-level folder, not part of the installed package."""
    monkeypatch.syspath_prepend(str(ROOT))
    import bench.scale

    return bench.scale


def _numbers(rows: list[list[str]]) -> list[float]:
    found = []
    for row in rows:
        for cell in row:
            if NUMBER.match(cell):
                found.append(float(cell.rstrip("x").replace(",", "")))
    return found


def test_scale_tables_at_a_tiny_size(scale: ModuleType, tmp_path: Path) -> None:
    parts = tuple(p for p in scale.PARTS if p != "http")
    opts = scale.Options(
        sizes=[SIZE],
        parts=parts,
        repeat=1,
        budget=20,
        owlrl_max=SIZE,
        roundtrip_requests=10,
        build_timeout=300,
        reason_budget=300,
    )
    tables = {t.title.split(":")[0]: t for t in scale.run_scale(opts, tmp_path)}
    assert set(tables) >= {
        "Build",
        "Build stages",
        "Reasoning",
        "Cold start",
        "Memory",
        "Named queries, summary",
        "Named queries at 1k",
        "Export",
        "Worker round trip",
    }
    assert "Uncached HTTP" not in tables
    assert [row[0] for row in tables["Build"].rows] == ["1k"]
    reasoners = [row[1] for row in tables["Reasoning"].rows]  # bench.reasoners' names or bench.scale's
    assert len(reasoners) == 3 and any(r.startswith("owlrl") for r in reasoners)
    assert tables["Cold start"].rows[0][0] == "1k"
    roles = {row[2] for row in tables["Memory"].rows}
    assert {"main (kg serve)", "server process (granian)", "query worker"} <= roles
    named = tables["Named queries at 1k"].rows
    assert len(named) == len(list((ROOT / "queries").glob("*.rq")))
    assert [row[1] for row in tables["Export"].rows] == ["nquads", "turtle"]
    assert len(tables["Worker round trip"].rows) == 10
    for title, table in tables.items():
        if title == "Worker round trip":  # differences of medians may dip below zero; shown as measured
            continue
        assert all(n >= 0 for n in _numbers(table.rows)), title
    assert not list(tmp_path.glob("cache-*")), "each size's cache is removed after its turn"

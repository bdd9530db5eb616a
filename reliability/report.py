"""The table the suite prints: scenario | what was done | figures | verdict, one row per check."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass

from kg.table import render

PASS = "pass"


@dataclass(frozen=True)
class Row:
    scenario: str
    what: str
    figures: str
    verdict: str  # "pass", "FAIL: why", or "info" for a figure without a target

    @property
    def failed(self) -> bool:
        return self.verdict.startswith("FAIL")


def verdict(problems: list[str]) -> str:
    return PASS if not problems else "FAIL: " + "; ".join(problems)


def statuses(counts: Counter) -> str:
    """`200×41 400×7 503×2`: status classes in order, errors by name."""
    return " ".join(f"{k}×{n}" for k, n in sorted(counts.items(), key=lambda kv: str(kv[0])))


def print_table(title: str, rows: list[Row], notes: list[str] = ()) -> None:
    print(f"\n{title}\n")
    cells = [[r.scenario, r.what, r.figures, r.verdict] for r in rows]
    print(render(["scenario", "what was done", "figures", "verdict"], cells, max_width=110))
    for note in notes:
        print(f"  note: {note}")
    sys.stdout.flush()

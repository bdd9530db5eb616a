"""Summaries of timing samples, and the number formats the tables print them in."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(samples: Sequence[float], q: float) -> float:
    """The nearest-rank `q`-th percentile (0-100): always a value that was really observed."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    """Milliseconds with precision that suits the magnitude."""
    if math.isnan(seconds):
        return "-"
    value = seconds * 1000
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def ratio(ours: float, theirs: float) -> str:
    """`ours / theirs` as `1.23x`, or `-` when either side is missing."""
    if math.isnan(ours) or math.isnan(theirs) or theirs == 0:
        return "-"
    return f"{ours / theirs:.2f}x"

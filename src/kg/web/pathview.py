"""Paths as a picture: the union of the paths `traverse.paths` found, laid out left to right.

The source is in the first column and the target in the last; every other node sits in the column of
the earliest step at which a path reaches it. A fact is drawn once however many paths use it, as an
arrow from its subject to its object (whichever way the walk took it); parallel facts between the same
two nodes (CRO collaboratesWith / handsOverTo CMO) are drawn as separate arcs. Inferred facts are
dashed. `templates/paths.html` writes the SVG; nothing here knows HTTP: `link` gives a node's href,
`why` a fact's (its proof).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..terms import OxTerm
from ..traverse import Edge, Path
from .pipeline import Box, Link, wrap

NODE_W, NODE_H = 150, 40  # a node's box
COLUMN_GAP = 190  # between columns: room for the edges' labels
ROW = 64  # between rows
SPREAD = 26  # px between parallel arcs
MARGIN = 36
LABEL_CHARS = 26  # an edge's label is cut after this many characters (its title has it whole)

Why = Callable[[Edge], "str | None"]


@dataclass(frozen=True)
class Arc:
    """One fact: an SVG path `d` from its subject's box to its object's, and its label."""

    d: str
    label_x: float
    label_y: float
    text: str
    title: str
    href: str | None
    inferred: bool


@dataclass
class Diagram:
    width: float
    height: float
    title: str
    boxes: list[Box] = field(default_factory=list)
    arcs: list[Arc] = field(default_factory=list)


def diagram(paths: list[Path], link: Link, why: Why) -> Diagram:
    """Lay out the nodes and facts of `paths` (all from one source to one target)."""
    if not paths:
        return Diagram(0, 0, "")
    source, target = paths[0].nodes[0], paths[0].nodes[-1]
    labels = {n: t for p in paths for n, t in zip(p.nodes, p.labels, strict=True)}
    last = max(p.length for p in paths)
    column: dict[OxTerm, int] = {source: 0, target: last}
    for path in paths:
        for index, node in enumerate(path.nodes[1:-1], 1):
            column[node] = min(column.get(node, index), index)
    facts = _facts(paths)
    spans = any(abs(column[e.object] - column[e.subject]) > 1 for e in facts)
    rows: dict[int, int] = {}
    place: dict[ox.NamedNode, tuple[float, float]] = {}
    for node in labels:  # first seen first
        at = column[node]
        if node in (source, target):
            row = 0
        else:  # row 0 is kept free for facts that skip a column, when there are any
            row = rows[at] = rows.get(at, int(spans) - 1) + 1
        place[node] = (MARGIN + at * (NODE_W + COLUMN_GAP), MARGIN + row * ROW)
    height = MARGIN * 2 + max(y for _, y in place.values()) - MARGIN + NODE_H
    width = MARGIN * 2 + last * (NODE_W + COLUMN_GAP) + NODE_W
    title = f"Paths from {labels[source]} to {labels[target]}"
    drawn = Diagram(width, height, title)
    for node, (x, y) in place.items():
        kind = "node end" if node in (source, target) else "node"
        text = labels[node]
        drawn.boxes.append(Box(kind, x, y, NODE_W, NODE_H, text, link(node.value), wrap(text, NODE_W, 2)))
    drawn.arcs = _arcs(facts, place, why)
    return drawn


def _facts(paths: list[Path]) -> list[Edge]:
    """Each fact of the paths once, in the order first met."""
    seen: dict[tuple, Edge] = {}
    for path in paths:
        for edge in path.edges:
            seen.setdefault((edge.subject, edge.predicate, edge.object), edge)
    return list(seen.values())


def _arcs(facts: list[Edge], place: dict, why: Why) -> list[Arc]:
    pairs: dict[frozenset, list[Edge]] = {}
    for edge in facts:
        pairs.setdefault(frozenset((edge.subject, edge.object)), []).append(edge)
    arcs = []
    for group in pairs.values():
        for i, edge in enumerate(group):
            offset = (i - (len(group) - 1) / 2) * SPREAD
            arcs.append(_arc(edge, place[edge.subject], place[edge.object], offset, why(edge)))
    return arcs


def _arc(edge: Edge, start: tuple[float, float], end: tuple[float, float], offset: float, href) -> Arc:
    (x1, y1), (x2, y2) = _centre(start), _centre(end)
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    nx, ny = -(y2 - y1) / length, (x2 - x1) / length  # the normal to the line
    if x2 < x1 or (x2 == x1 and y2 < y1):  # the same side for both directions of a pair
        nx, ny = -nx, -ny
    mx, my = (x1 + x2) / 2 + nx * offset, (y1 + y2) / 2 + ny * offset  # where the arc passes
    cx, cy = 2 * mx - (x1 + x2) / 2, 2 * my - (y1 + y2) / 2  # the control point that makes it pass there
    sx, sy = _exit((x1, y1), (cx, cy), 0)
    ex, ey = _exit((x2, y2), (cx, cy), 3)  # leave room for the arrowhead
    text = edge.predicate_label
    cut = text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"
    title = f"{edge.subject_label} {edge.predicate_label} {edge.object_label}"
    title += " (inferred)" if edge.inferred else ""
    d = f"M{sx:.1f},{sy:.1f} Q{cx:.1f},{cy:.1f} {ex:.1f},{ey:.1f}"
    return Arc(d, mx, my, cut, title, href, edge.inferred)


def _centre(corner: tuple[float, float]) -> tuple[float, float]:
    return corner[0] + NODE_W / 2, corner[1] + NODE_H / 2


def _exit(centre: tuple[float, float], toward: tuple[float, float], margin: float) -> tuple[float, float]:
    """Where the line from a box's centre toward a point leaves the box (plus `margin` px)."""
    dx, dy = toward[0] - centre[0], toward[1] - centre[1]
    length = math.hypot(dx, dy) or 1.0
    scale = min(
        (NODE_W / 2) / abs(dx) if dx else math.inf,
        (NODE_H / 2) / abs(dy) if dy else math.inf,
    )
    return centre[0] + dx * scale + dx / length * margin, centre[1] + dy * scale + dy / length * margin

"""A resource's neighbourhood as a small picture: the resource, and the resources one edge away.

The resource is drawn on the left; its neighbours in a column on the right, one row per edge (the
order of `traverse.neighbours`: outgoing first, then incoming), each arrow pointing the way the fact
goes and labelled with the predicate's label. Inferred facts are dashed. Only edges to IRIs are
drawn (a literal is a value, not a neighbour; a blank node has no page); at most `MAX_EDGES` of them,
the rest counted in a last "+ N more" row that links to the tables below. `templates/neighbourhood.html`
writes the SVG (so Jinja escapes every label); nothing here knows HTTP: `link` maps an IRI to its href.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..traverse import Edge
from .pipeline import Box, Link, wrap

#: Edges drawn at most; the rest are counted ("+ 5 more").
MAX_EDGES = 12
WIDTH = 560
CENTRE_X, CENTRE_W = 8, 150
NODE_X, NODE_W, NODE_H = 372, 180, 34
ROW = 42
MARGIN = 10
LABEL_CHARS = 30  # an edge's label is cut after this many characters (its title has it whole)


@dataclass(frozen=True)
class Spoke:
    """One drawn edge: a line from (x1, y1) to (x2, y2), arrowhead at the second end."""

    x1: float
    y1: float
    x2: float
    y2: float
    label_x: float
    label_y: float
    text: str
    title: str
    inferred: bool
    direction: str


@dataclass
class Drawing:
    width: float
    height: float
    title: str
    boxes: list[Box] = field(default_factory=list)
    spokes: list[Spoke] = field(default_factory=list)
    more: int = 0  # edges to IRIs not drawn
    more_y: float = 0


def drawn_edges(edges: Iterable[Edge]) -> list[Edge]:
    """The edges a neighbourhood shows: those whose other end is an IRI, in the given order."""
    return [e for e in edges if isinstance(e.object if e.direction == "out" else e.subject, ox.NamedNode)]


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def drawing(
    node: ox.NamedNode, node_label: str, edges: Iterable[Edge], link: Link, total: int | None = None
) -> Drawing:
    """Lay out `node` and (at most `MAX_EDGES` of) its edges to IRIs.

    `total` is how many edges to IRIs there are in all when `edges` holds only the first ones (a page
    reads no more than it draws); by default `edges` is every edge.
    """
    shown = drawn_edges(edges)
    more = max(0, (len(shown) if total is None else total) - MAX_EDGES)
    shown = shown[:MAX_EDGES]
    rows = len(shown) + (1 if more else 0)
    height = MARGIN * 2 + max(rows, 1) * ROW - (ROW - NODE_H)
    centre_h = NODE_H + 10
    centre_y = (height - centre_h) / 2
    title = f"{node_label} and its neighbours"
    out = Drawing(WIDTH, height, title, more=more)
    out.boxes.append(
        Box(
            "centre",
            CENTRE_X,
            centre_y,
            CENTRE_W,
            centre_h,
            node_label,
            link(node.value),
            wrap(node_label, CENTRE_W, 2),
        )
    )
    cy = centre_y + centre_h / 2
    for index, edge in enumerate(shown):
        y = MARGIN + index * ROW
        ny = y + NODE_H / 2
        other = edge.object if edge.direction == "out" else edge.subject
        assert isinstance(other, ox.NamedNode)
        other_label = edge.object_label if edge.direction == "out" else edge.subject_label
        kind = "neighbour dashed" if edge.inferred else "neighbour"  # not "inferred": that is the badge
        out.boxes.append(
            Box(kind, NODE_X, y, NODE_W, NODE_H, other_label, link(other.value), wrap(other_label, NODE_W, 1))
        )
        near, far = (CENTRE_X + CENTRE_W, cy), (NODE_X, ny)
        (x1, y1), (x2, y2) = (near, far) if edge.direction == "out" else (far, near)
        fact = f"{edge.subject_label} {edge.predicate_label} {edge.object_label}"
        out.spokes.append(
            Spoke(
                x1,
                y1,
                x2,
                y2,
                NODE_X - 8,
                ny - 5,
                _cut(edge.predicate_label, LABEL_CHARS),
                fact + (" (inferred)" if edge.inferred else ""),
                edge.inferred,
                edge.direction,
            )
        )
    if more:
        out.more_y = MARGIN + len(shown) * ROW + NODE_H / 2
    return out

"""The development pipeline as a picture: stages in order, what each role does in each stage.

Everything drawn is read from the store (asserted + inferred graphs, not the statement records):
the stages (`pkg:DevelopmentStage`) ordered by `pkg:immediatelyPrecedes`, ties and unlinked stages
by `pkg:stageOrder` then label; the roles (`pkg:Role`), the organisations that play them
(`pkg:playsRole`) and their responsibilities (`pkg:hasResponsibility`), each drawn beside the stages
it is performed in (`pkg:performedInStage`). A responsibility the data places in no stage (the CMO's:
neither the article nor the FDA page places them) is drawn apart, under a heading that says so.

`pipeline(store)` reads the data; `layout(data, link)` turns it into boxes with coordinates, which
`templates/pipeline.html` writes as SVG (so Jinja escapes every label). Nothing here knows HTTP:
`link` maps an IRI to its href (or None: shown as text).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise

import pyoxigraph as ox

from ..namespaces import PKG, PREFIXES
from ..resolve import label
from ..store import Store
from ..traverse import walkable

RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
STAGE, ROLE = ox.NamedNode(PKG + "DevelopmentStage"), ox.NamedNode(PKG + "Role")
PRECEDES = ox.NamedNode(PKG + "immediatelyPrecedes")
STAGE_ORDER = ox.NamedNode(PKG + "stageOrder")
HAS_RESPONSIBILITY = ox.NamedNode(PKG + "hasResponsibility")
PERFORMED_IN = ox.NamedNode(PKG + "performedInStage")
PLAYS_ROLE = ox.NamedNode(PKG + "playsRole")
#: Organisations named under a role; the rest are counted ("+ 12 more", linking to the role's page).
MAX_ORGANISATIONS = 3
#: What the picture says of responsibilities the data places in no stage.
APART_HEADING = "Not placed in a stage by the sources"
TITLE = "The drug development pipeline: the stages in order, and what each role does in each"

Link = Callable[[str], "str | None"]


# --- the data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    """A role, its organisations (the first few, and how many in all) and its responsibilities."""

    node: ox.NamedNode
    organisations: list[ox.NamedNode]
    organisation_count: int
    #: (responsibility, positions of the stages it is performed in, in pipeline order)
    responsibilities: list[tuple[ox.NamedNode, list[int]]]

    @property
    def placed(self) -> list[tuple[ox.NamedNode, list[int]]]:
        return [(r, at) for r, at in self.responsibilities if at]

    @property
    def unplaced(self) -> list[ox.NamedNode]:
        return [r for r, at in self.responsibilities if not at]


@dataclass(frozen=True)
class Pipeline:
    """The stages in order (with whether each immediately precedes the next) and the roles."""

    stages: list[ox.NamedNode]
    linked: list[bool]  # linked[i]: stages[i] pkg:immediatelyPrecedes stages[i + 1]
    roles: list[Role]
    labels: dict[ox.NamedNode, str]


def pipeline(store: Store) -> Pipeline:
    """Read the pipeline from the store."""
    graphs = walkable(store, True)
    labels: dict[ox.NamedNode, str] = {}

    def name(node: ox.NamedNode) -> str:
        if node not in labels:
            labels[node] = label(store, node)
        return labels[node]

    def objects(subject: ox.NamedNode, predicate: ox.NamedNode) -> set[ox.NamedNode]:
        found = (q.object for q in store.quads(subject, predicate, None, graphs))
        return {o for o in found if isinstance(o, ox.NamedNode)}

    def subjects(predicate: ox.NamedNode, obj: ox.NamedNode) -> set[ox.NamedNode]:
        found = (q.subject for q in store.quads(None, predicate, obj, graphs))
        return {s for s in found if isinstance(s, ox.NamedNode)}

    def by_label(nodes: Iterable[ox.NamedNode]) -> list[ox.NamedNode]:
        return sorted(nodes, key=lambda n: (name(n).casefold(), n.value))

    stage_set = subjects(RDF_TYPE, STAGE)
    following = {s: objects(s, PRECEDES) & stage_set for s in stage_set}
    stages = _in_order(following, lambda s: (_order(store, s, graphs), name(s).casefold(), s.value))
    position = {s: i for i, s in enumerate(stages)}
    roles = []
    for node in by_label(subjects(RDF_TYPE, ROLE)):
        players = by_label(subjects(PLAYS_ROLE, node))
        duties = [
            (duty, sorted(position[s] for s in objects(duty, PERFORMED_IN) if s in position))
            for duty in by_label(objects(node, HAS_RESPONSIBILITY))
        ]
        roles.append(Role(node, players[:MAX_ORGANISATIONS], len(players), duties))
    linked = [after in following[before] for before, after in pairwise(stages)]
    for node in stages:
        name(node)
    return Pipeline(stages, linked, roles, labels)


def _order(store: Store, stage: ox.NamedNode, graphs: tuple[str, ...]) -> int:
    """The stage's `pkg:stageOrder` (the smallest, should there be several), stages without one last."""
    found = (q.object for q in store.quads(stage, STAGE_ORDER, None, graphs))
    numbers = [
        int(o.value) for o in found if isinstance(o, ox.Literal) and o.value.strip().lstrip("+-").isdigit()
    ]
    return min(numbers, default=1_000_000)


def _in_order(following: dict[ox.NamedNode, set[ox.NamedNode]], key: Callable) -> list[ox.NamedNode]:
    """A topological order of the `immediatelyPrecedes` links; among stages free to come next, the
    smallest `key` first. Stages on a cycle (which the reasoner reports as inconsistent) go last."""
    waiting = {s: 0 for s in following}
    for nexts in following.values():
        for s in nexts:
            waiting[s] += 1
    ready = [(key(s), s.value, s) for s, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    ordered: list[ox.NamedNode] = []
    while ready:
        *_, stage = heapq.heappop(ready)
        ordered.append(stage)
        for nxt in following[stage]:
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                heapq.heappush(ready, (key(nxt), nxt.value, nxt))
    done = set(ordered)
    return ordered + sorted((s for s in following if s not in done), key=key)


# --- the drawing ------------------------------------------------------------------------------

FONT = 13  # px, the labels' font size (style.css)
LINE = 16  # px between lines of a label
CHAR = 0.56 * FONT  # the average width of a character, to wrap labels
PAD = 8  # px inside a box
GAP = 12  # px between boxes
STAGE_W, TRACK_W = 190, 170  # the stage column; one column of responsibilities
ROW_H = 60  # one stage, with the gap under it
ROLE_H, CHIP_H = 40, 26  # a role's box; an organisation's box under it


@dataclass(frozen=True)
class Box:
    """A rectangle with a label, linked to `href` (None: not a link); `kind` is its CSS class."""

    kind: str
    x: float
    y: float
    w: float
    h: float
    title: str
    href: str | None = None
    lines: tuple[str, ...] = ()

    @property
    def texts(self) -> list[tuple[float, float, str]]:
        """(x, y, text) of each line, centred vertically in the box."""
        first = self.y + self.h / 2 - (len(self.lines) - 1) * LINE / 2 + FONT * 0.35
        return [(self.x + PAD, first + i * LINE, text) for i, text in enumerate(self.lines)]


@dataclass(frozen=True)
class Arrow:
    """An arrow from one stage to the next, linked to the property that orders them."""

    x: float
    y1: float
    y2: float
    title: str
    href: str | None


@dataclass(frozen=True)
class Note:
    """Text that is not a box: a heading, or a remark such as "no responsibilities in the data"."""

    kind: str
    x: float
    y: float
    text: str


@dataclass
class Drawing:
    """Everything the SVG shows, in drawing order, and its size (the viewBox)."""

    width: float
    height: float
    title: str
    backgrounds: list[Box] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.boxes


def wrap(text: str, width: float, max_lines: int) -> tuple[str, ...]:
    """`text` in lines of at most `width` px (estimated), at most `max_lines`, the last cut with "…"."""
    fits = max(4, int((width - 2 * PAD) / CHAR))
    lines: list[str] = []
    for word in text.split():
        while len(word) > fits:  # a word longer than a line is split
            if lines and len(lines[-1]) + 1 < fits:
                room = fits - len(lines[-1]) - 1
                lines[-1] += " " + word[:room]
                word = word[room:]
            else:
                lines.append(word[:fits])
                word = word[fits:]
        if lines and len(lines[-1]) + 1 + len(word) <= fits:
            lines[-1] += " " + word
        elif word:
            lines.append(word)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        lines = [*lines[: max_lines - 1], (last[: fits - 1] if len(last) >= fits else last) + "…"]
    return tuple(lines) or ("",)


def _box(kind: str, x: float, y: float, w: float, h: float, text: str, href: str | None) -> Box:
    return Box(kind, x, y, w, h, text, href, wrap(text, w, max(1, int((h - 4) // LINE))))


def _tracks(runs: list[tuple[int, int]]) -> list[int]:
    """For runs of stage positions (first, last), the first column free along each run's rows."""
    ends: list[int] = []  # per column, the last row taken
    placed = []
    for first, last in runs:
        column = next((i for i, end in enumerate(ends) if end < first), len(ends))
        if column == len(ends):
            ends.append(last)
        else:
            ends[column] = last
        placed.append(column)
    return placed


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    """Consecutive stage positions as (first, last) runs: [2, 3, 4, 6] → [(2, 4), (6, 6)]."""
    runs: list[tuple[int, int]] = []
    for at in positions:
        if runs and runs[-1][1] == at - 1:
            runs[-1] = (runs[-1][0], at)
        else:
            runs.append((at, at))
    return runs


def layout(data: Pipeline, store: Store, link: Link) -> Drawing:
    """Place the stages (a column, top to bottom), a lane per role with responsibilities placed in a
    stage, and, under them, the roles' responsibilities placed in no stage."""
    names = dict(data.labels)

    def name(node: ox.NamedNode) -> str:
        if node not in names:
            names[node] = label(store, node)
        return names[node]

    def box(kind: str, x: float, y: float, w: float, h: float, node: ox.NamedNode) -> Box:
        return _box(kind, x, y, w, h, name(node), link(node.value))

    lanes: list[tuple[Role, list[tuple[ox.NamedNode, int, int, int]], int]] = []  # role, runs, columns
    for role in data.roles:
        runs = [(duty, first, last) for duty, at in role.placed for first, last in _runs(at)]
        runs.sort(key=lambda r: (r[1], -r[2], name(r[0]).casefold()))
        columns = _tracks([(first, last) for _, first, last in runs])
        if runs:
            placed = [(duty, first, last, c) for (duty, first, last), c in zip(runs, columns, strict=True)]
            lanes.append((role, placed, max(columns) + 1))
    widths = [n * TRACK_W + (n - 1) * GAP for *_, n in lanes]
    width = max(STAGE_W + sum(w + GAP for w in widths), STAGE_W + GAP + 2 * TRACK_W + GAP) + 2 * GAP
    drawing = Drawing(width, 0, TITLE)
    header = max((_role_height(role) for role, *_ in lanes), default=0)
    top = GAP + header + (GAP if lanes else 0)
    if data.stages:
        drawing.notes.append(Note("heading", GAP, top - GAP / 2 - 2, "Stages, in order"))
    for i, stage in enumerate(data.stages):
        y = top + i * ROW_H
        drawing.backgrounds.append(Box("row", GAP / 2, y - GAP / 2, width - GAP, ROW_H, name(stage)))
        drawing.boxes.append(
            _box("stage", GAP, y, STAGE_W, ROW_H - GAP, f"{i + 1}. {name(stage)}", link(stage.value))
        )
        if i < len(data.linked) and data.linked[i]:
            after = data.stages[i + 1]
            title = f"{name(stage)} immediately precedes {name(after)}"
            arrow = Arrow(GAP + STAGE_W / 2, y + ROW_H - GAP, y + ROW_H, title, link(PRECEDES.value))
            drawing.arrows.append(arrow)
    x = GAP + STAGE_W + GAP
    for (role, placed, _), lane_width in zip(lanes, widths, strict=True):
        drawing.boxes += _role_block(role, x, GAP, lane_width, name, link)
        for duty, first, last, column in placed:
            y = top + first * ROW_H
            h = (last - first + 1) * ROW_H - GAP
            drawing.boxes.append(box("responsibility", x + column * (TRACK_W + GAP), y, TRACK_W, h, duty))
        x += lane_width + GAP
    bottom = top + len(data.stages) * ROW_H
    drawing.height = _apart(drawing, data.roles, {r.node for r, *_ in lanes}, bottom, name, link) + GAP
    return drawing


def _role_height(role: Role) -> float:
    chips = len(role.organisations) + (role.organisation_count > len(role.organisations))
    return ROLE_H + chips * (CHIP_H + 4)


def _role_block(role: Role, x: float, y: float, w: float, name, link: Link) -> list[Box]:
    """A role's box, then a box per organisation playing it (and one counting the others)."""
    found = [_box("role", x, y, w, ROLE_H, name(role.node), link(role.node.value))]
    y += ROLE_H + 4
    for organisation in role.organisations:
        found.append(_box("organisation", x, y, w, CHIP_H, name(organisation), link(organisation.value)))
        y += CHIP_H + 4
    more = role.organisation_count - len(role.organisations)
    if more:
        text = f"+ {more} more organisation{'s' if more > 1 else ''}"
        found.append(_box("organisation more", x, y, w, CHIP_H, text, link(role.node.value)))
    return found


def _apart(drawing: Drawing, roles: list[Role], in_lanes: set, top: float, name, link: Link) -> float:
    """Under the stages: per role, its responsibilities placed in no stage; a role without any
    responsibility says so. Returns the bottom of the frame."""
    groups = [r for r in roles if r.unplaced or (r.node not in in_lanes)]
    if not groups:
        return top
    y = top + GAP
    frame_top = y
    drawing.notes.append(Note("heading apart", 2 * GAP, y + FONT + 6, APART_HEADING))
    y += FONT + 6 + GAP
    inner = drawing.width - 4 * GAP
    columns = max(1, int((inner - TRACK_W - GAP + GAP) // (TRACK_W + GAP)))
    for role in groups:
        x = 2 * GAP
        block = _role_block(role, x, y, TRACK_W, name, link)
        drawing.boxes += block
        duties = role.unplaced
        rows = -(-len(duties) // columns)
        for i, duty in enumerate(duties):
            bx = x + TRACK_W + GAP + (i % columns) * (TRACK_W + GAP)
            by = y + (i // columns) * (ROW_H - GAP + GAP / 2)
            drawing.boxes.append(
                _box("responsibility unplaced", bx, by, TRACK_W, ROW_H - GAP, name(duty), link(duty.value))
            )
        if not duties:
            at = (x + TRACK_W + GAP, y + ROLE_H / 2 + FONT * 0.35)
            drawing.notes.append(Note("remark", *at, "no responsibilities in the data"))
        height = max(_role_height(role), rows * (ROW_H - GAP + GAP / 2) - GAP / 2)
        y += height + GAP
    frame = Box("apart", GAP / 2, frame_top, drawing.width - GAP, y - frame_top, APART_HEADING)
    drawing.backgrounds.append(frame)
    return y


def drawing(store: Store, link: Link) -> Drawing:
    """The pipeline of the data in `store`, laid out for `templates/pipeline.html`."""
    return layout(pipeline(store), store, link)

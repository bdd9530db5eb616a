"""Linked Data pages: every `https://w3id.org/pharma-kg/id/<local>` dereferences here as `/id/<local>`.

One description per resource, two renderings: HTML for people (server-rendered, no JavaScript, nothing
from another host) and Turtle / JSON-LD / N-Triples (or TriG / N-Quads, which keep the asserted and
inferred graphs apart) for programs, chosen by `Accept` or `?format=`. The description is the edges
`traverse.neighbours` finds (what `kg describe` prints), plus the blank nodes they reach and the labels
of the resources they link to — so HTML and RDF show the same triples.

Each statement shows the source it cites (`provenance.statement_sources`): the HTML puts the section
beside the statement and quotes it under "Source"; the RDF carries the statements' provenance records.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request, url_for
from markupsafe import Markup, escape

from ..catalog import default_catalog
from ..errors import UnknownResource
from ..formats import DATASET, GRAPH, Format, lookup, write_graph
from ..namespaces import PKG, PREFIXES, shorten
from ..provenance import Source, is_record_link, statement_sources
from ..resolve import LABEL_PREDICATES, RDF_TYPE, MalformedName, exists, label, resolve
from ..store import DatasetSpec, Store
from ..terms import as_term
from ..traverse import Edge, _edge, neighbours, walkable
from . import conneg, neighbourhood, pipeline, protocol
from .cache import cacheable
from .present import Ref, describe_query, fold, html, link_target, natural_key, page_url, ref
from .state import state

bp = Blueprint("pages", __name__)

HTML = "text/html"
SKOS, DCTERMS = PREFIXES["skos"], PREFIXES["dcterms"]
DEFINITION, SOURCE = SKOS + "definition", DCTERMS + "source"
COMMENT = PREFIXES["rdfs"] + "comment"
QUOTATION, IS_PART_OF = ox.NamedNode(PKG + "quotation"), ox.NamedNode(DCTERMS + "isPartOf")
ROLE, STAGE = ox.NamedNode(PKG + "Role"), ox.NamedNode(PKG + "DevelopmentStage")
STAGE_ORDER = ox.NamedNode(PKG + "stageOrder")
#: Outgoing statements shown in the page header rather than in the table of links.
_IN_HEADER = frozenset({*LABEL_PREDICATES, DEFINITION, COMMENT, SOURCE, RDF_TYPE.value})


# --- what a page shows --------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """One statement: its predicate, the other end, and the sources it cites (links into "Source")."""

    predicate: Ref
    other: Ref
    inferred: bool
    sources: tuple[Ref, ...] = ()


@dataclass(frozen=True)
class Passage:
    """A cited source passage; `link` is its section title, linked like any other term."""

    iri: str
    link: Ref
    document: str | None
    quotation: str | None

    @property
    def section(self) -> str:
        return self.link.text

    @property
    def anchor(self) -> str:
        """The id of its figure on the page, from the last segment of its IRI (`source-cmo`)."""
        return anchor(self.iri)


@dataclass
class Page:
    """The view model of a resource page."""

    iri: str
    label: str
    curie: str
    definitions: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    other_labels: list[str] = field(default_factory=list)
    types: list[Link] = field(default_factory=list)
    sources: list[Passage] = field(default_factory=list)
    #: Sources cited by statements on the page besides the resource's own (`sources`).
    cited: list[Passage] = field(default_factory=list)
    roles: list[Ref] = field(default_factory=list)
    stages: list[Ref] = field(default_factory=list)
    outgoing: list[Link] = field(default_factory=list)
    incoming: list[Link] = field(default_factory=list)


def build_page(store: Store, node: ox.NamedNode, edges: list[Edge]) -> Page:
    """The page of `node` from every edge around it (small data; `_describe` reads one page of them)."""
    page = Page(node.value, label(store, node), shorten(node.value))
    found = statement_sources(store, node)
    connected: dict[str, dict[ox.NamedNode, Ref]] = {"roles": {}, "stages": {}}
    for edge in edges:
        if is_record_link(edge.predicate, edge.direction):
            continue  # the record is shown as the source of its statement
        link = _add(store, page, node, edge, found)
        other = edge.object if edge.direction == "out" else edge.subject
        if isinstance(other, ox.NamedNode) and other != node:
            for kind, cls in (("roles", ROLE), ("stages", STAGE)):
                if _is_a(store, other, cls):
                    connected[kind][other] = link.other
    _finish(store, page, connected, found)
    return page


def _add(store: Store, page: Page, node: ox.NamedNode, edge: Edge, found: dict) -> Link:
    """Put one edge where the page shows it (header, kinds, sources, or a table); its `Link`."""
    literals = {DEFINITION: page.definitions, COMMENT: page.comments}
    out = edge.direction == "out"
    other = edge.object if out else edge.subject
    sources = found.get((edge.subject, edge.predicate, edge.object), [])
    link = Link(ref(store, edge.predicate), ref(store, other), edge.inferred, _source_refs(node, sources))
    predicate = edge.predicate.value
    if out and predicate in literals and isinstance(other, ox.Literal):
        literals[predicate].append(other.value)
    elif out and predicate in LABEL_PREDICATES and other.value != page.label:
        page.other_labels.append(other.value)
    elif out and predicate == RDF_TYPE.value and isinstance(other, ox.NamedNode):
        page.types.append(link)
    elif out and predicate == SOURCE and isinstance(other, ox.NamedNode):
        page.sources.append(_passage(store, other))
    elif not (out and predicate in _IN_HEADER):
        (page.outgoing if out else page.incoming).append(link)
    return link


def _finish(store: Store, page: Page, connected: dict[str, dict[ox.NamedNode, Ref]], found: dict) -> None:
    page.roles = sorted(connected["roles"].values(), key=lambda r: r.text)
    page.stages = [connected["stages"][n] for n in _in_stage_order(store, connected["stages"])]
    cited = {s.iri: s for sources in found.values() for s in sources}
    own = {p.iri for p in page.sources}
    page.cited = [_passage(store, ox.NamedNode(iri)) for iri in sorted(cited) if iri not in own]


# --- one page of a resource, read in bounded steps ------------------------------------------------

#: A group of statements (one predicate, one direction) with at most this many values is read whole and
#: shown in natural order; a longer one (a hub's thousands of members) is read one page at a time, in
#: the store's order, so a page costs what it shows, not the size of the hub.
SORT_CAP = 1000
#: Roles and stages named under "Connected roles and stages" at most.
MAX_CONNECTED = 100


@dataclass(frozen=True)
class Group:
    """The statements of one predicate in one direction around a node: how many, how many reach IRIs."""

    direction: str
    predicate: ox.NamedNode
    count: int
    iris: int


def groups(store: Store, node: ox.NamedNode, infer: bool) -> list[Group]:
    """Every (direction, predicate) around `node` with its counts, counted by the store (one query)."""
    text = f"""SELECT ?dir ?p (COUNT(?x) AS ?n) (SUM(IF(isIRI(?x), 1, 0)) AS ?iris) WHERE {{
      SELECT DISTINCT ?dir ?p ?x WHERE {{
        {{ {node} ?p ?x BIND("out" AS ?dir) }} UNION {{ ?x ?p {node} BIND("in" AS ?dir) }}
      }}
    }} GROUP BY ?dir ?p"""
    rows = store.query(text, _walked(store, infer))
    assert isinstance(rows, ox.QuerySolutions)
    found = [
        Group(row["dir"].value, row["p"], int(row["n"].value), int(row["iris"].value))
        for row in rows
        if isinstance(row["p"], ox.NamedNode)
    ]
    return sorted(found, key=lambda g: (g.direction != "out", shorten(g.predicate.value)))


def _walked(store: Store, infer: bool) -> DatasetSpec:
    graphs = walkable(store, infer)
    return DatasetSpec(infer, default_graphs=graphs, named_graphs=store.visible_graphs(True))


def members(
    store: Store,
    node: ox.NamedNode,
    group: Group,
    infer: bool,
    start: int,
    stop: int,
    iris: bool = False,
    natural: bool = False,
) -> list[Edge]:
    """Edges `start:stop` of a group (only those to IRIs with `iris`): a short group whole and in the
    order of `traverse.neighbours` (the other end's label, then value), a long one in the store's order
    (the same for every page of a read-only store: no sort of the whole group), only that window read."""
    graphs = walkable(store, infer)
    out = group.direction == "out"
    if group.count <= SORT_CAP:
        edges = []
        for index, graph in enumerate(graphs):
            subject, obj = (node, None) if out else (None, node)
            for quad in store.quads(subject, group.predicate, obj, (graph,)):
                other = quad.object if out else quad.subject
                if iris and not isinstance(other, ox.NamedNode):
                    continue
                if index and _stated(store, quad, graphs[:index]):
                    continue
                edges.append(_edge(store, quad, group.direction))
        edges.sort(key=lambda e: _other_key(e, out))  # the order of traverse.neighbours
        if natural:  # a table's order (`Table`)
            edges.sort(key=lambda e: natural_key(_other_key(e, out)[0]))
        return edges[start:stop]
    where = f"{node} {group.predicate} ?x" if out else f"?x {group.predicate} {node}"
    only = "FILTER(isIRI(?x))" if iris else ""
    text = f"SELECT DISTINCT ?x WHERE {{ {where} {only} }} OFFSET {start} LIMIT {stop - start}"
    rows = store.query(text, _walked(store, infer))
    assert isinstance(rows, ox.QuerySolutions)
    edges = []
    for row in rows:
        other = row["x"]
        stated = (
            store.quads(node, group.predicate, other, graphs)
            if out
            else store.quads(other, group.predicate, node, graphs)
        )
        first = next(stated, None)
        if first is not None:
            edges.append(_edge(store, first, group.direction))
    return edges


def _sources(store: Store, edges: list[Edge]) -> dict:
    """The sources of the recorded statements among `edges` (`provenance.statement_sources` for just
    those triples: one query with their triples as VALUES; statements with a blank node are skipped)."""
    rows = [
        f"({e.subject} {e.predicate} {e.object})"
        for e in edges
        if not isinstance(e.subject, ox.BlankNode) and not isinstance(e.object, ox.BlankNode)
    ]
    found: dict[tuple, list[Source]] = {}
    if not rows:
        return found
    text = f"""SELECT ?s ?p ?o ?source ?sourceLabel WHERE {{
      VALUES (?s ?p ?o) {{ {" ".join(rows)} }}
      ?statement rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; dcterms:source ?source .
      OPTIONAL {{ ?source rdfs:label ?sourceLabel }}
    }} ORDER BY ?s ?p ?o ?source"""
    answer = store.query(text, DatasetSpec())
    assert isinstance(answer, ox.QuerySolutions)
    for row in answer:
        source, name = row["source"], row["sourceLabel"]
        if isinstance(source, ox.NamedNode):
            triple = (row["s"], row["p"], row["o"])
            found.setdefault(triple, []).append(
                Source(source.value, name.value if name is not None else source.value)
            )
    return found


def _other_key(edge: Edge, out: bool) -> tuple[str, str]:
    return (edge.object_label, str(edge.object)) if out else (edge.subject_label, str(edge.subject))


def _stated(store: Store, quad: ox.Quad, graphs: tuple[str, ...]) -> bool:
    same = store.quads(quad.subject, quad.predicate, as_term(quad.object), graphs)  # type: ignore[arg-type]
    return next(same, None) is not None


def _connected(store: Store, node: ox.NamedNode, infer: bool, cls: ox.NamedNode) -> list[ox.NamedNode]:
    """The instances of `cls` one edge away from `node` (at most `MAX_CONNECTED`), asked of the store."""
    text = f"""SELECT DISTINCT ?x WHERE {{
      {{ {node} ?p ?x }} UNION {{ ?x ?p {node} }}
      FILTER(isIRI(?x) && ?x != {node})
      FILTER EXISTS {{ GRAPH ?g {{ ?x a {cls} }} }}
    }} LIMIT {MAX_CONNECTED}"""
    rows = store.query(text, _walked(store, infer))
    assert isinstance(rows, ox.QuerySolutions)
    return [row["x"] for row in rows if isinstance(row["x"], ox.NamedNode)]


@dataclass
class Window:
    """Where one page of a direction's table starts, how many pages there are, and its links."""

    total: int
    number: int
    pages: int
    start: int


def _window(total: int, number: int) -> Window:
    pages = max(1, -(-total // PAGE_ROWS))
    number = min(number, pages)
    return Window(total, number, pages, (number - 1) * PAGE_ROWS)


def bounded_page(
    store: Store, node: ox.NamedNode, infer: bool, number: int
) -> tuple[Page, dict[str, Window], list[Edge], int]:
    """Page `number` of `node`'s tables, its header, and the first edges of its drawing (with the count
    of every edge to an IRI): read one page of each table, not every statement around `node`.

    Around a node with at most `SORT_CAP` statements the page is what `build_page` makes of every edge;
    around a larger one, the sources and the connected roles and stages are those of the rows shown."""
    page = Page(node.value, label(store, node), shorten(node.value))
    every = [g for g in groups(store, node, infer) if not is_record_link(g.predicate, g.direction)]
    small = sum(g.count for g in every) <= SORT_CAP
    shown: list[Edge] = []
    tabled = {"out": [], "in": []}  # type: dict[str, list[Group]]
    for group in every:
        if group.direction == "out" and group.predicate.value in _IN_HEADER:
            shown += members(store, node, group, infer, 0, SORT_CAP)
        else:
            tabled[group.direction].append(group)
    windows = {}
    for direction, name in (("out", "outgoing"), ("in", "incoming")):
        ordered = sorted(
            tabled[direction], key=lambda g: (natural_key(label(store, g.predicate)), g.predicate.value)
        )
        window = _window(sum(g.count for g in ordered), number)
        windows[name] = window
        start, stop, seen = window.start, window.start + PAGE_ROWS, 0
        for group in ordered:
            if seen + group.count > start and seen < stop:
                first, last = max(0, start - seen), min(group.count, stop - seen)
                shown += members(store, node, group, infer, first, last, natural=True)
            seen += group.count
    found = statement_sources(store, node) if small else _sources(store, shown)
    links = [(_add(store, page, node, edge, found), edge) for edge in shown]
    for link_list in (page.outgoing, page.incoming):
        link_list.sort(key=lambda link: (natural_key(link.predicate.text), natural_key(link.other.text)))
    connected: dict[str, dict[ox.NamedNode, Ref]] = {"roles": {}, "stages": {}}
    for kind, cls in (("roles", ROLE), ("stages", STAGE)):
        if small:
            connected[kind] = {n: ref(store, n) for n in _connected(store, node, infer, cls)}
            continue
        for link, edge in links:  # a hub: the roles and stages among the rows shown
            other = edge.object if edge.direction == "out" else edge.subject
            if isinstance(other, ox.NamedNode) and other != node and _is_a(store, other, cls):
                connected[kind][other] = link.other
    _finish(store, page, connected, found)
    drawn: list[Edge] = []
    for group in every:
        if len(drawn) >= neighbourhood.MAX_EDGES:
            break
        if group.iris:
            drawn += members(store, node, group, infer, 0, neighbourhood.MAX_EDGES - len(drawn), iris=True)
    return page, windows, drawn, sum(g.iris for g in every)


def anchor(iri: str) -> str:
    """The id of a source's figure on a page: `source-` and the last segment of its IRI."""
    last = re.split(r"[#/]", iri.rstrip("/#"))[-1]
    return "source-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", last).strip("-") or "unnamed")


def _source_refs(node: ox.NamedNode, sources: list[Source]) -> tuple[Ref, ...]:
    """Each source of a statement as a link to its figure under "Source" on this page."""
    here = page_url(node.value) or ""
    return tuple(Ref(s.label, f"{here}#{anchor(s.iri)}", shorten(s.iri)) for s in sources)


def _is_a(store: Store, node: ox.NamedNode, cls: ox.NamedNode) -> bool:
    return next(store.quads(node, RDF_TYPE, cls, store.visible_graphs(True)), None) is not None


def _in_stage_order(store: Store, stages) -> list[ox.NamedNode]:
    """Stages by their `pkg:stageOrder` (stages without one last), then by label."""

    def order(stage: ox.NamedNode) -> tuple[int, str]:
        found = [q.object.value for q in store.quads(stage, STAGE_ORDER) if isinstance(q.object, ox.Literal)]
        return (int(found[0]) if found and found[0].isdigit() else 1_000_000, label(store, stage))

    return sorted(stages, key=order)


def _passage(store: Store, iri: ox.NamedNode) -> Passage:
    """A cited source passage: its section title, the document it is part of, and its quotation."""
    quotes = [
        q.object.value
        for q in store.quads(iri, QUOTATION, None, store.asserted_graphs)
        if isinstance(q.object, ox.Literal)
    ]
    parts = [as_term(q.object) for q in store.quads(iri, IS_PART_OF, None, store.asserted_graphs)]
    document = label(store, parts[0]) if parts else None
    return Passage(iri.value, ref(store, iri), document, min(quotes, default=None))


# --- the same description as RDF ----------------------------------------------------------------


def description(store: Store, edges: list[Edge], infer: bool) -> Iterator[ox.Quad]:
    """The quads behind a page: its edges, the blank nodes they reach (closed), the linked labels."""
    graphs = store.visible_graphs(infer)
    seen: set[ox.Quad] = set()
    pending: list = []
    linked: set[ox.NamedNode] = set()
    for edge in edges:
        for quad in store.quads(edge.subject, edge.predicate, edge.object, graphs):
            seen.add(quad)
        for term in (edge.subject, edge.object):
            if isinstance(term, ox.BlankNode):
                pending.append(term)
            elif isinstance(term, ox.NamedNode):
                linked.add(term)
    done: set[ox.BlankNode] = set()
    while pending:
        blank = pending.pop()
        if blank in done:
            continue
        done.add(blank)
        for quad in store.quads(blank, None, None, graphs):
            seen.add(quad)
            if isinstance(quad.object, ox.BlankNode):
                pending.append(quad.object)
    for term in linked:
        for predicate in LABEL_PREDICATES[:2]:
            seen.update(store.quads(term, ox.NamedNode(predicate), None, store.asserted_graphs))
    return iter(sorted(seen, key=str))


def _rdf(store: Store, fmt: Format, edges: list[Edge], infer: bool) -> Response:
    quads = description(store, edges, infer)
    # A graph format merges the asserted and inferred graphs; a dataset format keeps them apart.
    statements = sorted({q.triple for q in quads}, key=str) if fmt.kind == GRAPH else list(quads)
    body = write_graph(fmt, statements) or b""
    return Response(body, 200, content_type=conneg.content_type(fmt))


# --- views --------------------------------------------------------------------------------------


def _choose(params: protocol.Params) -> Format | None:
    """The RDF format asked for, or None for HTML (browsers, `*/*`, `?format=html`)."""
    override = conneg.override(params)
    if override:
        if override.lower() in ("html", HTML):
            return None
        return conneg.choose(request, (GRAPH, DATASET), override)
    accept = request.accept_mimetypes
    if not accept:
        return None
    offered = [HTML, *(media for media, _ in conneg.candidates((GRAPH, DATASET)))]
    if accept.best_match(offered) == HTML:
        return None
    return conneg.choose(request, (GRAPH, DATASET))


@bp.get("/id/<path:local>")
def resource(local: str) -> Response:
    """A resource of our namespace, as HTML or RDF; 404 (with close matches) for an unknown name.

    Parameters are read as on every route: the last `format=` counts, `infer` must be a boolean.
    """
    params = protocol.parse_urlencoded(request.query_string, "query string")
    fmt = _choose(params)
    store = state().store
    iri = PKG + local
    try:
        node = _existing(store, iri)
    except UnknownResource as exc:
        if fmt is not None:
            raise
        return html(render_template("not_found.html", iri=iri, message=exc.message), 404)
    return _describe(store, node, params, fmt, "")


@bp.get("/resource")
def by_iri() -> Response:
    """Any IRI that occurs in the data, described like a page of ours (`?iri=`): ours redirect to their
    `/id/` page, an IRI the data lacks is a 404 page, a missing or malformed one a 400 page."""
    params = protocol.parse_urlencoded(request.query_string, "query string")
    fmt = _choose(params)
    given = (params.get("iri") or [""])[-1].strip()
    store = state().store
    try:
        node = ox.NamedNode(given)
    except ValueError as exc:
        message = "Give an IRI: /resource?iri=…" if not given else f"{given!r} is not a valid IRI ({exc})"
        return html(render_template("not_found.html", iri=given, message=message, status=400), 400)
    if (page := page_url(node.value)) is not None:
        return Response(status=302, headers={"Location": page})
    if not exists(store, node):
        message = f"<{node.value}> does not occur in the graph."
        return html(render_template("not_found.html", iri=node.value, message=message), 404)
    return _describe(store, node, params, fmt, "iri=" + quote(node.value, safe=":/@") + "&")


def _describe(store: Store, node: ox.NamedNode, params: protocol.Params, fmt: Format | None, base: str):
    """The page or RDF description of an existing node; `base` starts this page's own query links."""
    infer = protocol.flag(params, "infer", True)
    if fmt is not None:
        response = _rdf(store, fmt, neighbours(store, node, infer), infer)
    else:
        page, windows, drawn, reachable = bounded_page(store, node, infer, _page_number(params))
        tables = {
            name: Table.of(rows, windows[name], base, infer)
            for name, rows in (("outgoing", page.outgoing), ("incoming", page.incoming))
        }
        alternates = [(f.name, f.media_type) for f in _ALTERNATES]
        response = html(
            render_template(
                "resource.html",
                page=page,
                infer=infer,
                alternates=alternates,
                tables=tables,
                base=base,
                neighbourhood=neighbourhood.drawing(node, page.label, drawn, link_target, reachable),
            )
        )
    return cacheable(response)


#: Rows of one table on a resource page before it is paged (`?page=`).
PAGE_ROWS = 100


def _page_number(params: protocol.Params) -> int:
    given = (params.get("page") or ["1"])[-1]
    return int(given) if given.isdigit() and int(given) > 0 else 1


@dataclass(frozen=True)
class Table:
    """One page of a long table of statements, naturally sorted, with links to the pages around it."""

    rows: list[Link]
    total: int
    number: int
    pages: int
    first: int
    previous: str | None
    next: str | None

    @classmethod
    def of(cls, rows: list[Link], window: Window, base: str, infer: bool) -> Table:
        """The table of one page's `rows` (already in natural order) in its `window`."""
        number, pages = window.number, window.pages
        suffix = "" if infer else "&infer=false"

        def at(n: int) -> str:
            return f"?{base}page={n}{suffix}"

        return cls(
            rows,
            window.total,
            number,
            pages,
            window.start + 1,
            at(number - 1) if number > 1 else None,
            at(number + 1) if number < pages else None,
        )


def _existing(store: Store, iri: str) -> ox.NamedNode:
    """The node for a dereferenced IRI; `UnknownResource` (404, with close matches) when the graph
    lacks it — also when the name cannot even be an IRI: no resource has it, in any representation."""
    try:
        return resolve(store, f"<{iri}>")
    except MalformedName:  # a 400 where a user typed the name; here it is a URL that names nothing
        raise UnknownResource(f"<{iri}> is not a valid IRI, so no resource has it") from None


_ALTERNATES: tuple[Format, ...] = tuple(lookup(n) for n in ("turtle", "jsonld", "ntriples", "trig"))


@bp.get("/")
def home() -> Response:
    """Roles, stages and named queries, with links to the SPARQL endpoint and the API."""
    store = state().store
    roles = sorted((ref(store, n) for n in _instances(store, ROLE)), key=lambda r: r.text)
    stages = [ref(store, n) for n in _in_stage_order(store, _instances(store, STAGE))]
    queries = [describe_query(q) for q in default_catalog()]
    drawn = pipeline.drawing(store, link_target)
    return html(render_template("home.html", roles=roles, stages=stages, queries=queries, pipeline=drawn))


#: Names listed per kind on the index; beyond it the kind's count and how to narrow (the filter, the page).
INDEX_PER_KIND = 200

#: Above this many quads the unfiltered index is built per kind (counts + a LIMITed list each), without
#: the untyped resources and the exact total, which need a scan of every statement (~100 s at 1.7M).
INDEX_SCAN_QUADS = 200_000

_OURS = f'isIRI(?s) && STRSTARTS(STR(?s), "{PKG}")'
_INDEX_QUERY = f"""
SELECT ?s (GROUP_CONCAT(DISTINCT STR(?t); separator=" ") AS ?kinds)
WHERE {{ ?s ?p ?o FILTER({_OURS}) OPTIONAL {{ ?s rdf:type ?t FILTER(isIRI(?t)) }} }}
GROUP BY ?s
"""
_KIND_COUNTS = (
    "SELECT ?t (COUNT(DISTINCT ?s) AS ?n) "
    f"WHERE {{ ?s rdf:type ?t FILTER({_OURS} && isIRI(?t)) }} GROUP BY ?t"
)
_KIND_MEMBERS = "SELECT DISTINCT ?s WHERE {{ ?s rdf:type <{kind}> FILTER({ours}) }} LIMIT {limit}"


@bp.get("/id/")
def index() -> Response:
    """Every resource of our namespace, grouped by kind (its asserted classes) with counts; `?filter=`
    keeps those whose label, CURIE or local name contains the text (case and accents ignored).

    The subjects and their kinds come from one SPARQL query (the scan stays in Oxigraph); labels are
    looked up for the names shown only, at most `INDEX_PER_KIND` per kind, so the page stays bounded
    when users' data puts a million resources in our namespace.
    """
    params = protocol.parse_urlencoded(request.query_string, "query string")
    wanted = (params.get("filter") or [""])[-1].strip()
    store = state().store
    if not wanted and store.count() > INDEX_SCAN_QUADS:
        return _index_by_kind(store)
    rows = store.query(_INDEX_QUERY, DatasetSpec(infer=False))
    assert isinstance(rows, ox.QuerySolutions)
    needle = fold(wanted)
    groups: dict[str, tuple[Ref | None, list[Ref], list[int]]] = {}
    total = 0
    for row in rows:
        node = row["s"]
        if not isinstance(node, ox.NamedNode):
            continue
        kinds = sorted(set(row["kinds"].value.split())) if row["kinds"] is not None else []
        r: Ref | None = None
        if needle:
            r = ref(store, node)
            if not any(needle in fold(t) for t in (r.text, r.curie or "", node.value[len(PKG) :])):
                continue
        total += 1
        for key in kinds or [""]:
            if key not in groups:
                groups[key] = (ref(store, ox.NamedNode(key)) if key else None, [], [0])
            shown, count = groups[key][1], groups[key][2]
            count[0] += 1
            if len(shown) < INDEX_PER_KIND:
                shown.append(r if r is not None else ref(store, node))
    ordered = sorted(
        groups.values(), key=lambda g: (g[0] is None, natural_key(g[0].text if g[0] is not None else ""))
    )
    for _, members, _ in ordered:
        members.sort(key=lambda r: natural_key(r.text))
    kinds = [(kind, members, count[0]) for kind, members, count in ordered]
    return html(
        render_template("index.html", groups=kinds, total=total, filter=wanted, per_kind=INDEX_PER_KIND)
    )


def _index_by_kind(store: Store) -> Response:
    """The index of a large store: every kind with its count, and `INDEX_PER_KIND` names of each."""
    spec = DatasetSpec(infer=False)
    counts = store.query(_KIND_COUNTS, spec)
    assert isinstance(counts, ox.QuerySolutions)
    kinds = []
    for row in counts:
        kind = row["t"]
        query = _KIND_MEMBERS.format(kind=kind.value, ours=_OURS, limit=INDEX_PER_KIND)
        members = store.query(query, spec)
        assert isinstance(members, ox.QuerySolutions)
        shown = sorted((ref(store, m["s"]) for m in members), key=lambda r: natural_key(r.text))
        kinds.append((ref(store, kind), shown, int(row["n"].value)))
    kinds.sort(key=lambda g: natural_key(g[0].text))
    return html(render_template("index.html", groups=kinds, total=None, filter="", per_kind=INDEX_PER_KIND))


def _instances(store: Store, cls: ox.NamedNode) -> list[ox.NamedNode]:
    found = {q.subject for q in store.quads(None, RDF_TYPE, cls, store.visible_graphs(True))}
    return [n for n in found if isinstance(n, ox.NamedNode)]


_CURIE = re.compile(r"\bpkg:([A-Za-z][\w.-]*\w)")


@bp.app_template_filter("link_curies")
def link_curies(text: str, missing: str = "") -> Markup:
    """Escape a message, then link each `pkg:Local` in it to its page (except the `missing` IRI)."""

    def link(match: re.Match) -> str:
        if PKG + match[1] == missing:
            return match[0]
        return f'<a href="{url_for("pages.resource", local=match[1])}">{match[0]}</a>'

    return Markup(_CURIE.sub(link, str(escape(text))))

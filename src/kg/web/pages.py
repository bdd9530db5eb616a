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
from ..store import Store
from ..terms import as_term
from ..traverse import Edge, neighbours
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
    page = Page(node.value, label(store, node), shorten(node.value))
    literals = {DEFINITION: page.definitions, COMMENT: page.comments}
    connected: dict[str, dict[ox.NamedNode, Ref]] = {"roles": {}, "stages": {}}
    found = statement_sources(store, node)
    cited = {s.iri: s for sources in found.values() for s in sources}
    for edge in edges:
        if is_record_link(edge.predicate, edge.direction):
            continue  # the record is shown as the source of its statement
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
        if isinstance(other, ox.NamedNode) and other != node:
            for kind, cls in (("roles", ROLE), ("stages", STAGE)):
                if _is_a(store, other, cls):
                    connected[kind][other] = link.other
    page.roles = sorted(connected["roles"].values(), key=lambda r: r.text)
    page.stages = [connected["stages"][n] for n in _in_stage_order(store, connected["stages"])]
    own = {p.iri for p in page.sources}
    page.cited = [_passage(store, ox.NamedNode(iri)) for iri in sorted(cited) if iri not in own]
    return page


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
    edges = neighbours(store, node, infer)
    if fmt is not None:
        response = _rdf(store, fmt, edges, infer)
    else:
        page = build_page(store, node, edges)
        number = _page_number(params)
        tables = {
            name: Table.of(rows, number, base, infer)
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
                neighbourhood=neighbourhood.drawing(node, page.label, edges, link_target),
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
    def of(cls, links: list[Link], number: int, base: str, infer: bool) -> Table:
        ordered = sorted(
            links, key=lambda link: (natural_key(link.predicate.text), natural_key(link.other.text))
        )
        pages = max(1, -(-len(ordered) // PAGE_ROWS))
        number = min(number, pages)
        start = (number - 1) * PAGE_ROWS
        suffix = "" if infer else "&infer=false"

        def at(n: int) -> str:
            return f"?{base}page={n}{suffix}"

        return cls(
            ordered[start : start + PAGE_ROWS],
            len(ordered),
            number,
            pages,
            start + 1,
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


@bp.get("/id/")
def index() -> Response:
    """Every resource of our namespace, grouped by kind (its asserted classes) with counts; `?filter=`
    keeps those whose label, CURIE or local name contains the text (case and accents ignored)."""
    params = protocol.parse_urlencoded(request.query_string, "query string")
    wanted = (params.get("filter") or [""])[-1].strip()
    store = state().store
    found = {q.subject for q in store.quads(None, None, None, store.asserted_graphs)}
    nodes = [n for n in found if isinstance(n, ox.NamedNode) and n.value.startswith(PKG)]
    needle = fold(wanted)
    groups: dict[str, tuple[Ref | None, list[Ref]]] = {}
    total = 0
    for node in nodes:
        r = ref(store, node)
        if needle and not any(needle in fold(t) for t in (r.text, r.curie or "", node.value[len(PKG) :])):
            continue
        total += 1
        kinds = [q.object for q in store.quads(node, RDF_TYPE, None, store.asserted_graphs)]
        named = sorted({k for k in kinds if isinstance(k, ox.NamedNode)}, key=lambda k: k.value)
        kinds_of: list[ox.NamedNode | None] = [*named] or [None]
        for kind in kinds_of:
            key = kind.value if kind is not None else ""
            if key not in groups:
                groups[key] = (ref(store, kind) if kind is not None else None, [])
            groups[key][1].append(r)
    ordered = sorted(
        groups.values(), key=lambda g: (g[0] is None, natural_key(g[0].text if g[0] is not None else ""))
    )
    for _, members in ordered:
        members.sort(key=lambda r: natural_key(r.text))
    return html(render_template("index.html", groups=ordered, total=total, filter=wanted))


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

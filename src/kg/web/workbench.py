"""`/paths` and `/explain`: the graph walks for people, as pages (no script, nothing from elsewhere).

They call the same core functions as `/api/paths` and `/api/explain` (`traverse.paths`,
`explain.explain`) with the API's bounds and its time budget (KG_QUERY_TIMEOUT): a path search cut
short says so and shows what it found; an explanation cut short is a 503 page with Retry-After, never
half a proof. Names are whatever `resolve` takes (IRI, CURIE, label), offered as a `<datalist>` of
labels; an unknown or ambiguous one gets its close matches as links that rerun the page with each.

Also the `explain_url` template global, with which every "inferred" badge links to its proof.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request, url_for

from ..errors import KGError, ParameterError, QueryTimeout
from ..explain import explain as explain_triple
from ..namespaces import GRAPH, expand_curie, shorten
from ..proof import Explanation, Proof
from ..resolve import LABEL_PREDICATES, AmbiguousName, UnknownResource, label, resolve
from ..terms import literal
from ..traverse import Edge, Path, Paths
from ..traverse import paths as find_paths
from .cache import cacheable
from .pathview import Diagram, diagram
from .present import Ref, html, link_target, ref
from .querying import EXPLAIN_MAX, MAX_DEPTH, PATH_LIMIT, walk_budget
from .state import state

bp = Blueprint("workbench", __name__)

#: Where the rules a proof names are defined.
RULES_URL = "https://www.w3.org/TR/owl2-profiles/#Reasoning_in_OWL_2_RL_and_RDF_Graphs_using_Rules"
#: Labels offered for completion, at most (a datalist of every organisation would be a large page).
MAX_NAMES = 3000
#: A close match in `resolve`'s messages: `"Quality Control" (pkg:QualityControl)`.
_SUGGESTION = re.compile(r'"([^"]*)" \(([^()\s]+)\)')


# --- names: what a form field holds, what a link carries ------------------------------------------


@dataclass
class NameField:
    """A name typed in a form, the node it resolved to, or why not (with links to close matches)."""

    param: str
    value: str
    node: ox.NamedNode | None = None
    error: str | None = None
    status: int = 200
    suggestions: list[tuple[str, str]] = field(default_factory=list)  # (text, href of the rerun page)


def _resolve(name: NameField, rerun: Callable[[str, str], str]) -> None:
    """Resolve the field's name, or say why not and offer the close matches `resolve` names."""
    if not name.value:
        name.error, name.status = f"Give a name for “{name.param}”: an IRI, a CURIE or a label.", 400
        return
    try:
        name.node = resolve(state().store, name.value)
    except AmbiguousName as exc:
        name.error, name.status = exc.message, exc.status
        for node in exc.candidates:
            text = f"{label(state().store, node)} ({shorten(node.value)})"
            name.suggestions.append((text, rerun(name.param, term_name(node))))
    except UnknownResource as exc:  # also a malformed IRI (400)
        name.error, name.status = exc.message, exc.status
        for text, curie in _SUGGESTION.findall(exc.message):
            name.suggestions.append((f"{text} ({curie})", rerun(name.param, curie)))


def term_name(node: ox.NamedNode) -> str:
    """The name a link carries for a node: its CURIE when it has one, else `<IRI>`."""
    short = shorten(node.value)
    return short if expand_curie(short) else f"<{node.value}>"


def _ref_name(term) -> str | None:
    """`term_name` of an IRI given as text, a node or a page's `Ref`; None for literals and blank
    nodes (a `Ref` without a CURIE), which no badge links from."""
    if isinstance(term, ox.NamedNode):
        return term_name(term)
    if isinstance(term, str):
        return term_name(ox.NamedNode(term))
    curie = getattr(term, "curie", None)
    if curie is None:
        return None
    return term_name(ox.NamedNode(expand_curie(curie) or curie))


@bp.app_template_global()
def explain_url(s, p, o) -> str | None:
    """The `/explain` page of a statement whose terms are IRIs (text), nodes or `Ref`s; None when a
    term is a literal or a blank node."""
    names = [_ref_name(t) for t in (s, p, o)]
    if None in names:
        return None
    return url_for("workbench.explain", s=names[0], p=names[1], o=names[2])


def _why(edge: Edge) -> str | None:
    return explain_url(edge.subject, edge.predicate, edge.object)


def _names() -> list[tuple[str, str]]:
    """(value, hint) for the datalist: each labelled resource by its label, or by its CURIE when
    another resource has the same label (so that what is picked resolves). Computed once per process."""
    s = state()
    found = s.memo.get("workbench-names")
    if found is None:
        store = s.store
        nodes = {
            q.subject
            for predicate in LABEL_PREDICATES[:2]
            for q in store.quads(None, ox.NamedNode(predicate), None, store.asserted_graphs)
            if isinstance(q.subject, ox.NamedNode)
        }
        labelled = [(label(store, n), n) for n in nodes]
        homonyms = Counter(text.casefold() for text, _ in labelled)
        found = sorted(
            (text if homonyms[text.casefold()] == 1 else term_name(n), shorten(n.value))
            for text, n in labelled
        )[:MAX_NAMES]
        s.memo["workbench-names"] = found
    return found


def _bounded(raw: str | None, bounds: tuple[int, int, int], what: str) -> int:
    """A form's number: the default when left empty, else an integer within the bounds."""
    default, low, high = bounds
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ParameterError(f"{what} must be a whole number from {low} to {high}, not {raw!r}")
    return value


def _checked(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("1", "true", "on", "yes")


def _rerun(endpoint: str) -> Callable[[str, str], str]:
    """A link to the same page with one parameter changed."""

    def link(param: str, value: str) -> str:
        values: dict[str, Any] = {**request.args.to_dict(), param: value}
        return url_for(endpoint, **values)

    return link


def _page(template: str, status: int, complete: bool = True, **context) -> Response:
    response = html(render_template(template, names=_names(), **context), status)
    if status == 200 and complete:
        return cacheable(response)
    response.headers["Cache-Control"] = "no-store"
    if status == 503:
        response.headers["Retry-After"] = str(math.ceil(current_app.config["KG_RETRY_AFTER"]))
    return response


# --- /paths -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One edge of a path as the list shows it: the predicate, which way, and the node it reaches."""

    predicate: Ref
    forward: bool
    inferred: bool
    why: str | None
    node: Ref


@dataclass(frozen=True)
class Route:
    start: Ref
    steps: list[Step]


@dataclass
class PathsAnswer:
    """What a search found: the routes, the diagram, and whether it was cut or could go deeper."""

    source: Ref
    target: Ref
    routes: list[Route]
    diagram: Diagram
    complete: bool
    stopped: str | None
    deeper: str | None  # the same search one edge deeper, when no path was found and it may go deeper
    more: str | None  # the same search with a higher limit, when the limit cut it


def _route(path: Path) -> Route:
    store = state().store
    steps = [
        Step(ref(store, e.predicate), e.direction == "forward", e.inferred, _why(e), ref(store, node))
        for e, node in zip(path.edges, path.nodes[1:], strict=True)
    ]
    return Route(ref(store, path.nodes[0]), steps)


@bp.get("/paths")
def paths() -> Response:
    """A form (from, to, max depth, directed); then the paths found, as a diagram and as a list."""
    args = request.args
    rerun = _rerun("workbench.paths")
    ends = [NameField(p, args.get(p, "").strip()) for p in ("from", "to")]
    context: dict = {"ends": ends, "directed": _checked(args.get("directed")), "answer": None}
    context |= {"depth": args.get("max_depth", str(MAX_DEPTH[0])), "problem": None}
    if not any(e.value for e in ends):
        return _page("paths.html", 200, **context)
    try:
        depth = _bounded(args.get("max_depth"), MAX_DEPTH, "The maximum depth")
        limit = _bounded(args.get("limit"), PATH_LIMIT, "The number of paths")
    except ParameterError as exc:
        context["problem"] = exc.message
        return _page("paths.html", exc.status, **context)
    for end in ends:
        _resolve(end, rerun)
    if any(e.error for e in ends):
        return _page("paths.html", max(e.status for e in ends), **context)
    source, target = ends[0].node, ends[1].node
    assert source is not None and target is not None  # resolved, or we returned above
    found: Paths = find_paths(
        state().store, source, target, depth, True, limit, walk_budget(), undirected=not context["directed"]
    )
    can_deepen = not found and found.complete and depth < MAX_DEPTH[2]
    deeper = rerun("max_depth", str(depth + 1)) if can_deepen else None
    more = rerun("limit", str(min(2 * limit, PATH_LIMIT[2]))) if found.stopped and found.complete else None
    context["depth"] = str(depth)
    store = state().store
    context["answer"] = PathsAnswer(
        ref(store, source),
        ref(store, target),
        [_route(p) for p in found],
        diagram(list(found), link_target, _why),
        found.complete,
        found.stopped,
        deeper,
        more if limit < PATH_LIMIT[2] else None,
    )
    context["max_depth_bound"] = MAX_DEPTH[2]
    return _page("paths.html", 200, complete=found.complete, **context)


# --- /explain -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cite:
    """A source passage an asserted statement cites; quoted where it is first cited on the page."""

    text: str
    href: str | None
    anchor: str
    quotation: str | None
    first: bool


@dataclass(frozen=True)
class ProofStep:
    """A proof node as the page shows it, premises nested."""

    terms: tuple[Ref, Ref, Ref]
    status: str
    rule: str | None
    graphs: list[str]
    cites: list[Cite]
    premises: list[ProofStep]


class _Steps:
    """Proof trees → `ProofStep`s, numbering source passages in the order the page shows them."""

    def __init__(self, explanation: Explanation) -> None:
        self.passages = explanation.passages
        self.anchors: dict[str, str] = {}

    @staticmethod
    def terms(proof: Proof) -> tuple[Ref, Ref, Ref]:
        s, p, o = (
            Ref(text, link_target(t.value), shorten(t.value)) if isinstance(t, ox.NamedNode) else Ref(text)
            for t, text in zip(proof.fact, proof.text, strict=True)
        )
        return s, p, o

    def step(self, proof: Proof) -> ProofStep:
        terms = self.terms(proof)
        graphs = [g.removeprefix(GRAPH) for g in proof.graphs]
        cites = [self.cite(iri) for iri in proof.sources]
        premises = [self.step(p) for p in proof.premises]
        return ProofStep(terms, proof.status, proof.rule, graphs, cites, premises)

    def cite(self, iri: str) -> Cite:
        passage = self.passages.get(iri, {})
        first = iri not in self.anchors
        if first:
            self.anchors[iri] = f"passage-{len(self.anchors) + 1}"
        text = passage.get("label") or shorten(iri)
        return Cite(text, link_target(iri), self.anchors[iri], passage.get("quotation"), first)


@bp.get("/explain")
def explain() -> Response:
    """Why `s p o` holds: where it is stated, or its OWL 2 RL derivations down to asserted statements."""
    args = request.args
    rerun = _rerun("workbench.explain")
    is_literal = _checked(args.get("literal"))
    fields = [NameField(p, args.get(p, "").strip()) for p in ("s", "p", "o")]
    context: dict = {"fields": fields, "literal": is_literal, "rules_url": RULES_URL, "explained": None}
    context |= {"max": args.get("max", str(EXPLAIN_MAX[0])), "problem": None}
    if not any(f.value for f in fields):
        return _page("explain.html", 200, **context)
    try:
        most = _bounded(args.get("max"), EXPLAIN_MAX, "The number of derivations")
    except ParameterError as exc:
        context["problem"] = exc.message
        return _page("explain.html", exc.status, **context)
    for f in fields[:2] if is_literal else fields:
        _resolve(f, rerun)
    o: ox.NamedNode | ox.Literal | None = fields[2].node
    if is_literal:
        try:
            o = literal(fields[2].value)
        except ValueError as exc:
            fields[2].error, fields[2].status = str(exc), 400
    if any(f.error for f in fields):
        return _page("explain.html", max(f.status for f in fields), **context)
    s, p = fields[0].node, fields[1].node
    assert s is not None and p is not None and o is not None  # resolved, or we returned above
    try:
        found = explain_triple(state().store, s, p, o, timeout_s=walk_budget(), max_derivations=most)
    except KGError as exc:  # not entailed (404), or the budget used up (503)
        kind = "timeout" if isinstance(exc, QueryTimeout) else "not-entailed"
        context |= {"problem": exc.message, "problem_kind": kind}
        return _page("explain.html", exc.status, **context)
    steps = _Steps(found)
    context["explained"] = {
        "fact": steps.terms(found.proof),
        "asserted": found.asserted,
        "count": found.count,
        "derivations": [steps.step(d) for d in found.derivations] or [steps.step(found.proof)],
        "derived": bool(found.derivations),
        "more": found.more,
        "all": rerun("max", str(min(found.count, EXPLAIN_MAX[2]))) if found.more else None,
    }
    return _page("explain.html", 200, **context)

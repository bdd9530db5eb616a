"""`/api`: the named queries as a REST API, and the graph walks (neighbours, paths, explanations).

Named queries run exactly like `/sparql` queries — the same query workers, time budget, row cap and
response cache — with parameters bound as typed RDF terms (SEP-0007 substitution through the catalog),
never pasted into the query text. The walks call the same core functions as the CLI (`resolve`,
`traverse`, `explain`), in this process: they are bounded by their own depth, count and time limits.
"""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, redirect, request, url_for

from ..catalog import NamedQuery, default_catalog
from ..errors import KGError, ParameterError
from ..executor import Job, substitutions
from ..explain import explain as explain_triple
from ..formats import RESULTS, Format
from ..namespaces import shorten
from ..resolve import MalformedName, label, resolve, term_dict
from ..terms import Term, from_sparql_json, literal
from ..traverse import neighbours as node_edges
from ..traverse import paths as find_paths
from . import conneg, protocol
from .cache import Entry, answer, attachment, cacheable, etag, not_modified
from .present import describe_query
from .querying import EXPLAIN_MAX, MAX_DEPTH, NEIGHBOUR_LIMIT, PATH_LIMIT, run_in_worker, walk_budget
from .replay import mark
from .state import state

bp = Blueprint("api", __name__, url_prefix="/api")

#: The friendly JSON of a named query (our shape, not SPARQL JSON) is asked for as `application/json`.
FRIENDLY = "application/json"
#: Request parameters every named query takes besides its own.
QUERY_OPTIONS = ("format", "output", "infer")


# --- reading parameters -------------------------------------------------------------------------


#: Parameters every route reads alike (see `conneg.override`, `protocol.flag`): given twice, the last
#: value counts, as on /sparql. Any other parameter names what to compute and must be given once.
SHARED = (*conneg.OVERRIDE_PARAMS, "infer")


def _params(allowed: tuple[str, ...]) -> dict[str, str]:
    """The query-string parameters, all of them in `allowed` (else 400), each at most once (else 400)
    except the `SHARED` ones, whose last value counts."""
    raw = protocol.parse_urlencoded(request.query_string, "query string")
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise ParameterError(f"unknown parameter {unknown[0]!r}; this endpoint takes: {', '.join(allowed)}")
    repeated = sorted(name for name, values in raw.items() if len(values) > 1 and name not in SHARED)
    if repeated:
        times = len(raw[repeated[0]])
        raise ParameterError(f"parameter {repeated[0]!r} is given {times} times; give it once")
    return {name: values[-1] for name, values in raw.items()}


_NAME = "an IRI, CURIE or label"


def _required(params: dict[str, str], name: str, kind: str = _NAME) -> str:
    value = params.get(name, "").strip()
    if not value:
        raise ParameterError(f"missing parameter {name!r} ({kind})")
    return value


def resolve_name(name: str, parameter: str) -> ox.NamedNode:
    """`resolve`, with a malformed IRI reported as a 400 naming the parameter."""
    try:
        return resolve(state().store, name)
    except MalformedName as exc:
        raise ParameterError(f"parameter {parameter!r} ({_NAME}): {exc.message}") from None


def _integer(params: dict[str, str], name: str, bounds: tuple[int, int, int]) -> int:
    default, low, high = bounds
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ParameterError(f"parameter {name!r} must be an integer from {low} to {high}, not {raw!r}")
    return value


def _lists(params: dict[str, str]) -> protocol.Params:
    return {name: [value] for name, value in params.items()}


def _flag(params: dict[str, str], name: str, default: bool) -> bool:
    try:
        return protocol.flag(_lists(params), name, default)
    except KGError as exc:
        raise ParameterError(f"parameter {name!r} must be a boolean: {exc.message}") from None


# --- named queries ------------------------------------------------------------------------------


@bp.get("/queries")
def list_queries() -> Response:
    """Every named query with its summary, the competency questions it answers and its parameters."""
    return jsonify({"queries": [describe_query(q) for q in default_catalog()]})


@bp.get("/queries/<name>")
def run_query(name: str) -> Response:
    """Run a named query: friendly JSON by default, CSV/TSV and SPARQL results formats on request."""
    query = default_catalog().get(name)
    params = _params((*QUERY_OPTIONS, *(p.name for p in query.params)))
    infer = _flag(params, "infer", True)
    override = conneg.override(_lists(params))
    if override is None and _wants_page():  # a person: the query's page, never a results download
        page = url_for("querypages.page", name=query.name)
        return redirect(f"{page}?{request.query_string.decode()}" if request.query_string else page, 303)  # type: ignore[return-value]
    values = {k: v for k, v in params.items() if k not in QUERY_OPTIONS}
    bound = substitutions(query.bind(values))
    fmt = None if _wants_friendly(override) else conneg.choose(request, (RESULTS,), override)
    s = state()
    cap = s.config["KG_MAX_ROWS"]
    key = ("api", query.name, bound, fmt.name if fmt else FRIENDLY, infer, cap, s.key)
    tag = etag(key)
    if request.if_none_match.contains_weak(tag):
        return not_modified(tag)
    entry = s.cache.get(key)
    if entry is None:
        entry = _evaluate(query, bound, fmt, infer, cap)
        s.cache.put(key, entry)
    mark(request.environ, query.text, entry, "/api/queries/<name>")
    if fmt is not None and override:  # `format=` names a download
        return attachment(answer(entry, tag), query.name)
    return answer(entry, tag)


def _wants_page() -> bool:
    """A browser: its Accept names `text/html` and prefers it to JSON and to every results format
    (a browser's `application/xml;q=0.9` must not win); `*/*` alone (curl) is not a browser."""
    accept = request.accept_mimetypes
    if "text/html" not in accept.values():
        return False
    offered = ["text/html", FRIENDLY, *(media for media, _ in conneg.candidates((RESULTS,)))]
    return accept.best_match(offered) == "text/html"


def _wants_friendly(override: str | None) -> bool:
    """`format=json` / `Accept: application/json` / no preference → our friendly JSON.

    SPARQL JSON stays reachable as `format=srj` or `Accept: application/sparql-results+json`.
    """
    if override:
        return override.strip().lower() in ("json", FRIENDLY)
    accept = request.accept_mimetypes
    if not accept or accept.best == "text/html":
        return True
    offered = [FRIENDLY, *(media for media, _ in conneg.candidates((RESULTS,)))]
    return accept.best_match(offered) == FRIENDLY


def _evaluate(query: NamedQuery, bound: tuple, fmt: Format | None, infer: bool, cap: int) -> Entry:
    """Run the query in a query worker within the budget; shape friendly JSON from SPARQL JSON here."""
    job = Job(
        query.text, fmt.name if fmt else "json", infer, None, None, bound, cap,
        max_bytes=state().config["KG_MAX_RESULT_BYTES"],
    )  # fmt: skip
    answer = run_in_worker(job, "SELECT", fmt.name if fmt else "api-json")
    if fmt is not None:
        return Entry(answer.body, conneg.content_type(fmt), answer.form, answer.rows, answer.truncated)
    shaped = friendly(query.name, json.loads(answer.body), answer.truncated)
    body = json.dumps(shaped, ensure_ascii=False).encode()
    return Entry(body, FRIENDLY, answer.form, answer.rows, answer.truncated)


def friendly(name: str, results: dict[str, Any], truncated: bool) -> dict[str, Any]:
    """SPARQL JSON results → `{query, columns, rows: [{column: {value, label, type}}], truncated}`."""
    if "boolean" in results:
        return {"query": name, "columns": [], "rows": [], "boolean": results["boolean"], "truncated": False}
    columns = results["head"]["vars"]
    rows = [
        {col: _cell(binding[col]) for col in columns if col in binding}
        for binding in results["results"]["bindings"]
    ]
    return {"query": name, "columns": columns, "rows": rows, "truncated": truncated}


def _cell(binding: dict[str, Any]) -> dict[str, Any]:
    """One SPARQL JSON term as a friendly cell, shown as everywhere (`resolve.label`); IRIs get
    their CURIE, literals their language or (when not a plain string) datatype."""
    term = from_sparql_json(binding)
    text = label(state().store, term)
    if isinstance(term, ox.NamedNode):
        return {"value": term.value, "label": text, "type": "iri", "curie": shorten(term.value)}
    if isinstance(term, ox.BlankNode):
        return {"value": term.value, "label": text, "type": "bnode"}
    cell = {"value": term.value if isinstance(term, ox.Literal) else text, "label": text, "type": "literal"}
    if "xml:lang" in binding:
        cell["lang"] = binding["xml:lang"]
    if "datatype" in binding:
        cell["datatype"] = binding["datatype"]
    return cell


# --- walking the graph --------------------------------------------------------------------------


@bp.get("/neighbours")
def neighbours() -> Response:
    """The first `limit` edges touching a node, outgoing first; `infer=false` for asserted edges only.

    Only those edges are built (see `traverse.neighbours`); `count` is every edge, `truncated` says
    whether there are more than were returned.
    """
    params = _params(("node", "infer", "limit"))
    store = state().store
    node = resolve_name(_required(params, "node"), "node")
    limit = _integer(params, "limit", NEIGHBOUR_LIMIT)
    edges = node_edges(store, node, _flag(params, "infer", True), limit)
    return _json(
        {
            "node": term_dict(node, label(store, node)),
            "count": edges.total,
            "truncated": edges.total > len(edges),
            "edges": [edge.to_dict() for edge in edges],
        }
    )


@bp.get("/paths")
def paths() -> Response:
    """Up to `limit` simple paths of at most `max_depth` edges between two nodes, shortest first."""
    params = _params(("from", "to", "max_depth", "limit", "infer", "directed"))
    s = state()
    source = resolve_name(_required(params, "from"), "from")
    target = resolve_name(_required(params, "to"), "to")
    depth, limit = _integer(params, "max_depth", MAX_DEPTH), _integer(params, "limit", PATH_LIMIT)
    infer, directed = _flag(params, "infer", True), _flag(params, "directed", False)
    found = find_paths(s.store, source, target, depth, infer, limit, walk_budget(), undirected=not directed)
    return _json(
        {
            "from": term_dict(source, label(s.store, source)),
            "to": term_dict(target, label(s.store, target)),
            "max_depth": depth,
            "limit": limit,
            "infer": infer,
            "directed": directed,
            **found.to_dict(),
        },
        complete=found.complete,
    )


@bp.get("/explain")
def explain() -> Response:
    """Why a triple holds: asserted (with its source passage) or its OWL 2 RL derivations, the first
    `max` of them and how many there are (as `kg explain --max`); 404 if not."""
    params = _params(("s", "p", "o", "literal", "max"))
    s, p = (resolve_name(_required(params, name), name) for name in ("s", "p"))
    o: Term
    if _flag(params, "literal", False):  # `o` is a literal: "text"@en, "1"^^<datatype>, or plain text
        try:
            o = literal(_required(params, "o", "a literal"))
        except ValueError as exc:
            raise ParameterError(f"parameter 'o': {exc}") from None
    else:
        o = resolve_name(_required(params, "o"), "o")
    most = _integer(params, "max", EXPLAIN_MAX)
    store = state().store
    explanation = explain_triple(store, s, p, o, timeout_s=walk_budget(), max_derivations=most)  # or 503
    return _json({**explanation.to_dict(), "max": most, "text": explanation.render_text(ask="max={n}")})


def _json(body: dict[str, Any], complete: bool = True) -> Response:
    """A walk's answer. A complete one derives from the immutable snapshot, so it is cacheable like a
    query answer; one cut short by the time budget might be whole next time, so no one may keep it."""
    response = jsonify(body)
    if not complete:
        response.headers["Cache-Control"] = "no-store"
        return response
    return cacheable(response)

"""`/queries` and `/queries/<name>`: the named queries as pages for people.

A page shows the query's summary, a form with one typed field per parameter (an IRI parameter offers
the resources of its kind: the kind of its default value, or every resource for a parameter named
`resource`), the answer as a table whose resources link to their pages, downloads in each results
format, the SPARQL text and the API URL. The query runs like `/api/queries/<name>`: in a query worker,
with its parameters bound as typed terms (never pasted into the text), under the same row cap.
Errors (an unknown query or parameter, a malformed value) are a message on the page with their status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request, url_for

from ..catalog import NamedQuery, Param, default_catalog
from ..errors import KGError, ParameterError
from ..executor import Job, substitutions
from ..formats import FORMATS, RESULTS
from ..namespaces import PKG, shorten
from ..resolve import LABEL_PREDICATES, RDF_TYPE, label
from ..store import Store
from ..terms import from_sparql_json
from . import protocol
from .present import Ref, describe_query, html, ref
from .querying import run_in_worker
from .state import state

bp = Blueprint("querypages", __name__)

#: A parameter of this name takes any resource; other IRI parameters take the kind of their default.
ANY_RESOURCE = "resource"
#: Up to this many choices an IRI parameter is a `<select>`; beyond, a text field with a `<datalist>`.
SELECT_MAX = 50


@dataclass(frozen=True)
class Field:
    """One parameter as the form shows it: its value, and for an IRI its choices (CURIE, label)."""

    param: Param
    value: str
    kind: Ref | None = None
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def widget(self) -> str:
        if self.param.type == "boolean":
            return "boolean"
        if self.param.type == "iri" and self.choices and len(self.choices) <= SELECT_MAX:
            return "select"
        return "datalist" if self.choices else "text"


@bp.get("/queries")
def index() -> Response:
    """Every named query, with its parameters and summary, each linked to its page."""
    queries = [describe_query(q) for q in default_catalog()]
    return html(render_template("query_list.html", queries=queries))


@bp.get("/queries/<name>")
def page(name: str) -> Response:
    """The named query `name` for people; 404 with close matches when there is no such query."""
    try:
        query = default_catalog().get(name)
    except KGError as exc:
        return html(render_template("query_page.html", query=None, name=name, error=exc.message), exc.status)
    store = state().store
    values: dict[str, str] = {}
    error, status, table = None, 200, None
    try:
        values = _values(query)
        table = _run(query, values)
    except KGError as exc:
        error, status = exc.message, exc.status
    fields = [_field(store, p, values.get(p.name, p.default or "")) for p in query.params]
    given = [(k, v) for k, v in values.items() if v]
    api = url_for("api.run_query", name=query.name)
    downloads = [
        (f.name, f.extension, _with(api, [("format", f.extension), *given]))
        for f in FORMATS
        if f.kind == RESULTS
    ]
    body = render_template(
        "query_page.html",
        query=query,
        name=name,
        fields=fields,
        table=table,
        error=error,
        downloads=downloads,
        api_url=_with(api, given),
        api_absolute=_with(url_for("api.run_query", name=query.name, _external=True), given),
    )
    return html(body, status)


def _with(url: str, params: list[tuple[str, str]]) -> str:
    """`url` with a query string (parameters may be called anything, `name` too)."""
    return f"{url}?{urlencode(params)}" if params else url


def _values(query: NamedQuery) -> dict[str, str]:
    """The parameters given in the query string, each once (else 400); `NamedQuery.bind` refuses
    parameters the query does not have."""
    raw = protocol.parse_urlencoded(request.query_string, "query string")
    for key, items in raw.items():
        if len(items) > 1:
            raise ParameterError(f"parameter {key!r} is given {len(items)} times; give it once")
    return {key: items[0] for key, items in raw.items() if items[0].strip()}  # blank: the default


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[Ref | None]]
    truncated: bool
    boolean: bool | None = None


def _run(query: NamedQuery, values: dict[str, str]) -> Table:
    """Run the query in a query worker as the API does, and shape its SPARQL JSON into linked cells."""
    s = state()
    bound = substitutions(query.bind(values))
    job = Job(
        query.text, "json", True, None, None, bound, s.config["KG_MAX_ROWS"],
        max_bytes=s.config["KG_MAX_RESULT_BYTES"],
    )  # fmt: skip
    answer = run_in_worker(job, "SELECT", "page")
    results: dict[str, Any] = json.loads(answer.body)
    if "boolean" in results:
        return Table([], [], False, bool(results["boolean"]))
    columns = results["head"]["vars"]
    rows = [
        [ref(s.store, from_sparql_json(b[c])) if c in b else None for c in columns]
        for b in results["results"]["bindings"]
    ]
    return Table(columns, rows, answer.truncated)


def _field(store: Store, param: Param, value: str) -> Field:
    if param.type != "iri":
        return Field(param, value)
    kind = None if param.name == ANY_RESOURCE else kind_of(store, param.default)
    return Field(param, value, ref(store, kind) if kind else None, choices(store, kind))


def kind_of(store: Store, default: str | None) -> ox.NamedNode | None:
    """The kind an IRI parameter names: of the classes of our namespace its default is a member of,
    the one with the most members (pkg:CRO → pkg:Role, pkg:PhaseIIStage → pkg:DevelopmentStage)."""
    if not default:
        return None
    try:
        term = Param("_", "iri").term(default)
    except ParameterError:
        return None
    if not isinstance(term, ox.NamedNode):
        return None
    kinds = {q.object for q in store.quads(term, RDF_TYPE, None) if _ours(q.object)}
    counted = [(len(_members(store, k)), k.value, k) for k in kinds if isinstance(k, ox.NamedNode)]
    return max(counted)[2] if counted else None


def choices(store: Store, kind: ox.NamedNode | None) -> tuple[tuple[str, str], ...]:
    """(CURIE, label) of every resource of `kind` (every labelled resource of ours when None), by label."""
    if kind is not None:
        members = set(_members(store, kind))
    else:
        members = {
            q.subject
            for predicate in LABEL_PREDICATES
            for q in store.quads(None, ox.NamedNode(predicate), None)
            if _ours(q.subject)
        }
    named = [m for m in members if isinstance(m, ox.NamedNode)]
    pairs = {(shorten(m.value), label(store, m)) for m in named}
    return tuple(sorted(pairs, key=lambda pair: (pair[1].lower(), pair[0])))


def _members(store: Store, kind: ox.NamedNode) -> set:
    return {q.subject for q in store.quads(None, RDF_TYPE, kind)}


def _ours(term: object) -> bool:
    return isinstance(term, ox.NamedNode) and term.value.startswith(PKG)

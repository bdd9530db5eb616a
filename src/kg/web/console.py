"""`/query`: a SPARQL query page for people, nothing from another host.

With JavaScript, the editor: YASGUI, vendored in static/vendor/yasgui (scripts/vendor-yasgui.sh), set
up by static/editor.js to query `/sparql`. Without, a server-rendered form (in <noscript>) POSTs here
(GET works too); the query runs exactly as on `/sparql` (same safety checks, query workers, time
budget and row cap), and the answer is shown as a table whose resources link to their `/id/…` pages,
with links to the same answer in every SPARQL results format. A browser opening `/sparql` without a
query is sent here; programs still get the Service Description there.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, url_for

from ..catalog import default_catalog
from ..errors import KGError
from ..formats import FORMATS, RESULTS
from ..namespaces import PKG, QUERY_PREFIXES
from ..terms import from_sparql_json
from . import protocol
from .present import Ref, html, ref
from .querying import checked, evaluate
from .state import state

bp = Blueprint("console", __name__)

EXAMPLE = """PREFIX pkg: <https://w3id.org/pharma-kg/id/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

# In which stages is a CRO active? (inferred by the property chain hasResponsibility/performedInStage)
SELECT ?stage ?label WHERE {
  pkg:CRO pkg:activeInStage ?stage .
  ?stage skos:prefLabel ?label ; pkg:stageOrder ?order .
} ORDER BY ?order
"""


@bp.route("/query", methods=["GET", "POST"])
def page() -> Response:
    """The editor (YASGUI, static/editor.js) and, without JavaScript, a form that POSTs here."""
    params = protocol.read_params(request)  # the query string and a form body, strict UTF-8
    text = (params.get("query") or [""])[-1]
    infer = protocol.flag(params, "infer", True)
    editor = {
        "endpoint": url_for("sparql.endpoint"),
        "query": EXAMPLE,
        "prefixes": QUERY_PREFIXES,
        "namespace": PKG,
        "resources": url_for("pages.index"),
    }
    context = {
        "text": text or EXAMPLE,
        "infer": infer,
        "examples": _examples(),
        "prefixes": list(QUERY_PREFIXES),
        "editor": editor,
        "answer": None,
        "error": None,
    }
    status = 200
    if text.strip():
        try:
            context["answer"] = _run(text, infer)
        except KGError as exc:
            context["error"], status = exc.message, exc.status
    response = html(render_template("query.html", **context), status)
    # The editor's scripts, stylesheets and requests to /sparql come from this server, nothing else. The
    # two hashes are the <style> elements YASGUI's table adds for resizable columns (and while dragging).
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self'; style-src 'self' "
        "'sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk=' "
        "'sha256-c0O6TmFAkgpNbHxKAa1BrveWHHopjEtC47i0PzMudxg='; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    if status == 503:  # as on /sparql: a budget or a full pool is worth retrying later
        response.headers["Retry-After"] = str(current_app.config["KG_RETRY_AFTER"])
    return response


def _run(text: str, infer: bool) -> dict:
    """The answer as the template shows it: a table (SELECT), a boolean (ASK) or Turtle (graphs)."""
    s = state()
    shape = checked(text)
    wanted = "json" if shape.form in ("SELECT", "ASK") else "turtle"  # what we render, whatever is accepted
    entry = evaluate(text, wanted, None, None, infer, s.config["KG_MAX_ROWS"], shape)
    answer = {"form": entry.form, "rows": entry.rows, "truncated": entry.truncated}
    if entry.form == "SELECT":
        doc = json.loads(entry.body)
        columns = doc["head"]["vars"]
        answer["columns"] = columns
        answer["table"] = [[_cell(b.get(c)) for c in columns] for b in doc["results"]["bindings"]]
        answer["downloads"] = [
            (f.name, _sparql_url(text, infer, f.name)) for f in FORMATS if f.kind == RESULTS
        ]
    elif entry.form == "ASK":
        answer["boolean"] = json.loads(entry.body)["boolean"]
    else:
        answer["turtle"] = entry.body.decode("utf-8")
        answer["downloads"] = [(n, _sparql_url(text, infer, n)) for n in ("ttl", "nt", "jsonld", "rdf")]
    return answer


def _cell(binding: dict | None) -> Ref | None:
    return None if binding is None else ref(state().store, from_sparql_json(binding))


def _sparql_url(text: str, infer: bool, fmt: str) -> str:
    query = {"query": text, "format": fmt, **({} if infer else {"infer": "false"})}
    return url_for("sparql.endpoint") + "?" + urlencode(query)


def _examples() -> list[tuple[str, str, str]]:
    """Each named query as a one-click example (its parameters unbound: the answer for every value)."""
    return [(q.name, q.summary, url_for("console.page", query=q.text)) for q in default_catalog()]

"""`/sparql`: the SPARQL 1.1 Protocol (query side), read-only, with a time budget and a response cache.

Hot path: parse the parameters → cache key → 304 / cached bytes, or: guard the query once (refusals
happen here, without a worker) → choose the format for its form → run it in a query worker within the
budget, counted from arrival → cache (unless it calls RAND, NOW, UUID, STRUUID or BNODE) → answer.
Without a query, `GET /sparql` answers the Service Description.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, redirect, request, url_for

from .. import sparql as core
from . import conneg, protocol, service
from .cache import Entry, answer, attachment, etag, not_modified, uncacheable
from .metrics import record_query
from .querying import checked, evaluate
from .replay import mark
from .state import state

bp = Blueprint("sparql", __name__)


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    arrived = time.monotonic()
    params = protocol.read_params(request)
    protocol.refuse_updates(params)
    text = protocol.single_query(params)
    override = conneg.override(params)
    if text is None:
        if request.method == "GET" and not set(params) - set(conneg.OVERRIDE_PARAMS):
            if (
                override is None
                and request.accept_mimetypes.best_match(["text/turtle", "text/html"]) == "text/html"
            ):
                return redirect(url_for("console.page"), 303)  # type: ignore[return-value]  # a person
            return service.description(url_for("sparql.endpoint", _external=True), override)
        raise core.QueryError(
            "missing query: pass `query=` in the URL or a form body, or POST an application/sparql-query body"
        )
    s = state()
    infer = protocol.flag(params, "infer", True)
    default, named = protocol.dataset(params, s.store.graphs())
    cap = s.config["KG_MAX_ROWS"]
    key = (text, override, request.headers.get("Accept", ""), default, named, infer, cap, s.key)
    if entry := s.cache.get(key):  # only deterministic answers are ever cached
        tag = etag(key)
        if request.if_none_match.contains_weak(tag):
            return not_modified(tag)
        record_query(text, entry.form, "cached", 0.0, entry.rows, "", entry.truncated)
        return _replayable(text, entry, tag, override)
    shape = checked(text)
    if not shape.deterministic:
        entry = evaluate(text, override, default, named, infer, cap, shape, arrived)
        return _download(uncacheable(entry), override)
    tag = etag(key)
    if request.if_none_match.contains_weak(tag):
        return not_modified(tag)
    entry = evaluate(text, override, default, named, infer, cap, shape, arrived)
    s.cache.put(key, entry)
    return _replayable(text, entry, tag, override)


def _replayable(text: str, entry: Entry, tag: str, override: str | None) -> Response:
    """The answer, marked so the replay middleware may serve the same GET again without Flask."""
    mark(request.environ, text, entry, "/sparql")
    return _download(answer(entry, tag), override)


def _download(response: Response, override: str | None) -> Response:
    """An answer whose format the request names (`format=`/`output=`) is a download: `query.<ext>`."""
    return attachment(response, "query") if override else response

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
from ..errors import KGError, QueryTimeout
from ..executor import Busy, Job, WorkerFailed
from . import conneg, protocol, service
from .cache import Entry, answer, etag, not_modified, uncacheable
from .ops import record_query
from .replay import mark
from .state import state

bp = Blueprint("sparql", __name__)

_OUTCOMES = {
    QueryTimeout: "timeout",
    Busy: "busy",  # refused by admission or the expensive lane
    WorkerFailed: "stopped",  # its worker was killed or ran out of memory
    core.ForbiddenQuery: "forbidden",
    core.QueryError: "error",
}


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
        return _replayable(text, entry, tag)
    shape = checked(text)
    if not shape.deterministic:
        return uncacheable(evaluate(text, override, default, named, infer, cap, shape, arrived))
    tag = etag(key)
    if request.if_none_match.contains_weak(tag):
        return not_modified(tag)
    entry = evaluate(text, override, default, named, infer, cap, shape, arrived)
    s.cache.put(key, entry)
    return _replayable(text, entry, tag)


def _replayable(text: str, entry: Entry, tag: str) -> Response:
    """The answer, marked so the replay middleware may serve the same GET again without Flask."""
    mark(request.environ, text, entry, "/sparql")
    return answer(entry, tag)


def limits() -> core.Limits:
    config = state().config
    return core.Limits(
        config["KG_MAX_QUERY_CHARS"], config["KG_MAX_QUERY_DEPTH"], config["KG_MAX_QUERY_OPERATORS"]
    )


def checked(text: str) -> core.QueryShape:
    """The guard, once per request, in this process: refusals never reach a worker."""
    s = state()
    started = time.perf_counter()
    try:
        return core.guard(text, s.store.graphs(), s.config["KG_ALLOW_SERVICE_HOSTS"], limits())
    except KGError as exc:
        record_query(text, "", _outcome(exc), time.perf_counter() - started)
        raise


def _outcome(exc: KGError) -> str:
    return next((o for cls, o in _OUTCOMES.items() if isinstance(exc, cls)), "failed")


def evaluate(
    text: str,
    override: str | None,
    default: tuple[str, ...] | None,
    named: tuple[str, ...] | None,
    infer: bool,
    cap: int,
    shape: core.QueryShape | None = None,
    arrived: float | None = None,
) -> Entry:
    """Run a query in a worker within the budget (counted from `arrived`), negotiate its format,
    count and log it. The worker trusts `shape`, so the text is checked once per request."""
    s = state()
    shape = shape or checked(text)
    started = time.perf_counter()
    try:
        fmt = conneg.choose(request, conneg.KINDS_BY_FORM[shape.form], override)
        job = Job(
            text,
            fmt.name,
            infer,
            default,
            named,
            (),
            cap,
            s.config["KG_ALLOW_SERVICE_HOSTS"],
            shape,
            s.config["KG_MAX_RESULT_BYTES"],
        )
        answer = s.executor.run(job, s.config["KG_QUERY_TIMEOUT"], arrived)
    except KGError as exc:
        record_query(text, shape.form, _outcome(exc), time.perf_counter() - started)
        raise
    outcome = "truncated" if answer.truncated else "ok"
    record_query(
        text, answer.form, outcome, time.perf_counter() - started, answer.rows, fmt.name, answer.truncated
    )
    return Entry(
        answer.body, conneg.content_type(fmt), answer.form, answer.rows, answer.truncated, answer.cut_by
    )

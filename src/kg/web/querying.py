"""What every surface runs, and within which bounds: the service layer the blueprints share.

A query is guarded once in the server process (`checked`: refusals never reach a worker), then run in
a query worker within the time budget (`run_in_worker`), counted and logged either way. `evaluate`
does both for a query whose format is negotiated from its form (the SPARQL endpoint, the console).
The graph walks (neighbours, paths, explanations) run in this process, bounded by `MAX_DEPTH`,
`PATH_LIMIT`, `NEIGHBOUR_LIMIT`, `EXPLAIN_MAX` and the same time budget (`walk_budget`).
"""

from __future__ import annotations

import time

from flask import request

from .. import sparql as core
from ..errors import KGError, QueryTimeout
from ..executor import Busy, Job, WorkerFailed
from ..worker import Answer
from . import conneg
from .cache import Entry
from .metrics import record_query
from .state import state

#: Bounds of the walks: (default, minimum, maximum). Documented in the OpenAPI document and README.
MAX_DEPTH = (4, 1, 8)
PATH_LIMIT = (10, 1, 100)
NEIGHBOUR_LIMIT = (500, 1, 5000)
EXPLAIN_MAX = (10, 1, 100)

_OUTCOMES = {
    QueryTimeout: "timeout",
    Busy: "busy",  # refused by admission or the expensive lane
    WorkerFailed: "stopped",  # its worker was killed or ran out of memory
    core.ForbiddenQuery: "forbidden",
    core.QueryError: "error",
}


def limits() -> core.Limits:
    """What a query text may hold on this server (KG_MAX_QUERY_CHARS, _DEPTH, _OPERATORS)."""
    config = state().config
    return core.Limits(
        config["KG_MAX_QUERY_CHARS"], config["KG_MAX_QUERY_DEPTH"], config["KG_MAX_QUERY_OPERATORS"]
    )


def walk_budget() -> float:
    """The walks' time budget: the server's query budget (KG_QUERY_TIMEOUT), seconds."""
    return state().config["KG_QUERY_TIMEOUT"]


def checked(text: str) -> core.QueryShape:
    """The guard, once per request, in this process: refusals never reach a worker."""
    s = state()
    started = time.perf_counter()
    try:
        return core.guard(text, s.store.graphs(), s.config["KG_ALLOW_SERVICE_HOSTS"], limits())
    except KGError as exc:
        record_query(text, "", outcome(exc), time.perf_counter() - started)
        raise


def outcome(exc: KGError) -> str:
    """How the query log and the metrics name a failure."""
    return next((o for cls, o in _OUTCOMES.items() if isinstance(exc, cls)), "failed")


def run_in_worker(job: Job, form: str, shown_format: str, arrived: float | None = None) -> Answer:
    """Run `job` in a query worker within the budget (counted from `arrived`), and count and log it
    either way; `form` is what the log says of a query that fails before it has an answer."""
    s = state()
    started = time.perf_counter()
    try:
        answer = s.executor.run(job, s.config["KG_QUERY_TIMEOUT"], arrived)
    except KGError as exc:
        record_query(job.text, form, outcome(exc), time.perf_counter() - started)
        raise
    seconds = time.perf_counter() - started
    result = "truncated" if answer.truncated else "ok"
    record_query(job.text, answer.form, result, seconds, answer.rows, shown_format, answer.truncated)
    return answer


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
    """Negotiate the format for the query's form, then `run_in_worker`. The worker trusts `shape`, so
    the text is checked once per request."""
    s = state()
    shape = shape or checked(text)
    try:
        fmt = conneg.choose(request, conneg.KINDS_BY_FORM[shape.form], override)
    except KGError as exc:
        record_query(text, shape.form, outcome(exc), 0.0)
        raise
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
    answer = run_in_worker(job, shape.form, fmt.name, arrived)
    return Entry(
        answer.body, conneg.content_type(fmt), answer.form, answer.rows, answer.truncated, answer.cut_by
    )

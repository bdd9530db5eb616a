"""Operations: `/healthz`, Prometheus `/metrics`, and one structured log line per query.

Metrics are created once per process (prometheus-client registers them globally). Under several
server processes, `serve` sets `PROMETHEUS_MULTIPROC_DIR` so that `/metrics` aggregates every process,
whichever one answers the scrape.

prometheus_client is imported here lazily, at the first metric, never at import time: it chooses
between in-memory and per-process-file values when it is imported, and granian forks the workers from
the `kg serve` process, which imports this module before `serve` sets the folder. Imported at the top,
every worker inherited the in-memory choice, recorded nothing in the folder, and `/metrics` was empty.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Blueprint, Response, g, jsonify, request

from .state import state

if TYPE_CHECKING:
    from prometheus_client import Counter, Histogram

bp = Blueprint("ops", __name__)
query_log = logging.getLogger("kg.query")

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


@dataclass(frozen=True)
class Metrics:
    requests: Counter
    latency: Histogram
    queries: Counter
    query_seconds: Histogram
    timeouts: Counter


_made: list[Metrics] = []
_making = threading.Lock()


def metrics() -> Metrics:
    """This process's metrics, made once: under a lock, since two first requests at once would each
    register them and the second registration fails (a 500)."""
    if not _made:
        with _making:
            if not _made:
                _made.append(_make_metrics())
    return _made[0]


def _make_metrics() -> Metrics:
    from prometheus_client import Counter, Histogram  # lazily: see the module docstring

    return Metrics(
        requests=Counter("kg_http_requests", "HTTP requests answered", ["endpoint", "method", "status"]),
        latency=Histogram("kg_http_request_seconds", "HTTP request latency", ["endpoint"], buckets=_BUCKETS),
        queries=Counter("kg_queries", "SPARQL queries by form and outcome", ["form", "outcome"]),
        query_seconds=Histogram("kg_query_seconds", "SPARQL evaluation time", ["form"], buckets=_BUCKETS),
        timeouts=Counter("kg_query_timeouts", "Queries stopped at their time budget"),
    )


@bp.before_app_request
def _start_timer() -> None:
    g.kg_started = time.perf_counter()


@bp.after_app_request
def _count(response: Response) -> Response:
    endpoint = request.url_rule.rule if request.url_rule else "unmatched"
    m = metrics()
    m.requests.labels(endpoint, request.method, str(response.status_code)).inc()
    if started := g.get("kg_started"):
        m.latency.labels(endpoint).observe(time.perf_counter() - started)
    return response


def record_query(
    text: str, form: str, outcome: str, seconds: float, rows: int = 0, fmt: str = "", truncated: bool = False
) -> None:
    """Count a query in the metrics and write its one JSON log line (the text is hashed, not logged)."""
    m = metrics()
    m.queries.labels(form or "unknown", outcome).inc()
    if outcome == "timeout":
        m.timeouts.inc()
    if outcome in ("ok", "truncated"):
        m.query_seconds.labels(form).observe(seconds)
    if query_log.isEnabledFor(logging.INFO):
        line = {
            "event": "query",
            "hash": hashlib.sha256(text.encode()).hexdigest()[:16],
            "form": form,
            "format": fmt,
            "duration_ms": round(seconds * 1000, 3),
            "rows": rows,
            "truncated": truncated,
            "outcome": outcome,
        }
        query_log.info(json.dumps(line))


@bp.get("/healthz")
def healthz() -> Response:
    """200 once the data is loaded and a query worker is alive (counted from the processes, not from
    bookkeeping); 503 otherwise, with the reason workers cannot start when there is one."""
    s = state()
    alive = s.executor.alive
    status = "ok" if alive else ("failing" if s.executor.problem else "starting")
    body = {"status": status, "snapshot": s.key, "triples": s.memo["triples"], "query_workers": alive}
    body["egress"] = s.executor.wall or "unknown"  # "seccomp": workers cannot open network sockets
    if s.executor.problem:
        body["problem"] = s.executor.problem
    response = jsonify(body)
    response.status_code = 200 if alive else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
def prometheus() -> Response:
    """Every process's metrics when several record them (a per-process file each), else this one's."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    metrics()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    # content_type, not mimetype: CONTENT_TYPE_LATEST carries its charset, Flask would add another
    response = Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response

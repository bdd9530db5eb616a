"""Operations: `/healthz`, Prometheus `/metrics`, and one structured log line per query.

Metrics are created once per process (prometheus-client registers them globally). Under several
server processes, `serve` sets `PROMETHEUS_MULTIPROC_DIR` so that `/metrics` aggregates every process,
whichever one answers the scrape.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from functools import cache

from flask import Blueprint, Response, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from .state import state

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


@cache
def metrics() -> Metrics:
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
    """200 once the data is loaded and a query worker is alive; 503 otherwise (e.g. all restarting)."""
    s = state()
    alive = s.executor.alive
    body = {"status": "ok" if alive else "starting", "snapshot": s.key, "triples": s.memo["triples"]}
    body["query_workers"] = alive
    response = jsonify(body)
    response.status_code = 200 if alive else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
def prometheus() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    metrics()
    response = Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response

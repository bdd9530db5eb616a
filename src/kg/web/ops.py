"""Operations: `/healthz`, Prometheus `/metrics`, and the request metrics behind them.

The metrics themselves, and the per-query log line every surface writes, live in metrics.py.
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Response, g, jsonify, request

from .metrics import metrics
from .state import state

bp = Blueprint("ops", __name__)


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


@bp.get("/healthz")
def healthz() -> Response:
    """200 once the data is loaded and a query worker is alive (counted from the processes, not from
    bookkeeping); 503 otherwise, with the reason workers cannot start when there is one. With a remote
    store (KG_STORE_URL), "alive" means the store answered lately and holds this build."""
    s = state()
    alive = s.executor.alive
    status = "ok" if alive else ("failing" if s.executor.problem else "starting")
    body = {"status": status, "snapshot": s.key, "triples": s.memo["triples"], "query_workers": alive}
    body["egress"] = s.executor.wall or "unknown"  # "seccomp": workers cannot open network sockets
    if store := getattr(s.executor, "store_url", None):
        body["store"] = store  # shown without credentials
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

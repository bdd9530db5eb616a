"""What every surface records about a query: the Prometheus metrics and one structured log line.

Metrics are created once per process (prometheus-client registers them globally). Under several
server processes, `serve` sets `PROMETHEUS_MULTIPROC_DIR` so that `/metrics` (ops.py) aggregates every
process, whichever one answers the scrape.

prometheus_client is imported here lazily, at the first metric, never at import time: it chooses
between in-memory and per-process-file values when it is imported, and granian forks the workers from
the `kg serve` process, which imports this module before `serve` sets the folder. Imported at the top,
every worker inherited the in-memory choice, recorded nothing in the folder, and `/metrics` was empty.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import Counter, Histogram

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

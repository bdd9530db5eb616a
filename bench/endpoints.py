"""The HTTP benchmark (issue 3): the same GET queries against our endpoint and its peers, one at a time.

Servers run one after the other, never together, so each has both cores except the client's share.
Each query gets a short single-client warm-up (fills caches, opens files) and then `clients`
keep-alive connections for `duration` seconds.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

from .core import PROBE, Built, Query
from .load import LoadResult, hammer, sparql_get
from .servers import ServerUnavailable, servers_for

log = logging.getLogger(__name__)
OURS = "kg"


def http_queries(named: list[Query], limit: int) -> list[Query]:
    """The probe plus the first `limit` named queries without parameters.

    HTTP peers cannot bind parameters the way kg does (SEP-0007 substitution), and pasting values
    into the text would measure a different query, so parameterised queries are left to the core table.
    """
    plain = [q for q in named if not q.substitutions][:limit]
    return [Query("probe (LIMIT 10)", PROBE), *plain]


@dataclass
class HttpRun:
    """Results per server and query, and the servers that could not be measured (with the reason)."""

    queries: list[str]
    results: dict[str, dict[str, LoadResult]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def rate(self, server: str, query: str) -> float:
        found = self.results.get(server, {}).get(query)
        return found.rate if found else math.nan


def run_http(built: Built, queries: list[Query], clients: int, duration: float, workdir: Path) -> HttpRun:
    """Start each server in turn on `built`'s data, load it with every query, stop it."""
    out = HttpRun([q.name for q in queries])
    openers = servers_for(built.cache, built.ontology, built.snapshot.nquads, workdir)
    for name, opener in openers.items():
        try:
            with opener() as (port, path):
                out.results[name] = {}
                for query in queries:
                    request = sparql_get(port, query.text, path=path)
                    hammer(port, request, clients=1, duration=min(0.5, duration))
                    log.info("  %s: %s (%d clients, %.0fs)", name, query.name, clients, duration)
                    out.results[name][query.name] = hammer(port, request, clients, duration)
        except ServerUnavailable as exc:
            log.warning("skipping %s: %s", name, exc)
            out.skipped[name] = str(exc).splitlines()[0]
    return out

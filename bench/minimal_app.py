"""The floor for kg's uncached HTTP path: Flask + an in-memory pyoxigraph store, nothing else.

No guard, no time budget, no worker processes, no cache: each request evaluates the query in the
granian thread that received it. Served by granian with kg's own settings (same interface, server
processes, threads and head limit as `kg.web.server._granian`), so the difference measured by
`bench.scale` is what kg's safety (guard, budget, worker round trip) costs per request.

Usage: `python -m bench.minimal_app --nquads dataset.nq --port N [--workers 2]`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pyoxigraph as ox
from flask import Flask, Response, request

NQUADS_ENV = "BENCH_MINIMAL_NQUADS"


def create_app() -> Flask:
    """The factory granian calls in each server process: load the N-Quads, answer GET /sparql."""
    from kg.web.server import watch_parent

    watch_parent(os.getppid())  # like kg's workers: leave when the main process is gone
    store = ox.Store()
    store.bulk_load(path=os.environ[NQUADS_ENV], format=ox.RdfFormat.N_QUADS)
    app = Flask(__name__)

    @app.get("/sparql")
    def sparql() -> Response:
        result = store.query(request.args["query"], use_default_graph_as_union=True)
        if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
            body = result.serialize(format=ox.QueryResultsFormat.JSON)
            return Response(body, mimetype="application/sparql-results+json")
        return Response(ox.serialize(result, format=ox.RdfFormat.TURTLE), mimetype="text/turtle")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response('{"status": "ok"}', mimetype="application/json")

    return app


def serve(nquads: Path, host: str, port: int, workers: int) -> None:
    """granian with the settings kg.web.server uses (threads sized from kg's defaults)."""
    from kg.web import load_config
    from kg.web.server import _granian

    os.environ[NQUADS_ENV] = str(nquads)
    _granian(host, port, workers, load_config({}), target="bench.minimal_app:create_app").serve()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.minimal_app", description=__doc__)
    parser.add_argument("--nquads", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    serve(args.nquads.resolve(), args.host, args.port, args.workers)


if __name__ == "__main__":
    main(sys.argv[1:])

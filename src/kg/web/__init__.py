"""The web application: `create_app(config)` builds a Flask app with one blueprint per concern.

Configuration is data: defaults below, overridden by `KG_*` environment variables (so a server started
as a subprocess can be configured), overridden by the `config` argument. The store is opened and the
query workers started once per process, here, never at import time.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, request

from ..build import build
from ..executor import Executor, QueryRunner, WorkerSettings
from ..snapshot import Snapshot, handed_over
from ..store import OxigraphStore, Store
from . import api, console, errors, graphstore, openapi, ops, pages, querypages, search, sparql, workbench
from .cache import ResponseCache
from .limits import Limits
from .replay import ReplayMiddleware
from .state import State


def _paths(value: str | Iterable) -> tuple[Path, ...]:
    items = value.split(os.pathsep) if isinstance(value, str) else value
    return tuple(Path(p) for p in items if p)


def _hosts(value: str | Iterable[str]) -> frozenset[str]:
    items = value.split(",") if isinstance(value, str) else value
    return frozenset(h.strip() for h in items if h.strip())


#: Every setting, its default and its parser (applied to environment strings and to config values).
DEFAULTS: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    "KG_ONTOLOGY": (None, Path),  # folder of *.ttl sources; None = the packaged ontology
    "KG_DATA": ((), _paths),  # extra data files (os.pathsep-separated in the environment)
    "KG_CACHE_DIR": (None, Path),  # build cache; None = $KG_CACHE_DIR / ~/.cache/pharma-kg
    "KG_SNAPSHOT": (None, Path),  # set by `kg serve`: the snapshot it built, so processes skip the hashing
    "KG_QUERY_TIMEOUT": (10.0, float),  # seconds per query, then 503 + Retry-After
    "KG_RETRY_AFTER": (5, int),  # seconds, in the Retry-After of a 503
    "KG_MAX_ROWS": (10000, int),  # result rows (or triples) before the answer is cut
    "KG_MAX_BODY": (1024 * 1024, int),  # request body bytes, then 413
    "KG_ALLOW_SERVICE_HOSTS": (frozenset(), _hosts),  # comma-separated in the environment
    "KG_CORS_ORIGINS": ("*", str),  # "*" or a comma-separated list of origins
    "KG_QUERY_WORKERS": (2, int),  # query worker processes per server process
    "KG_WORKERS": (2, int),  # server processes (used by `serve`)
    "KG_CACHE_ENTRIES": (2048, int),  # response cache entries per process (0 disables)
    "KG_CACHE_BYTES": (64 * 1024 * 1024, int),  # response cache bytes per process
    "KG_MAX_AGE": (300, int),  # Cache-Control max-age of query answers, seconds
    "KG_STREAM_ABOVE": (100_000, int),  # dumps of more triples are streamed in chunks, not kept whole
    "KG_PUBLIC_URL": (None, str),  # the server's public base URL (Service Description); None = Host header
    "KG_BODY_TIMEOUT": (10.0, float),  # seconds for a request body to arrive, then 408
    "KG_BODY_READERS": (2, int),  # request bodies read at once per server process, then 503
    "KG_MAX_RESULT_BYTES": (32 * 1024 * 1024, int),  # serialized answer bytes before it is cut at a row
    "KG_MAX_QUERY_CHARS": (256 * 1024, int),  # query text, checked before Oxigraph parses it
    "KG_MAX_QUERY_DEPTH": (128, int),  # nested { ( [ in a query (Oxigraph's parser recurses)
    "KG_MAX_QUERY_OPERATORS": (2000, int),  # UNION/OPTIONAL/path/arithmetic operators in a query
    "KG_WORKER_MEMORY_MB": (1024, int),  # address-space limit of each query worker (RLIMIT_AS)
    "KG_QUERY_QUEUE": (None, int),  # requests that may wait for a worker (default 8 x workers), then 503
    "KG_FAST_SECONDS": (0.5, float),  # a query running longer is "expensive": low priority, limited
    "KG_MAX_EXPENSIVE": (None, int),  # expensive queries at once (default half the workers, at least 1)
    "KG_STORE_URL": (None, str),  # a SPARQL 1.1 server to answer from (docs/remote-store.md); None = embedded
}

#: The blueprints, in registration order; other surfaces (api, pages) add theirs here.
BLUEPRINTS: list[Blueprint] = [
    ops.bp,
    sparql.bp,
    graphstore.bp,
    api.bp,
    openapi.bp,
    pages.bp,
    search.bp,
    querypages.bp,
    console.bp,
    workbench.bp,
]


def load_config(config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults < `KG_*` environment variables < `config`, every value parsed to its type."""
    loaded = {}
    for name, (default, parse) in DEFAULTS.items():
        raw = os.environ.get(name)
        loaded[name] = parse(raw) if raw not in (None, "") else default
    for name, value in (config or {}).items():
        known = DEFAULTS.get(name)
        loaded[name] = known[1](value) if known and value is not None else value
    return loaded


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: load the snapshot, start the query workers, register blueprints and handlers."""
    settings = load_config(config)
    app = Flask(__name__)
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings["KG_MAX_BODY"]
    app.config["MAX_FORM_MEMORY_SIZE"] = settings["KG_MAX_BODY"]
    app.json.sort_keys = False  # type: ignore[attr-defined]  # the default provider has it
    if settings["KG_SNAPSHOT"]:  # built and verified by `kg serve` a moment ago
        snapshot = handed_over(settings["KG_SNAPSHOT"])
    else:
        snapshot = build(settings["KG_ONTOLOGY"], tuple(settings["KG_DATA"]), settings["KG_CACHE_DIR"])
    store: Store
    executor: QueryRunner
    if settings["KG_STORE_URL"]:
        store, executor = _remote(settings, snapshot)
    else:
        store = OxigraphStore(snapshot)
        executor = Executor(
            snapshot,
            settings["KG_QUERY_WORKERS"],
            queue_size=settings["KG_QUERY_QUEUE"],
            fast_seconds=settings["KG_FAST_SECONDS"],
            max_expensive=settings["KG_MAX_EXPENSIVE"],
            settings=WorkerSettings(
                memory_mb=settings["KG_WORKER_MEMORY_MB"],
                allow_network=bool(settings["KG_ALLOW_SERVICE_HOSTS"]),
            ),
            rebuild=lambda: build(
                settings["KG_ONTOLOGY"], tuple(settings["KG_DATA"]), settings["KG_CACHE_DIR"]
            ),
        )
    atexit.register(executor.close)
    app.extensions["kg"] = State(
        config=settings,
        snapshot=snapshot,
        store=store,
        executor=executor,
        cache=ResponseCache(*_half_budget(settings)),
        memo={"triples": store.count()},
    )
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    errors.register(app)
    app.after_request(_cors(settings["KG_CORS_ORIGINS"]))
    # the documented way to wrap a Flask app in WSGI middleware
    app.wsgi_app = ReplayMiddleware(app.wsgi_app, *_half_budget(settings))  # type: ignore[method-assign]
    app.wsgi_app = Limits.from_settings(app.wsgi_app, settings)  # type: ignore[method-assign]
    return app


def _remote(settings: dict[str, Any], snapshot: Snapshot) -> tuple[Store, QueryRunner]:
    """A `RemoteStore` and its executor (no worker processes); the build is pushed unless the remote
    holds it already (`kg serve --store` pushed it before starting us, so usually a marker check)."""
    from ..remote import open_remote
    from ..remote_executor import RemoteExecutor

    url, timeout = settings["KG_STORE_URL"], settings["KG_QUERY_TIMEOUT"]
    store = open_remote(url, snapshot, timeout, push_if_missing=True)
    executor = RemoteExecutor(store, settings["KG_QUERY_WORKERS"], settings["KG_QUERY_QUEUE"])
    # State and the views know `Executor`; the remote one has its interface (run, alive, problem, wall,
    # capacity, close) without its worker processes.
    return store, executor


def _half_budget(settings: dict[str, Any]) -> tuple[int, int]:
    """The response cache and the replay layer share KG_CACHE_ENTRIES / KG_CACHE_BYTES half and half."""
    entries, size = settings["KG_CACHE_ENTRIES"], settings["KG_CACHE_BYTES"]
    return (max(1, entries // 2) if entries > 0 else 0), size // 2


_EXPOSED = "ETag, Retry-After, X-KG-Truncated, X-KG-Row-Cap"


def _cors(origins: str) -> Callable[[Response], Response]:
    """CORS for reads from the configured origins, never with credentials; preflights answered."""
    allowed = {o.strip() for o in origins.split(",") if o.strip()}

    def add_headers(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if "*" in allowed:
            response.headers["Access-Control-Allow-Origin"] = "*"
        elif origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.vary.add("Origin")
        else:
            return response
        response.headers["Access-Control-Expose-Headers"] = _EXPOSED
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = request.headers.get(
                "Access-Control-Request-Headers", "Accept, Content-Type, If-None-Match"
            )
            response.headers["Access-Control-Max-Age"] = "86400"
        return response

    return add_headers

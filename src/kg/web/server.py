"""Serve the app under granian (a Rust HTTP server; ~2x the throughput of gunicorn for this app).

`serve` builds the snapshot once in this process (so worker processes only load the cache and never
race to build it), hands the configuration to the workers through `KG_*` environment variables, and
prints the URL once `/healthz` answers. `python -m kg.web.server --port N` does the same from a shell.

Granian forks its worker processes from this one (multiprocessing's default on Linux) and is told to:

- replace a worker that dies (`respawn_failed_workers`) instead of shutting the whole service down;
- give in-flight requests the query budget plus a margin after SIGTERM (`workers_kill_timeout`), then
  kill what is left, so a client that never finishes its request cannot hold the shutdown forever;
- refuse a request head over 64 KiB itself (431), before any Python runs (`max_buffer_size`);
- run enough Python threads that neither the queries the pool admits (`executor.capacity`) nor the
  request bodies being read (`limits.py`) take them all: /healthz and cached answers keep a few.

Each worker leaves when this process is gone (even SIGKILLed), so no orphan keeps the port.
"""

from __future__ import annotations

import argparse

# werkzeug encodes host names with the `idna` codec on every request. Looked up lazily from granian's
# request threads in a worker spawned by `serve`, the codec was reported unknown (LookupError → 500);
# importing it up front makes the lookup a dictionary hit.
import encodings.idna  # noqa: F401
import http.client
import logging
import math
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask

from ..build import build
from ..errors import KGError
from ..executor import capacity
from . import DEFAULTS, create_app, load_config

log = logging.getLogger(__name__)

#: How often a worker checks that the process that started it is still there, seconds.
PARENT_CHECK_SECONDS = 0.5
#: Seconds an in-flight request gets after SIGTERM on top of the query budget, before it is killed.
SHUTDOWN_MARGIN_SECONDS = 5
#: Threads beyond those queries and bodies may hold: /healthz, cached answers, pages always get one.
SPARE_THREADS = 4
#: Largest request head (request line and headers) granian reads; beyond it answers 431 itself.
MAX_HEAD_BYTES = 64 * 1024


def app_from_env() -> Flask:
    """The factory granian calls in each worker process; configuration comes from `KG_*` variables."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    watch_parent(os.getppid())
    return create_app()


def watch_parent(parent: int) -> None:
    """Exit this worker once `parent` is gone: granian's workers outlive a SIGKILLed main process and
    keep serving its port, so a restart could not bind it. (Polling `getppid` rather than
    PR_SET_PDEATHSIG, which fires when the parent *thread* that forked us ends.)"""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="kg-parent-watch", daemon=True).start()


def _export(config: dict[str, Any]) -> None:
    """Put the settings in the environment, where each worker's `load_config` reads them back."""
    for name, value in config.items():
        if name not in DEFAULTS or value is None:
            continue
        if isinstance(value, tuple | list | frozenset | set):
            sep = os.pathsep if name == "KG_DATA" else ","
            value = sep.join(str(v) for v in value)
        os.environ[name] = str(value)


def _say(text: str) -> None:
    """What `serve` is doing before it serves: one line each on stderr (the URL goes to stdout)."""
    print(f"pharma-kg: {text}", file=sys.stderr, flush=True)


def _announce_when_ready(host: str, port: int) -> None:
    shown = f"[{host}]" if ":" in host else host
    probe = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    while True:
        try:
            conn = http.client.HTTPConnection(probe, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                break
        except OSError:
            pass
        time.sleep(0.1)
    print(f"pharma-kg serving on http://{shown}:{port}/ (sparql: /sparql)", flush=True)


class CannotListen(KGError):
    """The address is taken or not ours to bind."""


def _check_free(host: str, port: int) -> None:
    """Fail with one clear line before granian starts (its own failure is a Rust backtrace)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror} (try --port)") from None


def public_url(host: str, port: int) -> str | None:
    """The base URL clients reach us at, when the bind address says it (not for 0.0.0.0 or ::)."""
    if host in ("0.0.0.0", "::", ""):
        return None
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _metrics_dir(workers: int) -> Path | None:
    """A fresh folder for prometheus-client's per-process files when several processes record metrics.

    Set here, before granian forks the workers and before anything imports prometheus_client (ops.py
    imports it lazily), so every worker records into it and `/metrics` sums them. Returns the folder
    when we made it (ours to remove), None when there is none or the environment chose one."""
    if workers < 2 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    folder = Path(tempfile.mkdtemp(prefix="kg-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


def serve(host: str = "127.0.0.1", port: int = 7878, workers: int = 2, config: dict | None = None) -> None:
    """Run the endpoint until interrupted. Binds loopback unless told otherwise."""
    settings = load_config(config)
    settings["KG_WORKERS"] = workers
    settings["KG_PUBLIC_URL"] = settings["KG_PUBLIC_URL"] or public_url(host, port)
    _check_free(host, port)
    snapshot = build(settings["KG_ONTOLOGY"], tuple(settings["KG_DATA"]), settings["KG_CACHE_DIR"])
    triples = sum(snapshot.manifest["graphs"].values())
    done = "using the cached build" if snapshot.cached else "built"
    _say(f"{done} {snapshot.folder} ({triples:,} triples)")
    settings["KG_SNAPSHOT"] = snapshot.folder  # the server processes open it without hashing again
    _export(settings)
    source = f"the store at {settings['KG_STORE_URL']}" if settings.get("KG_STORE_URL") else "the build"
    _say(
        f"starting {workers} server process(es) with {settings['KG_QUERY_WORKERS']} query worker(s) "
        f"each on {source}; waiting for /healthz …"
    )
    metrics_dir = _metrics_dir(workers)
    threading.Thread(target=_announce_when_ready, args=(host, port), daemon=True).start()
    try:
        _granian(host, port, workers, settings).serve()
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _granian(
    host: str, port: int, workers: int, settings: dict[str, Any], target: str = "kg.web.server:app_from_env"
) -> Any:
    """Granian configured for this service (see the module docstring for why each setting); `target`
    is the app factory (bench/minimal_app.py serves its peer app with the very same settings)."""
    from granian import Granian
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings

    queries = capacity(settings["KG_QUERY_WORKERS"], settings["KG_QUERY_QUEUE"])
    threads = queries + SPARE_THREADS + settings["KG_BODY_READERS"]
    return Granian(
        target,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        http1_settings=HTTP1Settings(max_buffer_size=MAX_HEAD_BYTES),
        respawn_failed_workers=True,
        workers_kill_timeout=math.ceil(settings["KG_QUERY_TIMEOUT"]) + SHUTDOWN_MARGIN_SECONDS,
        factory=True,
        websockets=False,
        log_access=False,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kg.web.server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7878)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, help="query time budget, seconds (default 10)")
    parser.add_argument("--max-rows", type=int, help="result row cap (default 10000)")
    args = parser.parse_args(argv)
    config = {}
    if args.timeout is not None:
        config["KG_QUERY_TIMEOUT"] = args.timeout
    if args.max_rows is not None:
        config["KG_MAX_ROWS"] = args.max_rows
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    serve(args.host, args.port, args.workers, config)


if __name__ == "__main__":
    main()

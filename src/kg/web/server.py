"""Serve the app under granian (a Rust HTTP server; ~2x the throughput of gunicorn for this app).

`serve` builds the snapshot once in this process (so worker processes only load the cache and never
race to build it), hands the configuration to the workers through `KG_*` environment variables, and
prints the URL once `/healthz` answers. `python -m kg.web.server --port N` does the same from a shell.
"""

from __future__ import annotations

import argparse

# werkzeug encodes host names with the `idna` codec on every request. Looked up lazily from granian's
# request threads in a worker spawned by `serve`, the codec was reported unknown (LookupError → 500);
# importing it up front makes the lookup a dictionary hit.
import encodings.idna  # noqa: F401
import http.client
import logging
import os
import socket
import sys
import tempfile
import threading
import time
from typing import Any

from flask import Flask

from ..build import build
from ..errors import KGError
from . import DEFAULTS, create_app, load_config

log = logging.getLogger(__name__)


def app_from_env() -> Flask:
    """The factory granian calls in each worker process; configuration comes from `KG_*` variables."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    return create_app()


def _export(config: dict[str, Any]) -> None:
    """Put the settings where the worker processes (fresh interpreters) will read them back."""
    for name, value in config.items():
        if name not in DEFAULTS or value is None:
            continue
        if isinstance(value, tuple | list | frozenset | set):
            sep = os.pathsep if name == "KG_DATA" else ","
            value = sep.join(str(v) for v in value)
        os.environ[name] = str(value)


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


def serve(host: str = "127.0.0.1", port: int = 7878, workers: int = 2, config: dict | None = None) -> None:
    """Run the endpoint until interrupted. Binds loopback unless told otherwise."""
    from granian import Granian
    from granian.constants import Interfaces

    settings = load_config(config)
    settings["KG_WORKERS"] = workers
    _check_free(host, port)
    build(settings["KG_ONTOLOGY"], tuple(settings["KG_DATA"]), settings["KG_CACHE_DIR"])
    _export(settings)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="kg-metrics-")
    threading.Thread(target=_announce_when_ready, args=(host, port), daemon=True).start()
    Granian(
        "kg.web.server:app_from_env",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=max(4, settings["KG_QUERY_WORKERS"] * 2),
        factory=True,
        websockets=False,
        log_access=False,
    ).serve()


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

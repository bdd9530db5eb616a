"""The lean hot path: replay a stored query answer byte for byte without entering Flask.

The served data is an immutable snapshot, so a GET's answer depends only on its path, its raw query
string, its `Accept` and `Origin` headers (conneg and CORS) and the snapshot. When a query view marks
its 200 answer replayable, this WSGI middleware keeps status, headers and body under that key; the
next identical request is answered here — with its metrics and its query log line — skipping Flask's
routing, parameter parsing and conneg (about two thirds of the per-request cost). `If-None-Match`
matching the stored ETag gets a 304. Replays carry `X-KG-Cache: replay`. Everything else goes to
Flask unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .cache import OVERHEAD, Entry, ResponseCache
from .metrics import metrics, record_query

REPLAYABLE = "kg.replayable"  # environ key a view sets: (query text, form, rows, format, truncated, rule)
_PREFIXES = ("/sparql", "/api/queries/")
_NOT_MODIFIED_HEADERS = ("etag", "cache-control", "vary", "access-control-allow-origin")


def mark(environ: dict, text: str, entry: Entry, rule: str) -> None:
    """Let the middleware keep this 200 answer (a query's, from the immutable snapshot) for replay."""
    environ[REPLAYABLE] = (text, entry.form, entry.rows, entry.content_type, entry.truncated, rule)


@dataclass(frozen=True)
class Replay:
    body: bytes
    status: str
    headers: list[tuple[str, str]]
    etag: str
    query: tuple

    @property
    def size(self) -> int:
        """What keeping it costs: body, headers, the query text, and the fixed per-entry overhead."""
        headers = sum(len(k) + len(v) for k, v in self.headers)
        return len(self.body) + headers + len(self.query[0]) + OVERHEAD


class ReplayMiddleware:
    def __init__(self, wsgi: Callable, max_entries: int, max_bytes: int) -> None:
        self.wsgi = wsgi
        self.cache = ResponseCache(max_entries, max_bytes)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "GET" or not path.startswith(_PREFIXES):
            return self.wsgi(environ, start_response)
        key = (
            path,
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_ACCEPT", ""),
            environ.get("HTTP_ORIGIN", ""),
        )
        hit = self.cache.get(key)
        if hit is not None:
            return self._replay(hit, environ, start_response)
        captured: dict = {}

        def capture(status: str, headers: list, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.wsgi(environ, capture)
        marked = environ.get(REPLAYABLE)
        if not marked or not captured.get("status", "").startswith("200"):
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        headers = captured["headers"]
        etag = next((v for k, v in headers if k.lower() == "etag"), "")
        self.cache.put(key, Replay(data, captured["status"], list(headers), etag, marked))
        return [data]

    @staticmethod
    def _replay(hit: Replay, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        text, form, rows, fmt, truncated, rule = hit.query
        wanted = environ.get("HTTP_IF_NONE_MATCH", "")
        if hit.etag and (wanted.strip() == "*" or hit.etag in wanted):
            headers = [(k, v) for k, v in hit.headers if k.lower() in _NOT_MODIFIED_HEADERS]
            status, body = "304 NOT MODIFIED", b""
        else:
            headers, status, body = hit.headers, hit.status, hit.body
        start_response(status, [*headers, ("X-KG-Cache", "replay")])
        m = metrics()
        m.requests.labels(rule, "GET", status[:3]).inc()
        m.latency.labels(rule).observe(time.perf_counter() - started)
        record_query(text, form, "cached", 0.0, rows, fmt, truncated)
        return [body]

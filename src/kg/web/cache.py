"""An exact response cache: (query, format, dataset, snapshot) → the bytes we answered last time.

The served data is an immutable built snapshot and the snapshot key is part of the cache key, so an
entry can never be stale. The ETag is a hash of the key, so `If-None-Match` can be answered with 304
without running anything, even when the entry was evicted. Bounded by entries and by bytes (LRU).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import Response, current_app


@dataclass(frozen=True)
class Entry:
    body: bytes
    content_type: str
    form: str
    rows: int
    truncated: bool


def etag(key: tuple) -> str:
    """A strong validator for a cache key (unquoted; `Response.set_etag` quotes it)."""
    return hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()


class ResponseCache:
    """A thread-safe LRU of `Entry`s bounded by count and total body size; size 0 disables it."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple, entry: Entry) -> None:
        size = len(entry.body)
        if self.max_entries <= 0 or size > self.max_bytes // 4:
            return  # one huge answer must not flush everything else
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[key] = entry
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)

    def __len__(self) -> int:
        return len(self._entries)


# --- the HTTP side: every cacheable answer gets the same validators and headers ------------------


def cacheable(response: Response, tag: str | None = None) -> Response:
    """Mark an answer derived from the immutable snapshot as cacheable (and give it its ETag)."""
    if tag is not None:
        response.set_etag(tag)
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['KG_MAX_AGE']}"
    response.headers["Vary"] = "Accept"
    return response


def not_modified(tag: str) -> Response:
    return cacheable(Response(status=304), tag)


def answer(entry: Entry, tag: str) -> Response:
    """The 200 for a cache entry, saying when the row cap cut it."""
    response = cacheable(Response(entry.body, 200, content_type=entry.content_type), tag)
    if entry.truncated:
        response.headers["X-KG-Truncated"] = "true"
        response.headers["X-KG-Row-Cap"] = str(current_app.config["KG_MAX_ROWS"])
    return response

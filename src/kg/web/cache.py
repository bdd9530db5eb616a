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
from typing import Any

from flask import Response, current_app

from ..formats import FORMATS


@dataclass(frozen=True)
class Entry:
    body: bytes
    content_type: str
    form: str
    rows: int
    truncated: bool
    cut_by: str = ""  # "rows" or "bytes" when truncated


def etag(key: tuple) -> str:
    """A strong validator for a cache key (unquoted; `Response.set_etag` quotes it)."""
    return hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()


def digest(key: tuple) -> bytes:
    """What the cache keeps of a key: 32 bytes, whatever the size of the query text or headers in it."""
    return hashlib.blake2b(repr(key).encode(), digest_size=32).digest()


#: Bytes an entry costs beyond its body: the hashed key, the entry object, the LRU links.
OVERHEAD = 512


class ResponseCache:
    """A thread-safe LRU bounded by count and by total size (bodies plus a fixed per-entry overhead).

    Keys are hashed on the way in, so a 1 MiB query text costs 32 bytes of key, not 1 MiB; values are
    anything with a `body` (bytes) and optionally `size`. Size 0 disables it.
    """

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[bytes, Any] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def _cost(value: Any) -> int:
        return getattr(value, "size", None) or len(value.body) + OVERHEAD

    def get(self, key: tuple) -> Any:
        hashed = digest(key)
        with self._lock:
            entry = self._entries.get(hashed)
            if entry is not None:
                self._entries.move_to_end(hashed)
            return entry

    def put(self, key: tuple, entry: Any) -> None:
        size = self._cost(entry)
        if self.max_entries <= 0 or size > self.max_bytes // 4:
            return  # one huge answer must not flush everything else
        hashed = digest(key)
        with self._lock:
            old = self._entries.pop(hashed, None)
            if old is not None:
                self._bytes -= self._cost(old)
            self._entries[hashed] = entry
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= self._cost(dropped)

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


def attachment(response: Response, stem: str) -> Response:
    """Mark a download: `Content-Disposition: attachment; filename="<stem>.<extension>"`, the extension
    of the format its Content-Type names (`formats.FORMATS`); a body in no format of ours is left alone.

    Given when the request names its format (`format=`/`output=`: a download link) and on the dumps;
    clients read the body regardless, so SPARQL clients are unaffected.
    """
    fmt = next((f for f in FORMATS if f.media_type == response.mimetype), None)
    if fmt is not None:
        response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{fmt.extension}"'
    return response


def not_modified(tag: str) -> Response:
    return cacheable(Response(status=304), tag)


def answer(entry: Entry, tag: str) -> Response:
    """The 200 for a cache entry, saying when the row cap or the byte cap cut it."""
    return _truncation(entry, cacheable(Response(entry.body, 200, content_type=entry.content_type), tag))


def uncacheable(entry: Entry) -> Response:
    """The 200 for an answer that differs on every run (RAND, NOW, UUID…): no ETag, never stored."""
    response = Response(entry.body, 200, content_type=entry.content_type)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept"
    return _truncation(entry, response)


def _truncation(entry: Entry, response: Response) -> Response:
    if entry.truncated:
        response.headers["X-KG-Truncated"] = "true"
        response.headers["X-KG-Row-Cap"] = str(current_app.config["KG_MAX_ROWS"])
        if entry.cut_by:
            response.headers["X-KG-Truncated-By"] = entry.cut_by
            response.headers["X-KG-Byte-Cap"] = str(current_app.config["KG_MAX_RESULT_BYTES"])
    return response

"""Request limits enforced before Flask sees a request: header sizes and slow request bodies.

Granian hands a request to one of a few Python threads as soon as its headers have arrived; the body
is read later, from that thread, and granian has no body timeout (emmett-framework/granian#728). A
client that announces a body and then trickles it (slowloris) held the thread for as long as it
liked, and a handful of such clients stopped every request, `/healthz` included.

So this middleware reads the body itself, in a small pool of reader threads, and waits at most
`body_timeout` seconds for it; at most `readers` bodies are read at once (one more gets 503 at once),
so the other threads stay free for everything else. A body that misses the deadline gets 408 with
`Connection: close`. One constraint shapes that answer: granian 2.8 freezes the whole process (the
GIL is held while it waits on the body) if a request's handler returns while another thread is still
reading that request's body. So the 408 is sent as a streamed response whose single chunk is the
whole message (with its Content-Length) and whose end waits for the reader: an honest client gets
its answer on time and hangs up, which ends the read; one that keeps trickling keeps one reader slot
until it stops, and there are only `readers` of those. Flask gets the body from memory.

Oversized headers are refused (431) before anything parses them: werkzeug's `Accept` parsing costs
time linear in the header's size.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

MAX_HEADER = 8 * 1024  # bytes of one header (name + value)
MAX_HEADERS = 32 * 1024  # bytes of all headers
_CHUNK = 64 * 1024

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]


class Limits:
    """WSGI middleware: 431 for oversized headers; bodies read with a deadline (408) and a cap (503)."""

    def __init__(self, app: WSGIApp, body_timeout: float, readers: int, max_body: int) -> None:
        self.app = app
        self.body_timeout = body_timeout
        self.max_body = max_body
        self._slots = threading.BoundedSemaphore(max(1, readers))
        self._pool = ThreadPoolExecutor(max(1, readers), thread_name_prefix="kg-body")

    @classmethod
    def from_settings(cls, app: WSGIApp, settings: dict) -> Limits:
        """The middleware as `create_app` configures it (KG_BODY_TIMEOUT, KG_BODY_READERS, KG_MAX_BODY)."""
        return cls(app, settings["KG_BODY_TIMEOUT"], settings["KG_BODY_READERS"], settings["KG_MAX_BODY"])

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if problem := header_problem(environ):
            return refuse(start_response, "431 Request Header Fields Too Large", problem)
        want = body_length(environ, self.max_body)
        if want is None:
            return self.app(environ, start_response)
        if not self._slots.acquire(blocking=False):
            message = "too many request bodies are arriving at once; retry shortly"
            return refuse(start_response, "503 Service Unavailable", message, [("Retry-After", "1")])
        try:
            reading = self._pool.submit(self._read, environ["wsgi.input"], want)
        except BaseException:
            self._slots.release()
            raise
        return self._answer(environ, start_response, reading)

    def _answer(self, environ: dict, start_response: StartResponse, reading: Future) -> Iterable[bytes]:
        """The app's answer on the body read in time; 408 (sent at once, ended after the read) if not."""
        try:
            body = reading.result(timeout=self.body_timeout)
        except FutureTimeout:
            message = f"the request body did not arrive within {self.body_timeout:g} s"
            chunk = refuse(start_response, "408 Request Timeout", message)[0]
            return _after(chunk, reading)
        if len(body) > self.max_body:
            message = f"the request body is larger than {self.max_body} bytes"
            return refuse(start_response, "413 Content Too Large", message)
        if "CONTENT_LENGTH" in environ and len(body) < int(environ["CONTENT_LENGTH"]):
            message = "the request body ended before its Content-Length"
            return refuse(start_response, "400 Bad Request", message)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)

    def _read(self, stream: io.RawIOBase, want: int) -> bytes:
        """Read until `want` bytes or the end of the body; frees the reader slot however it ends."""
        try:
            parts, have = [], 0
            while have < want:
                part = stream.read(min(_CHUNK, want - have))
                if not part:
                    break
                parts.append(part)
                have += len(part)
            return b"".join(parts)
        finally:
            self._slots.release()


def _after(chunk: bytes, reading: Future) -> Iterator[bytes]:
    """Send `chunk` now; end the response only once the body read has ended (see the module doc)."""
    yield chunk
    reading.exception()  # waits; the outcome no longer matters


def body_length(environ: dict, max_body: int) -> int | None:
    """How many body bytes to read up front; None when there is nothing to read, or when Flask refuses
    the body by its Content-Length alone (413, nothing read). A chunked body is read to one byte past
    `max_body`, so an oversized one is noticed."""
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return max_body + 1
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    return length if 0 < length <= max_body else None


def header_problem(environ: dict) -> str:
    """Why the request's headers are too large ("" when they are not)."""
    total = 0
    for key, value in environ.items():
        if not key.startswith("HTTP_") and key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            continue
        size = len(key) + len(value) if isinstance(value, str) else 0
        if size > MAX_HEADER:
            name = key.removeprefix("HTTP_").replace("_", "-").title()
            return f"the {name} header is larger than {MAX_HEADER} bytes"
        total += size
    if total > MAX_HEADERS:
        return f"the request headers are larger than {MAX_HEADERS} bytes in all"
    return ""


def refuse(
    start_response: StartResponse, status: str, message: str, extra: list[tuple[str, str]] | None = None
) -> list[bytes]:
    """A short plain-text refusal that closes the connection (the rest of the request is not wanted)."""
    body = (message + "\n").encode("utf-8")
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
        ("Connection", "close"),
        *(extra or []),
    ]
    start_response(status, headers)
    return [body]

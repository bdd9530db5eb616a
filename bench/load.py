"""A small HTTP load generator: N keep-alive connections on threads, bounded in time and requests.

Raw sockets and a buffered reader rather than `http.client`: on a 2-core machine the client shares
the CPU with the server, and `http.client`'s header parsing costs several times more per request.
It speaks just enough HTTP/1.1 for GET: Content-Length, chunked bodies, `Connection: close`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from .stats import percentile

ACCEPT_JSON = "application/sparql-results+json"


@dataclass
class LoadResult:
    """What the clients saw: successful latencies (seconds), failures, and the measured wall time."""

    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    seconds: float = 0.0
    first_failure: str | None = None

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else float("nan")

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)


def sparql_get(port: int, query: str, accept: str = ACCEPT_JSON, path: str = "/sparql") -> bytes:
    """The bytes of a SPARQL 1.1 Protocol GET request (keep-alive)."""
    return (
        f"GET {path}?query={quote(query, safe='')} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Accept: {accept}\r\nConnection: keep-alive\r\n\r\n"
    ).encode("ascii")


def _read_response(reader) -> tuple[int, bool]:
    """Read one response; return (status, whether the connection may be reused)."""
    status_line = reader.readline()
    if not status_line:
        raise ConnectionError("server closed the connection")
    status = int(status_line.split(b" ", 2)[1])
    length, chunked, close = None, False, status_line.startswith(b"HTTP/1.0")
    while (line := reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
        elif name == b"connection":
            close = value == b"close"
    if chunked:
        while (size := int(reader.readline().split(b";")[0], 16)) > 0:
            reader.read(size + 2)
        while reader.readline() not in (b"\r\n", b"\n", b""):
            pass
    elif length is not None:
        reader.read(length)
    else:  # no framing: the body runs to the end of the connection
        reader.read()
        close = True
    return status, not close


def _client(
    port: int,
    next_request: Callable[[], bytes | None],
    deadline: float,
    timeout: float,
    out: LoadResult,
    lock,
) -> None:
    """One keep-alive connection sending `next_request()` until the deadline (or it returns None)."""
    latencies, failures, first = [], 0, None
    sock = reader = None
    while time.monotonic() < deadline:
        request = next_request()
        if request is None:
            break
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                reader = sock.makefile("rb", buffering=65536)
            started = time.perf_counter()
            sock.sendall(request)
            status, reusable = _read_response(reader)
            elapsed = time.perf_counter() - started
        except (OSError, ValueError, IndexError) as exc:
            failures += 1
            first = first or f"{type(exc).__name__}: {exc}"
            reusable = False
        else:
            if status == 200:
                latencies.append(elapsed)
            else:
                failures += 1
                first = first or f"HTTP {status}"
        if not reusable and sock is not None:
            sock.close()
            sock = reader = None
    if sock is not None:
        sock.close()
    with lock:
        out.latencies.extend(latencies)
        out.failures += failures
        out.first_failure = out.first_failure or first


def hammer_with(
    port: int, next_request: Callable[[], bytes | None], clients: int, duration: float, timeout: float = 15.0
) -> LoadResult:
    """`clients` keep-alive connections sending `next_request()` (thread-safe) for `duration` seconds.

    A request still in flight at the deadline is waited for (up to `timeout`), so the wall time is
    from the first send to the last answer and slow servers are not flattered.
    """
    out, lock = LoadResult(), threading.Lock()
    started = time.perf_counter()
    deadline = time.monotonic() + duration
    threads = [
        threading.Thread(target=_client, args=(port, next_request, deadline, timeout, out, lock), daemon=True)
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + timeout + 5)
    out.seconds = time.perf_counter() - started
    return out


def hammer(
    port: int,
    request: bytes,
    clients: int = 16,
    duration: float = 5.0,
    max_requests: int = 500_000,
    timeout: float = 15.0,
) -> LoadResult:
    """Send `request` over `clients` connections for `duration` seconds (or `max_requests` in all)."""
    lock, budget = threading.Lock(), [max_requests]

    def next_request() -> bytes | None:
        with lock:
            if budget[0] <= 0:
                return None
            budget[0] -= 1
        return request

    return hammer_with(port, next_request, clients, duration, timeout)

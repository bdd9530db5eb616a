"""A raw HTTP/1.1 client: it sends exactly the bytes it is given (bad UTF-8, odd Host, no Host).

`http.client` validates and normalises what it sends, which is the opposite of what a fuzzer wants.
Requests are bytes; answers are read with Content-Length, chunked framing or to the end of the
connection, with a timeout on every read and a cap on the body kept.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from urllib.parse import quote

BODY_CAP = 8 * 1024 * 1024


class NoAnswer(OSError):
    """The connection closed (or broke) before a complete status line and headers arrived."""


@dataclass(frozen=True)
class Request:
    method: str
    target: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes | None = None
    host: bool = True  # send `Host: 127.0.0.1:<port>` unless the headers bring their own (or none)

    def encode(self, port: int, keep_alive: bool = False) -> bytes:
        lines = [self.method.encode("latin-1") + b" " + self.target + b" HTTP/1.1"]
        names = {name.lower() for name, _ in self.headers}
        if self.host and b"host" not in names:
            lines.append(b"Host: 127.0.0.1:%d" % port)
        lines += [name + b": " + value for name, value in self.headers]
        if self.body is not None and b"content-length" not in names:
            lines.append(b"Content-Length: %d" % len(self.body))
        lines.append(b"Connection: keep-alive" if keep_alive else b"Connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n" + (self.body or b"")


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    reusable: bool = False


def get(path: str, **params: str) -> Request:
    """A GET with its parameters percent-encoded as UTF-8."""
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items())
    return Request("GET", (path + ("?" + query if query else "")).encode())


def sparql(text: str, accept: str = "application/sparql-results+json") -> Request:
    return Request("GET", b"/sparql?query=" + quote(text, safe="").encode(), ((b"Accept", accept.encode()),))


def _read_reply(reader, started: float) -> Reply:
    status_line = reader.readline(65536)
    if not status_line:
        raise NoAnswer("the server closed the connection without answering")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise NoAnswer(f"not an HTTP status line: {status_line[:80]!r}")
    headers: dict[str, str] = {}
    while (line := reader.readline(65536)) not in (b"\r\n", b"\n", b""):
        name, _, value = line.partition(b":")
        key = name.strip().lower().decode("latin-1")
        text = value.strip().decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    if line == b"":
        raise NoAnswer("the connection closed in the middle of the headers")
    body = _read_body(reader, headers)
    close = headers.get("connection", "").lower() == "close" or status_line.startswith(b"HTTP/1.0")
    framed = "content-length" in headers or "chunked" in headers.get("transfer-encoding", "")
    return Reply(int(parts[1]), headers, body, time.perf_counter() - started, framed and not close)


def _read_body(reader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks, kept = [], 0
        while (size := int(reader.readline(1024).split(b";")[0].strip() or b"0", 16)) > 0:
            chunk = reader.read(size + 2)[:size]
            if kept < BODY_CAP:
                chunks.append(chunk)
                kept += len(chunk)
        while reader.readline(65536) not in (b"\r\n", b"\n", b""):
            pass
        return b"".join(chunks)
    if "content-length" in headers:
        length = int(headers["content-length"].split(",")[0])
        body = reader.read(min(length, BODY_CAP))
        if length > BODY_CAP:
            reader.read(length - BODY_CAP)
        return body
    return reader.read(BODY_CAP)


def exchange(port: int, request: Request, timeout: float = 10.0) -> Reply:
    """One request on a fresh connection; OSError (NoAnswer, timeouts, resets) when there is no answer."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(request.encode(port))
        with sock.makefile("rb") as reader:
            try:
                return _read_reply(reader, started)
            except ValueError as exc:  # a malformed length or chunk size
                raise NoAnswer(f"malformed framing: {exc}") from None


class Connection:
    """A keep-alive connection for load loops: reconnects after the server closed it."""

    def __init__(self, port: int, timeout: float = 15.0) -> None:
        self.port, self.timeout = port, timeout
        self._sock: socket.socket | None = None
        self._reader = None

    def send(self, request: Request) -> Reply:
        if self._sock is None:
            self._sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._reader = self._sock.makefile("rb")
        started = time.perf_counter()
        try:
            self._sock.sendall(request.encode(self.port, keep_alive=True))
            reply = _read_reply(self._reader, started)
        except OSError:
            self.close()
            raise
        except ValueError as exc:  # a malformed length or chunk size
            self.close()
            raise NoAnswer(f"malformed framing: {exc}") from None
        if not reply.reusable:
            self.close()
        return reply

    def close(self) -> None:
        if self._sock is not None:
            self._reader.close()
            self._sock.close()
            self._sock = self._reader = None

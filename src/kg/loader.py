"""Stream RDF files into Oxigraph: every syntax pyoxigraph reads, gzipped or not, never via rdflib.

`load_file` is what the build calls for each `Source` (see `sources.discover`). It exists because
user data reaches a million triples: rdflib parses ~35k triples/s and holds Python objects for each,
while `pyoxigraph.Store.load` parses and indexes ~200k triples/s in Rust and streams from the file.

Choices, and why:

* **Store.load, not bulk_load or parse+extend.** Measured on 1M N-Triples into an in-memory store:
  `load` 5.2 s, `bulk_load` 5.5-6.7 s (and not atomic), `parse` + `extend` 9.7 s (Python objects per
  quad). `load` is also transactional: a file with a syntax error adds nothing to the store. Files
  already loaded stay, so after any error the caller throws the store away.
* **One graph per file, even for quad formats.** The graph of a source is what provenance and the
  cache manifest count, and a user file must not write into the ontology's or the inferred graph.
  So every quad of an N-Quads or TriG file, whatever graph the file names, lands in the file's graph
  (graph names are dropped; the triples are kept). These go through `parse` + `extend` (still
  atomic) because `load` cannot re-target named graphs. N3 formulas (`{ … } => { … }`) are refused:
  their triples are quoted, not asserted, and a single graph cannot keep them apart.
* **Streaming.** Files are read in small pieces through a tap that hashes and counts the bytes;
  `.gz` files are decompressed on the fly (`gzip.GzipFile` over the tap), never into memory.
* **Changed while read.** The bytes streamed must hash to `Source.digest` (what the build's cache
  key was computed from), and size and mtime must be the same after loading as before. Otherwise
  the load is refused: a snapshot must hold exactly the data its key names.
* **Error positions.** pyoxigraph's `SyntaxError` carries line and column (1-based) for Turtle,
  N-Triples, N-Quads, TriG and N3, also through gzip (positions are in the decompressed text). Its
  RDF/XML parser gives none, so for RDF/XML the file is scanned once more with expat: an XML error
  gets expat's position, and a bad IRI the position of the first element whose attribute holds it.
  When neither finds it the message says so instead of inventing a position.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO
from xml.parsers import expat

import pyoxigraph as ox

from .errors import SourceError
from .sources import CHUNK, Source

__all__ = ["load_file", "triple_count"]

#: Formats whose statements may carry a graph name; they are re-targeted into the file's graph.
_REGRAPHED = (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG, ox.RdfFormat.N3)

Progress = Callable[[int], None]


class _Tap(io.RawIOBase):
    """A read-only stream over a file that hashes and counts every byte the parser takes.

    `on_progress(bytes_read)` is called on the first read, then at most once per megabyte, then at
    the end; for a `.gz` file the bytes are the compressed ones, so the file size is the total.
    """

    def __init__(self, raw: IO[bytes], on_progress: Progress | None) -> None:
        super().__init__()
        self._raw = raw
        self._hash = hashlib.sha256()
        self._progress = on_progress
        self.bytes_read = 0
        self._reported = -CHUNK

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self._hash.update(data)
        self.bytes_read += size
        if self._progress is not None and (self.bytes_read - self._reported >= CHUNK or size == 0):
            self._reported = self.bytes_read
            self._progress(self.bytes_read)
        return size

    def drain(self) -> str:
        """Read (and hash) whatever the parser left unread, e.g. after gzip's last member; return the
        digest of the whole file."""
        while self.read(CHUNK):
            pass
        return self._hash.hexdigest()


def load_file(store: ox.Store, source: Source, on_progress: Progress | None = None) -> int:
    """Load one source file into its named graph; return the number of triples that graph gained.

    Raises `SourceError` for a syntax error ("path:line:col: malformed <Format>: reason"), a broken
    gzip stream, an unreadable file, or a file that changed while it was read. On error nothing of
    this file is in the store (the load is one transaction), but earlier files are: discard the store.
    """
    path, fmt = source.path, source.format
    graph = ox.NamedNode(source.graph)
    expected = source.digest  # hashed before loading (or earlier, for the cache key)
    before = _stamp(path)
    count_before = triple_count(store, graph)
    try:
        with open(path, "rb") as raw:
            tap = _Tap(raw, on_progress)
            stream: IO[bytes] = gzip.GzipFile(fileobj=tap, mode="rb") if source.gzipped else tap  # type: ignore[assignment]
            _load(store, stream, fmt, graph, path.absolute().as_uri())
            streamed = tap.drain()
    except SyntaxError as exc:
        _refuse_if_changed(path, before)
        raise SourceError(_syntax_message(source, exc)) from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        _refuse_if_changed(path, before)
        raise SourceError(f"{path}: not a valid gzip file ({exc})") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    _refuse_if_changed(path, before)
    if streamed != expected:
        raise SourceError(f"{path}: changed while it was read (its content no longer matches); try again")
    return triple_count(store, graph) - count_before


def triple_count(store: ox.Store, graph: ox.NamedNode) -> int:
    """Triples in one graph of the store (a SPARQL COUNT: Oxigraph answers it from its indexes)."""
    solutions = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
    assert isinstance(solutions, ox.QuerySolutions)
    for row in solutions:
        count = row["n"]
        assert isinstance(count, ox.Literal)
        return int(count.value)
    return 0


def _load(store: ox.Store, stream: IO[bytes], fmt: ox.RdfFormat, graph: ox.NamedNode, base: str) -> None:
    if fmt in _REGRAPHED:
        quads = ox.parse(stream, format=fmt, base_iri=base, rename_blank_nodes=True)
        store.extend(_into(graph, quads, fmt))
    else:
        store.load(stream, format=fmt, base_iri=base, to_graph=graph)


def _into(graph: ox.NamedNode, quads: Iterable[ox.Quad], fmt: ox.RdfFormat) -> Iterator[ox.Quad]:
    for quad in quads:
        if fmt == ox.RdfFormat.N3 and not isinstance(quad.graph_name, ox.DefaultGraph):
            raise SyntaxError("N3 formulas ({ … }) are not supported: their triples are not asserted")
        yield ox.Quad(quad.subject, quad.predicate, quad.object, graph)


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = os.stat(path)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return stat.st_size, stat.st_mtime_ns


def _refuse_if_changed(path: Path, before: tuple[int, int]) -> None:
    """A file rewritten during the load explains any error better than the error itself does."""
    if _stamp(path) != before:
        raise SourceError(f"{path}: changed while it was read; try again")


_POSITIONED = re.compile(r"^Parser error (?:at|between) line [^:]*: ")


def _syntax_message(source: Source, exc: SyntaxError) -> str:
    reason = _POSITIONED.sub("", str(exc.msg))
    name = source.format.name
    if exc.lineno:
        return f"{source.path}:{exc.lineno}:{exc.offset or 0}: malformed {name}: {reason}"
    where = _xml_position(source, reason) if source.format == ox.RdfFormat.RDF_XML else None
    if where is None:
        return f"{source.path}: malformed {name} (position unknown): {reason}"
    return f"{source.path}:{where[0]}:{where[1]}: malformed {name}: {reason}"


class _Found(Exception):
    pass


def _xml_position(source: Source, reason: str) -> tuple[int, int] | None:
    """Where in an RDF/XML file the error is: expat's position of an XML error, else the first
    element with an attribute holding the value the message quotes (a bad IRI). Columns 1-based."""
    quoted = re.search(r"'([^']+)'", reason)
    needle = quoted.group(1) if quoted else None
    parser = expat.ParserCreate()
    found: list[tuple[int, int]] = []

    def start(_name: str, attributes: dict[str, str]) -> None:
        if needle is not None and any(needle in value for value in attributes.values()):
            found.append((parser.CurrentLineNumber, parser.CurrentColumnNumber + 1))
            raise _Found

    parser.StartElementHandler = start
    try:
        with open(source.path, "rb") as raw:
            stream = gzip.GzipFile(fileobj=raw, mode="rb") if source.gzipped else raw
            parser.ParseFile(stream)
    except _Found:
        return found[0]
    except expat.ExpatError as exc:
        return exc.lineno, exc.offset + 1
    except (OSError, EOFError, zlib.error):
        return None
    return None

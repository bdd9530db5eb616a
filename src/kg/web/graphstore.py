"""Graph Store Protocol (read side) at `/rdf-graphs`, and the whole dataset at `/dataset`.

These are plain dumps of the immutable snapshot — no query evaluation, so no worker and no time budget.
A dump of up to `KG_STREAM_ABOVE` triples is serialized once per format and kept (gzipped too); a
larger one in a line-friendly format (Turtle, N-Triples, TriG, N-Quads: chunks of these concatenate
into a valid document) is streamed in chunks of `_CHUNK` statements, gzipped on the fly, and never held
whole. ETags come from the snapshot key, so clients revalidate with 304. Writes answer 405 (the server
is read-only).
"""

from __future__ import annotations

import gzip
import itertools
import re
import zlib
from collections.abc import Callable, Iterable, Iterator

from flask import Blueprint, Response, request

from ..errors import QueryError, UnknownResource
from ..formats import DATASET, GRAPH, Format, write_graph
from . import conneg, protocol
from .cache import etag
from .state import state

bp = Blueprint("graphstore", __name__)

_MEMO_LIMIT = 64
_CHUNK = 5000


@bp.get("/rdf-graphs")
def graph() -> Response:
    """`?default` (the union the default graph shows; `infer=false` for asserted only) or `?graph=IRI`."""
    params = protocol.parse_urlencoded(request.query_string, "query string")
    s = state()
    names = params.get("graph", [])
    graphs: tuple[str, ...]
    if ("default" in params) == bool(names) or len(names) > 1:
        raise QueryError("say which graph: `?default` or `?graph=IRI` (exactly one)")
    if names:
        if names[0] not in s.store.graphs():
            known = ", ".join(f"<{g}>" for g in s.store.graphs())
            raise UnknownResource(f"no graph <{names[0]}> in this dataset; it has: {known}")
        graphs = (names[0],)
    else:
        graphs = s.store.visible_graphs(protocol.flag(params, "infer", True))
    fmt = conneg.choose(request, (GRAPH, DATASET), conneg.override(params))

    def triples():
        seen = set()  # the union of several graphs may repeat a triple
        for quad in s.store.quads(graphs=graphs):
            if quad.triple not in seen:
                seen.add(quad.triple)
                yield quad.triple

    size = sum(s.store.count(g) for g in graphs)
    stem = re.sub(r"[^\w.-]", "_", names[0].rstrip("/#").rsplit("/", 1)[-1]) if names else "default"
    return _dump(("graph", graphs, fmt.name), fmt, triples, size, stem)


@bp.get("/dataset")
@bp.get("/dataset.<ext>")
def dataset(ext: str | None = None) -> Response:
    """Every graph, asserted and inferred, as TriG (default) or N-Quads."""
    params = protocol.parse_urlencoded(request.query_string, "query string")
    fmt = conneg.choose(request, (DATASET,), ext or conneg.override(params))
    store = state().store
    return _dump(("dataset", fmt.name), fmt, store.quads, state().memo["triples"], "pharma-kg")


def _dump(key: tuple, fmt: Format, statements: Callable[[], Iterable], size: int, stem: str) -> Response:
    """A dump, always a download: `Content-Disposition` names it `<stem>.<extension>`."""
    s = state()
    gzipped = request.accept_encodings.quality("gzip") > 0
    tag = etag((*key, gzipped, s.key))
    headers = {
        "Vary": "Accept, Accept-Encoding",
        "Cache-Control": f"public, max-age={s.config['KG_MAX_AGE']}",
        "Content-Disposition": f'attachment; filename="{stem}.{fmt.extension}"',
    }
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304, headers=headers)
        response.set_etag(tag)
        return response
    if size > s.config["KG_STREAM_ABOVE"] and fmt.concatenable:
        response = Response(_chunks(fmt, statements(), gzipped), 200, content_type=conneg.content_type(fmt))
        response.headers.update(headers)
        if gzipped:
            response.headers["Content-Encoding"] = "gzip"
        response.set_etag(tag)
        return response
    memo_key = (*key, gzipped)
    body = s.memo.get(memo_key)
    if body is None:
        body = write_graph(fmt, statements()) or b""
        if gzipped:
            body = gzip.compress(body, compresslevel=6, mtime=0)
        if len(s.memo) < _MEMO_LIMIT:
            s.memo[memo_key] = body
    response = Response(body, 200, content_type=conneg.content_type(fmt), headers=headers)
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    response.set_etag(tag)
    return response


def _chunks(fmt: Format, statements: Iterable, gzipped: bool) -> Iterator[bytes]:
    """Serialize `_CHUNK` statements at a time (each chunk repeats the prefixes: still one valid document)."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31) if gzipped else None  # wbits 31: a gzip stream
    items = iter(statements)
    while batch := list(itertools.islice(items, _CHUNK)):
        chunk = write_graph(fmt, batch) or b""
        yield packer.compress(chunk) if packer else chunk
    if packer:
        yield packer.flush()

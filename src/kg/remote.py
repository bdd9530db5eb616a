"""A `Store` answered by a SPARQL 1.1 server, and the push that loads a build into it.

Why: a dataset that outgrows one machine's memory can live in a SPARQL server (Oxigraph, Fuseki,
GraphDB, Virtuoso, QLever) while kg keeps its guard, its named queries, walks and pages. Everything
goes over the standard protocols: SPARQL 1.1 Query (POST, `default-graph-uri` / `named-graph-uri`),
SPARQL 1.1 Update and the Graph Store Protocol (PUT). See docs/remote-store.md.

- **Blank nodes** are skolemized on push (`SKOLEM` + label, RDF 1.1 §3.5), since SPARQL cannot name a
  blank node and the walks and proofs look blank nodes up (statement records, RDF lists). Answers are
  mapped back, and `isBlank` / `isIRI` / `isURI` are rewritten to treat skolem IRIs as blank nodes,
  so queries answer as they do on the embedded store (DESCRIBE does not follow blank-node closures).
- **The push is all or nothing.** Each graph is PUT into a staging graph, then one Update request
  replaces the live graphs and writes `MARKER` (the build key and its graphs); the remote applies
  one request atomically (Oxigraph does), so a push that fails leaves the live graphs as they were.
- **Credentials** come from the environment (`KG_STORE_TOKEN`: Bearer; `KG_STORE_USER` and
  `KG_STORE_PASSWORD`: Basic; or userinfo in the URL) and never appear in a message: the URL is shown
  without its userinfo.
- **Failures** are `StoreUnavailable` (503: unreachable, timed out, refused our credentials) and
  `BadStoreAnswer` (502: an answer that is not what the protocol promises).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

import pyoxigraph as ox

from .errors import BadStoreAnswer, KGError, QueryError, QueryTimeout, StoreUnavailable, UnknownGraph
from .namespaces import BASE, QUERY_PREFIXES
from .remote_text import prepare
from .snapshot import Snapshot
from .store import DatasetSpec, syntax_message
from .terms import Node, OxTerm, Term

SKOLEM = BASE + ".well-known/genid/"
MARKER = BASE + "graph/remote-build"  # the graph naming the build the remote holds
STAGING = BASE + "graph/staging/"  # + key/index: where a push loads before the swap
NOTHING = BASE + "graph/none"  # an empty dataset, said explicitly (no parameter means "all")
_BUILD, _HOLDS = BASE + "remote#build", BASE + "remote#graph"
JSON_RESULTS, NTRIPLES = "application/sparql-results+json", "application/n-triples"
MAX_ANSWER_BYTES = 512 * 1024 * 1024  # an answer is read whole (see docs): refuse beyond this
_BATCH = 20_000  # triples per chunk of a PUT body
_PROBE_SECONDS = 3.0
_KEEP_PATTERNS, _KEEP_QUADS = 4096, 1000  # quad patterns kept, and the most quads one may keep


def _skolem(term: Any) -> Any:
    return ox.NamedNode(SKOLEM + term.value) if isinstance(term, ox.BlankNode) else term


def _unskolem(term: Any) -> Any:
    if isinstance(term, ox.NamedNode) and term.value.startswith(SKOLEM):
        return ox.BlankNode(term.value[len(SKOLEM) :])
    return term


class Endpoint:
    """Where the server is (query, update and graph-store URLs), how to authenticate, how to show it.

    `url` is the query endpoint. One ending in `/query` is taken for Oxigraph's layout (`/update`,
    `/store` beside it); any other serves all three (Fuseki's dataset URL, Virtuoso's `/sparql`)
    unless KG_STORE_UPDATE_URL / KG_STORE_GSP_URL say otherwise.
    """

    def __init__(self, url: str, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.query_url, user, password = _split_credentials(url)
        self.shown = self.query_url
        base = self.query_url[: -len("query")] if self.query_url.endswith("/query") else None
        update = env.get("KG_STORE_UPDATE_URL") or (base + "update" if base else self.query_url)
        store = env.get("KG_STORE_GSP_URL") or (base + "store" if base else self.query_url)
        self.update_url = _split_credentials(update)[0]
        self.store_url = _split_credentials(store)[0]
        self._headers: dict[str, str] = {"User-Agent": "pharma-kg"}
        user, password = env.get("KG_STORE_USER") or user, env.get("KG_STORE_PASSWORD") or password
        if env.get("KG_STORE_TOKEN"):
            self._headers["Authorization"] = "Bearer " + env["KG_STORE_TOKEN"]
        elif user is not None:
            pair = f"{user}:{password or ''}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        self._secrets = [s for s in (password, env.get("KG_STORE_TOKEN")) if s]
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"Endpoint({self.shown!r})"

    def redact(self, text: str) -> str:
        """`text` with every secret we hold removed (a remote might echo a header back)."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def request(
        self,
        method: str,
        url: str,
        body: bytes | Iterable[bytes] | None,
        headers: Mapping[str, str],
        timeout: float,
        deadline: float | None = None,
    ) -> tuple[int, str, bytes]:
        """(status, media type, body) of one request; the connection is kept per thread and retried
        once when the remote had closed it. Network trouble is `StoreUnavailable`, past the
        `deadline` it is `QueryTimeout`."""
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        all_headers = {**self._headers, **headers}
        streamed = body is not None and not isinstance(body, bytes)
        for attempt in (0, 1):
            conn, reused = self._connection(
                parts.scheme, parts.netloc, timeout, fresh=streamed or attempt > 0
            )
            try:
                conn.request(method, target, body=body, headers=all_headers, encode_chunked=streamed)
                response = conn.getresponse()
                data = _read(response, deadline, timeout)
                if response.will_close:
                    self._drop(parts.netloc)
                media = (response.headers.get("Content-Type") or "").partition(";")[0].strip().lower()
                return response.status, media, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self._drop(parts.netloc)
                if reused and not streamed and attempt == 0:
                    continue  # the remote closed an idle kept-alive connection: the request never ran
                raise StoreUnavailable(
                    f"the SPARQL store at {self.shown} closed the connection ({_why(exc)})"
                ) from None
            except TimeoutError:
                self._drop(parts.netloc)
                if deadline is not None and time.monotonic() >= deadline - 0.01:
                    raise QueryTimeout("the query ran out of its time budget at the SPARQL store") from None
                raise StoreUnavailable(
                    f"the SPARQL store at {self.shown} did not answer within {timeout:g} s"
                ) from None
            except http.client.HTTPException as exc:
                self._drop(parts.netloc)
                raise BadStoreAnswer(
                    f"the SPARQL store at {self.shown} sent a broken HTTP answer ({_why(exc)})"
                ) from None
            except OSError as exc:
                self._drop(parts.netloc)
                raise StoreUnavailable(
                    f"cannot reach the SPARQL store at {self.shown} ({_why(exc)})"
                ) from None
        raise AssertionError("unreachable")

    def _connection(self, scheme: str, netloc: str, timeout: float, fresh: bool) -> tuple[Any, bool]:
        pool = self._local.__dict__.setdefault("pool", {})
        conn = None if fresh else pool.get(netloc)
        if conn is not None:
            conn.timeout = timeout
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
            return conn, True
        self._drop(netloc)
        host = netloc.rpartition("@")[2]
        kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        conn = kind(host, timeout=timeout)
        pool[netloc] = conn
        return conn, False

    def _drop(self, netloc: str) -> None:
        conn = self._local.__dict__.get("pool", {}).pop(netloc, None)
        if conn is not None:
            conn.close()

    def check(self, status: int, media: str, body: bytes, doing: str) -> None:
        """Raise the error an unsuccessful status means; `doing` says what we asked for."""
        if status < 300:
            return
        said = (
            self.redact(body.decode("utf-8", "replace").strip().splitlines()[0][:300]) if body.strip() else ""
        )
        said = f": {said}" if said and status not in (401, 403) and "html" not in media else ""
        if status in (401, 403):
            raise StoreUnavailable(
                f"the SPARQL store at {self.shown} refused our credentials (HTTP {status}) while {doing}; "
                "set KG_STORE_USER and KG_STORE_PASSWORD, or KG_STORE_TOKEN"
            )
        if status == 400 and doing == "querying":
            raise QueryError(f"the SPARQL store refused the query{said}")
        if status in (502, 503, 504):
            raise StoreUnavailable(f"the SPARQL store at {self.shown} is unavailable (HTTP {status}){said}")
        raise BadStoreAnswer(f"the SPARQL store at {self.shown} failed while {doing} (HTTP {status}){said}")


def _split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """The URL without userinfo, and the user and password it carried."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise KGError("the SPARQL store URL is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise KGError("the SPARQL store URL must be an http:// or https:// URL with a host")
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return clean, user, password


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__


def _read(response: http.client.HTTPResponse, deadline: float | None, timeout: float) -> bytes:
    """The whole body, within the deadline and MAX_ANSWER_BYTES."""
    parts, size = [], 0
    while chunk := response.read(1 << 16):  # read(), not read1(): it closes the response at its end
        parts.append(chunk)
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise BadStoreAnswer(f"the SPARQL store's answer is larger than {MAX_ANSWER_BYTES >> 20} MiB")
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError
    return b"".join(parts)


class RemoteStore:
    """A `Store` whose data lives in a SPARQL 1.1 server; the build's description is the local
    manifest (so `count()` is the manifest's, and no request is made for it)."""

    def __init__(self, endpoint: Endpoint, manifest: Mapping[str, Any], timeout: float = 10.0) -> None:
        self.endpoint = endpoint
        self.manifest = manifest
        self.key: str = manifest["key"]
        self.asserted_graphs = tuple(manifest["asserted_graphs"])
        self.inferred_graph: str = manifest["inferred_graph"]
        self.timeout = timeout  # per request when no deadline is set (walks, pages, the CLI)
        self._empty = ox.Store()  # parses queries (the same messages as the embedded store)
        self._deadline = threading.local()
        # The data never changes, so selective patterns' answers are kept (the walks ask them often).
        self._kept: OrderedDict[tuple, list[ox.Quad]] = OrderedDict()
        self._lock = threading.Lock()
        counts = {g: int(n) for g, n in manifest["graphs"].items()}
        self._counts: dict[str | None, int] = {**counts, None: sum(counts.values())}

    def graphs(self) -> list[str]:
        return [*self.asserted_graphs, self.inferred_graph]

    def visible_graphs(self, infer: bool) -> tuple[str, ...]:
        return (*self.asserted_graphs, self.inferred_graph) if infer else self.asserted_graphs

    def count(self, graph: str | None = None) -> int:
        return self._counts.get(graph, 0)

    @contextlib.contextmanager
    def deadline(self, at: float) -> Iterator[None]:
        """Requests of this thread end by `at` (a `time.monotonic()` reading): the query budget."""
        before = getattr(self._deadline, "at", None)
        self._deadline.at = at
        try:
            yield
        finally:
            self._deadline.at = before

    def _post(self, params: list[tuple[str, str]], accept: str) -> tuple[str, bytes]:
        at = getattr(self._deadline, "at", None)
        timeout = self.timeout if at is None else at - time.monotonic()
        if timeout <= 0:
            raise QueryTimeout("the query ran out of its time budget before it reached the SPARQL store")
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
        status, media, body = self.endpoint.request(
            "POST", self.endpoint.query_url, urlencode(params).encode(), headers, timeout, at
        )
        self.endpoint.check(status, media, body, "querying")
        return media, body

    def select(
        self, text: str, default: Iterable[str], named: Iterable[str]
    ) -> ox.QuerySolutions | ox.QueryBoolean:
        """SELECT or ASK sent as it is (no prefixes added, no rewriting), on the graphs given."""
        media, body = self._post(_dataset_params(text, default, named), JSON_RESULTS)
        return _results(self.endpoint, media, body)

    def quads(
        self,
        subject: Node | None = None,
        predicate: ox.NamedNode | None = None,
        obj: Term | None = None,
        graphs: Iterable[str] | None = None,
    ) -> Iterator[ox.Quad]:
        if subject is not None and not isinstance(subject, ox.NamedNode | ox.BlankNode):
            raise TypeError(f"a subject must be an IRI or a blank node, not {subject!r}")
        if predicate is not None and not isinstance(predicate, ox.NamedNode):
            raise TypeError(f"a predicate must be an IRI, not {predicate!r}")
        ours = set(self.graphs())
        wanted = [g for g in (self.graphs() if graphs is None else graphs) if g in ours]
        return self._quads(subject, predicate, obj, wanted)

    def _quads(self, s: Any, p: Any, o: Any, graphs: list[str]) -> Iterator[ox.Quad]:
        if not graphs:
            return
        pattern = " ".join(
            str(_skolem(t)) if t is not None else v for t, v in ((s, "?s"), (p, "?p"), (o, "?o"))
        )
        if s is None and o is None:  # a big answer: one graph at a time, in the order given
            for graph in graphs:
                rows = self.select(
                    f"SELECT * WHERE {{ GRAPH <{graph}> {{ {pattern} }} }}", [NOTHING], [graph]
                )
                yield from (_quad(row, s, p, o, graph) for row in rows)  # type: ignore[union-attr]
            return
        key = (s, p, o, tuple(graphs))
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
        if kept is None:
            kept = self._fetch(s, p, o, graphs, pattern)
            if len(kept) <= _KEEP_QUADS:
                with self._lock:
                    self._kept[key] = kept
                    while len(self._kept) > _KEEP_PATTERNS:
                        self._kept.popitem(last=False)
        yield from kept

    def _fetch(self, s: Any, p: Any, o: Any, graphs: list[str], pattern: str) -> list[ox.Quad]:
        """A selective pattern's quads in every graph at once, in the order of `graphs`."""
        values = " ".join(f"<{g}>" for g in graphs)
        rows = self.select(
            f"SELECT * WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ {pattern} }} }}", [NOTHING], graphs
        )
        found: dict[str, list[ox.Quad]] = {g: [] for g in graphs}
        for row in rows:  # type: ignore[union-attr]
            graph = row["g"].value
            found[graph].append(_quad(row, s, p, o, graph))
        return [quad for graph in graphs for quad in found[graph]]

    def query(
        self,
        text: str,
        spec: DatasetSpec = DatasetSpec(),
        substitutions: Mapping[str, OxTerm] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        visible = self.visible_graphs(spec.infer)
        default = spec.default_graphs if spec.default_graphs is not None else visible
        named = spec.named_graphs if spec.named_graphs is not None else visible
        unknown = sorted(set((*default, *named)) - set(self.graphs()))
        if unknown:
            raise UnknownGraph(unknown[0], self.graphs())
        try:
            local = self._empty.query(text, prefixes=QUERY_PREFIXES)  # parses; nothing to evaluate
        except SyntaxError as exc:
            raise QueryError(syntax_message(text, str(exc.msg))) from None
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            raise QueryError(f"query failed: {exc}") from None
        graph_form = not isinstance(local, ox.QuerySolutions | ox.QueryBoolean)
        subs = {name: _skolem(term) for name, term in (substitutions or {}).items()}
        remote_text = prepare(text, subs, QUERY_PREFIXES, SKOLEM, construct=graph_form)
        params = _dataset_params(remote_text, default, named)
        if not graph_form:
            media, body = self._post(params, JSON_RESULTS)
            return _results(self.endpoint, media, body)
        media, body = self._post(params, NTRIPLES)
        return _triples(self.endpoint, media, body)

    def holds(self) -> str | None:
        """The build key the remote's marker names, or None when it holds no pharma-kg build."""
        return remote_build(self.endpoint, self.timeout)


def _dataset_params(text: str, default: Iterable[str], named: Iterable[str]) -> list[tuple[str, str]]:
    default, named = list(default) or [NOTHING], list(named) or [NOTHING]
    return [
        ("query", text),
        *(("default-graph-uri", g) for g in default),
        *(("named-graph-uri", g) for g in named),
    ]


def _quad(row: Any, s: Any, p: Any, o: Any, graph: str) -> ox.Quad:
    found = [_unskolem(row[v]) if t is None else t for t, v in ((s, "s"), (p, "p"), (o, "o"))]
    return ox.Quad(found[0], found[1], found[2], ox.NamedNode(graph))


def _results(endpoint: Endpoint, media: str, body: bytes) -> ox.QuerySolutions | ox.QueryBoolean:
    """Parsed (and checked whole: a truncated answer is an error now, not halfway through)."""
    if media not in (JSON_RESULTS, "application/json"):
        raise BadStoreAnswer(
            f"the SPARQL store at {endpoint.shown} answered {media or 'nothing typed'}, not SPARQL results"
        )
    try:
        if b"genid" in body:
            body = _unskolem_json(body)
        checked = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
        if isinstance(checked, ox.QuerySolutions):
            for _ in checked:
                pass
        return ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
    except (SyntaxError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadStoreAnswer(
            f"the SPARQL store at {endpoint.shown} sent malformed SPARQL results ({_why(exc)})"
        ) from None


def _unskolem_json(body: bytes) -> bytes:
    doc = json.loads(body)
    for row in (doc.get("results") or {}).get("bindings", []):
        for value in row.values():
            if value.get("type") == "uri" and value.get("value", "").startswith(SKOLEM):
                value["type"], value["value"] = "bnode", value["value"][len(SKOLEM) :]
    return json.dumps(doc).encode()


def _triples(endpoint: Endpoint, media: str, body: bytes) -> ox.QueryTriples:
    """CONSTRUCT/DESCRIBE triples as pyoxigraph's `QueryTriples` (via a throwaway in-memory store)."""
    if media not in (NTRIPLES, "text/plain"):
        raise BadStoreAnswer(
            f"the SPARQL store at {endpoint.shown} answered {media or 'no media type'}, not N-Triples"
        )
    try:
        triples = list(ox.parse(body, ox.RdfFormat.N_TRIPLES))
    except (SyntaxError, ValueError) as exc:
        raise BadStoreAnswer(
            f"the SPARQL store at {endpoint.shown} sent malformed N-Triples ({_why(exc)})"
        ) from None
    held = ox.Store()
    held.extend(ox.Quad(_unskolem(t.subject), t.predicate, _unskolem(t.object)) for t in triples)
    answer = held.query("CONSTRUCT WHERE { ?s ?p ?o }")
    assert isinstance(answer, ox.QueryTriples)
    return answer


# --- the push ------------------------------------------------------------------------------------


def remote_build(endpoint: Endpoint, timeout: float = _PROBE_SECONDS) -> str | None:
    """The build key the remote's marker graph names (None: no pharma-kg build there)."""
    keys = _marker(endpoint, timeout, f"<{_BUILD}>")
    return keys[0] if keys else None


def _marker(endpoint: Endpoint, timeout: float, predicate: str) -> list[str]:
    text = f"SELECT ?v WHERE {{ GRAPH <{MARKER}> {{ <{MARKER}> {predicate} ?v }} }}"
    params = urlencode(_dataset_params(text, [NOTHING], [MARKER])).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": JSON_RESULTS}
    status, media, body = endpoint.request("POST", endpoint.query_url, params, headers, timeout)
    endpoint.check(status, media, body, "reading its build marker")
    rows = _results(endpoint, media, body)
    return sorted(row["v"].value for row in rows)  # type: ignore[union-attr]


def push(snapshot: Snapshot, endpoint: Endpoint, timeout: float = 600) -> None:
    """Load the build into the remote: each graph into a staging graph (GSP PUT), then one Update
    that swaps them in, drops graphs of the previous build that this one lacks, and rewrites MARKER.
    Nothing live changes until that last request; a failure before it leaves staging graphs only."""
    manifest = snapshot.manifest
    graphs = [*manifest["asserted_graphs"], manifest["inferred_graph"]]
    staging = {g: f"{STAGING}{snapshot.key}/{i}" for i, g in enumerate(graphs)}
    try:
        previous = _marker(endpoint, timeout, f"<{_HOLDS}>")
        for graph in graphs:
            if manifest["graphs"].get(graph, 0):
                _put(endpoint, staging[graph], _ntriples(snapshot.nquads, graph), timeout)
        steps = [f"DROP SILENT GRAPH <{g}>" for g in previous if g not in graphs and g.startswith(BASE)]
        for graph in graphs:
            steps += [
                f"DROP SILENT GRAPH <{graph}>",
                f"ADD SILENT GRAPH <{staging[graph]}> TO GRAPH <{graph}>",
            ]
            steps.append(f"DROP SILENT GRAPH <{staging[graph]}>")
        marker = [f"<{MARKER}> <{_BUILD}> {ox.Literal(snapshot.key)}"]
        marker += [f"<{MARKER}> <{_HOLDS}> <{g}>" for g in graphs]
        steps += [
            f"DROP SILENT GRAPH <{MARKER}>",
            f"INSERT DATA {{ GRAPH <{MARKER}> {{ {' . '.join(marker)} }} }}",
        ]
        _update(endpoint, " ;\n".join(steps), timeout)
    except KGError as exc:
        _clean(endpoint, staging.values())
        raise KGError(
            f"push to {endpoint.shown} failed, and the graphs it serves are unchanged "
            f"(staging graphs {STAGING}{snapshot.key}/ may remain): {exc.message}"
        ) from None


def _ntriples(path: Path, graph: str) -> Iterator[bytes]:
    """One graph of the snapshot's N-Quads as N-Triples chunks, blank nodes skolemized."""
    batch: list[ox.Triple] = []
    target = ox.NamedNode(graph)
    for quad in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS):
        if quad.graph_name == target:
            batch.append(ox.Triple(_skolem(quad.subject), quad.predicate, _skolem(quad.object)))
            if len(batch) >= _BATCH:
                yield ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES) or b""
                batch = []
    if batch:
        yield ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES) or b""


def _put(endpoint: Endpoint, graph: str, chunks: Iterable[bytes], timeout: float) -> None:
    url = endpoint.store_url + ("&" if "?" in endpoint.store_url else "?") + "graph=" + quote(graph, safe="")
    status, media, body = endpoint.request("PUT", url, chunks, {"Content-Type": NTRIPLES}, timeout)
    endpoint.check(status, media, body, f"loading graph <{graph}>")


def _update(endpoint: Endpoint, text: str, timeout: float) -> None:
    headers = {"Content-Type": "application/sparql-update"}
    status, media, body = endpoint.request("POST", endpoint.update_url, text.encode(), headers, timeout)
    endpoint.check(status, media, body, "swapping the graphs in")


def _clean(endpoint: Endpoint, graphs: Iterable[str]) -> None:
    """Best effort: a remote that failed a push may fail this too (then the next push replaces them)."""
    with contextlib.suppress(KGError):
        _update(endpoint, " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs), 30)


def ensure_pushed(snapshot: Snapshot, endpoint: Endpoint) -> bool:
    """Push the build unless the remote already holds it; True when it pushed. Processes of one
    machine take turns (a lock file beside the cache), so two server processes never push at once."""
    if remote_build(endpoint) == snapshot.key:
        return False
    digest = hashlib.blake2b(endpoint.query_url.encode(), digest_size=8).hexdigest()
    lock = snapshot.folder.parent / f".push-{digest}.lock"
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            if remote_build(endpoint) == snapshot.key:
                return False
            push(snapshot, endpoint)
            return True
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)


def open_remote(
    url: str, snapshot: Snapshot, timeout: float = 10.0, push_if_missing: bool = False
) -> RemoteStore:
    """A `RemoteStore` for `snapshot` at `url`; the remote must hold that build (or get it pushed)."""
    endpoint = Endpoint(url)
    if push_if_missing:
        ensure_pushed(snapshot, endpoint)
    else:
        held = remote_build(endpoint)
        if held != snapshot.key:
            what = f"build {held}" if held else "no pharma-kg build"
            raise KGError(
                f"the SPARQL store at {endpoint.shown} holds {what}, not this build ({snapshot.key}); "
                f"push it with `kg build --push {endpoint.shown}`"
            )
    return RemoteStore(endpoint, snapshot.manifest, timeout)

"""The SPARQL 1.1 Service Description (W3C `sd:` vocabulary) answered at `GET /sparql` without a query.

It says what a client can rely on: the query language, every result format, the default dataset (the
asserted graphs plus the inferred graph, each with its size) and our limits (time budget, row cap,
body size) in the pharma-kg service namespace.

The endpoint's IRI comes from configuration (`KG_PUBLIC_URL`; `kg serve` sets it from its address)
and, only when that is unset, from the request's Host header, which must then be a plain host[:port]
(else 400): the description never reflects arbitrary client text. Serialized descriptions are kept
in a small LRU keyed by endpoint and format, so many Host names cannot grow memory.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable

import pyoxigraph as ox
from flask import Response, request, url_for

from ..errors import KGError
from ..formats import DATASET, FORMATS, GRAPH, write_graph
from ..namespaces import BASE, PREFIXES, QUERY_PREFIXES
from . import conneg
from .state import state

SD = PREFIXES["sd"]
SH = PREFIXES["sh"]
VOID = PREFIXES["void"]
RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
LIMITS = BASE + "service#"
W3C_FORMATS = "http://www.w3.org/ns/formats/"

#: How many serialized descriptions (endpoint x format) are kept.
MEMO_ENTRIES = 8
_MEMO_KEY = "service-description"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{{1,5}}))?")


class BadHost(KGError):
    """The Host header is not a host[:port], so it cannot name this endpoint."""

    status = 400


class Recent:
    """A small thread-safe LRU: the last `size` values made, by key."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: object, make: Callable[[], bytes]) -> bytes:
        """The value for `key`, made (outside the lock) when it is not kept."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def valid_host(host: str) -> bool:
    """Whether `host` is a DNS name, IPv4 or [IPv6] address, with an optional port in range."""
    match = _HOST.fullmatch(host)
    if match is None:
        return False
    return match["port"] is None or 0 < int(match["port"]) <= 65535


def endpoint_iri() -> str:
    """This endpoint's IRI: from KG_PUBLIC_URL, else from a well-formed Host header (else BadHost)."""
    path = url_for("sparql.endpoint")
    public = state().config.get("KG_PUBLIC_URL")
    if public:
        return public.rstrip("/") + path
    host = request.headers.get("Host") or request.host
    if not valid_host(host):
        raise BadHost("the Host header must be a host name or address with an optional port")
    return f"{request.scheme}://{host.lower()}{path}"


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def _integer(value: int | float) -> ox.Literal:
    datatype = "integer" if isinstance(value, int) else "decimal"
    return ox.Literal(str(value), datatype=ox.NamedNode(PREFIXES["xsd"] + datatype))


def triples(endpoint: str) -> list[ox.Triple]:
    s = state()
    service = ox.NamedNode(endpoint)
    dataset, default = ox.BlankNode(), ox.BlankNode()
    out = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(
            service, _sd("defaultEntailmentRegime"), ox.NamedNode("http://www.w3.org/ns/entailment/OWL-RL")
        ),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, _sd("Graph")),
        ox.Triple(default, ox.NamedNode(VOID + "triples"), _integer(s.memo["triples"])),
    ]
    out += [ox.Triple(service, _sd("resultFormat"), ox.NamedNode(W3C_FORMATS + f.w3c)) for f in FORMATS]
    sizes = s.snapshot.manifest.get("graphs", {})
    for name in s.store.graphs():
        named, graph = ox.BlankNode(), ox.BlankNode()
        out += [
            ox.Triple(dataset, _sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(named, _sd("name"), ox.NamedNode(name)),
            ox.Triple(named, _sd("graph"), graph),
            ox.Triple(graph, RDF_TYPE, _sd("Graph")),
        ]
        if name in sizes:
            out.append(ox.Triple(graph, ox.NamedNode(VOID + "triples"), _integer(sizes[name])))
    limits = {
        "queryTimeoutSeconds": s.config["KG_QUERY_TIMEOUT"],
        "maxResultRows": s.config["KG_MAX_ROWS"],
        "maxResultBytes": s.config["KG_MAX_RESULT_BYTES"],
        "maxRequestBytes": s.config["KG_MAX_BODY"],
        "maxQueryCharacters": s.config["KG_MAX_QUERY_CHARS"],
        "maxQueryDepth": s.config["KG_MAX_QUERY_DEPTH"],
    }
    out += [ox.Triple(service, ox.NamedNode(LIMITS + k), _integer(v)) for k, v in limits.items()]
    return out + _declared_prefixes(service)


def _declared_prefixes(service: ox.NamedNode) -> list[ox.Triple]:
    """The prefixes every query may use undeclared, as SHACL prefix declarations (`sh:declare`)."""
    out = []
    for prefix, namespace in QUERY_PREFIXES.items():
        declaration = ox.BlankNode()
        out += [
            ox.Triple(service, ox.NamedNode(SH + "declare"), declaration),
            ox.Triple(declaration, ox.NamedNode(SH + "prefix"), ox.Literal(prefix)),
            ox.Triple(
                declaration,
                ox.NamedNode(SH + "namespace"),
                ox.Literal(namespace, datatype=ox.NamedNode(PREFIXES["xsd"] + "anyURI")),
            ),
        ]
    return out


def description(_requested: str | None = None, override: str | None = None) -> Response:
    """The description in the negotiated RDF format (Turtle by default), kept per endpoint and format.

    `_requested`, the URL the caller built from the raw Host header, is not used: see `endpoint_iri`.
    """
    fmt = conneg.choose(request, (GRAPH, DATASET), override)
    endpoint = endpoint_iri()
    kept = state().memo.setdefault(_MEMO_KEY, Recent(MEMO_ENTRIES))
    body = kept.get((endpoint, fmt.name), lambda: write_graph(fmt, triples(endpoint)))
    response = Response(body, 200, content_type=conneg.content_type(fmt))
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = f"public, max-age={state().config['KG_MAX_AGE']}"
    return response

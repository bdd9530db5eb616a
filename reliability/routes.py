"""One request builder per route, each a valid request with (usually) one dimension perturbed.

A request that is wrong everywhere at once stops at the first check; so each request starts valid and
one thing is then broken: the query text, one parameter, the headers or the encoding. `/resource` is
not served today and is fuzzed anyway (a missing route must answer 404, not fail).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote_from_bytes

from kg.catalog import default_catalog

from . import inputs
from .client import Request
from .server import EX

GRAPH = "https://w3id.org/pharma-kg/graph/"
NAMES = [f"{EX}c1", f"<{EX}c3>", "Company 5", "c7", "pkg:c9", f"{EX}hasPartner", "CRO"]
GRAPHS = [GRAPH + "data", GRAPH + "vocab", GRAPH + "inferred"]
BOOLS = ["true", "false", "1", "0", "yes", "off"]
SANE_ACCEPT = [
    "*/*",
    "application/sparql-results+json, text/turtle;q=0.9",
    "text/html",
    "text/csv, */*;q=0.1",
]
NOISE = ("query", "param", "header", "raw", "none")
Params = list[tuple[str, str | bytes]]


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


@dataclass
class Draw:
    """The random source of one request and the one dimension it perturbs (one of NOISE)."""

    rng: random.Random
    noise: str

    def query(self) -> str:
        return inputs.query(self.rng) if self.noise == "query" else self.rng.choice(inputs.SEEDS)

    def pick(self, options: list[tuple[str, list[str]]]) -> Params:
        """Each optional parameter with probability 1/2, with a typical value."""
        return [(name, self.rng.choice(typical)) for name, typical in options if self.rng.random() < 0.5]


def encode(params: Params, raw: bool = False) -> bytes:
    """`a=1&b=2`, percent-encoded (or the raw bytes as they are)."""
    if raw:
        return b"&".join(_bytes(k) + b"=" + _bytes(v) for k, v in params)
    return b"&".join(
        f"{quote_from_bytes(_bytes(k))}={quote_from_bytes(_bytes(v))}".encode() for k, v in params
    )


def _perturb(rng: random.Random, params: Params, typical: list[str]) -> Params:
    """Break one parameter: a noisy value, or an unknown, repeated, dropped or nameless one."""
    params = list(params)
    roll = rng.random()
    if params and roll < 0.6:
        at = rng.randrange(len(params))
        params[at] = (params[at][0], inputs.value(rng, typical))
    elif roll < 0.7:
        params.append((inputs.random_text(rng, 8), inputs.value(rng, typical)))
    elif params and roll < 0.8:
        params.append(rng.choice(params))
    elif params and roll < 0.9:
        params.pop(rng.randrange(len(params)))
    else:
        params.append(("", rng.choice(typical)))
    return params


def headers(draw: Draw, content_type: str | None = None) -> tuple[tuple[bytes, bytes], ...]:
    """Sane headers, or (for header noise) odd Accept, Content-Type, Host, If-None-Match or Origin."""
    rng = draw.rng
    found: list[tuple[bytes, bytes]] = []
    if rng.random() < 0.6:
        found.append((b"Accept", rng.choice(SANE_ACCEPT).encode()))
    if content_type is not None:
        found.append((b"Content-Type", content_type.encode()))
    if draw.noise != "header":
        return tuple(found)
    roll = rng.random()
    if roll < 0.25:
        picks = [
            f"{rng.choice(inputs.MEDIA)};q={rng.choice(['0', '0.5', '1', '2', 'x', '-1'])}" for _ in range(3)
        ]
        found.append((b"Accept", ", ".join(picks).encode()))
    elif roll < 0.35:
        found.append((b"Accept", _bytes(inputs.value(rng, inputs.MEDIA))))
    elif roll < 0.40:
        found.append((b"Accept", b", ".join(b"text/x-%d;q=0.1" % i for i in range(rng.choice([100, 2000])))))
    elif roll < 0.50 and content_type is not None:
        found[-1] = (b"Content-Type", _bytes(inputs.value(rng, [content_type, "text/plain"])))
    elif roll < 0.58:
        found.append(
            (b"Host", rng.choice([b"", b"evil.example:99999", b"[::1]:80, other.example", b"a:b:c"]))
        )
    elif roll < 0.64:
        found.append((b"Host", b"h" * rng.choice([300, 5000]) + b".example"))
    elif roll < 0.70:
        noise = inputs.random_bytes(rng, 12).replace(b"\r", b"").replace(b"\n", b"")
        found.append((b"Host", b"\xff\xfe" + noise))
    elif roll < 0.78:
        found.append((b"If-None-Match", rng.choice([b"*", b'W/"x"', b'"' + b"a" * 200 + b'"', b"\xff"])))
    elif roll < 0.86:
        found.append((b"Origin", rng.choice([b"null", b"https://evil.example", b"\xff"])))
    else:
        found.append((_bytes(inputs.random_text(rng, 6)).replace(b":", b""), inputs.random_bytes(rng, 20)))
    return tuple(found)


def _request(draw: Draw, path: str, params: Params, typical: list[str], method: str = "GET") -> Request:
    rng = draw.rng
    if draw.noise == "param":
        params = _perturb(rng, params, typical)
    query = encode(params, raw=draw.noise == "raw")
    target = path.encode() + (b"?" + query if query else b"")
    host = True
    if draw.noise == "header" and rng.random() < 0.15:
        method = rng.choice(["HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "GÉT", "get"])
        host = rng.random() < 0.5  # no Host header at all
    return Request(method, target, headers(draw), None, host)


def _query_options(draw: Draw) -> Params:
    options = [("format", ["json", "xml", "csv", "tsv"]), ("infer", BOOLS)]
    options += [("default-graph-uri", GRAPHS), ("named-graph-uri", GRAPHS)] if draw.rng.random() < 0.2 else []
    return draw.pick(options)


def sparql_get(draw: Draw) -> Request:
    return _request(draw, "/sparql", [("query", draw.query()), *_query_options(draw)], inputs.SEEDS)


def sparql_form(draw: Draw) -> Request:
    params = [("query", draw.query()), *_query_options(draw)]
    if draw.noise == "param":
        params = _perturb(draw.rng, params, inputs.SEEDS)
    body = encode(params, raw=draw.noise == "raw")
    kind = "application/x-www-form-urlencoded"
    return Request("POST", b"/sparql", headers(draw, kind), body)


def sparql_direct(draw: Draw) -> Request:
    body = _bytes(draw.query())
    if draw.noise == "raw":
        body += draw.rng.choice(inputs.NON_UTF8)
    elif draw.noise == "param":
        body = _bytes(inputs.value(draw.rng, inputs.SEEDS))
    target = b"/sparql?" + encode(_query_options(draw)) if draw.rng.random() < 0.3 else b"/sparql"
    return Request("POST", target, headers(draw, "application/sparql-query"), body)


_CATALOG = default_catalog()
_QUERY_NAMES = [q.name for q in _CATALOG]


def api_query(draw: Draw) -> Request:
    name = draw.rng.choice(_QUERY_NAMES)
    options = [(p.name, NAMES if p.type == "iri" else ["Company 1", "x"]) for p in _CATALOG.get(name).params]
    params = draw.pick([*options, ("format", ["json", "csv", "srj"]), ("infer", BOOLS)])
    if draw.noise == "param" and draw.rng.random() < 0.2:
        name = draw.rng.choice([name + "x", "", "..", "%2e%2e", inputs.random_text(draw.rng, 10)])
    return _request(draw, "/api/queries/" + quote_from_bytes(_bytes(name)), params, NAMES)


def neighbours(draw: Draw) -> Request:
    params = [
        ("node", draw.rng.choice(NAMES)),
        *draw.pick([("limit", ["1", "10", "5000"]), ("infer", BOOLS)]),
    ]
    return _request(draw, "/api/neighbours", params, NAMES)


def paths(draw: Draw) -> Request:
    params = [("from", draw.rng.choice(NAMES)), ("to", draw.rng.choice(NAMES))]
    params += draw.pick([("max_depth", ["1", "4", "8"]), ("limit", ["1", "100"]), ("directed", BOOLS)])
    return _request(draw, "/api/paths", params, NAMES)


def explain(draw: Draw) -> Request:
    triples = [(f"{EX}c1", f"{EX}hasPartner", f"{EX}c2"), (f"{EX}c2", f"{EX}partnerOf", f"{EX}c1")]
    triples.append(("Company 1", "http://www.w3.org/2000/01/rdf-schema#label", '"Company 1"@en'))
    s, p, o = draw.rng.choice(triples)
    params: Params = [("s", s), ("p", p), ("o", o)] + ([("literal", "true")] if o.startswith('"') else [])
    return _request(draw, "/api/explain", params, NAMES)


def resource_page(draw: Draw) -> Request:
    local = draw.rng.choice(["c1", "c7", "CRO", "hasPartner", "nothing"])
    if draw.noise == "param" and draw.rng.random() < 0.5:
        local = _bytes(inputs.value(draw.rng, [local, "a b", "c1/x", "%2F"]))
    path = "/id/" + quote_from_bytes(_bytes(local), safe="/%")
    return _request(
        draw, path, draw.pick([("format", ["turtle", "jsonld", "html"]), ("infer", BOOLS)]), NAMES
    )


def resource_iri(draw: Draw) -> Request:
    return _request(draw, "/resource", [("iri", f"{EX}c{draw.rng.randrange(200)}")], NAMES)


def query_page(draw: Draw) -> Request:
    return _request(draw, "/query", [("query", draw.query()), *draw.pick([("infer", BOOLS)])], inputs.SEEDS)


def rdf_graphs(draw: Draw) -> Request:
    params = [("graph", draw.rng.choice(GRAPHS))] if draw.rng.random() < 0.7 else [("default", "")]
    return _request(draw, "/rdf-graphs", params + draw.pick([("format", ["turtle", "ntriples"])]), GRAPHS)


def dataset(draw: Draw) -> Request:
    path = draw.rng.choice(["/dataset", "/dataset.nq", "/dataset.trig", "/dataset.x"])
    return _request(draw, path, draw.pick([("format", ["nquads", "trig"])]), ["nquads", "trig", "turtle"])


def healthz(draw: Draw) -> Request:
    return _request(draw, "/healthz", [], ["1"])


def metrics(draw: Draw) -> Request:
    return _request(draw, "/metrics", [], ["kg_queries"])


#: Route label → (builder, weight). /sparql gets the most: it takes the most varied input.
ROUTES: dict[str, tuple[Callable[[Draw], Request], int]] = {
    "GET /sparql": (sparql_get, 5),
    "POST /sparql form": (sparql_form, 3),
    "POST /sparql direct": (sparql_direct, 3),
    "/api/queries/<name>": (api_query, 2),
    "/api/neighbours": (neighbours, 1),
    "/api/paths": (paths, 1),
    "/api/explain": (explain, 1),
    "/id/<name>": (resource_page, 2),
    "/resource?iri=": (resource_iri, 1),
    "/query": (query_page, 2),
    "/rdf-graphs": (rdf_graphs, 1),
    "/dataset": (dataset, 1),
    "/healthz": (healthz, 1),
    "/metrics": (metrics, 1),
}
#: Which dimension is broken, by weight; routes without a query text get "param" instead of "query".
_NOISE_WEIGHTS = {"query": 45, "param": 20, "header": 15, "raw": 5, "none": 15}
_TAKES_QUERY = {"GET /sparql", "POST /sparql form", "POST /sparql direct", "/query"}


def generate(seed: int, count: int) -> list[tuple[str, Request]]:
    """`count` requests over every route by weight, in a reproducible order."""
    rng = random.Random(seed)
    labels = [label for label, (_, weight) in ROUTES.items() for _ in range(weight)]
    noises = [noise for noise, weight in _NOISE_WEIGHTS.items() for _ in range(weight)]
    work = []
    for _ in range(count):
        label = rng.choice(labels)
        noise = rng.choice(noises)
        if noise == "query" and label not in _TAKES_QUERY:
            noise = "param"
        work.append((label, ROUTES[label][0](Draw(rng, noise))))
    return work

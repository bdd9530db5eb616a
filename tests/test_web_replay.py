"""The replay hot path: an identical GET is answered byte for byte, counted, logged and revalidated."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
import uuid

import pytest

from kg.web.cache import Entry
from kg.web.replay import ReplayMiddleware, mark

pytest_plugins = ["web_fixtures"]

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
#: 202^6 ≈ 6.8e13 combinations (as in test_web_limits): only the time budget stops it.
PATHOLOGICAL = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?p ?q ?r }"
)
_SKIP = {"date", "server", "content-length"}


def _headers(reply) -> dict[str, str]:
    return {k.lower(): v for k, v in reply.headers.items() if k.lower() not in _SKIP}


def _cached_count(server) -> float:
    metrics = server.get("/metrics").text
    found = re.search(r'kg_queries_total\{form="SELECT",outcome="cached"\} ([0-9.e+]+)', metrics)
    return float(found.group(1)) if found else 0.0


def test_identical_gets_are_replayed_with_the_same_bytes_and_headers(server):
    query = COUNT + " # replay-test"
    first = server.query(query, "application/sparql-results+json")
    before = _cached_count(server)
    second = server.query(query, "application/sparql-results+json")
    assert second.status == first.status == 200
    assert "x-kg-cache" not in _headers(first) and second.headers["X-KG-Cache"] == "replay"
    assert second.body == first.body
    assert {k: v for k, v in _headers(second).items() if k != "x-kg-cache"} == _headers(first)
    assert _cached_count(server) == before + 1  # a replay is still counted as a (cached) query
    other = server.query(query, "text/csv")
    assert other.status == 200 and other.headers["Content-Type"].startswith("text/csv")


def test_a_replayed_answer_is_revalidated_with_its_etag(server):
    query = COUNT + " # etag-test"
    first = server.query(query)
    server.query(query)  # now stored for replay
    again = server.request(
        "GET", "/sparql", {"query": query}, headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status == 304 and again.body == b"" and again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["X-KG-Cache"] == "replay"


#: Error answers, each asked twice: (request, expected status, outcome the query log gives it or None
#: when the view fails before a query is run). Every text is made unique per run, so no earlier test
#: has stored it.
ERRORS = {
    "syntax error": (("/sparql", {"query": "SELECT ?s WHERE { ?s ?p } # {tag}"}, {}), 400, "error"),
    "syntax error, JSON body": (
        ("/sparql", {"query": "SELECT ?s WHERE { ?s ?p } # {tag}"}, {"Accept": "application/json"}),
        400,
        "error",
    ),
    "SERVICE refused": (
        ("/sparql", {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } # {tag}"}, {}),
        403,
        "forbidden",
    ),
    "nothing acceptable": (
        ("/sparql", {"query": COUNT + " # {tag}"}, {"Accept": "image/png"}),
        406,
        "failed",
    ),
    "time budget used up": (("/sparql", {"query": PATHOLOGICAL + " # {tag}"}, {}), 503, "timeout"),
    "bad named-query parameter": (("/api/queries/responsibilities", {"infer": "maybe-{tag}"}, {}), 400, None),
    "unknown named query": (("/api/queries/no-such-query-{tag}", {}, {}), 404, None),
}


def _outcomes(server, text: str) -> list[str]:
    """The outcomes of the query log lines for `text` so far (the server logs each query before it
    answers; a unique query asked last, once logged, shows every earlier line has been read)."""
    sync = f"ASK {{}} # sync {uuid.uuid4()}"
    assert server.query(sync).status == 200
    for _ in range(300):  # the drain thread may lag behind the answer: wait for the sync line
        if _hash(sync) in (line.get("hash") for line in _log(server)):
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the server's query log line for the sync query never came")
    return [line["outcome"] for line in _log(server) if line.get("hash") == _hash(text)]


def _log(server) -> list[dict]:
    lines = []
    for line in list(server.log):
        with contextlib.suppress(ValueError):
            lines.append(json.loads(line))
    return [line for line in lines if isinstance(line, dict) and line.get("event") == "query"]


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _all_cached(server) -> float:
    metrics = server.get("/metrics").text
    return sum(
        float(v) for v in re.findall(r'kg_queries_total\{form="[^"]*",outcome="cached"\} (\S+)', metrics)
    )


@pytest.mark.parametrize(
    "case", [pytest.param(c, marks=pytest.mark.slow) if "budget" in c else c for c in ERRORS]
)
def test_errors_are_never_replayed(server, case):
    """An error asked twice is answered twice by Flask: no `X-KG-Cache: replay`, not counted or logged
    as a cached query, and logged each time with its own outcome (so a replay would show)."""
    (path, params, headers), status, outcome = ERRORS[case]
    tag = uuid.uuid4().hex
    path = path.replace("{tag}", tag)
    params = {name: value.replace("{tag}", tag) for name, value in params.items()}
    cached_before = _all_cached(server)
    first = server.request("GET", path, params, headers=headers)
    second = server.request("GET", path, params, headers=headers)
    for reply in (first, second):
        assert reply.status == status, reply.text
        assert "X-KG-Cache" not in reply.headers, f"{case}: an error answer was replayed"
        assert reply.headers["Cache-Control"] == "no-store"
    assert second.body == first.body
    assert _all_cached(server) == cached_before, f"{case}: an error was counted as a cached query"
    if "query" in params:
        expected = [outcome, outcome] if outcome else []
        assert _outcomes(server, params["query"]) == expected, case


#: What a view hands the middleware when it marks an answer replayable.
_ENTRY = Entry(b"body", "text/plain; charset=utf-8", "SELECT", 1, False)


@pytest.mark.parametrize(
    "status",
    [
        "400 BAD REQUEST",
        "403 FORBIDDEN",
        "404 NOT FOUND",
        "406 NOT ACCEPTABLE",
        "500 INTERNAL SERVER ERROR",
        "503 SERVICE UNAVAILABLE",
        "304 NOT MODIFIED",
        "206 PARTIAL CONTENT",
    ],
)
def test_the_replay_layer_keeps_no_answer_but_a_200(status):
    """Even an answer a view marked replayable is not kept unless it is a 200: the middleware's own
    guard, checked with a view that marks and then fails (no real view does that today, so the HTTP
    test above could not see this guard go)."""
    calls = []

    def view(environ, start_response):
        calls.append(1)
        mark(environ, COUNT, _ENTRY, "/sparql")
        start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")])
        return [f"answer {len(calls)}".encode()]

    middleware = ReplayMiddleware(view, 16, 1 << 20)
    answers = [_call(middleware) for _ in range(2)]
    assert len(calls) == 2, "the second request never reached the view: it was replayed"
    assert [a[0] for a in answers] == [status, status]
    assert all("X-KG-Cache" not in dict(a[1]) for a in answers)
    assert [a[2] for a in answers] == [b"answer 1", b"answer 2"]


def test_the_replay_layer_does_replay_a_marked_200():
    """The control for the test above: the same harness sees a replay when there is one."""
    calls = []

    def view(environ, start_response):
        calls.append(1)
        mark(environ, COUNT, _ENTRY, "/sparql")
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("ETag", '"t"')])
        return [b"answer"]

    middleware = ReplayMiddleware(view, 16, 1 << 20)
    first, second = _call(middleware), _call(middleware)
    assert len(calls) == 1
    assert ("X-KG-Cache", "replay") in second[1] and second[2] == first[2] == b"answer"


def _call(app) -> tuple[str, list[tuple[str, str]], bytes]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/sparql",
        "QUERY_STRING": "query=SELECT",
        "HTTP_ACCEPT": "text/plain",
    }
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, headers

    body = b"".join(app(environ, start_response))
    return started["status"], started["headers"], body


@pytest.mark.parametrize("call", ["STRUUID()", "UUID()", "RAND()", "NOW()", "BNODE()"])
def test_volatile_answers_are_never_cached_or_replayed(server, call):
    """RAND, NOW, UUID, STRUUID and BNODE answer differently on every run: no ETag, no store, no replay.
    Mutation: let web/sparql.py cache them like any other answer → the second answer repeats the first."""
    text = f"SELECT ?x WHERE {{ BIND({call} AS ?x) }}"
    first, second = server.query(text), server.query(text)
    for reply in (first, second):
        assert reply.status == 200
        assert reply.headers.get("Cache-Control") == "no-store"
        assert "ETag" not in reply.headers and "X-KG-Cache" not in reply.headers
    assert first.body != second.body

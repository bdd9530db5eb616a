"""The replay hot path: an identical GET is answered byte for byte, counted, logged and revalidated."""

from __future__ import annotations

import re

pytest_plugins = ["web_fixtures"]

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
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


def test_errors_are_never_replayed(server):
    bad = "SELECT ?s WHERE { ?s ?p }"
    assert server.query(bad).status == 400
    assert server.query(bad).status == 400

"""Limits that hold: the time budget (503 + Retry-After while others are served), the row cap, the
request body limit."""

from __future__ import annotations

import json
import threading

import pyoxigraph as ox
import pytest

from web_fixtures import MAX_BODY, MAX_ROWS, PREFIX

pytest_plugins = ["web_fixtures"]

#: 202^6 ≈ 6.8e13 combinations: hours of CPU for Oxigraph, so only the budget can stop it.
PATHOLOGICAL = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?p ?q ?r }"
)
TRIVIAL = PREFIX + "ASK { ex:c1 ex:hasPartner ex:c2 }"


@pytest.mark.slow
def test_pathological_query_gets_503_while_others_are_served(server):
    slow: dict = {}

    def run_slow() -> None:
        slow["reply"] = server.query(PATHOLOGICAL)

    thread = threading.Thread(target=run_slow)
    thread.start()
    trivial = []
    while thread.is_alive():  # keep asking while the pathological query is running
        trivial.append(server.query(TRIVIAL + f" # {len(trivial)}"))  # distinct text: no cache hit
        thread.join(0.05)
    assert trivial, "the trivial query never ran while the slow one was in flight"
    assert all(r.status == 200 and json.loads(r.body)["boolean"] is True for r in trivial)
    reply = slow["reply"]
    assert reply.status == 503
    assert int(reply.headers["Retry-After"]) > 0
    assert "time budget" in reply.text
    # the worker was killed and replaced: the server keeps answering, and the metric counted it
    assert server.query(TRIVIAL + " # after").status == 200
    timeouts = [
        line
        for line in server.get("/metrics").text.splitlines()
        if line.startswith("kg_query_timeouts_total")
    ]
    assert float(timeouts[0].split()[-1]) >= 1


@pytest.mark.slow
def test_deep_property_path_is_stopped(server):
    path = "?a (ex:hasPartner|^ex:hasPartner)* ?b"
    text = PREFIX + f"SELECT (COUNT(*) AS ?n) WHERE {{ {path} . ?c ?d ?e . ?f ?g ?h . ?i ?j ?k }}"
    reply = server.query(text)
    assert reply.status == 503
    assert "Retry-After" in reply.headers


def test_row_cap_truncates_with_header(server):
    reply = server.query("SELECT * WHERE { ?s ?p ?o }")
    assert reply.status == 200
    assert reply.headers["X-KG-Truncated"] == "true"
    assert reply.headers["X-KG-Row-Cap"] == str(MAX_ROWS)
    assert len(list(ox.parse_query_results(reply.body, ox.QueryResultsFormat.JSON))) == MAX_ROWS


def test_row_cap_applies_to_graphs(server):
    reply = server.query("CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples")
    assert reply.headers["X-KG-Truncated"] == "true"
    assert len(list(ox.parse(reply.body, ox.RdfFormat.N_TRIPLES))) == MAX_ROWS


def test_under_the_cap_is_not_truncated(server):
    reply = server.query("SELECT * WHERE { ?s ?p ?o } LIMIT 5")
    assert "X-KG-Truncated" not in reply.headers
    assert len(list(ox.parse_query_results(reply.body, ox.QueryResultsFormat.JSON))) == 5


def test_body_limit_413(server):
    padding = "#" + "x" * MAX_BODY + "\n"
    assert server.post_direct(padding + "ASK {}").status == 413
    assert server.post_form({"query": padding + "ASK {}"}).status == 413
    assert server.post_direct("#" + "x" * (MAX_BODY // 2) + "\nASK {}").status == 200

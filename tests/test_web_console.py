# ruff: noqa: F811 -- fixtures are imported, then named as arguments
"""The query page for people (`/query`) over real HTTP and in real headless Chromium."""

from __future__ import annotations

import re

import pytest

from api_fixtures import PKG, kg_server  # noqa: F401
from test_web_pages import ARTIFACTS, browser, page, unsafe_hrefs  # noqa: F401
from web_fixtures import Client

STAGES = (
    "PREFIX pkg: <https://w3id.org/pharma-kg/id/>\n"
    "SELECT ?stage WHERE { pkg:CRO pkg:activeInStage ?stage ; pkg:hasResponsibility ?r }"
)


def test_a_browser_opening_sparql_is_sent_to_the_query_page(kg_server: Client) -> None:
    reply = kg_server.get("/sparql", Accept="text/html,application/xhtml+xml,*/*;q=0.8")
    assert reply.status == 303 and reply.headers["Location"].endswith("/query")
    assert kg_server.get("/sparql").headers["Content-Type"].startswith("text/turtle")  # programs: the SD


def test_select_answers_as_a_table_linking_to_resource_pages(kg_server: Client) -> None:
    reply = kg_server.get("/query", {"query": STAGES})
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in reply.headers["Content-Security-Policy"]
    assert 'href="/id/PhaseIIStage"' in reply.text and ">Phase II</a>" in reply.text
    assert re.search(r"<h2>\d+ rows</h2>", reply.text)
    assert 'href="/sparql?query=' in reply.text  # the same answer in the SPARQL formats


def test_infer_false_shows_what_the_reasoner_added(kg_server: Client) -> None:
    reply = kg_server.get("/query", {"query": STAGES, "infer": "false"})
    assert reply.status == 200 and "<h2>0 rows</h2>" in reply.text


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("SELECT ?s WHERE { ?s ?p }", 400, "malformed SPARQL"),
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", 403, "SERVICE"),
        ("INSERT DATA { <http://a> <http://b> <http://c> }", 403, "read-only"),
    ],
)
def test_refused_queries_show_the_reason_on_the_page(kg_server: Client, query, status, message) -> None:
    reply = kg_server.get("/query", {"query": query})
    assert reply.status == status and message in reply.text and 'id="error"' in reply.text


def test_markup_in_a_query_is_escaped(kg_server: Client) -> None:
    reply = kg_server.get("/query", {"query": 'SELECT ("<script>alert(1)</script>" AS ?x) {}'})
    assert "<script>alert(1)</script>" not in reply.text and "&lt;script&gt;" in reply.text


def test_unsafe_iris_in_an_answer_are_text_not_links(kg_server: Client) -> None:
    unsafe = ("javascript:alert(1)", "JavaScript:alert(2)", "data:text/html;base64,PHM+", "vbscript:x")
    safe = ("https://example.org/a", "mailto:team@example.org")
    values = " ".join(f"<{iri}>" for iri in (*unsafe, *safe))
    reply = kg_server.get("/query", {"query": f"SELECT ?x WHERE {{ VALUES ?x {{ {values} }} }}"})
    assert reply.status == 200 and "<h2>6 rows</h2>" in reply.text
    assert unsafe_hrefs(reply.text) == []
    assert all(f"<td>{iri}</td>" in reply.text for iri in unsafe)
    assert all(f'href="{iri}"' in reply.text for iri in safe)


@pytest.mark.browser
def test_query_page_in_chromium(page, kg_server: Client) -> None:
    page.goto(f"{kg_server.url}/sparql")  # a browser lands on the query page
    assert page.url == f"{kg_server.url}/query"
    page.fill("textarea#query", STAGES)
    page.click("button[type=submit]")
    assert page.locator("#answer h2").inner_text().endswith("rows")
    assert "Phase II" in page.locator("table.results").inner_text()
    page.screenshot(path=str(ARTIFACTS / "query-page.png"), full_page=True)
    page.click("table.results a:text-is('Phase II')")
    assert page.url == f"{kg_server.url}/id/PhaseIIStage"
    assert page.locator("h1").inner_text() == "Phase II"


def test_a_query_out_of_budget_is_a_503_with_retry_after_as_on_sparql(kg_server: Client) -> None:
    """Found by the reliability fuzz: /query rendered the 503 page without Retry-After."""
    expensive = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    reply = kg_server.get("/query", {"query": expensive})
    assert reply.status == 503
    assert int(reply.headers["Retry-After"]) > 0
    assert "budget" in reply.text

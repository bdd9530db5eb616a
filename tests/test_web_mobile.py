# ruff: noqa: F811 -- fixtures are imported, then named as arguments
"""Small screens and the neighbourhood diagram (issue 8: item 8 "Mobile", and item 3's diagram on
resource pages).

At 375 px wide no page scrolls sideways: Debian's Chromium loads each page (with and without
JavaScript) and checks `scrollWidth <= clientWidth` of the document. The neighbourhood diagram is
checked against `/api/neighbours` of the same server (not against the drawing code), with hostile
labels from a --data file, and for its bound.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from kg.web.neighbourhood import MAX_EDGES
from test_web_workbench import text_of, tree

from api_fixtures import ONTOLOGY, PKG, kg_server  # noqa: F401
from test_web_pages import browser  # noqa: F401
from web_fixtures import Client, start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PHONE = {"width": 375, "height": 812}
ACTIVE = ".tabPanel.active"
SELECT_ALL = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 200"
#: A SELECT too wide to fit 375 px by wrapping: 24 columns of IRIs.
BINDS = " ".join(f"BIND(?p AS ?column{i})" for i in range(21))
WIDE = f"SELECT * WHERE {{ ?s ?p ?o . {BINDS} }} LIMIT 5"

#: Every kind of page, as a reader without JavaScript gets it (error pages included).
PAGES = [
    "/",
    "/id/",
    "/id/CRO",
    "/id/QualityControl",
    "/id/CMO?infer=false",
    "/query",
    "/query?" + urlencode({"query": SELECT_ALL}),
    "/query?query=SELECT+%3Fx+WHERE+%7B+%3Fx+pkg%3Anope",  # a syntax error: the error page
    "/paths?from=CRO&to=CMO",
    "/paths?from=CRO&to=NoSuchThing",
    "/explain",
    "/queries",
    "/queries/describe-resource?resource=pkg%3ACRO",
    "/queries/no-such-query",
    "/search?q=phase",
    "/search?q=",
    "/id/?filter=stage",
    "/resource?iri=https%3A%2F%2Fwww.fda.gov%2Fpatients%2Fdrug-development-process",
    "/explain?subject=CRO&predicate=rdf:type&object=Role",
    "/id/NoSuchResourceWithAVeryLongNameThatKeepsGoingAndGoingWithoutAnySpaceAtAllToBreakItUp",
]


def overflow(tab) -> tuple[int, int]:
    return tab.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")


@pytest.fixture
def phone(browser) -> Iterator:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_no_page_scrolls_sideways_at_375px(phone, kg_server: Client, path: str) -> None:
    response = phone.goto(kg_server.url + path)
    assert response is not None and response.status < 500, path
    scroll, client = overflow(phone)
    assert scroll <= client, f"{path}: {scroll}px wide in a {client}px window"


@pytest.mark.browser
def test_query_results_without_javascript_fit_375px(phone, kg_server: Client) -> None:
    """A table too wide for any wrapping (24 columns) scrolls in its own box, not the page."""
    phone.goto(kg_server.url + "/query?" + urlencode({"query": WIDE}))
    assert phone.locator("table.results tbody tr").count() == 5
    assert phone.locator("table.results thead th").count() == 24
    scroll, client = overflow(phone)
    assert scroll <= client, f"{scroll}px wide in a {client}px window"
    table = phone.locator("table.results")
    assert table.evaluate("t => t.getBoundingClientRect().right <= document.documentElement.clientWidth")
    assert table.evaluate("t => t.scrollWidth > t.clientWidth"), "the table should scroll inside its box"


@pytest.mark.browser
def test_the_editor_and_its_results_fit_375px(browser, kg_server: Client) -> None:
    context = browser.new_context(viewport=PHONE)
    tab = context.new_page()
    try:
        tab.goto(kg_server.url + "/query")
        tab.locator(f"{ACTIVE} .CodeMirror").wait_for()
        scroll, client = overflow(tab)
        assert scroll <= client, f"the editor: {scroll}px wide in a {client}px window"
        tab.locator(f"{ACTIVE} .CodeMirror").evaluate("(cm, text) => cm.CodeMirror.setValue(text)", WIDE)
        tab.locator(f"{ACTIVE} .CodeMirror").click()
        with tab.expect_response(lambda r: r.url.endswith("/sparql") and r.request.method == "POST"):
            tab.keyboard.press("Control+Enter")
        tab.locator(f"{ACTIVE} .yasr_results").wait_for()
        tab.locator(f"{ACTIVE} .yasr tbody tr").first.wait_for()
        scroll, client = overflow(tab)
        assert scroll <= client, f"the results: {scroll}px wide in a {client}px window"
    finally:
        context.close()


@pytest.mark.browser
def test_screenshots(browser, kg_server: Client) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    tab = context.new_page()
    tab.goto(kg_server.url + "/")
    tab.screenshot(path=str(DOCS / "mobile-home.png"))
    context.close()
    context = browser.new_context(viewport={"width": 1200, "height": 800}, java_script_enabled=False)
    tab = context.new_page()
    tab.goto(kg_server.url + "/id/CRO")
    tab.locator("svg.neighbourhood").scroll_into_view_if_needed()
    tab.screenshot(path=str(DOCS / "neighbourhood.png"))
    context.close()


# --- the neighbourhood diagram ------------------------------------------------------------------


def diagram(client: Client, path: str):
    reply = client.get(path)
    assert reply.status == 200, reply.text
    svgs = [s for s in tree(reply.text).iter("svg") if "neighbourhood" in s.get("class", "")]
    assert len(svgs) == 1
    return svgs[0]


def expected(client: Client, name: str, infer: bool = True) -> tuple[list[tuple[str, str, str, bool]], int]:
    """From the API: the (href, label) of each neighbour IRI, in order, and how many there are."""
    params = {"node": name, "limit": "5000", "infer": "true" if infer else "false"}
    reply = client.get("/api/neighbours", params)
    assert reply.status == 200, reply.text
    found = []
    for edge in json.loads(reply.text)["edges"]:
        other = edge["object"] if edge["direction"] == "out" else edge["subject"]
        if other["type"] != "uri":
            continue
        iri = other["value"]
        # ours link to their page; other IRIs to wherever the app sends them (checked elsewhere)
        href = "/id/" + iri[len(PKG) :] if iri.startswith(PKG) else "*"
        found.append((href, other["label"], edge["predicate"]["label"], edge["inferred"]))
    return found, len(found)


def drawn(svg) -> list[tuple[str, str]]:
    """(href, title) of each neighbour box, in order (href "*" for an IRI outside our namespace)."""
    return [
        (a.get("href") if a.get("href", "").startswith("/id/") else "*", text_of(g.find("title")))
        for a in svg.iter("a")
        for g in a.iter("g")
        if "neighbour" in g.get("class", "").split()
    ]


@pytest.mark.parametrize("name", ["QualityControl", "DataManagement", "PhaseIIIStage"])
def test_diagram_nodes_and_links_match_the_api(kg_server: Client, name: str) -> None:
    svg = diagram(kg_server, f"/id/{name}")
    edges, total = expected(kg_server, f"pkg:{name}")
    assert total > 0
    boxes = drawn(svg)
    assert boxes == [(href, label) for href, label, _, _ in edges[:MAX_EDGES]]
    spokes = [g for g in svg.iter("g") if "spoke" in g.get("class", "").split()]
    assert [text_of(s.find("text")) for s in spokes] == [
        p[:29] + "…" if len(p) > 30 else p for _, _, p, _ in edges[:MAX_EDGES]
    ]
    assert ["inferred" in s.get("class", "").split() for s in spokes] == [i for *_, i in edges[:MAX_EDGES]]
    # the resource itself, in the middle, linked to its own page
    centre = [a for a in svg.iter("a") for g in a.iter("g") if "centre" in g.get("class", "").split()]
    assert [a.get("href") for a in centre] == [f"/id/{name}"]
    assert svg.get("width") == "100%" and re.fullmatch(r"0 0 [\d.]+ [\d.]+", svg.get("viewbox", ""))


def test_diagram_is_bounded_and_counts_the_rest(kg_server: Client) -> None:
    _, total = expected(kg_server, "pkg:CRO")
    assert total > MAX_EDGES  # else this test proves nothing
    svg = diagram(kg_server, "/id/CRO")
    assert len(drawn(svg)) == MAX_EDGES
    more = [t for t in svg.iter("text") if "more" in t.get("class", "").split()]
    assert [text_of(t) for t in more] == [f"+ {total - MAX_EDGES} more"]


def test_diagram_without_inferred_edges(kg_server: Client) -> None:
    svg = diagram(kg_server, "/id/QualityControl?infer=false")
    edges, _ = expected(kg_server, "pkg:QualityControl", infer=False)
    assert drawn(svg) == [(href, label) for href, label, _, _ in edges[:MAX_EDGES]]
    assert not any(i for *_, i in edges)
    assert not [g for g in svg.iter("g") if "inferred" in g.get("class", "").split()]


HOSTILE_DATA = """\
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix pkg: <https://w3id.org/pharma-kg/id/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

pkg:EvilOrg a pkg:Organisation ;
  skos:prefLabel "Evil </text><script>alert('org')</script> & co"@en ;
  dcterms:source <https://example.org/tests> ;
  pkg:playsRole pkg:CRO .
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[Client]:
    data = tmp_path_factory.mktemp("hostile-neighbour") / "hostile.ttl"
    data.write_text(HOSTILE_DATA, encoding="utf-8")
    process, client = start_server(ONTOLOGY, cache_dir, KG_DATA=str(data), KG_QUERY_TIMEOUT="20")
    try:
        yield client
    finally:
        stop_server(process)


def test_hostile_labels_are_escaped_in_the_diagram(hostile: Client) -> None:
    reply = hostile.get("/id/EvilOrg")
    assert reply.status == 200
    assert "<script>alert('org')" not in reply.text
    assert "&lt;/text&gt;&lt;script&gt;alert(&#39;org&#39;)&lt;/script&gt; &amp; co" in reply.text
    svg = diagram(hostile, "/id/EvilOrg")
    assert not list(svg.iter("script"))
    centre = [g for g in svg.iter("g") if "centre" in g.get("class", "").split()]
    assert text_of(centre[0].find("title")) == "Evil </text><script>alert('org')</script> & co"
    assert ("/id/CRO", "CRO") in drawn(svg)
    # and from the other end: the CRO's page draws it among its neighbours, escaped
    cro = hostile.get("/id/CRO")
    assert "<script>alert('org')" not in cro.text

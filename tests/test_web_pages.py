# ruff: noqa: F811 -- the kg_server fixture is imported, then named as an argument
"""Resource pages over real HTTP: content negotiation gives the same triples in every RDF format, and
real headless Chromium reads the pages, follows links between them and loads nothing from elsewhere.

The browser tests need Debian's Chromium at /usr/bin/chromium (never `playwright install`). Missing, they
fail with a clear message; set KG_SKIP_BROWSER=1 to skip them on a machine without it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from flask import Flask
from rdflib.compare import isomorphic

from kg.web import pages, present

from api_fixtures import PKG, kg_server  # noqa: F401
from conftest import write_ontology
from web_fixtures import Client, start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
PK = rdflib.Namespace(PKG)
INFERRED = "https://w3id.org/pharma-kg/graph/inferred"


def definition(store, local: str) -> str:
    quads = store.quads(ox.NamedNode(PKG + local), ox.NamedNode(str(SKOS.definition)), None)
    return next(iter(quads)).object.value


# --- content negotiation ----------------------------------------------------------------------


def fetch_graph(client: Client, path: str, rdflib_format: str, **how: str) -> rdflib.Graph:
    params = {"format": how.pop("format")} if "format" in how else None
    reply = client.get(path, params, **how)
    assert reply.status == 200, reply.text
    assert reply.headers["Vary"] == "Accept"
    return rdflib.Graph().parse(data=reply.body, format=rdflib_format)


@pytest.mark.parametrize("local", ["QualityControl", "CRO", "PhaseIIStage"])
def test_turtle_jsonld_and_ntriples_carry_the_same_triples(kg_server: Client, local: str) -> None:
    path = f"/id/{local}"
    turtle = fetch_graph(kg_server, path, "turtle", Accept="text/turtle")
    jsonld = fetch_graph(kg_server, path, "json-ld", Accept="application/ld+json")
    ntriples = fetch_graph(kg_server, path, "nt", format="ntriples")
    assert len(turtle) > 10
    assert isomorphic(turtle, jsonld) and isomorphic(turtle, ntriples)
    node = PK[local]
    assert (node, None, None) in turtle and (None, None, node) in turtle


def test_description_has_asserted_and_inferred_links_and_source(kg_server: Client, store) -> None:
    graph = fetch_graph(kg_server, "/id/QualityControl", "turtle", Accept="text/turtle")
    qc = PK.QualityControl
    assert (qc, SKOS.prefLabel, rdflib.Literal("Quality Control", lang="en")) in graph
    assert (qc, SKOS.definition, rdflib.Literal(definition(store, "QualityControl"), lang="en")) in graph
    assert (PK.CMO, PK.hasResponsibility, qc) in graph  # asserted, incoming
    assert (qc, PK.isResponsibilityOf, PK.CMO) in graph  # inferred (prp-inv1), outgoing
    assert (
        qc,
        rdflib.DCTERMS.source,
        rdflib.URIRef("https://w3id.org/pharma-kg/source/article#cmo"),
    ) in graph
    assert (PK.CMO, SKOS.prefLabel, rdflib.Literal("CMO", lang="en")) in graph  # labels of linked nodes
    asserted = fetch_graph(kg_server, "/id/QualityControl", "turtle", Accept="text/turtle", format="ttl")
    assert len(asserted) == len(graph)
    only_asserted = kg_server.get("/id/QualityControl", {"format": "ttl", "infer": "false"})
    plain = rdflib.Graph().parse(data=only_asserted.body, format="turtle")
    assert (qc, PK.isResponsibilityOf, PK.CMO) not in plain and (PK.CMO, PK.hasResponsibility, qc) in plain


def test_trig_keeps_inferred_triples_in_their_own_graph(kg_server: Client) -> None:
    reply = kg_server.get("/id/QualityControl", Accept="application/trig")
    assert reply.headers["Content-Type"] == "application/trig"
    dataset = rdflib.Dataset()
    dataset.parse(data=reply.body, format="trig")
    inferred = dataset.graph(rdflib.URIRef(INFERRED))
    assert (PK.QualityControl, PK.isResponsibilityOf, PK.CMO) in inferred
    assert (PK.CMO, PK.hasResponsibility, PK.QualityControl) not in inferred


def test_browsers_and_curl_get_html(kg_server: Client) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for accept in (browser, "*/*"):
        reply = kg_server.get("/id/CRO", Accept=accept)
        assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "<h1>CRO</h1>" in reply.text
    assert "default-src 'none'" in reply.headers["Content-Security-Policy"]
    assert kg_server.get("/id/CRO", Accept="application/pdf").status == 406


def test_unknown_resource_is_404_with_close_matches(kg_server: Client) -> None:
    page = kg_server.get("/id/QualityControll", Accept="text/html")
    assert page.status == 404 and page.headers["Content-Type"].startswith("text/html")
    assert '<a href="/id/QualityControl">pkg:QualityControl</a>' in page.text
    rdf = kg_server.get("/id/QualityControll", Accept="text/turtle")
    assert rdf.status == 404 and "pkg:QualityControl" in rdf.text


def test_everything_on_a_page_is_escaped(kg_server: Client) -> None:
    page = kg_server.get("/id/%3Cscript%3Ealert(1)%3C%2Fscript%3E", Accept="text/html")
    assert page.status == 404
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text


def test_home_page_lists_roles_stages_and_queries(kg_server: Client) -> None:
    home = kg_server.get("/", Accept="text/html").text
    assert '<a href="/id/CRO"' in home and '<a href="/id/CMO"' in home
    stages = re.findall(r'<li><a href="/id/(\w+Stage)"', home)
    assert stages[:3] == ["DrugDiscoveryStage", "PreclinicalStage", "PhaseIStage"]
    assert stages[-1] == "PostMarketStage"
    assert '<a href="/queries/responsibilities">' in home and 'href="/sparql"' in home


# --- IRIs that must never be links -------------------------------------------------------------

#: A resource whose data links to IRIs of every unsafe kind, in every place a page shows an IRI.
HOSTILE = """\
@prefix pkg: <https://w3id.org/pharma-kg/id/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
pkg:Hostile skos:prefLabel "Hostile" ;
    a <vbscript:msgbox(1)> ;
    dcterms:source <data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==> ;
    pkg:seeAlso <javascript:alert(1)>, <JavaScript:alert(2)>, <https://example.org/safe>,
        <mailto:team@example.org> ;
    <javascript:alert(3)> pkg:Other .
<javascript:alert(4)> pkg:mentions pkg:Hostile .
<javascript:alert(5)> a pkg:Role ; skos:prefLabel "Evil role" .
pkg:Other skos:prefLabel "Other" .
"""
SAFE_HREF = re.compile(r"(/|\?|https?:|mailto:|urn:)", re.IGNORECASE)


def unsafe_hrefs(html: str) -> list[str]:
    """Every href of a page that is neither ours (`/…`, `?…`) nor of a linkable scheme."""
    return [href for href in re.findall(r'href="([^"]*)"', html) if not SAFE_HREF.match(href)]


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """The real server over a tiny ontology holding javascript:, data: and vbscript: IRIs."""
    folder = write_ontology(tmp_path_factory.mktemp("hostile") / "o", {"data.ttl": HOSTILE})
    process, client = start_server(folder, folder.parent / "cache")
    try:
        yield client
    finally:
        stop_server(process)


@pytest.mark.parametrize(
    ("iri", "expected"),
    [
        ("https://example.org/a", "/resource?iri=https://example.org/a"),
        ("HTTP://example.org/a", "/resource?iri=HTTP://example.org/a"),
        ("mailto:team@example.org", "/resource?iri=mailto:team@example.org"),
        ("urn:isbn:0451450523", "/resource?iri=urn:isbn:0451450523"),
        (PKG + "CRO", "/id/CRO"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        (" javascript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html;base64,PHNjcmlwdD4=", None),
        ("vbscript:msgbox(1)", None),
        ("file:///etc/passwd", None),
        ("//evil.example/x", None),
        ("/id/CRO", None),
    ],
)
def test_only_our_pages_and_safe_schemes_become_links(iri: str, expected: str | None) -> None:
    app = Flask(__name__)
    app.register_blueprint(pages.bp)
    with app.test_request_context():
        assert present.link_target(iri) == expected


def test_unsafe_iris_on_a_resource_page_are_text(hostile_server: Client) -> None:
    page = hostile_server.get("/id/Hostile", Accept="text/html")
    assert page.status == 200, page.text
    assert unsafe_hrefs(page.text) == []
    for shown in ("javascript:alert(1)", "JavaScript:alert(2)", "vbscript:msgbox(1)", "data:text/html"):
        assert shown in page.text  # shown, as text
    assert 'href="/resource?iri=https://example.org/safe"' in page.text
    assert 'href="/resource?iri=mailto:team@example.org"' in page.text
    assert 'href="/id/Other"' in page.text
    other = hostile_server.get("/id/Other", Accept="text/html")  # the hostile IRI as a predicate
    assert other.status == 200 and "javascript:alert(3)" in other.text
    assert unsafe_hrefs(other.text) == []


def test_unsafe_iris_on_the_home_page_are_text(hostile_server: Client) -> None:
    home = hostile_server.get("/", Accept="text/html")
    assert "Evil role" in home.text and unsafe_hrefs(home.text) == []


# --- real Chromium ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        if os.environ.get("KG_SKIP_BROWSER") == "1":
            pytest.skip("KG_SKIP_BROWSER=1 and no Chromium at /usr/bin/chromium")
        pytest.fail(
            "browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium); "
            "set KG_SKIP_BROWSER=1 to skip them deliberately",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, kg_server: Client) -> Iterator:
    """A fresh page that records every request it makes (to check nothing leaves our server)."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, java_script_enabled=False)
    tab = context.new_page()
    tab.requested = []
    tab.on("request", lambda request: tab.requested.append(request.url))
    yield tab
    foreign = [url for url in tab.requested if not url.startswith(kg_server.url + "/")]
    context.close()
    assert not foreign, f"requests went to another host: {foreign}"


@pytest.mark.browser
@pytest.mark.parametrize(
    ("local", "label", "source", "quoted"),
    [
        (
            "CRO",
            "CRO",
            "CRO: The Research Experts",
            "CROs, on the other hand, specialize in the research aspect",
        ),
        ("QualityControl", "Quality Control", "CMO: The Production Specialists", "Quality Control Ensuring"),
        ("PhaseIIStage", "Phase II", "The Drug Development Process (U.S. FDA)", None),
    ],
)
def test_resource_pages_in_chromium(
    page, kg_server: Client, store, local: str, label: str, source: str, quoted: str | None
) -> None:
    response = page.goto(f"{kg_server.url}/id/{local}")
    assert response.status == 200
    assert page.locator("h1").inner_text() == label
    assert page.locator("p.definition").first.inner_text() == definition(store, local)
    assert source in page.locator("#source figcaption").first.inner_text()
    if quoted:  # an article passage is quoted; the FDA page is linked (its page here)
        assert quoted in page.locator("#source blockquote").first.inner_text()
    else:
        assert (
            page.locator("#source figcaption a")
            .first.get_attribute("href")
            .startswith("/resource?iri=https://www.fda.gov/")
        )
    assert page.locator("link[rel=stylesheet]").count() == 1
    page.screenshot(path=str(ARTIFACTS / f"resource-{local}.png"), full_page=True)
    assert any(url.endswith("/static/style.css") for url in page.requested)


@pytest.mark.browser
def test_inferred_links_are_marked(page, kg_server: Client) -> None:
    page.goto(f"{kg_server.url}/id/CRO")
    row = page.locator("#outgoing tr", has_text="active in stage").first
    assert row.locator(".inferred").inner_text() == "inferred"
    asserted = page.locator("#outgoing tr", has_text="has responsibility").first
    assert asserted.locator(".inferred").count() == 0
    stages = page.locator("#connections ul.stages li").all_inner_texts()
    assert stages[:3] == ["Drug Discovery stage", "Preclinical stage", "Phase I"]
    kinds = page.locator("#kinds li").all_inner_texts()
    assert any("inferred" in kind for kind in kinds) and any("inferred" not in kind for kind in kinds)


@pytest.mark.browser
def test_following_links_from_resource_to_resource(page, kg_server: Client) -> None:
    page.goto(f"{kg_server.url}/id/QualityControl")
    page.locator("#incoming a", has_text="CMO").first.click()
    page.wait_for_url(f"{kg_server.url}/id/CMO")
    assert page.locator("h1").inner_text() == "CMO"
    assert "Quality Control" in page.locator("#outgoing").inner_text()
    page.locator("#connections a, #outgoing a", has_text="CRO").first.click()
    page.wait_for_url(f"{kg_server.url}/id/CRO")
    page.locator("#connections a", has_text="Phase II").first.click()
    page.wait_for_url(f"{kg_server.url}/id/PhaseIIStage")
    assert page.locator("h1").inner_text() == "Phase II"
    page.screenshot(path=str(ARTIFACTS / "followed-to-PhaseIIStage.png"), full_page=True)


@pytest.mark.browser
def test_home_page_leads_to_resources_and_a_missing_one_is_404(page, kg_server: Client) -> None:
    page.goto(f"{kg_server.url}/")
    page.locator("#roles a", has_text="CMO").click()
    page.wait_for_url(f"{kg_server.url}/id/CMO")
    missing = page.goto(f"{kg_server.url}/id/QualityControll")
    assert missing.status == 404
    page.locator(".message a", has_text="pkg:QualityControl").click()
    page.wait_for_url(f"{kg_server.url}/id/QualityControl")
    page.screenshot(path=str(ARTIFACTS / "home-to-resource.png"))

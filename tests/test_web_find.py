"""Finding things (issue 8, items 5 and 6) over a real server: search by label, alternative label and
CURIE; the `/id/` index by kind with counts and a filter; `/resource?iri=` for an IRI outside our
namespace; no link on any page leaves the site; long tables paged in natural order.

The server serves the packaged ontology plus a --data file of ~300 organisations under another
namespace (`http://example.org/org/<n>`), all playing the CMO role, so `/id/CMO` has a long table.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from api_fixtures import ONTOLOGY
from web_fixtures import Client, start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ORG = "http://example.org/org/"
#: Organisation numbers: 1..295 plus two that sort wrongly as strings ("4369" before "437").
NUMBERS = [*range(1, 296), 437, 4369]
EXTRA = """\
@prefix pkg: <https://w3id.org/pharma-kg/id/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix org: <http://example.org/org/> .

org:zurich a pkg:Organisation ; skos:prefLabel "Zürich Pharmaceutique <b>AG</b>"@en ;
  skos:altLabel "Züri Labs"@en ; pkg:playsRole pkg:CRO ; dcterms:source <https://example.org/tests> .
"""


def extra_data() -> str:
    lines = [EXTRA]
    for n in NUMBERS:
        lines.append(f'org:c{n} a pkg:Organisation ; skos:prefLabel "Company {n}"@en ;')
        lines.append("  dcterms:source <https://example.org/tests> ; pkg:playsRole pkg:CMO .")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[Client]:
    data = tmp_path_factory.mktemp("find-data") / "organisations.ttl"
    data.write_text(extra_data(), encoding="utf-8")
    process, client = start_server(ONTOLOGY, cache_dir, KG_DATA=str(data), KG_QUERY_TIMEOUT="20")
    try:
        yield client
    finally:
        stop_server(process)


class Links(HTMLParser):
    """Every href and form action of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "action") and value is not None:
                self.hrefs.append(value)


def hrefs(text: str) -> list[str]:
    parser = Links()
    parser.feed(text)
    return parser.hrefs


def page(client: Client, path: str, params=None):
    reply = client.get(path, params, Accept="text/html")
    return reply, reply.text


# --- search -----------------------------------------------------------------------------------


def hit_lines(text: str) -> list[str]:
    return re.findall(r"<li>(.*?)</li>", text.split('<ol class="hits"', 1)[-1].split("</ol>")[0], re.S)


def test_search_finds_by_label_altlabel_and_curie_with_kinds(big_server: Client) -> None:
    _, text = page(big_server, "/search", {"q": "quality control"})
    assert 'href="/id/QualityControl"' in text and "Responsibility" in hit_lines(text)[0]
    _, text = page(big_server, "/search", {"q": "research expert"})  # an altLabel of pkg:CRO
    first = hit_lines(text)[0]
    assert 'href="/id/CRO"' in first and "Role" in first and "research expert" in first
    _, text = page(big_server, "/search", {"q": "PKG:cmo"})  # a CURIE, any case
    assert 'href="/id/CMO"' in hit_lines(text)[0]
    _, text = page(big_server, "/search", {"q": "zuri labs"})  # accents folded, an outside IRI
    first = hit_lines(text)[0]
    assert f'href="/resource?iri={ORG}zurich"' in first and "Organisation" in first
    assert "<b>AG</b>" not in text and "&lt;b&gt;AG&lt;/b&gt;" in text  # escaped


def test_search_pages_its_answers_and_welcomes_an_empty_query(big_server: Client) -> None:
    reply, text = page(big_server, "/search", {"q": "company"})
    assert reply.status == 200, text
    total = int(re.findall(r"(\d+) matches", text)[0])
    assert total >= len(NUMBERS), total
    first = hit_lines(text)
    assert len(first) == 50 and "Company 1<" in first[0] and "Company 2<" in first[1]
    assert 'rel="next" href="/search?q=company&amp;page=2"' in text
    found: list[str] = []
    for number in range(1, -(-total // 50) + 1):
        _, text = page(big_server, "/search", {"q": "company", "page": str(number)})
        found += re.findall(r">(Company \d+)<", text.split('<ol class="hits"', 1)[1].split("</ol>")[0])
    assert found == [f"Company {n}" for n in NUMBERS]  # natural order: 437 before 4369
    for params in ({}, {"q": ""}, {"q": "   "}):
        reply, text = page(big_server, "/search", params)
        assert reply.status == 200 and "Type part of a name" in text
    reply, text = page(big_server, "/search", {"q": "<script>nothing</script>"})
    assert reply.status == 200 and "Nothing is named like" in text and "<script>nothing" not in text


def test_every_page_has_the_search_box(big_server: Client) -> None:
    for path in ("/", "/id/", "/id/CRO", f"/resource?iri={ORG}c2", "/search"):
        _, text = page(big_server, path)
        assert 'action="/search"' in text and 'name="q"' in text, path


# --- the index --------------------------------------------------------------------------------


def groups(text: str) -> dict[str, tuple[int, list[str]]]:
    found = {}
    for section in text.split('<section class="kind"')[1:]:
        heading = re.search(r"<h2>(.*?)</h2>", section, re.S)
        assert heading
        name = re.sub(r"<[^>]+>|\s*\(\d+\)", "", heading[1]).strip()
        count = int(re.findall(r"\((\d+)\)", heading[1])[-1])
        found[name] = (count, re.findall(r'<li><a href="([^"]+)"', section))
    return found


def test_index_groups_by_kind_with_counts_and_filters(big_server: Client) -> None:
    _, text = page(big_server, "/id/")
    kinds = groups(text)
    for kind in ("Role", "Responsibility", "Development stage", "Organisation"):
        assert kind in kinds, sorted(kinds)
    count, members = kinds["Role"]
    assert count == len(members) and {"/id/CMO", "/id/CRO"} <= set(members)
    assert "/id/QualityControl" in kinds["Responsibility"][1] and "/id/CMO" not in kinds["Responsibility"][1]
    _, text = page(big_server, "/id/", {"filter": "QUALITY"})
    filtered = groups(text)
    assert "/id/QualityControl" in filtered["Responsibility"][1] and "Role" not in filtered
    assert all(count == len(members) for count, members in filtered.values())
    _, text = page(big_server, "/id/", {"filter": "no such thing at all"})
    assert "Nothing matches" in text and not groups(text)


# --- /resource?iri= ---------------------------------------------------------------------------


def test_an_outside_iri_of_the_data_has_a_page(big_server: Client) -> None:
    reply, text = page(big_server, "/resource", {"iri": ORG + "zurich"})
    assert reply.status == 200, text
    assert "<h1>Zürich Pharmaceutique &lt;b&gt;AG&lt;/b&gt;</h1>" in text
    assert 'href="/id/CRO"' in text and "Züri Labs" in text
    assert f'href="?iri={ORG}zurich&amp;infer=false"' in text
    ttl = big_server.get("/resource", {"iri": ORG + "zurich", "format": "turtle"})
    assert ttl.status == 200 and "pkg:CRO" in ttl.text and "Züri Labs" in ttl.text
    cro = big_server.get("/id/CRO", Accept="text/html").text
    assert f'href="/resource?iri={ORG}zurich"' in cro


def test_resource_by_iri_redirects_ours_and_refuses_unknown_or_malformed(big_server: Client) -> None:
    ours = big_server.get("/resource", {"iri": "https://w3id.org/pharma-kg/id/CRO"})
    assert ours.status == 302 and ours.headers["Location"].endswith("/id/CRO")
    missing, text = page(big_server, "/resource", {"iri": "http://example.org/nowhere"})
    assert missing.status == 404 and "does not occur" in text and "<h1>Not found</h1>" in text
    for bad in ({"iri": "not an iri"}, {"iri": "<x>"}, {}):
        reply, text = page(big_server, "/resource", bad)
        assert reply.status == 400 and "Bad request" in text, bad


# --- no link leaves the site ------------------------------------------------------------------


CRAWLED = re.compile(r"^/(id/|resource\?|search\?|$)")


def test_no_link_on_any_page_goes_off_site(big_server: Client) -> None:
    origin = big_server.url
    pending = ["/", "/id/", "/search?q=a", f"/resource?iri={ORG}c10"]
    seen: set[str] = set()
    offsite: list[tuple[str, str]] = []
    while pending and len(seen) < 400:
        path = pending.pop(0)
        if path in seen:
            continue
        seen.add(path)
        reply = big_server.get(path, Accept="text/html")
        assert reply.status in (200, 302), (path, reply.status)
        for href in hrefs(reply.text):
            absolute = urljoin(origin + path, href)
            parts = urlsplit(absolute)
            if parts.scheme in ("http", "https") and f"{parts.scheme}://{parts.netloc}" != origin:
                offsite.append((path, href))
            elif parts.scheme in ("http", "https"):
                local = parts.path + (f"?{parts.query}" if parts.query else "")
                if CRAWLED.match(local) and "format=" not in local and local not in seen:
                    pending.append(local)
            elif parts.scheme not in ("mailto", "urn"):
                offsite.append((path, href))
    assert len(seen) > 100 and any(p.startswith("/resource?") for p in seen)
    assert offsite == []


# --- long tables ------------------------------------------------------------------------------


def incoming_labels(text: str) -> list[str]:
    section = text.split('<section id="incoming">', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<a href="/resource\?iri=[^"]+" title="[^"]*">(Company \d+)</a>', section)


def test_a_long_table_is_paged_in_natural_order(big_server: Client) -> None:
    _, first = page(big_server, "/id/CMO")
    shown = incoming_labels(first)
    assert len(shown) <= 100 and shown[:3] == ["Company 1", "Company 2", "Company 3"]
    assert "Company 10" in shown and shown.index("Company 9") < shown.index("Company 10")
    assert 'rel="next" href="?page=2"' in first
    everything: list[str] = []
    for number in (1, 2, 3, 4):
        _, text = page(big_server, "/id/CMO", {"page": str(number)})
        everything += incoming_labels(text)
    assert everything == [f"Company {n}" for n in NUMBERS]
    _, last = page(big_server, "/id/CMO", {"page": "4", "infer": "false"})
    assert 'rel="prev" href="?page=3&amp;infer=false"' in last and 'rel="next"' not in last


# --- a picture --------------------------------------------------------------------------------


def test_search_screenshot(big_server: Client) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("KG_SKIP_BROWSER") == "1":
            pytest.skip("KG_SKIP_BROWSER=1 and no Chromium at /usr/bin/chromium")
        pytest.fail("browser tests need Debian's Chromium at /usr/bin/chromium", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            tab = chromium.new_page(viewport={"width": 1200, "height": 800})
            tab.goto(big_server.url + "/")
            tab.fill("nav.site input[name=q]", "contract")
            tab.press("nav.site input[name=q]", "Enter")
            tab.wait_for_url("**/search?q=contract*")
            assert tab.locator("ol.hits li").count() > 2
            (ROOT / "docs").mkdir(exist_ok=True)
            tab.screenshot(path=str(ROOT / "docs" / "search.png"))
        finally:
            chromium.close()

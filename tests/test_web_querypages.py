# ruff: noqa: F811 -- the kg_server, browser and page fixtures are imported, then named as arguments
"""Named-query pages over real HTTP: the table says what `/api/queries/<name>` says, IRI parameters
offer the resources of their kind, downloads are named `<query>.<extension>`, and a browser asking for
an API URL is sent to the page, never handed an XML download. One Chromium walk from the home page."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.formats import DATASET, FORMATS, GRAPH, RESULTS

from api_fixtures import PKG, kg_server  # noqa: F401
from test_web_pages import browser, page  # noqa: F401
from web_fixtures import Client

ROOT = Path(__file__).resolve().parents[1]
#: What Chromium sends for a page it navigates to (its `application/xml;q=0.9` once picked SPARQL XML).
BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8"
)
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


class Page(HTMLParser):
    """What the tests read of a query page: the answer table's cells (text, href), each field's
    choices (by field id, `select` options or its `datalist`), the download links, the error."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, str | None]]] = []
        self.columns: list[str] = []
        self.choices: dict[str, list[str]] = {}
        self.downloads: list[str] = []
        self.error = ""
        self.sparql = ""
        self._stack: list[str] = []
        self._in_results = self._in_downloads = self._in_error = self._in_sparql = False
        self._cell: list[str] | None = None
        self._href: str | None = None
        self._list: str | None = None
        self.feed(text)
        self.rows = [row for row in self.rows if row]  # the header row holds `th`s only

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "table" and "results" in (a.get("class") or ""):
            self._in_results = True
        elif tag == "section" and a.get("id") == "downloads":
            self._in_downloads = True
        elif tag == "p" and "error" in (a.get("class") or ""):
            self._in_error = True
        elif tag == "pre" and "sparql" in (a.get("class") or ""):
            self._in_sparql = True
        elif tag in ("select", "datalist"):
            self._list = a.get("id", "").removeprefix("param-").removeprefix("choices-")
            self.choices[self._list] = []
        elif tag == "option" and self._list is not None:
            self.choices[self._list].append(a.get("value", ""))
        elif self._in_results and tag == "tr":
            self.rows.append([])
        elif self._in_results and tag in ("td", "th"):
            self._cell, self._href = [], None
        elif tag == "a" and self._cell is not None:
            self._href = a.get("href")
        elif tag == "a" and self._in_downloads:
            self.downloads.append(a["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_results = False
        elif tag == "section":
            self._in_downloads = False
        elif tag == "p":
            self._in_error = False
        elif tag == "pre":
            self._in_sparql = False
        elif tag in ("select", "datalist"):
            self._list = None
        elif tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell).strip()
            if tag == "th":
                self.columns.append(text)
            else:
                self.rows[-1].append((text, self._href))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_error:
            self.error += data
        if self._in_sparql:
            self.sparql += data


def read_page(client: Client, path: str, params=None, status: int = 200) -> Page:
    reply = client.get(path, params)
    assert reply.status == status, reply.text
    assert reply.headers["Content-Type"].startswith("text/html")
    return Page(reply.text)


def api_rows(client: Client, name: str, params=None) -> dict:
    reply = client.get(f"/api/queries/{name}", params, Accept="application/json")
    assert reply.status == 200, reply.text
    return json.loads(reply.body)


# --- the page and its table -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("stages", None),  # no parameters
        ("responsibilities", {"role": "pkg:CMO"}),
        ("stage-responsibilities", {"stage": "pkg:PhaseIIStage"}),
        ("responsible-role", {"name": "data management"}),  # a string parameter
    ],
)
def test_table_matches_the_api_json(kg_server: Client, name: str, params: dict | None) -> None:
    shown = read_page(kg_server, f"/queries/{name}", params)
    api = api_rows(kg_server, name, params)
    assert api["rows"], "a query with no rows would prove nothing"
    assert shown.columns == api["columns"]
    expected = [
        [
            (row[c]["label"], "/id/" + row[c]["value"][len(PKG) :] if row[c]["type"] == "iri" else None)
            if c in row
            else ("", None)
            for c in api["columns"]
        ]
        for row in api["rows"]
    ]
    assert shown.rows == expected


def test_defaults_fill_the_form_and_the_answer(kg_server: Client) -> None:
    shown = read_page(kg_server, "/queries/responsibilities")
    assert [text for text, _ in (row[0] for row in shown.rows)] == ["CRO"] * len(shown.rows)
    assert len(shown.rows) == len(api_rows(kg_server, "responsibilities", {"role": "pkg:CRO"})["rows"])


def test_sparql_text_is_shown_escaped(kg_server: Client) -> None:
    reply = kg_server.get("/queries/responsibilities")
    assert "PREFIX pkg: &lt;https://w3id.org/pharma-kg/id/&gt;" in reply.text
    text = (ROOT / "queries" / "responsibilities.rq").read_text(encoding="utf-8")
    assert Page(reply.text).sparql.strip() == text.strip()
    assert "/api/queries/responsibilities" in reply.text


def members(store, kind: str) -> set[str]:
    return {
        "pkg:" + q.subject.value[len(PKG) :] for q in store.quads(None, RDF_TYPE, ox.NamedNode(PKG + kind))
    }


def test_iri_parameters_offer_resources_of_their_kind(kg_server: Client, store) -> None:
    roles = read_page(kg_server, "/queries/responsibilities").choices["role"]
    assert set(roles) == members(store, "Role") == {"pkg:CMO", "pkg:CRO"}
    stages = members(store, "DevelopmentStage")
    assert len(stages) > 5
    for name, fields in [("stage-responsibilities", ["stage"]), ("stage-is-before", ["first", "second"])]:
        shown = read_page(kg_server, f"/queries/{name}")
        for field in fields:
            assert set(shown.choices[field]) == stages, (name, field)
    anything = set(read_page(kg_server, "/queries/describe-resource").choices["resource"])
    assert {"pkg:QualityControl", "pkg:CRO", "pkg:PhaseIIStage", "pkg:DataManagement"} <= anything
    assert all(choice.startswith("pkg:") for choice in anything)


def test_the_list_links_every_query_and_home_and_nav_lead_there(kg_server: Client) -> None:
    listed = json.loads(kg_server.get("/api/queries", Accept="application/json").body)["queries"]
    index = kg_server.get("/queries").text
    home = kg_server.get("/").text
    for query in listed:
        assert f'href="/queries/{query["name"]}"' in index
        assert f'href="/queries/{query["name"]}"' in home
    assert '<a href="/queries">Named queries</a>' in home


@pytest.mark.parametrize(
    ("path", "params", "status", "said"),
    [
        ("/queries/responsibilites", None, 404, "did you mean responsibilities"),
        ("/queries/responsibilities", {"role": '"bad'}, 400, "parameter 'role' must be an IRI"),
        ("/queries/responsibilities", {"rol": "pkg:CMO"}, 400, "has no parameter 'rol'"),
        ("/queries/responsibilities", [("role", "pkg:CMO"), ("role", "pkg:CRO")], 400, "given 2 times"),
    ],
)
def test_errors_are_messages_on_the_page(kg_server: Client, path, params, status, said) -> None:
    shown = read_page(kg_server, path, params, status)
    assert said in shown.error
    assert not shown.rows


# --- downloads ----------------------------------------------------------------------------------


def disposition(reply) -> str:
    return reply.headers.get("Content-Disposition", "")


def test_page_downloads_are_named_with_their_extension(kg_server: Client) -> None:
    shown = read_page(kg_server, "/queries/responsibilities", {"role": "pkg:CMO"})
    results = [f for f in FORMATS if f.kind == RESULTS]
    assert len(shown.downloads) == len(results)
    for href, fmt in zip(shown.downloads, results, strict=True):
        reply = kg_server.get(href.replace("&amp;", "&"))
        assert reply.status == 200, reply.text
        assert reply.headers["Content-Type"].split(";")[0] == fmt.media_type
        assert disposition(reply) == f'attachment; filename="responsibilities.{fmt.extension}"'
    rows = list(csv.DictReader(io.StringIO(kg_server.get(shown.downloads[2].replace("&amp;", "&")).text)))
    assert len(rows) == len(shown.rows)  # the download is this answer (role=pkg:CMO), not the default's
    assert {row["role"] for row in rows} == {PKG + "CMO"}


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f.kind in (GRAPH, DATASET)], ids=lambda f: f.name)
def test_dumps_are_named_downloads(kg_server: Client, fmt) -> None:
    article = "https://w3id.org/pharma-kg/graph/article"
    reply = kg_server.get("/rdf-graphs", {"graph": article, "format": fmt.extension})
    assert disposition(reply) == f'attachment; filename="article.{fmt.extension}"'
    if fmt.kind == DATASET:
        reply = kg_server.get("/dataset", {"format": fmt.extension})
        assert disposition(reply) == f'attachment; filename="pharma-kg.{fmt.extension}"'


def test_sparql_downloads_only_when_format_is_named(kg_server: Client) -> None:
    text = "SELECT ?s WHERE { ?s a pkg:Role }"
    named = kg_server.query(text, format="tsv")
    assert disposition(named) == 'attachment; filename="query.tsv"'
    negotiated = kg_server.query(text, accept="application/sparql-results+json")
    assert disposition(negotiated) == ""  # SPARQL clients negotiate: an answer, not a download
    assert (
        kg_server.get("/api/queries/stages", Accept="application/json").headers.get("Content-Disposition")
        is None
    )


# --- a browser asking for an API URL ------------------------------------------------------------


def test_a_browser_on_an_api_url_gets_the_page_never_xml(kg_server: Client) -> None:
    reply = kg_server.get("/api/queries/responsibilities", {"role": "pkg:CMO"}, Accept=BROWSER_ACCEPT)
    assert reply.status == 303
    assert reply.headers["Location"] == "/queries/responsibilities?role=pkg%3ACMO"
    followed = kg_server.get(reply.headers["Location"], Accept=BROWSER_ACCEPT)
    assert followed.status == 200 and followed.headers["Content-Type"].startswith("text/html")
    assert len(Page(followed.text).rows) == len(
        api_rows(kg_server, "responsibilities", {"role": "pkg:CMO"})["rows"]
    )


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("*/*", "application/json"),  # curl
        ("", "application/json"),
        ("application/json", "application/json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),  # a program asking for XML
    ],
)
def test_programs_keep_their_answers(kg_server: Client, accept: str, media: str) -> None:
    headers = {"Accept": accept} if accept else {}
    reply = kg_server.get("/api/queries/stages", **headers)
    assert reply.status == 200
    assert reply.headers["Content-Type"].split(";")[0] == media
    if media == "application/json":
        assert json.loads(reply.body)["rows"]


# --- real Chromium ------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_named_query_from_the_home_page_in_chromium(page, kg_server: Client) -> None:
    page.set_viewport_size({"width": 1200, "height": 800})
    page.goto(f"{kg_server.url}/")
    page.locator("#queries").get_by_role("link", name="responsibilities", exact=True).click()
    page.wait_for_url(f"{kg_server.url}/queries/responsibilities")
    api = api_rows(kg_server, "responsibilities", {"role": "pkg:CRO"})
    assert page.locator("table.results tbody tr").count() == len(api["rows"])
    page.select_option("#param-role", "pkg:CMO")
    page.locator("form.query-params button").click()
    page.wait_for_url(f"{kg_server.url}/queries/responsibilities?role=pkg%3ACMO")
    cmo = api_rows(kg_server, "responsibilities", {"role": "pkg:CMO"})
    labels = page.locator("table.results tbody tr td:nth-child(3)").all_inner_texts()
    assert labels == [row["label"]["label"] for row in cmo["rows"]]
    page.screenshot(path=str(ROOT / "docs" / "named-query.png"))
    page.goto(f"{kg_server.url}/api/queries/stages")  # an API URL typed into the browser: the page
    assert page.url == f"{kg_server.url}/queries/stages"
    assert page.locator("table.results tbody tr").count() == len(api_rows(kg_server, "stages")["rows"])


@pytest.mark.browser
@pytest.mark.parametrize(
    "path", ["/queries", "/queries/collaboration", "/queries/describe-resource", "/queries/stage-is-before"]
)
def test_query_pages_do_not_scroll_sideways_at_375px(page, kg_server: Client, path: str) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(kg_server.url + path)
    assert page.locator("h1").count() == 1
    root = "document.documentElement"
    width, client = page.evaluate(f"[{root}.scrollWidth, {root}.clientWidth]")
    assert width <= client, f"{path} is {width}px wide in a {client}px window"

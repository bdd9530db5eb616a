# ruff: noqa: F811 -- fixtures are imported, then named as arguments
"""The query page for people (`/query`) over real HTTP and in real headless Chromium: the editor
(YASGUI, vendored) with JavaScript, the server-rendered form that POSTs without it."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
from playwright.sync_api import expect

from kg.namespaces import QUERY_PREFIXES
from kg.web import DEFAULTS

from api_fixtures import ONTOLOGY, PKG, kg_server  # noqa: F401
from test_web_pages import ARTIFACTS, browser, page, unsafe_hrefs  # noqa: F401
from web_fixtures import Client, Reply, start_server, stop_server

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
    assert all(f'href="/resource?iri={iri}"' in reply.text for iri in safe)


@pytest.mark.browser
def test_query_page_in_chromium_without_javascript(page, kg_server: Client) -> None:
    """The fallback: the form in <noscript> POSTs the query (so a long one fits) and the page answers."""
    page.goto(f"{kg_server.url}/sparql")  # a browser lands on the query page
    assert page.url == f"{kg_server.url}/query"
    assert page.locator("#editor").is_hidden()  # the editor needs JavaScript
    sent = []
    page.on("request", lambda request: sent.append((request.method, request.url, request.post_data)))
    page.fill("textarea#query", STAGES)
    page.click("button[type=submit]")
    assert [(m, u) for m, u, _ in sent if u.endswith("/query")] == [("POST", f"{kg_server.url}/query")]
    assert parse_qs(sent[0][2])["query"] == [STAGES.replace("\n", "\r\n")]  # a form sends CRLF
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


# --- POST: the form's method, so that long queries fit ----------------------------------------

FORM = "application/x-www-form-urlencoded"


def post_query_page(client: Client, body: bytes | str, content_type: str = FORM) -> Reply:
    return client.request("POST", "/query", body=body, headers={"Content-Type": content_type})


def test_the_form_posts_and_a_post_answers_the_same_page(kg_server: Client) -> None:
    no_script = kg_server.get("/query").text.split("<noscript>", 1)[1].split("</noscript>", 1)[0]
    assert re.search(r'<form method="post" action="/query"', no_script)
    by_post = post_query_page(kg_server, urlencode({"query": STAGES, "infer": "false"}))
    by_get = kg_server.get("/query", {"query": STAGES, "infer": "false"})
    assert by_post.status == by_get.status == 200
    assert "<h2>0 rows</h2>" in by_post.text and "<h2>0 rows</h2>" in by_get.text
    assert 'value="false" checked' in by_post.text  # the infer choice is kept, as with GET


@pytest.fixture(scope="module")
def roomy_server(cache_dir) -> Iterator[Client]:
    """The real server with the default request-body limit (the shared test server's is 64 KiB)."""
    process, client = start_server(ONTOLOGY, cache_dir, KG_MAX_BODY=str(DEFAULTS["KG_MAX_BODY"][0]))
    try:
        yield client
    finally:
        stop_server(process)


def test_a_71_kb_query_by_post_is_answered(roomy_server: Client) -> None:
    """As a GET (the form's method before) a query this long is refused before the page sees it."""
    unknown = " ".join(f"pkg:NoSuchResource{i:05d}" for i in range(3030))
    text = (
        "PREFIX pkg: <https://w3id.org/pharma-kg/id/>\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        f"SELECT ?label WHERE {{ VALUES ?s {{ {unknown} pkg:QualityControl }} ?s skos:prefLabel ?label }}"
    )
    assert 71 * 1024 <= len(text.encode()) < 72 * 1024
    assert roomy_server.get("/query", {"query": text}).status in (414, 431)
    reply = post_query_page(roomy_server, urlencode({"query": text}))
    assert reply.status == 200, reply.text[:500]
    answer = reply.text.split('<section id="answer">', 1)[1]
    assert "<h2>1 row</h2>" in answer and "<td>Quality Control</td>" in answer


def test_a_post_is_read_as_strictly_as_a_get(kg_server: Client) -> None:
    bad_utf8 = post_query_page(kg_server, b"query=SELECT%20%28%22%FF%22%20AS%20%3Fx%29%20%7B%7D")
    assert bad_utf8.status == 400 and "UTF-8" in bad_utf8.text
    assert post_query_page(kg_server, "query=ASK {}", "text/plain").status == 415


# --- the editor: YASGUI with JavaScript ---------------------------------------------------------

ACTIVE = ".tabPanel.active"  # YASGUI's panel of the tab shown
#: Collects the page's Content-Security-Policy violations: a blocked script, style or request.
WATCH_CSP = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture
def editor(browser, kg_server: Client) -> Iterator:
    """/query with JavaScript, the editor drawn. Records every request the page makes (`requested`);
    after the test, none may have gone to another host nor been blocked by the page's CSP."""
    context = browser.new_context(viewport={"width": 1200, "height": 800}, accept_downloads=True)
    context.add_init_script(WATCH_CSP)
    tab = context.new_page()
    tab.requested = []
    tab.on("request", lambda request: tab.requested.append((request.method, request.url, request.post_data)))
    tab.goto(f"{kg_server.url}/query")
    tab.locator(f"{ACTIVE} .CodeMirror").wait_for()
    yield tab
    blocked = tab.evaluate("window.cspViolations")
    context.close()
    foreign = [url for _, url, _ in tab.requested if not url.startswith(kg_server.url + "/")]
    assert not foreign, f"requests went to another host: {foreign}"
    assert not blocked, f"the Content-Security-Policy blocked: {blocked}"


def set_query(editor, text: str) -> None:
    """Replace the editor's text (through CodeMirror: typing 70 lines is slow and completes things)."""
    editor.locator(f"{ACTIVE} .CodeMirror").evaluate("(cm, text) => cm.CodeMirror.setValue(text)", text)


def run(editor) -> None:
    """Ctrl+Enter in the editor, then wait for the answer to be drawn."""
    editor.locator(f"{ACTIVE} .CodeMirror").click()
    with editor.expect_response(lambda r: r.url.endswith("/sparql") and r.request.method == "POST"):
        editor.keyboard.press("Control+Enter")
    editor.locator(f"{ACTIVE} .yasr_results").wait_for()


def column(editor, index: int) -> list[str]:
    """The text of one column of the results table's current page (column 1 is the row number)."""
    return editor.locator(f"{ACTIVE} .yasr tbody tr td:nth-child({index + 1})").all_inner_texts()


def expect_info(editor, text: str) -> None:
    """Wait (bounded, Playwright's expect) until the table's status line reads `text`.

    YASR redraws the table after the response arrives: reading it at once can see the last answer.
    """
    expect(editor.locator(f"{ACTIVE} .yasr .dt-info")).to_have_text(text)


@pytest.mark.browser
def test_the_editor_loads_from_this_server_only(editor, kg_server: Client) -> None:
    run(editor)  # the example query: the editor's request to /sparql is among those checked
    urls = [url for _, url, _ in editor.requested]
    assert f"{kg_server.url}/static/vendor/yasgui/yasgui.min.js" in urls
    assert f"{kg_server.url}/static/editor.js" in urls
    assert ("POST", f"{kg_server.url}/sparql") in [(m, u) for m, u, _ in editor.requested]
    assert [url for url in urls if not url.startswith(kg_server.url + "/")] == []
    assert editor.evaluate("window.cspViolations") == []
    assert editor.locator("form.query").count() == 0  # the fallback stays in <noscript>
    csp = kg_server.get("/query").headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self';" in csp and "connect-src 'self';" in csp


@pytest.mark.browser
def test_a_typed_query_runs_with_ctrl_enter_and_shows_its_rows(editor, kg_server: Client) -> None:
    set_query(editor, "")
    editor.locator(f"{ACTIVE} .CodeMirror").click()
    editor.keyboard.type("SELECT ?stage WHERE { pkg:CRO pkg:activeInStage ?stage }")
    text = editor.locator(f"{ACTIVE} .CodeMirror").evaluate("cm => cm.CodeMirror.getValue()")
    assert f"PREFIX pkg: <{PKG}>" in text  # typing an undeclared prefix of ours declares it
    run(editor)
    expected = json.loads(kg_server.query(text, "application/sparql-results+json").body)
    stages = sorted(b["stage"]["value"].removeprefix(PKG) for b in expected["results"]["bindings"])
    assert "PhaseIIStage" in stages
    expect_info(editor, f"Showing 1 to {len(stages)} of {len(stages)} entries")
    assert sorted(cell.removeprefix("pkg:") for cell in column(editor, 1)) == stages
    link = editor.locator(f"{ACTIVE} .yasr a.iri", has_text="pkg:PhaseIIStage")
    assert link.get_attribute("href") == "/id/PhaseIIStage"  # our page, not w3id.org
    editor.evaluate("document.getElementById('editor').scrollIntoView()")
    editor.screenshot(path=str(ARTIFACTS / "editor.png"))  # 1200x800; docs/editor.png is a copy


@pytest.mark.browser
def test_results_sort_page_filter_and_download(editor) -> None:
    items = [f"item-{i:03d}" for i in range(1, 121)]  # more rows than a page (50)
    random.Random(8).shuffle(items)
    values = " ".join(f'"{item}"' for item in items)
    set_query(editor, f"SELECT ?item WHERE {{ VALUES ?item {{ {values} }} }}")
    run(editor)
    expect_info(editor, "Showing 1 to 50 of 120 entries")
    assert column(editor, 1) == items[:50]  # as the answer came
    header = editor.locator(f"{ACTIVE} .yasr thead th", has_text="item")
    first_cell = editor.locator(f"{ACTIVE} .yasr tbody tr td:nth-child(2)").first
    status = editor.locator(f"{ACTIVE} .yasr .dt-info")
    # the table redraws after each click: wait (bounded, Playwright's expect) for the redraw, then read
    header.click()
    expect(first_cell).to_have_text("item-001")
    assert column(editor, 1) == [f"item-{i:03d}" for i in range(1, 51)]
    header.click()
    expect(first_cell).to_have_text("item-120")
    assert column(editor, 1)[:3] == ["item-120", "item-119", "item-118"]
    editor.locator(f"{ACTIVE} .yasr .dt-paging-button.next").click()
    expect(status).to_have_text("Showing 51 to 100 of 120 entries")
    assert column(editor, 1)[0] == "item-070"
    editor.locator(f"{ACTIVE} .yasr .tableFilter").press_sequentially("item-11")
    expect(status).to_have_text("Showing 1 to 10 of 10 entries (filtered from 120 total entries)")
    assert column(editor, 1) == [f"item-{i}" for i in range(119, 109, -1)]
    with editor.expect_download() as download:
        editor.locator(f"{ACTIVE} .yasr_downloadIcon").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["item"] and sorted(r[0] for r in rows[1:]) == sorted(items)


@pytest.mark.browser
def test_the_infer_toggle_sends_infer_false(editor, kg_server: Client) -> None:
    rows = len(
        json.loads(kg_server.query(STAGES, "application/sparql-results+json").body)["results"]["bindings"]
    )
    assert rows > 0
    set_query(editor, STAGES)
    run(editor)
    expect_info(editor, f"Showing 1 to {rows} of {rows} entries")
    editor.uncheck("#infer")
    run(editor)
    expect_info(editor, "Showing 0 to 0 of 0 entries")  # activeInStage is inferred
    bodies = [parse_qs(body) for method, url, body in editor.requested if url.endswith("/sparql")]
    assert [b.get("infer") for b in bodies] == [None, ["false"]]


@pytest.mark.browser
def test_a_named_query_opens_in_its_own_tab_and_runs(editor) -> None:
    editor.locator("#examples a[data-example=stages]").click()
    editor.locator(f"{ACTIVE} .yasr_results").wait_for()
    assert editor.locator(".tabsList .tab.active").inner_text().strip().startswith("stages")
    assert editor.url.endswith("/query")  # no navigation: the editor opened it
    table = editor.locator(f"{ACTIVE} .yasr tbody").inner_text()
    assert "Phase II" in table and "Drug Discovery" in table


@pytest.mark.browser
def test_completion_offers_our_prefixes_and_asks_no_other_host(editor) -> None:
    """YASQE's own lists are prefix.cc's (thousands) and Linked Open Vocabularies' web service."""
    set_query(editor, "")
    editor.locator(f"{ACTIVE} .CodeMirror").click()
    editor.keyboard.type("PREFIX s")
    editor.keyboard.press("Control+Space")
    assert editor.locator(".CodeMirror-hints li").all_inner_texts() == [
        f"{p}: <{QUERY_PREFIXES[p]}>" for p in ("schema", "sh", "skos")
    ]
    editor.keyboard.press("Escape")
    set_query(editor, "")
    editor.keyboard.type("SELECT * WHERE { ?s rdfs:la")  # a property: YASQE would ask LOV
    editor.keyboard.press("Control+Space")
    assert editor.locator(".CodeMirror-hints").count() == 0  # the fixture checks no request left


def test_a_malformed_query_has_its_position_marked_in_the_editor(editor) -> None:
    """The server says "malformed SPARQL at 2:3"; the editor marks that character and its line.
    Mutation: drop the `error` listener in editor.js → no mark."""
    set_query(editor, "SELECT ?s WHERE {\n  ?s ?p\n}")
    editor.locator(f"{ACTIVE} .CodeMirror").click()
    with editor.expect_response(lambda r: r.url.endswith("/sparql") and r.request.method == "POST") as sent:
        editor.keyboard.press("Control+Enter")
    assert sent.value.status == 400
    mark = editor.locator(f"{ACTIVE} .CodeMirror .kg-error-mark")
    mark.first.wait_for()
    assert "malformed SPARQL at" in (mark.first.get_attribute("title") or "")
    assert editor.locator(f"{ACTIVE} .CodeMirror .kg-error-line").count() == 1

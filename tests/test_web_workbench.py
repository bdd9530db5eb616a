# ruff: noqa: F811 -- fixtures are imported, then named as arguments
"""The pictures and the walks for people, over real HTTP: the pipeline SVG on the home page, `/paths`,
`/explain`, and the "inferred" badges that link to proofs.

Expectations come from the data (the packaged sources read through conftest's `store`, or the API of
the same server), never from the drawing code: the stage order is the `pkg:immediatelyPrecedes` chain,
each responsibility's stages are its `pkg:performedInStage` values. Browser tests drive Debian's
Chromium from the home page, with JavaScript off, as a reader without scripts would.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pyoxigraph as ox
import pytest
from markupsafe import escape

from kg.namespaces import expand_curie

from api_fixtures import ONTOLOGY, PKG, kg_server  # noqa: F401
from test_web_pages import browser, page  # noqa: F401
from web_fixtures import Client, start_server, stop_server

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
STAGE, PRECEDES = ox.NamedNode(PKG + "DevelopmentStage"), ox.NamedNode(PKG + "immediatelyPrecedes")
STAGE_ORDER = ox.NamedNode(PKG + "stageOrder")
HAS_RESPONSIBILITY, PERFORMED_IN = (
    ox.NamedNode(PKG + "hasResponsibility"),
    ox.NamedNode(PKG + "performedInStage"),
)
APART = "Not placed in a stage by the sources"


# --- reading pages ----------------------------------------------------------------------------

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


class _Tree(HTMLParser):
    """HTML (with inline SVG) → an ElementTree, tolerant of unclosed elements (`<option>`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = ET.Element("document")
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs) -> None:
        element = ET.SubElement(self.open[-1], tag, {k: v or "" for k, v in attrs})
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs) -> None:
        ET.SubElement(self.open[-1], tag, {k: v or "" for k, v in attrs})

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return

    def handle_data(self, data: str) -> None:
        parent = self.open[-1]
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + data
        else:
            parent.text = (parent.text or "") + data


def tree(text: str) -> ET.Element:
    parser = _Tree()
    parser.feed(text)
    parser.close()
    return parser.root


def text_of(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def classes(element: ET.Element) -> set[str]:
    return set(element.get("class", "").split())


def find(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(tag) if cls in classes(e)]


@dataclass(frozen=True)
class Drawn:
    """A box of an SVG picture: its classes, link, geometry, title (the whole label) and text."""

    kinds: frozenset[str]
    href: str | None
    x: float
    y: float
    w: float
    h: float
    title: str
    text: str

    @property
    def middle(self) -> float:
        return self.y + self.h / 2

    def covers(self, y: float) -> bool:
        return self.y <= y <= self.y + self.h


def boxes(svg: ET.Element) -> list[Drawn]:
    """Every `g.box` of the picture, in document order, with the link around it (if any)."""
    parents = {child: parent for parent in svg.iter() for child in parent}
    found = []
    for g in find(svg, "g", "box"):
        rect, title, parent = g.find("rect"), g.find("title"), parents[g]
        assert rect is not None and title is not None
        x, y, w, h = (float(rect.get(k, "nan")) for k in ("x", "y", "width", "height"))
        href = parent.get("href") if parent.tag == "a" else None
        texts = " ".join(text_of(t) for t in g.findall("text"))
        found.append(Drawn(frozenset(classes(g)), href, x, y, w, h, text_of(title), texts))
    return found


def pipeline_svg(client: Client) -> tuple[str, ET.Element]:
    reply = client.get("/", Accept="text/html")
    assert reply.status == 200, reply.text
    svgs = find(tree(reply.text), "svg", "pipeline")
    assert len(svgs) == 1
    return reply.text, svgs[0]


def page_of(iri: str) -> str:
    assert iri.startswith(PKG)
    return "/id/" + iri[len(PKG) :]


# --- what the data says -----------------------------------------------------------------------


def stage_chain(store) -> list[str]:
    """The stages along `pkg:immediatelyPrecedes`, from the one nothing precedes."""
    stages = {q.subject.value for q in store.quads(None, RDF_TYPE, STAGE)}
    following = {q.subject.value: q.object.value for q in store.quads(None, PRECEDES, None)}
    first = [s for s in stages if s not in following.values()]
    assert len(first) == 1
    chain = first
    while chain[-1] in following:
        chain.append(following[chain[-1]])
    assert sorted(chain) == sorted(stages)
    return chain


def stage_orders(store, chain: list[str]) -> list[int]:
    return [int(next(iter(store.quads(ox.NamedNode(s), STAGE_ORDER, None))).object.value) for s in chain]


def responsibilities(store, role: str) -> dict[str, set[str]]:
    """Each responsibility of the role and the stages it is performed in (empty: placed in none)."""
    duties = [q.object for q in store.quads(ox.NamedNode(PKG + role), HAS_RESPONSIBILITY, None)]
    return {d.value: {q.object.value for q in store.quads(d, PERFORMED_IN, None)} for d in duties}


# --- the pipeline on the home page --------------------------------------------------------------


def stage_boxes(svg: ET.Element) -> list[Drawn]:
    return [b for b in boxes(svg) if "stage" in b.kinds]


def test_pipeline_draws_every_stage_in_order_with_its_link(kg_server: Client, store) -> None:
    _, svg = pipeline_svg(kg_server)
    chain = stage_chain(store)
    assert stage_orders(store, chain) == sorted(stage_orders(store, chain))  # the two orders agree
    drawn = stage_boxes(svg)
    assert [b.href for b in drawn] == [page_of(s) for s in chain]
    assert [b.y for b in drawn] == sorted(b.y for b in drawn) and len({b.y for b in drawn}) == len(drawn)
    labels = [b.title for b in drawn]
    assert labels[:3] == ["1. Drug Discovery stage", "2. Preclinical stage", "3. Phase I"]
    assert labels[-1] == f"{len(chain)}. Post-market Safety Monitoring"
    arrows = [a for a in svg.iter("a") if a.find("g") is not None and "precedes" in classes(a.find("g"))]
    assert [a.get("href") for a in arrows] == ["/id/immediatelyPrecedes"] * (len(chain) - 1)
    for arrow, (above, below) in zip(arrows, pairwise(drawn), strict=True):
        line = arrow.find("g/line")
        assert float(line.get("y1")) >= above.y + above.h and float(line.get("y2")) <= below.y  # between


def role_boxes(svg: ET.Element, role_href: str) -> list[Drawn]:
    return [b for b in boxes(svg) if "role" in b.kinds and b.href == role_href]


def lane_of(svg: ET.Element, role_href: str) -> Drawn:
    """The role's box at the head of its lane, above the stages."""
    first = stage_boxes(svg)[0]
    found = [b for b in role_boxes(svg, role_href) if b.y + b.h < first.y]
    assert len(found) == 1, found
    return found[0]


def test_pipeline_puts_each_responsibility_beside_its_stages(kg_server: Client, store) -> None:
    _, svg = pipeline_svg(kg_server)
    stages = {b.href: b for b in stage_boxes(svg)}
    lane = lane_of(svg, "/id/CRO")
    placed = {iri: at for iri, at in responsibilities(store, "CRO").items() if at}
    assert len(placed) == 5
    for iri, at in placed.items():
        drawn = [b for b in boxes(svg) if b.href == page_of(iri)]
        assert drawn and all("unplaced" not in b.kinds for b in drawn)
        assert all(lane.x <= b.x and b.x + b.w <= lane.x + lane.w for b in drawn)  # under the CRO
        beside = {href for href, stage in stages.items() if any(b.covers(stage.middle) for b in drawn)}
        assert beside == {page_of(s) for s in at}, iri


def test_cmo_responsibilities_are_drawn_apart_and_say_why(kg_server: Client, store) -> None:
    _, svg = pipeline_svg(kg_server)
    cmo = responsibilities(store, "CMO")
    assert len(cmo) == 5 and not any(cmo.values())  # the sources place none of them in a stage
    frame = find(svg, "rect", "apart")
    assert len(frame) == 1
    top, bottom = float(frame[0].get("y")), float(frame[0].get("y")) + float(frame[0].get("height"))
    assert APART in [text_of(t) for t in find(svg, "text", "heading")]
    last_stage = stage_boxes(svg)[-1]
    assert top > last_stage.y + last_stage.h  # below every stage row
    role = role_boxes(svg, "/id/CMO")
    assert len(role) == 1 and top <= role[0].y <= bottom  # the CMO's own box is in the frame, no lane
    for iri in cmo:
        drawn = [b for b in boxes(svg) if b.href == page_of(iri)]
        assert len(drawn) == 1 and "unplaced" in drawn[0].kinds
        assert top <= drawn[0].y and drawn[0].y + drawn[0].h <= bottom
    assert not [b for b in boxes(svg) if "unplaced" in b.kinds and b.href not in map(page_of, cmo)]


def test_pipeline_names_the_organisations_of_each_role(kg_server: Client) -> None:
    _, svg = pipeline_svg(kg_server)
    chips = {b.href: b for b in boxes(svg) if "organisation" in b.kinds}
    cro, [cmo] = lane_of(svg, "/id/CRO"), role_boxes(svg, "/id/CMO")
    # Example CDMO Company plays both roles: it is under each
    research = [b for b in chips.values() if b.title == "Example Research Company"]
    assert research and research[0].href == "/id/ExampleResearchCompany" and research[0].x == cro.x
    under = [b for b in boxes(svg) if b.href == "/id/ExampleCdmoCompany"]
    assert sorted(b.x for b in under) == sorted([cro.x, cmo.x])


# --- user data: a stage, a role, organisations, hostile labels -----------------------------------

USER_DATA = """\
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix pkg: <https://w3id.org/pharma-kg/id/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

pkg:FollowUpStage a pkg:DevelopmentStage ;
  skos:prefLabel "Follow-up <script>alert('stage')</script> & review"@en ;
  skos:definition "An invented stage after post-market monitoring, for tests."@en ;
  dcterms:source <https://example.org/tests> ;
  pkg:stageOrder 8 .

pkg:PostMarketStage pkg:immediatelyPrecedes pkg:FollowUpStage .

pkg:AuditorRole a pkg:Role ;
  skos:prefLabel "Auditor </text><script>alert('role')</script>"@en ;
  skos:definition "An invented role, for tests."@en ;
  dcterms:source <https://example.org/tests> ;
  pkg:hasResponsibility pkg:SiteAudits, pkg:VendorQualification .

pkg:SiteAudits a pkg:Responsibility ;
  skos:prefLabel "Site audits <img src=x onerror=alert(1)>"@en ;
  skos:definition "Auditing trial sites."@en ;
  dcterms:source <https://example.org/tests> ;
  pkg:performedInStage pkg:PhaseIIIStage, pkg:FollowUpStage .

pkg:VendorQualification a pkg:Responsibility ;
  skos:prefLabel "Vendor \\"qualification\\" & <em>audit</em>"@en ;
  skos:definition "Qualifying vendors; the sources place it in no stage."@en ;
  dcterms:source <https://example.org/tests> .

pkg:AcmeTrials a pkg:Organisation ;
  skos:prefLabel "Acme <b>Trials</b>"@en ;
  dcterms:source <https://example.org/tests> ;
  pkg:playsRole pkg:CRO .

pkg:BetaLabs a pkg:Organisation ;
  skos:prefLabel "Beta Labs"@en ;
  dcterms:source <https://example.org/tests> ;
  pkg:playsRole pkg:CRO .
"""
HOSTILE = [
    "<script>alert('stage')</script>",
    "</text><script>alert('role')</script>",
    "<img src=x onerror=alert(1)>",
    "<em>audit</em>",
    "<b>Trials</b>",
]


@pytest.fixture(scope="module")
def user_server(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[Client]:
    """The packaged ontology plus a --data file that adds a stage, a role and organisations."""
    data = tmp_path_factory.mktemp("user-data") / "hostile.ttl"
    data.write_text(USER_DATA, encoding="utf-8")
    process, client = start_server(ONTOLOGY, cache_dir, KG_DATA=str(data), KG_QUERY_TIMEOUT="20")
    try:
        yield client
    finally:
        stop_server(process)


def assert_escaped(text: str) -> None:
    for raw in HOSTILE:
        assert raw not in text and str(escape(raw)) in text, raw


def test_user_data_adds_a_stage_a_role_and_organisations(
    user_server: Client, kg_server: Client, store
) -> None:
    page, svg = pipeline_svg(user_server)
    stages = stage_boxes(svg)
    assert [b.href for b in stages] == [page_of(s) for s in stage_chain(store)] + ["/id/FollowUpStage"]
    assert stages[-1].title == "8. Follow-up <script>alert('stage')</script> & review"
    auditor = lane_of(svg, "/id/AuditorRole")
    assert auditor.title == "Auditor </text><script>alert('role')</script>"
    audits = [b for b in boxes(svg) if b.href == "/id/SiteAudits"]
    by_stage = {b.href: b for b in stages}
    beside = {h for h, s in by_stage.items() if any(b.covers(s.middle) for b in audits)}
    assert beside == {"/id/PhaseIIIStage", "/id/FollowUpStage"}  # two runs: not contiguous
    assert all(auditor.x <= b.x < auditor.x + auditor.w for b in audits)
    apart = [b for b in boxes(svg) if "unplaced" in b.kinds]
    assert "/id/VendorQualification" in [b.href for b in apart]
    [auditor_apart] = [b for b in role_boxes(svg, "/id/AuditorRole") if b != auditor]  # and apart
    assert auditor_apart.y > stages[-1].y
    cro = lane_of(svg, "/id/CRO")
    chips = [b for b in boxes(svg) if "organisation" in b.kinds and b.x == cro.x and b.y > cro.y]
    assert [b.title for b in chips] == [
        "Acme <b>Trials</b>",
        "Beta Labs",
        "Example CDMO Company",
        "+ 1 more organisation",
    ]
    assert [b.href for b in chips] == ["/id/AcmeTrials", "/id/BetaLabs", "/id/ExampleCdmoCompany", "/id/CRO"]
    assert_escaped(page)
    whole = re.search(r'<svg class="pipeline".*?</svg>', page, re.S)
    assert whole is not None
    ET.fromstring(whole[0])  # well-formed XML: every label escaped
    _, packaged = pipeline_svg(kg_server)
    assert "/id/FollowUpStage" not in [b.href for b in boxes(packaged)]  # the data, not the code


def test_hostile_labels_are_escaped_on_paths_and_explain(user_server: Client) -> None:
    found = user_server.get("/paths", {"from": "AcmeTrials", "to": "AuditorRole", "max_depth": "3"})
    assert found.status == 200, found.text
    why = user_server.get(
        "/explain", {"s": "pkg:AuditorRole", "p": "pkg:activeInStage", "o": "pkg:FollowUpStage"}
    )
    assert why.status == 200 and "graph:user/hostile" in why.text, why.text
    for reply in (found, why):
        for raw in HOSTILE:
            assert raw not in reply.text
    # parsed back, the labels are text where they are shown: in the picture, the list and the proof
    root = tree(found.text)
    titles = [b.title for b in boxes(find(root, "svg", "paths")[0])]
    assert "Acme <b>Trials</b>" in titles and "Auditor </text><script>alert('role')</script>" in titles
    assert "Acme <b>Trials</b>" in text_of(find(root, "ol", "paths")[0])
    proof = text_of(find(tree(why.text), "ul", "proof")[0])
    for label in (
        "Auditor </text><script>alert('role')</script>",
        "Site audits <img src=x onerror=alert(1)>",
    ):
        assert label in proof
    unknown = user_server.get("/paths", {"from": "<script>alert(9)</script>", "to": "CRO"})
    assert unknown.status == 400 and "<script>alert(9)" not in unknown.text  # `<…>`: a malformed IRI
    assert "<script>alert(9)</script>" in text_of(find(tree(unknown.text), "div", "problem")[0])


# --- /paths -------------------------------------------------------------------------------------


def api_paths(client: Client, **params: str) -> dict:
    reply = client.get("/api/paths", params, Accept="application/json")
    assert reply.status == 200, reply.text
    return json.loads(reply.body)


def explained_triple(href: str) -> tuple[str, str, str]:
    query = parse_qs(urlsplit(html.unescape(href)).query)
    assert urlsplit(href).path == "/explain"
    return query["s"][0], query["p"][0], query["o"][0]


@pytest.mark.parametrize("directed", ["false", "true"])
def test_paths_page_shows_every_path_and_parallel_edges(kg_server: Client, directed: str) -> None:
    params = {"from": "CRO", "to": "CMO", "max_depth": "1", "directed": directed}
    expected = api_paths(kg_server, **params)["paths"]
    assert len(expected) == 2  # collaboratesWith and handsOverTo: one hop, two facts
    reply = kg_server.get("/paths", params)
    assert reply.status == 200 and reply.headers["Cache-Control"].startswith("public")
    root = tree(reply.text)
    items = find(root, "ol", "paths")[0].findall("li")
    assert len(items) == len(expected)
    for item, path in zip(items, expected, strict=True):
        hrefs = [a.get("href") for a in item.iter("a")]
        nodes = [page_of(n["value"]) for n in path["nodes"]]
        predicates = [page_of(e["predicate"]["value"]) for e in path["edges"]]
        assert [h for h in hrefs if h in nodes] == nodes
        assert [h for h in hrefs if h in predicates] == predicates
        why = [explained_triple(h) for h in hrefs if h.startswith("/explain")]
        assert why == [
            (e["subject"]["curie"], e["predicate"]["curie"], e["object"]["curie"]) for e in path["edges"]
        ]
    svg = find(root, "svg", "paths")[0]
    assert {b.href for b in boxes(svg)} == {"/id/CRO", "/id/CMO"}
    arcs = [a for a in svg.iter("a") if a.find("g") is not None and "arc" in classes(a.find("g"))]
    facts = {
        (e["subject"]["curie"], e["predicate"]["curie"], e["object"]["curie"])
        for p in expected
        for e in p["edges"]
    }
    assert {explained_triple(a.get("href")) for a in arcs} == facts and len(arcs) == len(facts)
    spots = {(t.get("x"), t.get("y")) for a in arcs for t in a.iter("text")}
    assert len(spots) == len(arcs)  # parallel facts: separate arcs, each label in its own place


def test_unknown_and_ambiguous_names_get_close_matches(kg_server: Client) -> None:
    reply = kg_server.get("/paths", {"from": "Quality Controll", "to": "CMO"})
    assert reply.status == 404 and reply.headers["Cache-Control"] == "no-store"
    problem = find(tree(reply.text), "div", "problem")
    assert len(problem) == 1 and "Quality Controll" in text_of(problem[0])
    offered = [a.get("href") for a in problem[0].iter("a")]
    retry = [h for h in offered if "pkg%3AQualityControl" in h or "pkg:QualityControl" in h]
    assert retry, offered
    followed = kg_server.get(html.unescape(retry[0]))
    assert followed.status == 200 and find(tree(followed.text), "ol", "paths")
    ambiguous = kg_server.get("/paths", {"from": "CMO", "to": "Regulatory Compliance"})
    assert ambiguous.status == 400
    links = [a.get("href") for a in find(tree(ambiguous.text), "p", "suggestions")[0].iter("a")]
    assert sorted(parse_qs(urlsplit(html.unescape(h)).query)["to"][0] for h in links) == [
        "pkg:RegulatoryComplianceCriterion",
        "pkg:RegulatoryComplianceResponsibility",
    ]
    for href in links:
        assert parse_qs(urlsplit(html.unescape(href)).query)["from"] == ["CMO"]
    wrong = kg_server.get("/explain", {"s": "CRO", "p": "activeInStag", "o": "Phase II"})
    assert wrong.status == 404 and "pkg:activeInStage" in text_of(find(tree(wrong.text), "div", "problem")[0])


def test_no_path_within_the_depth_offers_one_level_deeper(kg_server: Client) -> None:
    ends = {"from": "Drug Discovery", "to": "pkg:PreclinicalStage"}
    assert api_paths(kg_server, **ends, max_depth="1")["paths"] == []
    assert api_paths(kg_server, **ends, max_depth="2")["paths"] != []
    reply = kg_server.get("/paths", {**ends, "max_depth": "1"})
    assert reply.status == 200
    notice = find(tree(reply.text), "div", "no-path")
    assert len(notice) == 1 and "No path of at most 1 edge between" in text_of(notice[0])
    deeper = [a.get("href") for a in notice[0].iter("a") if "deeper" in text_of(a)]
    assert len(deeper) == 1 and parse_qs(urlsplit(html.unescape(deeper[0])).query)["max_depth"] == ["2"]
    found = kg_server.get(html.unescape(deeper[0]))
    assert len(find(tree(found.text), "ol", "paths")[0].findall("li")) == len(
        api_paths(kg_server, **ends, max_depth="2")["paths"]
    )
    passage = "<https://w3id.org/pharma-kg/source/article#cmo>"  # cites, links nothing: no path at all
    deepest = kg_server.get("/paths", {"from": passage, "to": "CRO", "max_depth": "8"})
    notice = find(tree(deepest.text), "div", "no-path")[0]
    assert "8 edges is the deepest search" in text_of(notice)
    assert not [a for a in notice.iter("a") if "deeper" in text_of(a)]


@pytest.fixture(scope="module")
def no_budget(cache_dir: Path) -> Iterator[Client]:
    """The packaged graph with a time budget of 0 s: every walk step is over budget."""
    process, client = start_server(ONTOLOGY, cache_dir, KG_QUERY_TIMEOUT="0")
    try:
        yield client
    finally:
        stop_server(process)


def test_the_time_budget_cuts_searches_and_proofs_visibly(no_budget: Client) -> None:
    cut = no_budget.get("/paths", {"from": "CRO", "to": "CMO"})
    assert cut.status == 200 and cut.headers["Cache-Control"] == "no-store"
    notice = find(tree(cut.text), "div", "cut")
    assert len(notice) == 1 and "time budget of 0 s used up" in text_of(notice[0])
    assert not find(tree(cut.text), "div", "no-path")  # a cut search never claims there is no path
    late = no_budget.get("/explain", {"s": "CRO", "p": "pkg:activeInStage", "o": "pkg:PhaseIIStage"})
    assert late.status == 503 and late.headers["Retry-After"] == "5"
    assert "Out of time" in late.text and "time budget" in late.text and 'class="proof"' not in late.text
    stated = no_budget.get("/explain", {"s": "CRO", "p": "pkg:hasResponsibility", "o": "pkg:DataManagement"})
    assert stated.status == 200 and "graph:article" in stated.text  # an asserted fact costs no step


# --- /explain -----------------------------------------------------------------------------------


def proof_steps(ul: ET.Element) -> list[tuple[str, list]]:
    """A proof list as (classes of the step, its premises), recursively."""
    found = []
    for li in ul.findall("li"):
        below = li.find("ul")
        found.append((" ".join(sorted(classes(li))), proof_steps(below) if below is not None else []))
    return found


def api_shape(proof: dict) -> tuple[str, list]:
    return (f"status-{proof['status']} step", [api_shape(p) for p in proof.get("premises", [])])


def test_explain_page_shows_every_derivation_down_to_quoted_sources(kg_server: Client) -> None:
    params = {"s": "CRO", "p": "pkg:activeInStage", "o": "pkg:PhaseIIStage"}
    api = json.loads(kg_server.get("/api/explain", params, Accept="application/json").body)
    reply = kg_server.get("/explain", params)
    assert reply.status == 200 and reply.headers["Cache-Control"].startswith("public")
    root = tree(reply.text)
    trees = find(root, "ul", "proof")
    assert len(trees) == api["count"] == len(api["derivations"]) == 2
    for ul, derivation in zip(trees, api["derivations"], strict=True):
        assert proof_steps(ul) == [api_shape(derivation)]
        leaves = find(ul, "li", "status-asserted")
        assert leaves and all("asserted in graph:" in text_of(li) for li in leaves)
    quotes = [text_of(q) for q in root.iter("blockquote")]
    for iri, passage in api["passages"].items():
        if passage["quotation"]:
            assert " ".join(passage["quotation"].split()) in quotes, iri
    assert len(quotes) == len([p for p in api["passages"].values() if p["quotation"]])  # each once
    rules = {a.get("href") for a in find(root, "a", "rule")}
    assert rules == {"https://www.w3.org/TR/owl2-profiles/#Reasoning_in_OWL_2_RL_and_RDF_Graphs_using_Rules"}


def test_explain_says_when_a_triple_is_not_entailed(kg_server: Client) -> None:
    reply = kg_server.get("/explain", {"s": "CMO", "p": "pkg:activeInStage", "o": "pkg:PhaseIIStage"})
    assert reply.status == 404 and reply.headers["Cache-Control"] == "no-store"
    problem = text_of(find(tree(reply.text), "div", "not-entailed")[0])
    assert problem.startswith("Not entailed.") and "neither asserted nor inferred" in problem


def test_explain_shows_more_derivations_on_request(kg_server: Client) -> None:
    params = {"s": "CRO", "p": "pkg:activeInStage", "o": "pkg:PhaseIIStage", "max": "1"}
    root = tree(kg_server.get("/explain", params).text)
    assert len(find(root, "ul", "proof")) == 1
    more = find(root, "p", "more")[0]
    assert "1 more derivation not shown" in text_of(more)
    everything = kg_server.get(html.unescape(next(more.iter("a")).get("href")))
    assert len(find(tree(everything.text), "ul", "proof")) == 2


def href_of(name: str) -> str:
    """Where a page links the term a `/explain` link names (a CURIE or an `<IRI>`)."""
    iri = name[1:-1] if name.startswith("<") else expand_curie(name)
    assert iri is not None, name
    return page_of(iri) if iri.startswith(PKG) else "/resource?iri=" + quote(iri, safe=":/")


def test_every_inferred_badge_links_to_the_proof_of_its_statement(kg_server: Client) -> None:
    index = tree(kg_server.get("/id/").text)
    pages = sorted({a.get("href", "") for a in index.iter("a") if a.get("href", "").startswith("/id/")})
    badges = 0
    for path in pages:
        root = tree(kg_server.get(path).text)
        here = "pkg:" + path.removeprefix("/id/")
        for item in [*root.iter("tr"), *root.iter("li")]:
            for badge in [a for a in item.iter("a") if "inferred" in classes(a)]:
                badges += 1
                s, p, o = explained_triple(badge.get("href", ""))
                assert here in (s, o), (path, s, p, o)  # a statement about this page's resource
                shown = {a.get("href") for a in item.iter("a")}
                other = o if s == here else s
                assert href_of(other) in shown and (href_of(p) in shown or p == "rdf:type"), (path, s, p, o)
                proof = kg_server.get(html.unescape(badge.get("href", "")))
                assert proof.status == 200, (path, badge.get("href"), proof.text)
                assert "inferred" in text_of(find(tree(proof.text), "p", "verdict")[0])
        unlinked = [e for e in root.iter("span") if "inferred" in classes(e)]
        assert len(unlinked) == 1, path  # only the footer's explanation of the badge
    assert badges > 100


# --- in Chromium, from the home page ----------------------------------------------------------


@pytest.mark.browser
def test_a_proof_is_reached_from_the_home_page(page, kg_server: Client) -> None:
    page.goto(f"{kg_server.url}/")
    page.locator('svg.pipeline a[href="/id/CRO"]').click()
    page.wait_for_url(f"{kg_server.url}/id/CRO")
    row = page.locator("#outgoing tr", has=page.locator('a[href="/id/PhaseIIStage"]'))
    row.locator("a.inferred").click()
    page.wait_for_url(re.compile(r".*/explain\?.*"))
    assert page.locator(".statement").inner_text().split() == ["CRO", "pkg:activeInStage", "Phase", "II"]
    assert page.locator("ul.proof").count() == 2
    assert "prp-spo2" in page.locator("ul.proof").first.inner_text()
    assert "CROs, on the other hand, specialize" in page.locator("ul.proof blockquote").first.inner_text()
    page.locator("ul.proof a", has_text="Phase I, II, and III Clinical Trials").first.click()
    page.wait_for_url(f"{kg_server.url}/id/ClinicalTrials")


@pytest.mark.browser
def test_a_path_is_reached_from_the_home_page_with_the_form(page, kg_server: Client) -> None:
    page.goto(f"{kg_server.url}/")
    page.locator("nav.site a", has_text="Paths").click()
    page.wait_for_url(f"{kg_server.url}/paths")
    assert page.locator('datalist#kg-names option[value="CRO"]').count() == 1
    page.fill("#field-from", "CRO")
    page.fill("#field-to", "Phase III clinical trial")  # an alternative label
    page.fill("#field-max_depth", "2")
    page.locator("form.workbench button").click()
    page.wait_for_url(re.compile(r".*/paths\?.*"))
    expected = api_paths(kg_server, **{"from": "CRO", "to": "Phase III clinical trial", "max_depth": "2"})
    assert page.locator("ol.paths > li").count() == len(expected["paths"])
    assert page.locator("svg.paths a").count() > 0
    page.locator("svg.paths g.arc.inferred text").first.click()
    page.wait_for_url(re.compile(r".*/explain\?.*"))
    assert "by the OWL 2 RL reasoner" in page.locator("p.verdict").inner_text()


@pytest.mark.browser
def test_the_pipeline_fits_a_phone_and_links_in_chromium(browser, kg_server: Client, store) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800}, java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto(f"{kg_server.url}/")
        picture = tab.locator("svg.pipeline").bounding_box()
        assert picture and picture["x"] >= 0 and picture["x"] + picture["width"] <= 375
        stages = tab.locator("svg.pipeline g.stage")
        tops = [stages.nth(i).bounding_box()["y"] for i in range(stages.count())]
        assert tops == sorted(tops) and len(tops) == len(stage_chain(store))
        tab.locator('svg.pipeline a[href="/id/PhaseIIStage"]').click()
        tab.wait_for_url(f"{kg_server.url}/id/PhaseIIStage")
        assert tab.locator("h1").inner_text() == "Phase II"
    finally:
        context.close()

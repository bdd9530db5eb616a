# ruff: noqa: F811 -- the kg_server fixture is imported, then named as an argument
"""Per-statement provenance and the audit of the article against the graph.

Four things are kept in step: the article (`../shared/domain/SOURCE.md`), the asserted graphs, the
provenance records (`ontology/provenance.ttl`, graph:provenance) and `docs/audit.md`. Every sentence of
the article is in the audit; every triple the audit lists is in graph:article and every triple of
graph:article is listed, both ways; every statement has a record citing its source (for the article:
the sections of its sentences) and every record names an asserted triple. Then the surfaces: the named
queries, `docs/provenance.md`'s query and answer, resource pages and `kg describe`.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner

from kg import build
from kg.catalog import Catalog
from kg.cli import cli
from kg.errors import ValidationFailed
from kg.namespaces import GRAPH, PKG, shorten
from kg.store import DatasetSpec, Store
from kg.terms import to_ox

from api_fixtures import kg_server  # noqa: F401
from web_fixtures import Client

ROOT = Path(__file__).resolve().parents[1]
#: The article as received: the shared folder beside the repository (in CI too). Missing, tests fail.
SOURCE_MD = Path(__file__).resolve().parents[2] / "shared" / "domain" / "SOURCE.md"
AUDIT = ROOT / "docs" / "audit.md"
PROVENANCE_DOC = ROOT / "docs" / "provenance.md"
QUERIES = ROOT / "queries"

ARTICLE, DOMAIN, EXAMPLES = (GRAPH + name for name in ("article", "domain-knowledge", "examples"))
PROVENANCE = GRAPH + "provenance"
SOURCE = "https://w3id.org/pharma-kg/source/"
SECTION = SOURCE + "article#"
FDA = "https://www.fda.gov/patients/learn-about-drug-and-device-approvals/drug-development-process"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DCTERMS = "http://purl.org/dc/terms/"
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
IS_PART_OF = ox.NamedNode(DCTERMS + "isPartOf")
CITES = ox.NamedNode(DCTERMS + "source")
#: Lines of SOURCE.md that are the carrying site's page noise, not the article (SOURCE.md says so).
NOISE = frozenset(
    {
        "CRO PRICE",
        "cro price Digital currency market information platform",
        "cmo vs cro,Understanding the Distinctions: CMO vs CRO",
    }
)

Triple = tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode, ox.NamedNode | ox.BlankNode | ox.Literal]


def n(local: str) -> ox.NamedNode:
    return ox.NamedNode(PKG + local)


# --- the article, sentence by sentence -----------------------------------------------------------


def article_text() -> str:
    assert SOURCE_MD.is_file(), f"the article's text is missing: expected {SOURCE_MD} (never skipped)"
    return SOURCE_MD.read_text(encoding="utf-8")


def split_sentences(text: str, headings: dict[str, str]) -> list[tuple[str, str]]:
    """(id, sentence) for the article below SOURCE.md's notes: `title`, `intro-N`, `ANCHOR-h` for a
    heading and `ANCHOR-N` for the sentences of a section. Table rows and bullets are one line each."""
    sentences: list[tuple[str, str]] = []
    section, number = None, 0
    for raw in text.split("\n---\n", 1)[1].splitlines():
        line = raw.strip().lstrip("•").strip()
        if not line or line in NOISE:
            continue
        if section is None:
            sentences.append(("title", line))
            section = "intro"
        elif line in headings:
            section, number = headings[line], 0
            sentences.append((f"{section}-h", line))
        else:
            for sentence in re.split(r"(?<=[.!?])\s+", line):
                number += 1  # noqa: SIM113 -- numbering runs on across the lines of a section
                sentences.append((f"{section}-{number}", sentence))
    return sentences


def section_source(sentence_id: str) -> str:
    """The source a statement of this sentence cites: its section, or the article for the opening."""
    anchor = sentence_id.rsplit("-", 1)[0]
    return SOURCE + "article" if sentence_id == "title" or anchor == "intro" else SECTION + anchor


# --- the audit table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]

    @property
    def spans(self) -> list[list[str]]:
        """The code spans of each cell: the triples (or sources) it lists."""
        return [re.findall(r"`([^`]+)`", cell) for cell in self.cells]


def table(text: str, heading: str) -> list[Row]:
    """The rows (header and rule excluded) of the first table under `## heading`."""
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    return [Row(tuple(c.strip() for c in line.strip("|").split(" | "))) for line in lines[2:]]


def audit_prefixes(text: str) -> str:
    return re.search(r"```turtle\n(.*?)```", text, re.S)[1]


def parse_triple(prefixes: str, notation: str) -> Triple:
    (triple,) = rdflib.Graph().parse(data=f"{prefixes}\n{notation} .", format="turtle")
    return tuple(to_ox(term) for term in triple)  # type: ignore[return-value]


def matches(listed: Triple, actual: Triple) -> bool:
    """Equal, or a listed literal ending in `…` is the start of the actual one (a long quotation)."""
    if listed[:2] != actual[:2]:
        return False
    wanted, found = listed[2], actual[2]
    if isinstance(wanted, ox.Literal) and wanted.value.endswith("…") and isinstance(found, ox.Literal):
        return found.value.startswith(wanted.value[:-1]) and found.language == wanted.language
    return wanted == found


def resolve(listed: Triple, graph: set[Triple]) -> Triple | None:
    found = [t for t in graph if matches(listed, t)]
    return found[0] if len(found) == 1 else None


@dataclass
class Audit:
    sentences: list[tuple[str, str]]  # (id, sentence) as the forward table lists them
    notes: dict[str, str]
    forward: dict[str, list[Triple]]  # sentence id -> the triples it lists (as written)
    backward: dict[Triple, tuple[list[str], list[str]]]  # triple -> (sentence ids, record sources)
    unresolved: list[str]  # listed triples not in graph:article


def read_audit(graph: set[Triple]) -> Audit:
    text = AUDIT.read_text(encoding="utf-8")
    prefixes = audit_prefixes(text)
    audit = Audit([], {}, {}, {}, [])

    def actual(notation: str, where: str) -> Triple | None:
        found = resolve(parse_triple(prefixes, notation), graph)
        if found is None:
            audit.unresolved.append(f"{where}: `{notation}`")
        return found

    for row in table(text, "Sentences → triples"):
        sentence_id, sentence, _, note = row.cells
        audit.sentences.append((sentence_id, sentence))
        audit.notes[sentence_id] = note
        found = [actual(t, sentence_id) for t in row.spans[2]]
        audit.forward[sentence_id] = [t for t in found if t is not None]
    for row in table(text, "Triples → sentences"):
        (notation,), _, sources = row.spans
        if (triple := actual(notation, "Triples → sentences")) is not None:
            ids = [i.strip() for i in row.cells[1].split(",")]
            audit.backward[triple] = (ids, [expand(prefixes, s) for s in sources])
    return audit


def expand(prefixes: str, curie: str) -> str:
    declared = dict(re.findall(r"@prefix (\w*): <([^>]+)>", prefixes))
    prefix, _, local = curie.partition(":")
    return declared[prefix] + local


def show(triple: Triple) -> str:
    """A triple as the audit and provenance.ttl write it (CURIEs; literals in N-Triples form)."""

    def term(t) -> str:
        if isinstance(t, ox.NamedNode):
            curie = shorten(t.value)
            return "a" if t.value == RDF + "type" else curie if curie != t.value else f"<{t.value}>"
        text = str(t)
        return text if "\n" not in t.value else '"' + t.value.split("\n")[0] + '…"@' + (t.language or "")

    return " ".join(term(t) for t in triple)


# --- the graphs and the records ------------------------------------------------------------------


def triples(store: Store, graph: str) -> set[Triple]:
    return {(q.subject, q.predicate, q.object) for q in store.quads(graphs=[graph])}


def bookkeeping(store: Store, graph: str, triple: Triple) -> bool:
    """A resource's own dcterms:source, or a triple describing a source (the graph, what its triples
    cite, and the passages that are part of those): provenance, not a statement of a source."""
    cited = {ox.NamedNode(graph)} | {q.object for q in store.quads(None, CITES, None, [graph])}
    parts = {q.subject for q in store.quads(None, IS_PART_OF, None, [graph]) if q.object in cited}
    return triple[1] == CITES or triple[0] in cited | parts


def statements(store: Store, graph: str) -> set[Triple]:
    return {t for t in triples(store, graph) if not bookkeeping(store, graph, t)}


def records(store: Store) -> dict[Triple, set[str]]:
    """The triple each record in graph:provenance names -> the sources it cites."""
    answer = store.query(
        f"""SELECT ?s ?p ?o ?source WHERE {{ GRAPH <{PROVENANCE}> {{
          ?r a <{RDF}Statement> ; <{RDF}subject> ?s ; <{RDF}predicate> ?p ; <{RDF}object> ?o ;
             <{DCTERMS}source> ?source }} }}"""
    )
    found: dict[Triple, set[str]] = defaultdict(set)
    for row in answer:
        found[(row["s"], row["p"], row["o"])].add(row["source"].value)
    return dict(found)


def record_line(triple: Triple, sources: set[str]) -> str:
    cited = ", ".join(s if s.startswith("<") else f"<{s}>" for s in sorted(sources))
    s, p, o = show(triple).split(" ", 2)
    p = "rdf:type" if p == "a" else p
    named = f"[] a rdf:Statement ; rdf:subject {s} ; rdf:predicate {p} ; rdf:object {o}"
    return f"{named} ; dcterms:source {cited} ."


@pytest.fixture(scope="module")
def article(store: Store) -> set[Triple]:
    return triples(store, ARTICLE)


@pytest.fixture(scope="module")
def sentences(store: Store) -> list[tuple[str, str]]:
    """The article's sentences, sectioned by the headings its passages carry (rdfs:label)."""
    passages = {q.subject for q in store.quads(None, IS_PART_OF, None, [ARTICLE])}
    headings = {
        q.object.value: q.subject.value.rsplit("#", 1)[1]
        for p in passages
        for q in store.quads(p, RDFS_LABEL, None, [ARTICLE])
    }
    return split_sentences(article_text(), headings)


@pytest.fixture(scope="module")
def audit(article: set[Triple]) -> Audit:
    return read_audit(article)


# --- the audit against the article and the graph -------------------------------------------------


def test_the_article_is_split_into_its_sentences(sentences: list[tuple[str, str]]) -> None:
    ids = dict(sentences)
    assert ids["title"] == "Understanding the Distinctions: CMO vs CRO"
    assert ids["cmo-h"] == "CMO: The Production Specialists"
    assert ids["collaboration-5"].startswith("Cost Savings: Collaborating with a CRO")
    assert ids["conclusion-1"] == "CMOs and CROs play critical"
    assert not any(text in NOISE or text.startswith("•") for text in ids.values())
    assert len(sentences) == len(ids) == 39


def test_every_sentence_of_the_article_is_in_the_audit(sentences, audit: Audit) -> None:
    missing = [f"{i}: {s}" for i, s in sentences if (i, s) not in audit.sentences]
    invented = [f"{i}: {s}" for i, s in audit.sentences if (i, s) not in sentences]
    assert not missing, "sentences of the article missing from docs/audit.md:\n" + "\n".join(missing)
    assert not invented, "rows of docs/audit.md that are not sentences of the article:\n" + "\n".join(
        invented
    )
    assert audit.sentences == sentences, "the audit lists the sentences in the article's order"


def test_every_listed_triple_is_in_the_article_graph(audit: Audit) -> None:
    assert not audit.unresolved, "listed in docs/audit.md but not in graph:article:\n" + "\n".join(
        audit.unresolved
    )


def test_every_article_triple_is_listed_both_ways(article: set[Triple], audit: Audit) -> None:
    mapped: dict[Triple, list[str]] = defaultdict(list)
    for sentence_id, listed in audit.forward.items():
        for triple in listed:
            mapped[triple].append(sentence_id)
    unmapped = sorted(show(t) for t in article - set(mapped))
    assert not unmapped, "triples of graph:article under no sentence of docs/audit.md:\n" + "\n".join(
        unmapped
    )
    absent = sorted(f"| `{show(t)}` | {', '.join(mapped[t])} |" for t in article - set(audit.backward))
    assert not absent, "rows missing from 'Triples → sentences' in docs/audit.md:\n" + "\n".join(absent)
    wrong = [
        f"`{show(t)}`: {', '.join(ids)} (the sentences say {', '.join(mapped[t])})"
        for t, (ids, _) in audit.backward.items()
        if sorted(ids) != sorted(mapped[t])
    ]
    assert not wrong, "'Triples → sentences' disagrees with 'Sentences → triples':\n" + "\n".join(wrong)


def test_a_sentence_without_triples_says_why(audit: Audit) -> None:
    silent = [i for i, listed in audit.forward.items() if not listed and not audit.notes[i].strip()]
    assert not silent, f"sentences that encode nothing and do not say why: {silent}"


def test_the_summary_counts_are_true(sentences, article: set[Triple], store: Store) -> None:
    summary = AUDIT.read_text(encoding="utf-8").split("## Summary", 1)[1].split("\n## ", 1)[0]
    said = {
        key: int(value)
        for value, key in re.findall(r"(\d+) (sentences|triples|statements|bookkeeping)", summary)
    }
    told = statements(store, ARTICLE)
    assert said == {
        "sentences": len(sentences),
        "triples": len(article),
        "statements": len(told),
        "bookkeeping": len(article) - len(told),
    }


# --- the records against the graphs and the audit ------------------------------------------------


def expected_sources(store: Store, audit: Audit) -> dict[Triple, set[str]]:
    """Every statement of the three data graphs and the sources its record must cite: for the article,
    the sections of its sentences in the audit (none known when the audit misses it); for domain
    knowledge the FDA page; for the examples the examples resource."""
    by_sentence: dict[Triple, set[str]] = defaultdict(set)
    for sentence_id, listed in audit.forward.items():
        for triple in listed:
            by_sentence[triple].add(section_source(sentence_id))
    expected = {t: by_sentence.get(t, set()) for t in statements(store, ARTICLE)}
    expected |= {t: {FDA} for t in statements(store, DOMAIN)}
    expected |= {t: {SOURCE + "illustrative-examples"} for t in statements(store, EXAMPLES)}
    return expected


def test_every_statement_has_its_record(store: Store, audit: Audit) -> None:
    """Every statement has a record; an article statement's cites the sections of its sentences."""
    found = records(store)
    wrong = [
        record_line(t, sources or {"<its section: map it in docs/audit.md first>"})
        for t, sources in expected_sources(store, audit).items()
        if t not in found or (sources and found[t] != sources)
    ]
    assert not wrong, "ontology/provenance.ttl needs these records (or these sources):\n" + "\n".join(
        sorted(wrong)
    )


def test_every_record_names_an_asserted_statement(store: Store, audit: Audit) -> None:
    told = set(expected_sources(store, audit))
    stale = sorted(show(t) for t in set(records(store)) - told)
    assert not stale, (
        "records naming no statement of the article, domain knowledge or examples:\n" + "\n".join(stale)
    )


def test_the_audit_names_each_records_sources(store: Store, audit: Audit) -> None:
    found = records(store)
    wrong = [
        f"`{show(t)}`: the audit says {sources or 'bookkeeping'}, the record cites {found.get(t, 'nothing')}"
        for t, (_, sources) in audit.backward.items()
        if set(sources) != found.get(t, set())
    ]
    assert not wrong, "\n".join(wrong)


def test_record_shape_is_validated(tmp_path: Path) -> None:
    """A record with two objects and no source fails `kg validate` with the shape's messages."""
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix pkg: <https://w3id.org/pharma-kg/id/> .\n"
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
        "[] rdf:subject pkg:CMO ; rdf:predicate pkg:collaboratesWith ; rdf:object pkg:CRO , pkg:CMO .\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed) as failed:
        build.check(extra=(bad,))
    message = str(failed.value)
    assert "2 SHACL violation(s)" in message
    assert "rdf:object: A statement record names exactly one rdf:object" in message
    assert "dcterms:source: A statement record cites its source" in message


# --- what the audit added -------------------------------------------------------------------------


def test_the_facts_the_audit_added_are_stated_with_their_section(store: Store) -> None:
    found = records(store)
    for triple in [
        (n("CostSavingsBenefit"), n("broughtBy"), n("CRO")),
        (n("CMO"), n("manufactures"), n("PromisingDrugCandidate")),
        (n("ExpertiseBenefit"), n("broughtBy"), n("CMO")),
        (n("ReducedTimeToMarketBenefit"), n("broughtBy"), n("CRO")),
    ]:
        assert triple in triples(store, ARTICLE), triple
        assert found[triple] == {SECTION + "collaboration"}, triple


def test_a_role_manufactures_what_its_responsibilities_produce(store: Store) -> None:
    """prp-spo2 over pkg:manufactures (hasResponsibility ∘ produces), in the inferred graph only."""
    for product in ("ActivePharmaceuticalIngredient", "ChemicalIntermediate", "FinishedDosageForm"):
        quads = store.quads(n("CMO"), n("manufactures"), n(product))
        assert {q.graph_name.value for q in quads} == {store.inferred_graph}, product
    assert not list(store.quads(n("CRO"), n("manufactures"), None))


# --- the named queries ----------------------------------------------------------------------------


def run(store: Store, name: str, **params: str) -> list[dict[str, str]]:
    named = Catalog(QUERIES).get(name)
    answer = store.query(named.text, DatasetSpec(), named.bind(params))
    return [{v.value: row[v].value for v in answer.variables if row[v] is not None} for row in answer]


def test_statement_provenance_cites_the_statements_own_section(store: Store) -> None:
    """The issue's case: the statement cites #collaboration although its subject cites #cmo."""
    rows = run(store, "statement-provenance", resource="pkg:CMO")
    sources = defaultdict(set)
    for row in rows:
        sources[(row["subject"], row["property"], row["value"])].add(row.get("source"))
    assert sources[(PKG + "CMO", PKG + "collaboratesWith", PKG + "CRO")] == {SECTION + "collaboration"}
    assert sources[(PKG + "CMO", DCTERMS + "source", SECTION + "cmo")] == {None}  # bookkeeping
    assert sources[(PKG + "CMO", PKG + "hasResponsibility", PKG + "QualityControl")] == {SECTION + "cmo"}
    assert sources[(PKG + "ExampleCdmoCompany", PKG + "playsRole", PKG + "CMO")] == {
        SOURCE + "illustrative-examples"
    }
    labels = {row["source"]: row["sourceLabel"] for row in rows if "source" in row}
    assert labels[SECTION + "collaboration"] == "Collaboration and Synergy"


def test_section_statements_are_those_of_the_section(store: Store) -> None:
    rows = run(store, "section-statements", section="collaboration")
    found = {(r["subject"], r["property"], r["value"]) for r in rows}
    assert (PKG + "CMO", PKG + "collaboratesWith", PKG + "CRO") in found
    assert (PKG + "CostSavingsBenefit", PKG + "broughtBy", PKG + "CRO") in found
    assert not any(p == PKG + "hasResponsibility" for _, p, _ in found)  # that is #cmo's
    assert {r["graph"] for r in rows} == {ARTICLE}
    by_title = run(store, "section-statements", section="collaboration and synergy")
    assert {(r["subject"], r["property"], r["value"]) for r in by_title} == found
    fda = run(store, "section-statements", section=FDA)
    assert {r["graph"] for r in fda} == {DOMAIN} and len(fda) == len(statements(store, DOMAIN))
    opening = {
        (r["subject"], r["property"]) for r in run(store, "section-statements", section="introduction")
    }
    assert (PKG + "CMO", "http://www.w3.org/2004/02/skos/core#altLabel") in opening


def test_the_documented_query_gives_the_documented_answer(store: Store) -> None:
    text = PROVENANCE_DOC.read_text(encoding="utf-8")
    query = re.search(r"```sparql\n(.*?)```", text, re.S)[1]
    shown = [row.cells for row in table_after(text, "Its answer")]

    def cell(term) -> str:
        return f"`{shorten(term.value)}`" if isinstance(term, ox.NamedNode) else term.value

    answer = store.query(query, DatasetSpec())
    assert shown == [tuple(cell(row[v]) for v in answer.variables) for row in answer]
    assert ("`pkg:CMO`", "`pkg:collaboratesWith`", "`pkg:CRO`") in shown


def table_after(text: str, marker: str) -> list[Row]:
    lines = text.split(marker, 1)[1].split("\n\n", 2)[1].splitlines()
    return [Row(tuple(c.strip() for c in line.strip("|").split(" | "))) for line in lines[2:]]


# --- where the sources show: resource pages and kg describe ---------------------------------------


class _Rows(HTMLParser):
    """The rows of a page's link tables: (section id, [cell texts], [source hrefs])."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, list[str], list[str]]] = []
        self.ids: set[str] = set()
        self._section = ""
        self._row: tuple[str, list[str], list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(found["id"] or "")
        if tag == "section":
            self._section = found.get("id") or ""
        elif tag == "tr":
            self._row = (self._section, [], [])
        elif tag == "td" and self._row is not None:
            self._row[1].append("")
        elif tag == "a" and self._row is not None and found.get("class") == "source":
            self._row[2].append(found.get("href") or "")

    def handle_data(self, data: str) -> None:
        if self._row is not None and self._row[1]:
            self._row[1][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row is not None:
            section, cells, hrefs = self._row
            if cells:
                self.rows.append((section, [" ".join(c.split()) for c in cells], hrefs))
            self._row = None


def page_rows(client: Client, local: str) -> _Rows:
    reply = client.get(f"/id/{local}", Accept="text/html")
    assert reply.status == 200, reply.text
    parsed = _Rows()
    parsed.feed(reply.text)
    return parsed


def row_of(page: _Rows, section: str, predicate: str, other: str) -> tuple[str, list[str], list[str]]:
    (found,) = [
        r for r in page.rows if r[0] == section and r[1][0] == predicate and r[1][1].startswith(other)
    ]
    return found


def test_resource_page_shows_each_statements_source(kg_server: Client) -> None:
    page = page_rows(kg_server, "CMO")
    _, cells, hrefs = row_of(page, "outgoing", "collaborates with", "CRO")
    assert cells[2] == "Collaboration and Synergy" and hrefs == ["/id/CMO#source-collaboration"]
    _, cells, hrefs = row_of(page, "outgoing", "has responsibility", "Quality Control")
    assert cells[2] == "CMO: The Production Specialists" and hrefs == ["/id/CMO#source-cmo"]
    _, cells, hrefs = row_of(page, "incoming", "plays role", "Example CDMO Company")
    assert hrefs == ["/id/CMO#source-illustrative-examples"]
    _, cells, hrefs = row_of(page, "incoming", "is responsibility of", "Quality Control")
    assert cells[1].endswith("inferred") and cells[2].strip() == "" and hrefs == []
    # every source a row links to is quoted or named on the page, and no record shows as a link
    anchors = {href.split("#", 1)[1] for _, _, hrefs in page.rows for href in hrefs}
    assert {"source-cmo", "source-collaboration", "source-choosing-a-partner"} <= anchors <= page.ids
    assert not any(
        cells[0].startswith("rdf:") or cells[0] in ("subject", "object") for _, cells, _ in page.rows
    )


def test_resource_page_of_a_stage_cites_the_fda(kg_server: Client) -> None:
    page = page_rows(kg_server, "PhaseIIStage")
    _, cells, hrefs = row_of(page, "outgoing", "immediately precedes", "Phase III")
    assert cells[2] == "The Drug Development Process (U.S. FDA)"
    assert hrefs == ["/id/PhaseIIStage#source-drug-development-process"]


def describe(cache_dir: Path, *args: str) -> str:
    done = CliRunner().invoke(cli, ["--cache-dir", str(cache_dir), "describe", *args], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    return done.output


def test_describe_shows_each_statements_source(cache_dir: Path) -> None:
    lines = describe(cache_dir, "CMO").splitlines()
    assert lines[2].split() == ["dir", "predicate", "value", "source"]

    def line(predicate: str, value: str) -> str:
        (found,) = [x for x in lines if x.split()[:2] == ["out", predicate] and f"  {value}  " in x]
        return found

    assert line("pkg:collaboratesWith", "CRO").rstrip().endswith("  Collaboration and Synergy")
    assert (
        line("pkg:hasResponsibility", "Quality Control")
        .rstrip()
        .endswith("  CMO: The Production Specialists")
    )
    assert not any(" rdf:subject " in x or " rdf:object " in x for x in lines)


def test_describe_json_gives_each_edge_its_sources(cache_dir: Path) -> None:
    edges = json.loads(describe(cache_dir, "CostSavingsBenefit", "--json"))["edges"]
    by_predicate = {(e["predicate"]["value"], e["direction"]): e for e in edges}
    brought = by_predicate[(PKG + "broughtBy", "out")]
    assert brought["object"]["value"] == PKG + "CRO"
    assert brought["sources"] == [{"iri": SECTION + "collaboration", "label": "Collaboration and Synergy"}]
    assert by_predicate[(DCTERMS + "source", "out")]["sources"] == []
    assert all(e["predicate"]["value"] not in (RDF + "subject", RDF + "object") for e in edges)

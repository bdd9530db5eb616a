"""Pages cost what they show, not the size of the data: a hub's page reads one page of its statements.

The data: the packaged ontology plus `HUB` organisations (another namespace) playing the CRO role, so
`/id/CRO` has thousands of incoming `pkg:playsRole` statements. The store is wrapped in a proxy that
counts the quads Python reads from it (and the SPARQL queries it asks), so the bound is asserted on work done,
never on wall-clock time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.resolve import label
from kg.web import create_app, pages

HUB = 3000
ORG = "http://example.org/org/"
PKG = "https://w3id.org/pharma-kg/id/"
PKG_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


class Counting:
    """A store that counts the quads read through it, and the SPARQL queries asked of it."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.read = 0
        self.queries = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def quads(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for quad in self._store.quads(*args, **kwargs):
            self.read += 1
            yield quad

    def query(self, *args: Any, **kwargs: Any) -> Any:
        self.queries += 1  # answered by the store; what Python reads of them is LIMITed by the page
        return self._store.query(*args, **kwargs)


@pytest.fixture(scope="module")
def hub_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("hub")
    data = folder / "hub.ttl"
    lines = [
        "@prefix pkg: <https://w3id.org/pharma-kg/id/> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        f"@prefix org: <{ORG}> .",
    ]
    for n in range(1, HUB + 1):
        lines.append(f'org:o{n} a pkg:Organisation ; skos:prefLabel "Hub member {n}"@en ;')
        lines.append("  dcterms:source <https://example.org/tests> ; pkg:playsRole pkg:CRO .")
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cache = folder / "cache"
    build(None, (data,), cache=cache)
    return data, cache


@pytest.fixture
def client(hub_data: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch):
    data, cache = hub_data
    monkeypatch.setenv("KG_CACHE_DIR", str(cache))
    monkeypatch.setenv("KG_DATA", str(data))
    app = create_app()
    counting = Counting(app.extensions["kg"].store)
    app.extensions["kg"].store = counting
    label(counting, ox.NamedNode(ORG + "o1"))  # the label index: built once per store, read per row after
    counting.read = 0
    return app.test_client(), counting


def incoming(text: str) -> list[str]:
    section = text.split('<section id="incoming">', 1)[1].split("</section>", 1)[0]
    return re.findall(r">(Hub member \d+)</a>", section)


def test_a_hub_page_reads_one_page_of_its_members(client) -> None:
    test_client, counting = client
    reply = test_client.get("/id/CRO", headers={"Accept": "text/html"})
    assert reply.status_code == 200
    text = reply.get_data(as_text=True)
    section = text.split('<section id="incoming">', 1)[1].split("</section>", 1)[0]
    assert section.count("<tr") - 1 == pages.PAGE_ROWS  # a header row, then one page of rows
    assert len(incoming(text)) > pages.PAGE_ROWS // 2  # most of them the hub's members
    match = re.search(r"Rows 1–100 of (\d+) \(page 1 of (\d+)\)", text)
    assert match is not None
    total = int(match[1])
    assert total >= HUB and int(match[2]) == -(-total // pages.PAGE_ROWS)
    # O(page), not O(hub): what the CRO itself states, one page of members, a few lookups per row
    assert counting.read < HUB / 2, counting.read
    assert "+ " in text and " more</text>" in text  # the drawing counts the rest


def test_a_hub_is_paged_through_every_member_once(client) -> None:
    test_client, counting = client
    first = test_client.get("/id/CRO", headers={"Accept": "text/html"}).get_data(as_text=True)
    total, pages_ = (int(n) for n in re.search(r"of (\d+) \(page 1 of (\d+)\)", first).groups())  # type: ignore[union-attr]
    members: list[str] = []
    for number in range(1, pages_ + 1):
        counting.read = 0
        text = test_client.get(f"/id/CRO?page={number}", headers={"Accept": "text/html"}).get_data(
            as_text=True
        )
        assert counting.read < HUB / 2, (number, counting.read)
        members += incoming(text)
    assert len(members) == len(set(members)) == HUB
    assert sorted(members) == sorted(f"Hub member {n}" for n in range(1, HUB + 1))
    last = test_client.get(f"/id/CRO?page={pages_}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'rel="next"' not in last and 'rel="prev"' in last
    assert f"of {total} (page {pages_} of {pages_})" in last


def test_a_member_page_is_small_and_names_its_role(client) -> None:
    test_client, counting = client
    text = test_client.get(f"/resource?iri={ORG}o7", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Hub member 7" in text and 'id="connections"' in text
    assert counting.read < 200, counting.read


def test_the_index_lists_a_bounded_number_per_kind_with_the_true_count(tmp_path, monkeypatch) -> None:
    """Users' data in our namespace: /id/ counts every resource per kind, lists INDEX_PER_KIND of them,
    and reads labels for those only. Mutation: no cap → 40 names listed and the read bound fails."""
    lines = [
        "@prefix pkg: <https://w3id.org/pharma-kg/id/> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
    ]
    for n in range(1, 41):
        lines.append(f'pkg:IndexOrg{n} a pkg:Organisation ; skos:prefLabel "Index org {n}"@en ;')
        lines.append("  dcterms:source <https://example.org/tests> ; pkg:playsRole pkg:CMO .")
    data = tmp_path / "ours.ttl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("KG_DATA", str(data))
    monkeypatch.setattr(pages, "INDEX_PER_KIND", 5)
    app = create_app()
    store = app.extensions["kg"].store
    organisations = {
        q.subject
        for q in store.quads(
            None, ox.NamedNode(PKG_RDF_TYPE), ox.NamedNode(PKG + "Organisation"), store.asserted_graphs
        )
    }
    counting = Counting(store)
    app.extensions["kg"].store = counting
    text = app.test_client().get("/id/").get_data(as_text=True)
    section = next(
        s for s in text.split('<section class="kind"')[1:] if ">Organisation<" in s.split("</h2>")[0]
    )
    assert f"({len(organisations)})" in section.split("</h2>")[0]  # the true count, not the shown one
    assert len(re.findall(r"<li>", section)) == 5
    assert f"5 of {len(organisations)} shown" in section
    filtered = app.test_client().get("/id/", query_string={"filter": "Index org 7"}).get_data(as_text=True)
    assert "Index org 7<" in filtered and "Index org 8<" not in filtered
    assert counting.read < 40 * 4, counting.read  # labels for the names shown, not for every resource
    monkeypatch.setattr(pages, "INDEX_SCAN_QUADS", 0)  # as on a large store: counted and listed per kind
    large = app.test_client().get("/id/").get_data(as_text=True)
    section = next(
        s for s in large.split('<section class="kind"')[1:] if ">Organisation<" in s.split("</h2>")[0]
    )
    assert f"({len(organisations)})" in section.split("</h2>")[0]
    assert len(re.findall(r"<li>", section)) == 5 and f"5 of {len(organisations)} shown" in section
    assert "resources without a kind are not listed here" in large

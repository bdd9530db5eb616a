"""`kg export`: the VoID says what the file holds, files honour the umask, rdflib's format names work,
and the documents people read are grouped by subject and prefixed (JSON-LD with an @context)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections import Counter

import pyoxigraph as ox
import pytest

from kg.export import dataset_iri, export
from kg.formats import DATASET, GRAPH, lookup

PKG = "https://w3id.org/pharma-kg/id/"
GRAPHS = "https://w3id.org/pharma-kg/graph/"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PARSERS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}


def dump(store, name: str, which: str = "all", void: bool = True) -> bytes:
    out = io.BytesIO()
    export(store, out, lookup(name, (GRAPH, DATASET)), which, void)
    return out.getvalue()


def parsed(store, name: str, which: str = "all", void: bool = True) -> list[ox.Quad]:
    fmt = lookup(name, (GRAPH, DATASET))
    return list(ox.parse(dump(store, name, which, void), format=PARSERS[fmt.name]))


def kg(*args: str, umask: int | None = None, cwd=None) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        preexec_fn=None if umask is None else (lambda: os.umask(umask)),
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


# --- the VoID describes the file ------------------------------------------------------------------


def _void(quads: list[ox.Quad], which: str) -> tuple[int, set[str], set[str]]:
    """(void:triples of the exported dataset, its void:subset graphs, every graph IRI the file names)."""
    dataset = ox.NamedNode(dataset_iri(which))
    described = [q for q in quads if q.subject == dataset]
    (count,) = [int(q.object.value) for q in described if q.predicate.value == VOID + "triples"]
    subsets = {q.object.value for q in described if q.predicate.value == VOID + "subset"}
    named = {t.value for q in quads for t in (q.subject, q.object) if isinstance(t, ox.NamedNode)} | {
        q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)
    }
    return count, subsets, {iri for iri in named if iri.startswith(GRAPHS)}


@pytest.mark.parametrize("which", ["asserted", "inferred", "all"])
@pytest.mark.parametrize("name", ["nquads", "turtle"])
def test_void_counts_and_lists_only_what_the_file_holds(store, name, which):
    with_void = parsed(store, name, which)
    data = parsed(store, name, which, void=False)
    count, subsets, named = _void(with_void, which)
    assert count == len(data)  # the statements before the description, not the whole store
    expected = {
        "asserted": set(store.asserted_graphs),
        "inferred": {store.inferred_graph},
        "all": set(store.graphs()),
    }[which]
    assert subsets == expected
    if which == "asserted":
        assert store.inferred_graph not in named  # not even as a description
    sizes = {
        q.subject.value: int(q.object.value)
        for q in with_void
        if q.predicate.value == VOID + "triples" and q.subject.value in expected
    }
    assert sizes == {g: store.count(g) for g in expected}


def test_the_asserted_export_does_not_claim_the_whole_dataset(store):
    quads = parsed(store, "ntriples", "asserted")
    whole = ox.NamedNode(dataset_iri("all"))
    assert not any(q.subject == whole for q in quads)
    title = next(
        q.object.value
        for q in quads
        if q.subject.value == dataset_iri("asserted") and "title" in q.predicate.value
    )
    assert title == "pharma-kg: asserted graphs"


# --- files honour the umask -----------------------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_exported_files_get_the_mode_the_umask_gives(cache_dir, tmp_path, umask, mode):
    target = tmp_path / "dump.nt"
    done = kg("--cache-dir", str(cache_dir), "export", "--format", "nt", "-o", str(target), umask=umask)
    assert done.returncode == 0, done.stderr
    assert target.stat().st_mode & 0o777 == mode
    assert [p.name for p in tmp_path.iterdir()] == ["dump.nt"]  # no temporary file left behind


def test_an_existing_file_keeps_its_mode(cache_dir, tmp_path):
    target = tmp_path / "dump.nt"
    target.write_text("old\n")
    target.chmod(0o664)
    done = kg("--cache-dir", str(cache_dir), "export", "--format", "nt", "-o", str(target), umask=0o077)
    assert done.returncode == 0, done.stderr
    assert target.stat().st_mode & 0o777 == 0o664 and target.read_text() != "old\n"


# --- rdflib's format names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("xml", "rdfxml"),
        ("pretty-xml", "rdfxml"),
        ("n3", "turtle"),
        ("json-ld", "jsonld"),
        ("json", "jsonld"),
        ("nt", "ntriples"),
        ("nt11", "ntriples"),
        ("ttl", "turtle"),
        ("turtle", "turtle"),
        ("nquads", "nquads"),
        ("trig", "trig"),
    ],
)
def test_rdflib_format_names_are_accepted_for_rdf(name, fmt):
    assert lookup(name, (GRAPH, DATASET)).name == fmt


def test_xml_and_json_still_mean_results_where_results_apply():
    assert lookup("xml").name == "xml" and lookup("json").name == "json"


@pytest.mark.parametrize("name", ["xml", "pretty-xml", "n3", "json-ld", "nt", "ttl", "nquads"])
def test_kg_export_writes_rdflib_names_and_they_parse_back(cache_dir, tmp_path, name):
    target = tmp_path / f"dump.{name}"
    done = kg("--cache-dir", str(cache_dir), "export", "--format", name, "--no-void", "-o", str(target))
    assert done.returncode == 0, done.stderr
    fmt = lookup(name, (GRAPH, DATASET))
    quads = list(ox.parse(path=str(target), format=PARSERS[fmt.name]))
    assert any(q.predicate == ox.NamedNode(f"{PKG}hasResponsibility") for q in quads)


# --- grouped, prefixed, lossless ------------------------------------------------------------------


def _ground(quads, keep_graph: bool) -> Counter:
    """Statements without blank nodes (their labels differ between writers), as a multiset."""
    out = Counter()
    for q in quads:
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
            continue
        out[(q.subject, q.predicate, q.object, q.graph_name if keep_graph else None)] += 1
    return out


@pytest.mark.parametrize("name", ["turtle", "jsonld", "rdfxml", "trig"])
def test_pretty_formats_hold_exactly_the_streamed_statements(store, name):
    dataset = lookup(name).kind == DATASET
    reference = parsed(store, "nquads" if dataset else "ntriples")
    mine = parsed(store, name)
    assert len(mine) == len(reference)
    assert _ground(mine, dataset) == _ground(reference, dataset)
    blanks = sum(isinstance(q.subject, ox.BlankNode) for q in mine)
    assert blanks == sum(isinstance(q.subject, ox.BlankNode) for q in reference)


def test_turtle_is_grouped_by_subject_and_prefixed(store):
    text = dump(store, "turtle").decode()
    statements = [line for line in text.splitlines() if line and not line[0].isspace()]
    declared = {line.split()[1] for line in statements if line.startswith("@prefix")}
    subjects = [line.split()[0] for line in statements if not line.startswith("@prefix")]
    assert len(subjects) == len(set(subjects))  # each subject once: ";" and "," for the rest
    assert "pkg:CRO" in subjects and not any(f"<{PKG}" in line for line in text.splitlines()[len(declared) :])
    assert {"pkg:", "skos:", "dcterms:", "void:", "prov:"} <= declared
    assert "sd:" not in declared  # only prefixes the file uses


def test_trig_is_grouped_by_graph_then_subject(store):
    text = dump(store, "trig", "all", void=False).decode()
    blocks = re.findall(r"^(\S+) \{$", text, re.MULTILINE)
    assert len(blocks) == len(set(blocks)) == len(store.graphs())


def test_json_ld_has_a_context_and_one_node_per_subject(store):
    doc = json.loads(dump(store, "jsonld"))
    assert doc["@context"]["pkg"] == PKG and doc["@context"]["skos"].endswith("/skos/core#")
    ids = [node["@id"] for node in doc["@graph"]]
    assert len(ids) == len(set(ids)) and "pkg:CRO" in ids
    assert ids == sorted(ids, key=lambda i: (i.startswith("_:"), i))


def test_exports_are_deterministic(store):
    for name in ("turtle", "jsonld", "trig", "rdfxml"):
        assert dump(store, name) == dump(store, name), name


def test_the_whole_dataset_as_nquads_is_the_snapshot_copy_plus_void(store):
    """The fast path (dataset.nq copied as bytes) writes what the quad-by-quad path writes."""

    class QuadByQuad:  # the same store without its N-Quads copy: the general path
        def __getattr__(self, name):
            if name == "nquads":
                raise AttributeError(name)
            return getattr(store, name)

    fast, general = io.BytesIO(), io.BytesIO()
    export(store, fast, lookup("nquads"), "all")
    export(QuadByQuad(), general, lookup("nquads"), "all")  # type: ignore[arg-type]
    parse = lambda data: Counter(ox.parse(data.getvalue(), format=ox.RdfFormat.N_QUADS))  # noqa: E731
    assert parse(fast) == parse(general)
    assert fast.getvalue().startswith(store.nquads.read_bytes()[:200])  # really the copy
    count, _, _ = _void(list(ox.parse(fast.getvalue(), format=ox.RdfFormat.N_QUADS)), "all")
    assert count == sum(store.manifest["graphs"].values())

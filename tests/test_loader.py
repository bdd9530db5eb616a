"""kg.loader and kg.sources: every RDF syntax (and its .gz) streamed into its own graph, exact error
positions, directories, unknown extensions, and files that change while they are read."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import SourceError
from kg.loader import load_file, triple_count
from kg.namespaces import GRAPH
from kg.sources import Source, discover, split_name, user_graph

from conftest import write_ontology

EX = "http://example.org/"
RDF_XML_HEAD = (
    '<?xml version="1.0"?>\n'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">\n'
)

#: Two triples in each syntax, about ex:a; quad formats put one of them in a named graph.
GOOD = {
    "ttl": '@prefix ex: <http://example.org/> .\nex:a ex:p ex:b ;\n  ex:label "A"@en .\n',
    "nt": f'<{EX}a> <{EX}p> <{EX}b> .\n<{EX}a> <{EX}label> "A"@en .\n',
    "nq": f'<{EX}a> <{EX}p> <{EX}b> <{EX}g> .\n<{EX}a> <{EX}label> "A"@en .\n',
    "trig": '@prefix ex: <http://example.org/> .\nex:g { ex:a ex:p ex:b . }\nex:a ex:label "A"@en .\n',
    "rdf": RDF_XML_HEAD
    + ' <rdf:Description rdf:about="http://example.org/a">\n'
    + '  <ex:p rdf:resource="http://example.org/b"/>\n  <ex:label xml:lang="en">A</ex:label>\n'
    + " </rdf:Description>\n</rdf:RDF>\n",
    "n3": '@prefix ex: <http://example.org/> .\nex:a ex:p ex:b ;\n  ex:label "A"@en .\n',
}
GOOD["owl"] = GOOD["xml"] = GOOD["rdf"]

#: A syntax error in each syntax, on its last line, starting at the marker.
BAD = {
    "ttl": ('@prefix ex: <http://example.org/> .\nex:a ex:p ex:b .\nex:a ex:p "open .\n', '"open'),
    "nt": (f"<{EX}a> <{EX}p> <{EX}b> .\n<{EX}a> <{EX}p> oops .\n", "oops"),
    "nq": (f"<{EX}a> <{EX}p> <{EX}b> <{EX}g> .\n<{EX}a> <{EX}p> <{EX}b> <g> .\n", "<g>"),
    "trig": ('@prefix ex: <http://example.org/> .\nex:g {\n  ex:a ex:p "open .', '"open'),
    "n3": ('@prefix ex: <http://example.org/> .\nex:a ex:p ex:b .\nex:a ex:p "open .\n', '"open'),
    # RDF/XML: pyoxigraph gives no position; the loader asks expat, which points at the tag name
    "rdf": (
        RDF_XML_HEAD + ' <rdf:Description rdf:about="http://example.org/a">\n  <ex:p>x</ex:q>\n',
        "ex:q>",
    ),
}
NAMES = {"ttl": "Turtle", "nt": "N-Triples", "nq": "N-Quads", "trig": "TriG", "rdf": "RDF/XML", "n3": "N3"}


def _write(path: Path, text: str | bytes) -> Path:
    data = text.encode() if isinstance(text, str) else text
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def _source(path: Path) -> Source:
    parts = split_name(path)
    assert parts is not None
    return Source(path, user_graph(parts[0]))


def _triples(store: ox.Store, graph: str) -> set[tuple[str, str, str]]:
    return {
        (str(q.subject), str(q.predicate), str(q.object))
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    }


EXPECTED = {(f"<{EX}a>", f"<{EX}p>", f"<{EX}b>"), (f"<{EX}a>", f"<{EX}label>", '"A"@en')}


@pytest.mark.parametrize("gz", ["", ".gz"])
@pytest.mark.parametrize("ext", sorted(GOOD))
def test_every_format_and_its_gzip_lands_in_the_files_graph(tmp_path, ext, gz):
    path = _write(tmp_path / f"orgs.{ext}{gz}", GOOD[ext])
    source = _source(path)
    assert source.graph == GRAPH + "user/orgs"  # `.ttl.gz` keeps neither `.gz` nor `.ttl`
    store = ox.Store()
    assert load_file(store, source) == 2
    assert _triples(store, source.graph) == EXPECTED
    # quad formats: the named graph in the file is dropped, everything is in the file's graph
    assert {str(q.graph_name) for q in store} == {f"<{source.graph}>"}


@pytest.mark.parametrize("gz", ["", ".gz"])
@pytest.mark.parametrize("ext", sorted(BAD))
def test_syntax_error_names_file_line_and_column(tmp_path, ext, gz):
    text, marker = BAD[ext]
    lines = text.rstrip("\n").split("\n")
    line, col = len(lines), lines[-1].index(marker) + 1
    path = _write(tmp_path / f"bad.{ext}{gz}", text)
    store = ox.Store()
    with pytest.raises(SourceError) as err:
        load_file(store, _source(path))
    assert err.value.message.startswith(f"{path}:{line}:{col}: malformed {NAMES[ext]}: "), err.value.message
    assert "\n" not in err.value.message
    assert len(store) == 0  # the load is one transaction: nothing of a bad file is kept


def test_rdf_xml_bad_iri_points_at_its_element(tmp_path):
    text = (
        RDF_XML_HEAD + ' <rdf:Description rdf:about="http://example.org/a">\n  <ex:p rdf:resource="b c"/>\n'
    )
    path = _write(tmp_path / "iri.rdf", text + " </rdf:Description>\n</rdf:RDF>\n")
    with pytest.raises(SourceError, match=r":4:3: malformed RDF/XML: .*'b c'"):
        load_file(ox.Store(), _source(path))


def test_malformed_line_deep_in_a_big_file(tmp_path):
    """A broken line near the end of ~300k lines: the exact line and column, even through gzip."""
    lines = [f'<{EX}org/{i}> <{EX}label> "Org {i}"@en .' for i in range(300_000)]
    lines[287_654] = f"<{EX}org/287654> <{EX}label> Org ."
    text = "\n".join(lines) + "\n"
    for name in ("big.nt", "big.nt.gz"):
        path = _write(tmp_path / name, text)
        with pytest.raises(SourceError) as err:
            load_file(ox.Store(), _source(path))
        column = len(f"<{EX}org/287654> <{EX}label> ") + 1
        assert err.value.message.startswith(f"{path}:287655:{column}: malformed N-Triples: ")


def test_non_utf8_bytes_are_a_positioned_error(tmp_path):
    path = _write(tmp_path / "latin1.nt", f'<{EX}a> <{EX}p> "caf'.encode() + b'\xe9" .\n')
    with pytest.raises(SourceError, match=r"latin1\.nt:1:\d+: malformed N-Triples: .*UTF-8"):
        load_file(ox.Store(), _source(path))


def test_broken_gzip_is_one_clear_error(tmp_path):
    whole = gzip.compress(GOOD["nt"].encode() * 100)
    (tmp_path / "cut.nt.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "plain.nt.gz").write_bytes(GOOD["nt"].encode())
    for name in ("cut.nt.gz", "plain.nt.gz"):
        with pytest.raises(SourceError, match=r"not a valid gzip file"):
            load_file(ox.Store(), _source(tmp_path / name))


def test_relative_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub" / "rel.ttl", "@prefix ex: <http://example.org/> .\nex:a ex:p <b> .\n")
    source = _source(Path("sub/rel.ttl"))
    store = ox.Store()
    assert load_file(store, source) == 1
    # relative IRIs resolve against the file's absolute location
    assert (f"<{EX}a>", f"<{EX}p>", f"<{(tmp_path / 'sub' / 'b').as_uri()}>") in _triples(store, source.graph)
    _write(tmp_path / "sub" / "bad.ttl", "<a> <b> .\n")
    with pytest.raises(SourceError) as err:
        load_file(store, _source(Path("sub/bad.ttl")))
    assert err.value.message.startswith("sub/bad.ttl:1:")  # the path as the user gave it


def test_blank_nodes_of_two_files_stay_apart(tmp_path):
    store = ox.Store()
    for name in ("one", "two"):
        load_file(store, _source(_write(tmp_path / f"{name}.nt", f'_:b0 <{EX}name> "{name}" .\n')))
    assert len({q.subject for q in store}) == 2


def test_n3_formulas_are_refused(tmp_path):
    path = _write(
        tmp_path / "rules.n3",
        "@prefix ex: <http://example.org/> .\n{ ex:a ex:p ex:b } => { ex:a ex:p ex:c } .\n",
    )
    with pytest.raises(SourceError, match="N3 formulas"):
        load_file(ox.Store(), _source(path))


def test_progress_counts_bytes_to_the_file_size(tmp_path):
    path = _write(tmp_path / "p.nt", GOOD["nt"] * 30_000)
    seen: list[int] = []
    load_file(ox.Store(), _source(path), on_progress=seen.append)
    assert len(seen) > 2 and seen == sorted(seen) and seen[-1] == path.stat().st_size


def test_a_file_changed_while_it_is_read_is_refused(tmp_path):
    path = _write(tmp_path / "moving.nt", GOOD["nt"] * 30_000)
    source = _source(path)

    def append(_: int) -> None:
        with path.open("a") as out:
            out.write(f"<{EX}late> <{EX}p> <{EX}q> .\n")

    with pytest.raises(SourceError, match=r"moving\.nt: changed while it was read; try again"):
        load_file(ox.Store(), source, on_progress=append)


def test_a_file_changed_after_it_was_hashed_is_refused(tmp_path):
    """The cache key is computed from `Source.digest`; loading other bytes than those is refused."""
    path = _write(tmp_path / "edited.nt", GOOD["nt"])
    source = _source(path)
    assert source.digest  # hashed (and remembered) first, as the build does for its cache key
    path.write_text(GOOD["nt"].replace('"A"', '"B"'))
    with pytest.raises(SourceError, match="changed while it was read"):
        load_file(ox.Store(), source)


def test_digest_is_the_files_sha256(tmp_path):
    import hashlib

    path = _write(tmp_path / "d.ttl", GOOD["ttl"] * 1000)
    assert Source(path, "urn:g").digest == hashlib.sha256(path.read_bytes()).hexdigest()


def test_triple_count_is_per_graph_and_returned_counts_are_distinct_triples(tmp_path):
    store = ox.Store()
    dup = _write(tmp_path / "dup.nt", GOOD["nt"] + GOOD["nt"])
    assert load_file(store, _source(dup)) == 2
    assert triple_count(store, ox.NamedNode(_source(dup).graph)) == 2


# --- discover: directories, extensions, graph names -----------------------------------------------


def test_directory_means_every_rdf_file_under_it_sorted(tmp_path):
    onto = write_ontology(tmp_path / "o", {"vocab.ttl": ""})
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / ".hidden").mkdir()
    for name in ("b.nt", "a.ttl.gz", "sub/c.rdf", ".d.ttl", ".hidden/e.ttl", "README.md"):
        (data / name).write_bytes(b"")
    sources = discover(onto, (data,))
    assert [s.path.relative_to(data).as_posix() for s in sources[1:]] == ["a.ttl.gz", "b.nt", "sub/c.rdf"]
    assert [s.graph for s in sources[1:]] == [GRAPH + "user/a", GRAPH + "user/b", GRAPH + "user/c"]


def test_empty_directory_is_an_error(tmp_path):
    onto = write_ontology(tmp_path / "o", {"vocab.ttl": ""})
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not RDF")
    with pytest.raises(SourceError, match=r"empty: no RDF files in this directory \(accepted: \.ttl, "):
        discover(onto, (tmp_path / "empty",))


def test_unknown_extension_lists_the_accepted_ones(tmp_path):
    onto = write_ontology(tmp_path / "o", {"vocab.ttl": ""})
    (tmp_path / "orgs.csv").write_text("a,b\n")
    with pytest.raises(SourceError) as err:
        discover(onto, (tmp_path / "orgs.csv",))
    assert err.value.message == (
        f"{tmp_path / 'orgs.csv'}: unknown RDF file extension; accepted: "
        ".ttl, .nt, .nq, .trig, .rdf, .owl, .xml, .n3 (each also as .gz)"
    )


def test_two_files_with_one_stem_clash(tmp_path):
    onto = write_ontology(tmp_path / "o", {"vocab.ttl": ""})
    for name in ("orgs.ttl", "orgs.nt.gz"):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(SourceError, match=r"two source files map to the same graph: .*/user/orgs"):
        discover(onto, (tmp_path / "orgs.ttl", tmp_path / "orgs.nt.gz"))


def test_a_file_name_that_is_not_an_iri_is_encoded(tmp_path):
    assert user_graph("my orgs#1") == GRAPH + "user/my%20orgs%231"
    ox.NamedNode(user_graph("my orgs#1"))  # a valid IRI

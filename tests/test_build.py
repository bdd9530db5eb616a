"""Build: parse errors with positions, SHACL failures, the closure's graph, the noise rule, the cache."""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import build, cli
from kg import snapshot as kg_snapshot
from kg.errors import InconsistentGraph, KGError, SourceError, ValidationFailed
from kg.namespaces import INFERRED_GRAPH, graph_iri
from kg.sources import discover, shapes_path
from kg.store import OxigraphStore

from conftest import write_ontology

VOCAB = """\
ex:hasPart a owl:ObjectProperty ; owl:inverseOf ex:partOf .
ex:Widget rdfs:subClassOf ex:Thing .
ex:Widget owl:disjointWith ex:Gadget .
"""
DATA = """\
ex:w1 a ex:Widget ; ex:hasPart ex:p1 ; skos:prefLabel "W1" .
"""


def test_malformed_turtle_names_file_line_and_column(tmp_path):
    folder = write_ontology(tmp_path / "o", {"data.ttl": 'ex:a ex:b "unterminated .\n'})
    with pytest.raises(SourceError) as err:
        build.build(folder, cache=tmp_path / "c")
    # the prefix block is 5 lines, so the bad statement sits on line 6
    assert f"{folder / 'data.ttl'}:6:" in err.value.message


def test_shacl_violation_stops_build_with_file_focus_path_message(tmp_path):
    shapes = """\
    ex:LabelShape a sh:NodeShape ; sh:targetClass ex:Widget ;
      sh:property [ sh:path skos:prefLabel ; sh:minCount 1 ; sh:message "a widget needs a label" ] .
    """
    folder = write_ontology(
        tmp_path / "o", {"shapes.ttl": shapes, "vocab.ttl": VOCAB, "data.ttl": "ex:w2 a ex:Widget .\n"}
    )
    with pytest.raises(ValidationFailed) as err:
        build.build(folder, cache=tmp_path / "c")
    message = err.value.message
    assert str(folder / "data.ttl") in message
    assert "http://example.org/w2" in message or "ex:w2" in message
    assert "skos:prefLabel" in message
    assert "a widget needs a label" in message


def test_inferred_triples_live_only_in_the_inferred_graph(tmp_path):
    folder = write_ontology(tmp_path / "o", {"vocab.ttl": VOCAB, "data.ttl": DATA})
    store = OxigraphStore(build.build(folder, cache=tmp_path / "c"))
    ask = "ASK { GRAPH <%s> { <http://example.org/p1> <http://example.org/partOf> <http://example.org/w1> } }"
    assert store.query(ask % INFERRED_GRAPH).__bool__()
    assert not store.query(ask % graph_iri("data")).__bool__()
    typed = "ASK { GRAPH <%s> { <http://example.org/w1> a <http://example.org/Thing> } }"
    assert bool(store.query(typed % INFERRED_GRAPH))


def test_noise_rule_drops_reflexive_builtin_and_blank_node_triples(tmp_path):
    folder = write_ontology(tmp_path / "o", {"vocab.ttl": VOCAB, "data.ttl": DATA})
    store = OxigraphStore(build.build(folder, cache=tmp_path / "c"))
    g = f"GRAPH <{INFERRED_GRAPH}>"
    assert not bool(store.query(f"ASK {{ {g} {{ ?x <http://www.w3.org/2002/07/owl#sameAs> ?x }} }}"))
    assert not bool(store.query(f"ASK {{ {g} {{ ?x ?p ?y FILTER(isBlank(?x) || isBlank(?y)) }} }}"))
    builtin = "FILTER(STRSTARTS(STR(?x), 'http://www.w3.org/2002/07/owl#'))"
    assert not bool(store.query(f"ASK {{ {g} {{ {{ ?x ?p ?y }} UNION {{ ?y ?p ?x }} {builtin} }} }}"))


def test_inconsistency_fails_the_build(tmp_path):
    data = DATA + "ex:w1 a ex:Gadget .\n"
    folder = write_ontology(tmp_path / "o", {"vocab.ttl": VOCAB, "data.ttl": data})
    with pytest.raises(InconsistentGraph) as err:
        build.build(folder, cache=tmp_path / "c")
    assert "w1" in err.value.message


def test_second_build_comes_from_the_cache_and_changes_invalidate_it(tmp_path):
    folder = write_ontology(tmp_path / "o", {"vocab.ttl": VOCAB, "data.ttl": DATA})
    first = build.build(folder, cache=tmp_path / "c")
    again = build.build(folder, cache=tmp_path / "c")
    assert again.key == first.key and again.manifest["built_at"] == first.manifest["built_at"]
    (folder / "data.ttl").write_text((folder / "data.ttl").read_text() + "ex:w9 a ex:Widget .\n")
    changed = build.build(folder, cache=tmp_path / "c")
    assert changed.key != first.key
    assert changed.manifest["graphs"][graph_iri("data")] == first.manifest["graphs"][graph_iri("data")] + 1


def test_missing_shapes_file_is_an_error(tmp_path):
    folder = write_ontology(tmp_path / "o", {"data.ttl": DATA})
    (folder / "shapes.ttl").unlink()
    with pytest.raises(SourceError, match="shapes"):
        build.build(folder, cache=tmp_path / "c")


def test_manifest_counts_are_what_oxigraph_loads(tmp_path):
    """ "a" and "a"^^xsd:string are two rdflib terms but one RDF term: counted (and written) once."""
    data = DATA + 'ex:w1 ex:code "a", "a"^^<http://www.w3.org/2001/XMLSchema#string> .\n'
    folder = write_ontology(tmp_path / "o", {"vocab.ttl": VOCAB, "data.ttl": data})
    snapshot = build.build(folder, cache=tmp_path / "c")
    assert loaded_counts(snapshot) == snapshot.manifest["graphs"]
    lines = snapshot.nquads.read_text(encoding="utf-8").splitlines()
    assert len(lines) == sum(snapshot.manifest["graphs"].values())  # counted as written: once each
    dataset = snapshot.manifest["dataset"]
    assert dataset["bytes"] == snapshot.nquads.stat().st_size
    assert dataset["sha256"] == build.file_sha256(snapshot.nquads)
    assert build.verify(snapshot) is None


# --- a damaged cache is noticed, reported and rebuilt -------------------------------------------------


def loaded_counts(snapshot: build.Snapshot) -> dict[str, int]:
    """Triples per graph as Oxigraph really holds them (not the store's remembered counts)."""
    store = OxigraphStore(snapshot)
    return {g: sum(1 for _ in store.quads(graphs=[g])) for g in store.graphs()}


def _nq(folder: Path) -> Path:
    return folder / "dataset.nq"


def _cut_at_a_line(folder: Path) -> None:
    lines = _nq(folder).read_bytes().splitlines(keepends=True)
    _nq(folder).write_bytes(b"".join(lines[: len(lines) // 2]))


def _cut_mid_line(folder: Path) -> None:
    data = _nq(folder).read_bytes()
    middle = data.index(b"> <", len(data) // 2) + 2  # inside a quad, never at a line end
    _nq(folder).write_bytes(data[:middle])


FOREIGN = "<http://example.org/x> <http://example.org/y> <http://example.org/z>"


def _append(folder: Path, line: str) -> None:
    with _nq(folder).open("a", encoding="utf-8") as out:
        out.write(line + "\n")


def _append_foreign_quad(folder: Path) -> None:
    _append(folder, f"{FOREIGN} <{graph_iri('data')}> .")


def _append_default_graph_triple(folder: Path) -> None:
    _append(folder, f"{FOREIGN} .")


def _edit_same_size(folder: Path) -> None:
    data = _nq(folder).read_bytes()
    _nq(folder).write_bytes(data.replace(b"http://example.org/w1", b"http://example.org/w7", 1))


def _edit_manifest(change):
    def damage(folder: Path) -> None:
        manifest = json.loads((folder / "manifest.json").read_text())
        change(manifest)
        (folder / "manifest.json").write_text(json.dumps(manifest))

    return damage


DAMAGE = {
    "cut at a line boundary": (_cut_at_a_line, "dataset.nq is "),
    "emptied": (lambda f: _nq(f).write_bytes(b""), "dataset.nq is 0 bytes, the manifest says "),
    "foreign quad appended": (_append_foreign_quad, "dataset.nq is "),
    "cut mid-line": (_cut_mid_line, "dataset.nq is "),
    "same size, other bytes": (_edit_same_size, "dataset.nq does not match the sha256 in the manifest"),
    "dataset.nq deleted": (lambda f: _nq(f).unlink(), "dataset.nq is missing"),
    "manifest corrupt JSON": (
        lambda f: (f / "manifest.json").write_text('{"key": '),
        "manifest.json is not valid JSON: ",
    ),
    "manifest missing a key": (_edit_manifest(lambda m: m.pop("graphs")), "manifest.json has no 'graphs'"),
    "manifest count of the wrong type": (
        _edit_manifest(lambda m: m["graphs"].update({INFERRED_GRAPH: "12"})),
        "manifest.json 'graphs' has a count that is not a whole number",
    ),
    "manifest deleted": (lambda f: (f / "manifest.json").unlink(), "manifest.json is missing"),
}


@pytest.fixture
def built(tmp_path) -> tuple[Path, Path, build.Snapshot]:
    """A tiny ontology, its cache folder and its first (fresh) snapshot."""
    folder = write_ontology(tmp_path / "o", {"vocab.ttl": VOCAB, "data.ttl": DATA})
    cache = tmp_path / "c"
    return folder, cache, build.build(folder, cache=cache)


#: What the quick check (every start) cannot see: dataset.nq edited in place with its size kept. Nothing
#: is served from dataset.nq, and hashing it would cost every start ~1 s per 300 MB; `kg build` hashes.
NEEDS_THOROUGH = {"same size, other bytes"}


@pytest.mark.parametrize("thorough", [True, False], ids=["kg build (thorough)", "every start (quick)"])
@pytest.mark.parametrize("kind", DAMAGE)
def test_damaged_cache_is_reported_and_rebuilt(built, kind, thorough, caplog):
    ontology, cache, first = built
    damage, reason = DAMAGE[kind]
    damage(first.folder)
    if not thorough and kind in NEEDS_THOROUGH:
        assert build.build(ontology, cache=cache).cached  # as documented: only `kg build` notices
        assert build.build(ontology, cache=cache, thorough=True).damage.startswith(reason)
        return
    with caplog.at_level(logging.WARNING, logger="kg.build"):
        again = build.build(ontology, cache=cache, thorough=thorough)
    assert not again.cached and again.damage is not None and again.damage.startswith(reason)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [f"build cache {first.folder} is damaged ({again.damage}); rebuilding it"]
    assert again.folder == first.folder and again.manifest["graphs"] == first.manifest["graphs"]
    assert loaded_counts(again) == first.manifest["graphs"]
    assert build.verify(again) is None
    assert build.build(ontology, cache=cache).cached
    assert [p.name for p in cache.iterdir()] == [first.key]  # nothing staged or moved aside is left


def test_every_manifest_field_is_checked(built):
    """A manifest missing any field, or holding it with the wrong type, is damage, named by field."""
    _, _, snapshot = built
    for field in kg_snapshot.FIELDS:
        missing = {k: v for k, v in snapshot.manifest.items() if k != field}
        assert kg_snapshot._manifest_problem(missing, snapshot.key) == f"manifest.json has no {field!r}"
        wrong = {**snapshot.manifest, field: True}
        assert (
            kg_snapshot._manifest_problem(wrong, snapshot.key)
            == f"manifest.json {field!r} has the wrong type"
        )
    assert kg_snapshot._manifest_problem(snapshot.manifest, snapshot.key) is None


def _other(manifest: dict, **changes) -> dict:
    return {**manifest, **changes}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda m: [m], "manifest.json is not a JSON object"),
        (lambda m: _other(m, key="0" * 24), f"manifest.json is for build {'0' * 24!r}, not "),
        (lambda m: _other(m, build_format=1), f"manifest.json is build format 1, not {build.BUILD_FORMAT}"),
        (lambda m: _other(m, dataset={"sha256": "0" * 64}), "manifest.json has no byte size for dataset.nq"),
        (lambda m: _other(m, dataset={**m["dataset"], "bytes": -1}), "manifest.json has no byte size"),
        (lambda m: _other(m, dataset={**m["dataset"], "sha256": "abc"}), "manifest.json has no sha256"),
        (lambda m: _other(m, asserted_graphs=[1]), "manifest.json 'asserted_graphs' has the wrong type"),
        (lambda m: _other(m, inferred_graph="urn:x"), "manifest.json 'graphs' does not list the asserted"),
        (lambda m: _other(m, inputs=[{"path": "a.ttl"}]), "manifest.json 'inputs' lacks a path, graph"),
    ],
)
def test_inconsistent_manifest_is_damage(built, change, reason):
    _, _, snapshot = built
    assert kg_snapshot._manifest_problem(change(snapshot.manifest), snapshot.key).startswith(reason)


def _store(folder: Path) -> Path:
    return folder / "store"


def _largest_store_file(folder: Path) -> Path:
    return max((p for p in _store(folder).iterdir() if p.suffix == ".sst"), key=lambda p: p.stat().st_size)


def _cut_store_file(folder: Path) -> None:
    path = _largest_store_file(folder)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_cut_store_file, r"store/\d+\.sst is \d+ bytes, the manifest says \d+"),
        (lambda f: _largest_store_file(f).unlink(), r"store/\d+\.sst is missing"),
        (
            lambda f: (_store(f) / "000999.sst").write_bytes(b"x"),
            "store/ holds files the manifest does not list: 000999.sst",
        ),
        (lambda f: shutil.rmtree(_store(f)), "store/ is missing"),
        (lambda f: (shutil.rmtree(_store(f)), _store(f).write_text("x")), "store is not a folder"),
        (
            lambda f: (_store(f) / "CURRENT").write_text("MANIFEST-9\n"),
            "store/CURRENT is 11 bytes, the manifest says 16",
        ),
    ],
)
def test_a_store_changed_after_verification_fails_the_open(built, damage, reason):
    """The store's files are checked again when it is opened: the same error, never wrong answers."""
    _, _, snapshot = built
    damage(snapshot.folder)
    with pytest.raises(build.CacheDamaged) as err:
        OxigraphStore(snapshot)
    expected = (
        re.escape(f"build cache {snapshot.folder} is damaged (")
        + reason
        + re.escape(") and it changed after it was verified; delete that folder or run `kg build --force`")
    )
    assert re.fullmatch(expected, err.value.message), err.value.message
    assert build.verify(snapshot) is not None


def test_a_store_that_rocksdb_refuses_is_damage(built):
    """Files of the right size that RocksDB cannot open (CURRENT names no manifest) are damage too."""
    _, _, snapshot = built
    current = _store(snapshot.folder) / "CURRENT"
    current.write_text("MANIFEST-999999"[: current.stat().st_size - 1] + "\n")
    with pytest.raises(build.CacheDamaged, match=r"\(store/ cannot be opened: .+\) and it changed"):
        OxigraphStore(snapshot)


def test_the_store_opens_read_only_and_answers_like_the_nquads(built):
    """What is served (the on-disk store) holds exactly the quads of dataset.nq, graph by graph."""
    _, _, snapshot = built
    store = OxigraphStore(snapshot)
    served = {str(q) for q in store.quads()}
    written = {str(q) for q in ox.parse(path=str(snapshot.nquads), format=ox.RdfFormat.N_QUADS)}
    assert served == written and len(written) == sum(snapshot.manifest["graphs"].values())
    with pytest.raises(RuntimeError, match="read-write"):
        store._store.update("INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }")
    assert kg_snapshot.store_files(snapshot.store) == snapshot.manifest["store"]["files"]


def test_a_manifest_handed_over_without_a_field_fails_the_load(built):
    """Query workers get the manifest from their parent, not from disk: it is checked on load too."""
    _, _, snapshot = built
    broken = {k: v for k, v in snapshot.manifest.items() if k != "asserted_graphs"}
    with pytest.raises(build.CacheDamaged, match=r"\(manifest.json has no 'asserted_graphs'\)"):
        OxigraphStore(build.Snapshot(snapshot.folder, broken))


def test_verify_names_the_damage(built):
    _, _, snapshot = built
    assert build.verify(snapshot) is None
    _cut_at_a_line(snapshot.folder)
    assert build.verify(snapshot).startswith("dataset.nq is ")


def _refuse(*args, **kwargs):
    raise PermissionError(errno.EACCES, "Permission denied")


@pytest.mark.parametrize("step", ["staging folder", "rename"])
def test_damaged_cache_that_cannot_be_rewritten_is_one_clear_error(built, monkeypatch, step):
    """Tests run as root, where chmod does not stop writes, so a read-only cache is simulated here."""
    ontology, cache, first = built
    _nq(first.folder).unlink()
    target = (build.tempfile, "mkdtemp") if step == "staging folder" else (build.os, "replace")
    monkeypatch.setattr(*target, _refuse)
    with pytest.raises(build.CacheDamaged) as err:
        build.build(ontology, cache=cache)
    assert isinstance(err.value, KGError)
    assert err.value.message == (
        f"build cache {first.folder} is damaged (dataset.nq is missing) and cannot be rebuilt there "
        "(Permission denied); delete that folder or run `kg build --force`"
    )
    monkeypatch.undo()
    assert [p.name for p in cache.iterdir()] == [first.key]  # no staging folder left
    assert build.build(ontology, cache=cache, force=True).manifest["graphs"] == first.manifest["graphs"]


def test_read_only_cache_with_chmod(built):
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod does not stop root writing; the monkeypatched test covers it")
    ontology, cache, first = built
    _nq(first.folder).unlink()
    cache.chmod(0o555)
    try:
        with pytest.raises(build.CacheDamaged, match="delete that folder or run `kg build --force`"):
            build.build(ontology, cache=cache)
    finally:
        cache.chmod(0o755)


def test_kg_build_on_an_unwritable_damaged_cache_prints_one_line(built, monkeypatch, capsys):
    ontology, cache, first = built
    (first.folder / "manifest.json").write_text("{")
    monkeypatch.setattr(build.tempfile, "mkdtemp", _refuse)
    monkeypatch.setattr(sys, "argv", ["kg", "--ontology", str(ontology), "--cache-dir", str(cache), "build"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: build cache {first.folder} is damaged (manifest.json is not valid JSON")
    assert "Traceback" not in err and "\n" not in err.rstrip("\n").split("damaged", 1)[1]


# --- a build failing while it writes leaves nothing behind --------------------------------------------


def _full_disk_in_store(monkeypatch, written: list[int]) -> None:
    """dataset.nq is complete and the store half written, then the disk is full."""

    def write_store(folder: Path, work: ox.Store) -> dict[str, int]:
        nquads = folder.parent / "dataset.nq"
        folder.mkdir()
        (folder / "000001.sst").write_bytes(nquads.read_bytes()[:100])
        written.append(nquads.stat().st_size)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(build, "_write_store", write_store)


def _full_disk_in_manifest(monkeypatch, written: list[int]) -> None:
    """dataset.nq is complete; half of manifest.json is written, then the disk is full."""

    def write_manifest(path: Path, manifest: dict) -> None:
        text = json.dumps(manifest)
        path.write_text(text[: len(text) // 2])
        written.append(path.stat().st_size)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(build, "_write_manifest", write_manifest)


@pytest.mark.parametrize("fail", [_full_disk_in_store, _full_disk_in_manifest])
def test_a_build_failing_while_writing_leaves_no_cache(tmp_path, monkeypatch, fail):
    folder = write_ontology(tmp_path / "o", {"vocab.ttl": VOCAB, "data.ttl": DATA})
    cache = tmp_path / "c"
    written: list[int] = []
    fail(monkeypatch, written)
    with pytest.raises(OSError) as err:
        build.build(folder, cache=cache)
    key = build.build_key(discover(folder), shapes_path(folder))
    assert err.value.errno == errno.ENOSPC and err.value.filename == str(cache / key)
    assert written and written[0] > 0  # the failure came after bytes were written
    assert list(cache.iterdir()) == []  # neither the key's folder nor a staging folder


@pytest.fixture
def tiny_disk(tmp_path) -> Iterator[Path]:
    """A real 3 MiB file system (tmpfs): mounting one needs root, so elsewhere the test says it skipped."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root; the monkeypatched full-disk tests cover the logic")
    mountpoint = tmp_path / "tiny"
    mountpoint.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mountpoint)]).returncode:
        pytest.skip("this machine refuses to mount a tmpfs (a container without CAP_SYS_ADMIN)")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def test_a_full_disk_is_one_line_and_the_previous_build_stays_usable(tmp_path, tiny_disk, capsys):
    """On a real full disk: `kg build` says so in one line naming the folder, leaves no staging folder,
    and the build that was there before is still verified and served."""
    from bench.userdata import write_userdata

    cache = tiny_disk / "cache"
    previous = build.build(cache=cache)  # the domain graph fits in 3 MiB
    data = write_userdata(tmp_path / "data", 40_000, seed=1)  # its snapshot does not
    with pytest.raises(SystemExit) as code:
        sys.argv = ["kg", "--cache-dir", str(cache), "--data", str(tmp_path / "data"), "build"]
        cli.main()
    err = capsys.readouterr().err.strip()
    assert code.value.code != 0
    assert len(err.splitlines()) == 1 and "No space left on device" in err and str(cache) in err, err
    assert "Traceback" not in err
    assert [p.name for p in cache.iterdir()] == [previous.key]  # no staging folder is left behind
    again = build.build(cache=cache)
    assert again.cached and build.verify(again) is None
    assert OxigraphStore(again).count() == sum(previous.manifest["graphs"].values())
    assert data  # the data set really was written (and was too big)

"""The `kg` command as a user runs it: real processes, exit codes, one-paragraph errors, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import write_ontology

PKG = "https://w3id.org/pharma-kg/id/"


def kg(*args: str, cache=None, check: bool = False) -> subprocess.CompletedProcess:
    env_args = [] if cache is None else ["--cache-dir", str(cache)]
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", *env_args, *args], capture_output=True, text=True, timeout=300
    )
    assert "Traceback" not in done.stderr, done.stderr
    if check:
        assert done.returncode == 0, done.stderr
    return done


def test_build_prints_graph_counts(cache_dir):
    done = kg("build", cache=cache_dir, check=True)
    assert "graph:article" in done.stdout and "graph:inferred" in done.stdout


def test_query_table_and_machine_formats(cache_dir):
    query = f"SELECT ?r WHERE {{ <{PKG}CMO> <{PKG}hasResponsibility> ?r }} ORDER BY ?r"
    table = kg("query", query, cache=cache_dir, check=True)
    assert "pkg:QualityControl" in table.stdout and "row(s)" in table.stdout
    as_json = json.loads(kg("query", "--format", "json", query, cache=cache_dir, check=True).stdout)
    assert f"{PKG}QualityControl" in {b["r"]["value"] for b in as_json["results"]["bindings"]}


def test_named_query_with_param(cache_dir):
    done = kg(
        "query", "--name", "responsibilities", "--param", "role=pkg:CMO", "--format", "csv", cache=cache_dir
    )
    assert done.returncode == 0, done.stderr
    assert "Quality Control" in done.stdout and "Drug Discovery" not in done.stdout


def test_export_every_format_parses_back(cache_dir, tmp_path):
    for name, fmt in [
        ("ttl", ox.RdfFormat.TURTLE),
        ("nq", ox.RdfFormat.N_QUADS),
        ("jsonld", ox.RdfFormat.JSON_LD),
        ("rdf", ox.RdfFormat.RDF_XML),
        ("trig", ox.RdfFormat.TRIG),
        ("nt", ox.RdfFormat.N_TRIPLES),
    ]:
        out = tmp_path / f"dump.{name}"
        kg("export", "--format", name, "--output", str(out), cache=cache_dir, check=True)
        quads = list(ox.parse(path=str(out), format=fmt))
        assert any(q.object == ox.NamedNode("http://rdfs.org/ns/void#Dataset") for q in quads), name
        assert any(q.predicate == ox.NamedNode(f"{PKG}hasResponsibility") for q in quads), name


def test_export_selection_inferred_only(cache_dir):
    done = kg("export", "--format", "nq", "--graphs", "inferred", "--no-void", cache=cache_dir, check=True)
    graphs = {q.graph_name for q in ox.parse(done.stdout, format=ox.RdfFormat.N_QUADS)}
    assert graphs == {ox.NamedNode("https://w3id.org/pharma-kg/graph/inferred")}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("query", "SELECT ?s WHERE { ?s ?p }"), "malformed SPARQL"),
        (("query", "--format", "yaml", "SELECT * { ?s ?p ?o }"), "supported here"),
        (("query", "--name", "no-such-query"), "no named query"),
        (("query", "--name", "responsibilities", "--param", "colour=red"), "no parameter 'colour'"),
        (("query", "--name", "responsibilities", "--param", "role=not an iri"), "must be an IRI, a CURIE"),
        (("query", "INSERT DATA { <http://a> <http://b> <http://c> }"), "read-only"),
        (("export", "--format", "csv"), "supported here"),
    ],
)
def test_bad_input_exits_nonzero_with_a_message(cache_dir, args, expected):
    done = kg(*args, cache=cache_dir)
    assert done.returncode != 0
    assert expected in done.stderr
    assert done.stderr.startswith("error:") or "Error" in done.stderr


def test_malformed_source_reports_position(tmp_path):
    folder = write_ontology(tmp_path / "o", {"data.ttl": "ex:a ex:b ex:c ;\n ex:d .\n"})
    done = kg("--ontology", str(folder), "build", cache=tmp_path / "c")
    assert done.returncode == 1
    assert f"{folder / 'data.ttl'}:7:" in done.stderr


def _many_widgets(tmp_path) -> Path:
    """An ontology whose N-Quads run to about 60 KB, so a small file-size limit cuts them mid-write."""
    lines = "".join(f'ex:w{i} a ex:Widget ; skos:prefLabel "Widget number {i}" .\n' for i in range(300))
    return write_ontology(tmp_path / "o", {"data.ttl": lines})


def _file_size_limit(limit: int):
    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))  # Python ignores SIGXFSZ: EFBIG

    return apply


def test_build_failing_while_writing_leaves_no_cache(tmp_path):
    """The disk "fills" (a 16 KiB file-size limit) while dataset.nq is being written, in a real process."""
    folder, cache = _many_widgets(tmp_path), tmp_path / "c"
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "--ontology", str(folder), "--cache-dir", str(cache), "build"],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_file_size_limit(16 * 1024),
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"error: {cache}/") and done.stderr.endswith(": File too large\n")
    assert list(cache.iterdir()) == []  # neither the key's folder nor a staging folder
    assert kg("--ontology", str(folder), "build", cache=cache, check=True).stdout  # and no limit: it builds


def test_build_on_a_damaged_cache_says_so_and_rebuilds(tmp_path):
    folder, cache = write_ontology(tmp_path / "o", {"data.ttl": "ex:a ex:b ex:c .\n"}), tmp_path / "c"
    first = kg("--ontology", str(folder), "build", cache=cache, check=True)
    assert " built in " in first.stdout
    (nquads,) = cache.glob("*/dataset.nq")
    nquads.write_bytes(b"")
    damaged = kg("--ontology", str(folder), "build", cache=cache, check=True)
    size = json.loads((nquads.parent / "manifest.json").read_text())["dataset"]["bytes"]
    reason = f"dataset.nq is 0 bytes, the manifest says {size}"
    assert f" cache damaged ({reason}); rebuilt in " in damaged.stdout
    assert damaged.stderr == f"build cache {nquads.parent} is damaged ({reason}); rebuilding it\n"
    assert first.stdout.split("\nbuild ")[0] == damaged.stdout.split("\nbuild ")[0]  # same graph counts
    again = kg("--ontology", str(folder), "build", cache=cache, check=True)
    assert f"reused from the cache: {nquads.parent}" in again.stdout


def test_validate_reports_violations(tmp_path):
    shapes = (
        "ex:S a sh:NodeShape ; sh:targetClass ex:W ;\n"
        "  sh:property [ sh:path skos:prefLabel ; sh:minCount 1 ] .\n"
    )
    folder = write_ontology(tmp_path / "o", {"shapes.ttl": shapes, "data.ttl": "ex:w a ex:W .\n"})
    done = kg("--ontology", str(folder), "validate")
    assert done.returncode == 1
    assert "data.ttl" in done.stderr and "skos:prefLabel" in done.stderr


def test_queries_lists_every_rq_file(cache_dir):
    listed = json.loads(kg("queries", "--format", "json", check=True).stdout)
    assert {q["name"] for q in listed} >= {"responsibilities", "stages"}
    assert all(q["summary"] for q in listed)


def test_paths_by_label_shows_nodes_and_edges(cache_dir):
    done = kg("paths", "CRO", "Phase III clinical trial", "--limit", "3", cache=cache_dir, check=True)
    assert done.stdout.splitlines()[0] == "1. (1 step) CRO —pkg:activeInStage→ (inferred) Phase III"
    assert "—pkg:hasResponsibility→" in done.stdout and "—pkg:performedInStage→ Phase III" in done.stdout
    as_json = json.loads(kg("paths", "CRO", "Phase III", "--json", "--no-infer", cache=cache_dir).stdout)
    first = as_json["paths"][0]
    assert [e["predicate"]["value"] for e in first["edges"]] == [
        f"{PKG}hasResponsibility",
        f"{PKG}performedInStage",
    ]
    assert not any(e["inferred"] for p in as_json["paths"] for e in p["edges"])


def test_explain_gives_rule_and_premises(cache_dir):
    done = kg("explain", "CRO", "activeInStage", "pkg:PhaseIIStage", cache=cache_dir, check=True)
    lines = done.stdout.splitlines()
    assert lines[0].endswith("[inferred, by prp-spo2]")
    assert any("owl:propertyChainAxiom" in line and "asserted in vocabulary" in line for line in lines)
    assert any("pkg:hasResponsibility" in line and "asserted in article" in line for line in lines)


def test_describe_and_neighbours(cache_dir):
    described = kg("describe", "Quality Control", cache=cache_dir, check=True).stdout
    assert "Ensuring the quality of the products meets regulatory standards." in described
    assert "pkg:isResponsibilityOf (inferred)" in described
    near = kg("neighbours", "pkg:CMO", "--json", cache=cache_dir, check=True).stdout
    assert f"{PKG}QualityControl" in {e["object"]["value"] for e in json.loads(near)}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("describe", "Regulatory Compliance"), "names 2 resources"),
        (("paths", "CRO", "Phase Zero"), "nothing in the graph is named 'Phase Zero'"),
        (("paths", "CRO", "CMO", "--max-depth", "99"), "not in the range"),
        (("explain", "CMO", "activeInStage", "PhaseIIStage"), "neither asserted nor inferred"),
    ],
)
def test_unknown_or_ambiguous_names_and_bad_bounds(cache_dir, args, expected):
    done = kg(*args, cache=cache_dir)
    assert done.returncode != 0 and expected in done.stderr


USER_ORG = """\
@prefix pkg: <https://w3id.org/pharma-kg/id/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<https://example.org/Acme> a pkg:Organisation ; skos:prefLabel "Acme Research"@en ;
  dcterms:source <https://example.org/crm-export> ; pkg:playsRole pkg:CRO .
"""


def test_user_data_is_validated_and_classified_by_the_reasoner(tmp_path):
    mine = tmp_path / "acme.ttl"
    mine.write_text(USER_ORG, encoding="utf-8")
    done = kg(
        "--data",
        str(mine),
        "query",
        "--name",
        "role-organisations",
        "--param",
        "role=pkg:CRO",
        "--format",
        "csv",
        cache=tmp_path / "c",
        check=True,
    )
    assert "https://example.org/Acme" in done.stdout
    proof = kg(
        "--data",
        str(mine),
        "explain",
        "Acme Research",
        "rdf:type",
        "pkg:ContractResearchOrganisation",
        cache=tmp_path / "c",
        check=True,
    )
    assert "cls-hv2" in proof.stdout and "asserted in user/acme" in proof.stdout
    mine.write_text(
        USER_ORG.replace("dcterms:source <https://example.org/crm-export> ;", ""), encoding="utf-8"
    )
    refused = kg("--data", str(mine), "build", cache=tmp_path / "c")
    assert refused.returncode == 1 and str(mine) in refused.stderr and "dcterms:source" in refused.stderr


@pytest.mark.slow
def test_serve_with_user_data_answers_over_http(tmp_path):
    """`kg --data F --cache-dir D serve` passes its options through to the server's worker processes."""
    import signal
    import time
    import urllib.request

    from web_fixtures import free_port

    (tmp_path / "acme.ttl").write_text(USER_ORG, encoding="utf-8")
    port = free_port()
    args = ["--data", "acme.ttl", "--cache-dir", "c", "serve", "--port", str(port), "--workers", "1"]
    server = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", *args],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api/queries/role-organisations?role=pkg:CRO&format=csv"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(url, timeout=5) as reply:
                    body = reply.read().decode()
                break
            except OSError:
                assert server.poll() is None, "kg serve exited"
                time.sleep(0.2)
        assert "https://example.org/Acme" in body
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)


def test_serve_on_a_taken_port_says_so(cache_dir):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = kg("serve", "--port", str(port), cache=cache_dir)
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr

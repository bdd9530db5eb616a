"""The `kg` command as a user runs it: real processes, exit codes, one-paragraph errors, no tracebacks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import write_ontology

PKG = "https://w3id.org/pharma-kg/id/"


def kg(*args: str, cache=None, check: bool = False, cwd=None) -> subprocess.CompletedProcess:
    env_args = [] if cache is None else ["--cache-dir", str(cache)]
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", *env_args, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
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
    import urllib.error
    import urllib.request
    from urllib.parse import quote

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
        # the well-known prefixes are declared over HTTP too; an unknown one is named in the 400
        sparql = f"http://127.0.0.1:{port}/sparql?format=csv&query="
        with urllib.request.urlopen(sparql + quote("SELECT ?l WHERE { pkg:CRO skos:prefLabel ?l }")) as reply:
            assert reply.read().decode().splitlines() == ["l", "CRO"]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(sparql + quote("SELECT ?n WHERE { ?s foaf:name ?n }"))
        assert refused.value.code == 400
        assert "unknown prefix `foaf:` — add `PREFIX foaf: <http://xmlns.com/foaf/0.1/>`" in (
            refused.value.read().decode()
        )
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


# --- issue 9: prefixes, error messages, relative paths, warnings, output details -------------------

EVERY_PREFIX = {
    "pkg": "https://w3id.org/pharma-kg/id/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "schema": "https://schema.org/",
    "void": "http://rdfs.org/ns/void#",
    "sh": "http://www.w3.org/ns/shacl#",
}


def test_well_known_prefixes_are_declared_for_every_query(cache_dir):
    projections = " ".join(f"({p}:x AS ?{p})" for p in EVERY_PREFIX)
    done = kg("query", "--format", "json", f"SELECT {projections} WHERE {{}}", cache=cache_dir, check=True)
    (row,) = json.loads(done.stdout)["results"]["bindings"]
    assert {name: cell["value"] for name, cell in row.items()} == {
        p: ns + "x" for p, ns in EVERY_PREFIX.items()
    }
    labels = kg("query", "--format", "csv", "SELECT ?l WHERE { pkg:CRO skos:prefLabel ?l }", cache=cache_dir)
    assert labels.stdout.splitlines() == ["l", "CRO"] and labels.stderr == ""


def test_a_querys_own_prefix_wins(cache_dir):
    text = "PREFIX skos: <http://example.org/not-skos#> SELECT (skos:prefLabel AS ?p) WHERE {}"
    done = kg("query", "--format", "csv", text, cache=cache_dir, check=True)
    assert done.stdout.splitlines() == ["p", "http://example.org/not-skos#prefLabel"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "SELECT ?n WHERE { ?s foaf:name ?n }",
            "malformed SPARQL at 1:22: unknown prefix `foaf:` — add `PREFIX foaf: <http://xmlns.com/foaf/0.1/>`",
        ),
        (
            "SELECT ?s WHERE {\n  ?s a ex:Thing .\n}",
            "malformed SPARQL at 2:8: unknown prefix `ex:` — add `PREFIX ex: <…>`",
        ),
        (
            '# a comment with no:prefix\nSELECT ?s WHERE { ?s ?p "a:b", fn:f }',
            "malformed SPARQL at 2:32: unknown prefix `fn:` — add `PREFIX fn: <…>`",
        ),
    ],
)
def test_an_undeclared_prefix_is_named_with_the_line_to_add(cache_dir, text, message):
    done = kg("query", text, cache=cache_dir)
    assert done.returncode == 1
    assert done.stderr == f"error: {message}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT ?s WHERE { ?s ?p }", "malformed SPARQL at 1:26: expected one of LATERAL, SERVICE"),
        ("SELECT * WHERE { ?s ?p 1e }", "malformed SPARQL at 1:28: unexpected input"),
        # a prefix the query declares itself is not blamed for another mistake
        (
            "PREFIX ex: <http://example.org/>\nSELECT ?s WHERE { ex:s ex:p ex:o . ?s ?p }",
            "malformed SPARQL at 2:43: expected one of LATERAL, SERVICE",
        ),
    ],
)
def test_other_syntax_errors_give_a_position_and_no_character_classes(cache_dir, text, message):
    done = kg("query", text, cache=cache_dir)
    assert done.returncode == 1 and done.stderr == f"error: {message}\n"


def test_a_long_listing_of_expected_tokens_keeps_tokens_and_drops_unicode_ranges(cache_dir):
    done = kg("query", "SELECT * { ?s a ?  }", cache=cache_dir)
    assert done.stderr.startswith('error: malformed SPARQL at 1:20: expected one of "$", "\'", ')
    assert done.stderr.endswith('"[", "\\"", "\\"\\"\\"", "_:", "false", "true", "|", OPTIONAL\n')
    assert done.stderr.count("\n") == 1 and "..=" not in done.stderr and "u{" not in done.stderr


def test_a_misspelt_query_form_gives_a_position(cache_dir):
    done = kg("query", "SELEC ?s WHERE { ?s ?p ?o }", cache=cache_dir)
    assert "1:1" in done.stderr and "found 'SELEC'" in done.stderr


def test_relative_data_and_ontology_paths_from_the_working_directory(tmp_path):
    """`kg --data one.ttl build`, as the README writes it, from the folder holding one.ttl."""
    (tmp_path / "acme.ttl").write_text(USER_ORG, encoding="utf-8")
    built = kg("--data", "acme.ttl", "--cache-dir", "cache", "build", cwd=tmp_path, check=True)
    assert "https://w3id.org/pharma-kg/graph/user/acme " in built.stdout
    assert list((tmp_path / "cache").iterdir())  # the relative cache folder is under the working dir
    write_ontology(tmp_path / "onto", {"data.ttl": "ex:a ex:b ex:c .\n"})
    checked = kg("--ontology", "onto", "--data", "acme.ttl", "validate", cwd=tmp_path, check=True)
    assert checked.stdout == "valid: 2 file(s) conform to the shapes\n"
    missing = kg("--data", "nowhere.ttl", "build", cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr == f"error: {tmp_path / 'nowhere.ttl'}: no such file\n"


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (
            ("build", "--data", "x.ttl"),
            "--data is an option of kg itself, not of `kg build`: "
            "give it before the command, as in: kg --data x.ttl build",
        ),
        (
            ("query", "--ontology=o", "ASK {}"),
            "--ontology is an option of kg itself, not of `kg query`: "
            "give it before the command, as in: kg --ontology=o query 'ASK {}'",
        ),
    ],
)
def test_a_global_option_after_the_command_says_where_it_goes(args, suggestion):
    done = kg(*args)
    assert done.returncode == 2
    assert done.stderr == f"error: {suggestion}\n"


def test_query_warns_about_our_iris_the_graph_does_not_hold(cache_dir):
    text = "SELECT ?r WHERE { pkg:CMOO pkg:hasResponsibility ?r }"
    done = kg("query", text, cache=cache_dir, check=True)
    assert "0 row(s)" in done.stdout
    assert done.stderr == "warning: pkg:CMOO does not occur in the graph; did you mean pkg:CMO?\n"
    typo = "PREFIX pkg: <http://w3id.org/pharma-kg/id/> ASK { pkg:CMO pkg:hasResponsibility ?r }"
    done = kg("query", typo, cache=cache_dir, check=True)
    assert done.stderr.splitlines() == [
        "warning: <http://w3id.org/pharma-kg/id/CMO> does not occur in the graph; did you mean pkg:CMO?",
        "warning: <http://w3id.org/pharma-kg/id/hasResponsibility> does not occur in the graph; "
        "did you mean pkg:hasResponsibility?",
    ]
    param = kg("query", "--name", "responsibilities", "--param", "role=pkg:CMX", cache=cache_dir, check=True)
    assert param.stderr == "warning: pkg:CMX does not occur in the graph; did you mean pkg:CMO?\n"
    fine = f"SELECT ?r WHERE {{ <{PKG}CMO> pkg:hasResponsibility ?r }} # pkg:Nothing in a comment"
    assert kg("query", fine, cache=cache_dir, check=True).stderr == ""


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("json", f"SELECT ?s WHERE {{ ?s a <{PKG}Role> }}"),
        ("json", f"ASK {{ <{PKG}CRO> a <{PKG}Role> }}"),
        ("xml", f"ASK {{ <{PKG}CRO> a <{PKG}Role> }}"),  # ended with one already: not two now
        ("ntriples", f"CONSTRUCT WHERE {{ <{PKG}CRO> a ?c }}"),
    ],
)
def test_machine_output_ends_with_a_newline(cache_dir, fmt, text):
    done = kg("query", "--format", fmt, text, cache=cache_dir, check=True)
    assert done.stdout.endswith("\n") and not done.stdout.endswith("\n\n")


def test_a_table_that_cuts_values_says_how_to_see_them_whole(cache_dir):
    args = ("query", "--name", "responsibilities", "--param", "role=pkg:CMO")
    cut = kg(*args, cache=cache_dir, check=True).stdout.splitlines()
    assert any(line.endswith("…") for line in cut)
    assert cut[-2:] == [
        "5 row(s)",
        "(long values are cut with “…”: use --wide or --format csv to see them whole)",
    ]
    whole = kg(*args, "--wide", cache=cache_dir, check=True).stdout
    assert "…" not in whole and "(long values" not in whole
    assert "Manufacturing the active pharmaceutical ingredient (API) in" in whole
    short = kg("query", f"SELECT ?s WHERE {{ ?s a <{PKG}Role> }}", cache=cache_dir, check=True).stdout
    assert "(long values" not in short


def test_export_help_shows_defaults_descriptions_and_every_format_name():
    text = " ".join(kg("export", "--help", check=True).stdout.split())
    assert "[default: turtle]" in text and "[default: all]" in text and "[default: void]" in text
    assert "asserted: the source files' graphs; inferred: the reasoner's graph; all: both." in text
    words = re.split(r"[\s,();.]+", text)
    for name in ("xml", "pretty-xml", "n3", "json-ld", "nt", "ttl", "nquads", "trig"):
        assert name in words, name
    refused = re.split(r"[\s,();.]+", kg("export", "--format", "yaml").stderr)
    for name in ("xml", "pretty-xml", "n3", "json-ld", "nt", "ttl", "nquads", "trig"):
        assert name in refused, name


def _on_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run `kg` with stderr on a pseudo-terminal (as in a shell); return its exit code and what it showed."""
    import os
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "160"},
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the process closed its end
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return process.wait(timeout=300), re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.decode("utf-8", "replace"))


def test_build_shows_its_stages_on_a_terminal_and_nothing_extra_elsewhere(tmp_path):
    data = tmp_path / "orgs.ttl"
    data.write_text(
        "@prefix pkg: <https://w3id.org/pharma-kg/id/> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix dcterms: <http://purl.org/dc/terms/> .\n"
        '<https://example.org/o1> pkg:playsRole pkg:CRO ; skos:prefLabel "O1"@en ;\n'
        "  dcterms:source <https://example.org/src> .\n",
        encoding="utf-8",
    )
    args = ["--cache-dir", str(tmp_path / "c"), "--data", str(data), "build", "--force"]
    code, shown = _on_a_terminal(args)
    assert code == 0, shown
    for stage in ("parse", "validate", "reason", "store"):
        assert re.search(rf"✓ {stage}\s+\S.*\d+\.\d s", shown), (stage, shown)
    assert re.search(r"✓ parse\s+6 file\(s\), [\d,]+ triples", shown), shown
    assert re.search(r"✓ reason\s+[\d,]+ inferred triples in \d+ round\(s\)", shown), shown
    piped = kg(*args, check=True)  # stderr is a pipe: no stage lines, no spinner
    assert piped.stderr == "" and "✓" not in piped.stdout

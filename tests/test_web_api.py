# ruff: noqa: F811 -- the kg_server fixture is imported, then named as an argument
"""The `/api` surface over real HTTP: named queries, injection attempts, OpenAPI, paths, explanations.

Every answer is compared with the core run in-process on the same sources (conftest's `store`), so the
API gives the same answers as the CLI, and with what the article and the FDA stages say.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from kg import sparql
from kg.catalog import default_catalog
from kg.explain import explain
from kg.store import DatasetSpec
from kg.traverse import neighbours as core_neighbours
from kg.traverse import paths as core_paths

from api_fixtures import ONTOLOGY, PKG, kg_server  # noqa: F401
from web_fixtures import Client, start_server, stop_server

SRX = "{http://www.w3.org/2005/sparql-results#}"
CMO_RESPONSIBILITIES = [
    "Drug Substance Production",
    "Finished Dosage Forms",
    "Intermediates Production",
    "Quality Control",
    "Regulatory Compliance",
]
MANUFACTURING = ["DrugSubstanceProduction", "IntermediatesProduction", "FinishedDosageFormsProduction"]
CATALOG = default_catalog()


def get_json(client: Client, path: str, params: dict | None = None, status: int = 200) -> Any:
    reply = client.get(path, params, Accept="application/json")
    assert reply.status == status, reply.text
    assert reply.headers["Content-Type"].startswith("application/json")
    return json.loads(reply.body)


def values(rows: list[dict], column: str) -> list[str | None]:
    return [row[column]["value"] if column in row else None for row in rows]


def core_rows(store, name: str, **params: str) -> list[dict[str, str]]:
    """What the CLI prints for a named query: the catalog binds, the safe runner evaluates."""
    query = CATALOG.get(name)
    outcome = sparql.run(store, query.text, DatasetSpec(), query.bind(params))
    return [{v: row[v].value for v in outcome.variables if row[v] is not None} for row in outcome.rows]


# --- the list ---------------------------------------------------------------------------------


def test_list_names_every_query_with_typed_parameters(kg_server: Client) -> None:
    listed = {q["name"]: q for q in get_json(kg_server, "/api/queries")["queries"]}
    assert set(listed) == {q.name for q in CATALOG}
    responsibilities = listed["responsibilities"]
    assert responsibilities["params"] == [
        {
            "name": "role",
            "type": "iri",
            "default": "pkg:CRO",
            "required": False,
            "description": CATALOG.get("responsibilities").params[0].description,
        }
    ]
    assert responsibilities["url"] == "/api/queries/responsibilities"
    assert responsibilities["summary"] == "Responsibilities of a role, with their descriptions."
    assert all(q["questions"] for q in listed.values())


# --- every query, same answers as the core ----------------------------------------------------


@pytest.mark.parametrize("name", [q.name for q in CATALOG])
def test_every_query_with_its_defaults_matches_the_core(kg_server: Client, store, name: str) -> None:
    answer = get_json(kg_server, f"/api/queries/{name}")
    expected = core_rows(store, name)
    assert expected, f"{name} has no answer with its defaults"
    assert answer["query"] == name and answer["truncated"] is False
    got = [{col: cell["value"] for col, cell in row.items()} for row in answer["rows"]]
    assert got == expected
    for row in answer["rows"]:
        for cell in row.values():
            if cell["type"] == "iri":
                assert cell["label"] and cell["curie"]
            else:
                assert cell["type"] == "literal" and cell["label"] == cell["value"]


def test_responsibilities_of_cmo(kg_server: Client) -> None:
    answer = get_json(kg_server, "/api/queries/responsibilities", {"role": "pkg:CMO"})
    assert answer["columns"] == ["role", "responsibility", "label", "description"]
    assert [row["responsibility"]["label"] for row in answer["rows"]] == CMO_RESPONSIBILITIES
    assert {row["role"]["value"] for row in answer["rows"]} == {PKG + "CMO"}
    quality = answer["rows"][3]
    assert quality["responsibility"] == {
        "value": PKG + "QualityControl",
        "label": "Quality Control",
        "type": "iri",
        "curie": "pkg:QualityControl",
    }
    assert (
        quality["description"]["value"] == "Ensuring the quality of the products meets regulatory standards."
    )


def test_full_iri_and_angle_brackets_mean_the_same_as_the_curie(kg_server: Client) -> None:
    for role in ("pkg:CMO", PKG + "CMO", f"<{PKG}CMO>"):
        rows = get_json(kg_server, "/api/queries/responsibilities", {"role": role})["rows"]
        assert [row["label"]["value"] for row in rows] == CMO_RESPONSIBILITIES


def test_stage_questions(kg_server: Client) -> None:
    stages = get_json(kg_server, "/api/queries/role-stages", {"role": "pkg:CRO"})["rows"]
    assert "Phase II" in [row["label"]["value"] for row in stages]
    before = get_json(
        kg_server, "/api/queries/stage-is-before", {"first": "pkg:PhaseIIIStage", "second": "pkg:PhaseIStage"}
    )
    assert values(before["rows"], "isBefore") == ["false"]
    assert get_json(kg_server, "/api/queries/role-stages", {"role": "pkg:CMO"})["rows"] == []


def test_infer_false_drops_what_only_the_reasoner_knows(kg_server: Client) -> None:
    inferred = get_json(kg_server, "/api/queries/role-stages", {"role": "pkg:CRO"})["rows"]
    asserted = get_json(kg_server, "/api/queries/role-stages", {"role": "pkg:CRO", "infer": "false"})["rows"]
    assert inferred and asserted == []


# --- formats ----------------------------------------------------------------------------------


def test_csv_tsv_xml_and_sparql_json_carry_the_same_rows(kg_server: Client) -> None:
    params = {"role": "pkg:CMO"}
    friendly = get_json(kg_server, "/api/queries/responsibilities", params)["rows"]
    labels = [row["label"]["value"] for row in friendly]

    reply = kg_server.get("/api/queries/responsibilities", {**params, "format": "csv"})
    assert reply.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert [row["label"] for row in csv.DictReader(io.StringIO(reply.text))] == labels

    reply = kg_server.get("/api/queries/responsibilities", params, Accept="text/tab-separated-values")
    lines = reply.text.splitlines()
    assert lines[0].split("\t") == ["?role", "?responsibility", "?label", "?description"]
    assert [line.split("\t")[2] for line in lines[1:]] == [f'"{text}"@en' for text in labels]

    reply = kg_server.get("/api/queries/responsibilities", {**params, "format": "xml"})
    assert reply.headers["Content-Type"] == "application/sparql-results+xml"
    root = ET.fromstring(reply.body)
    found = [b.find(f"{SRX}literal").text for b in root.iter(f"{SRX}binding") if b.get("name") == "label"]
    assert found == labels

    for how in ({"format": "srj"}, {"Accept": "application/sparql-results+json"}):
        fmt = {k: v for k, v in how.items() if k == "format"}
        reply = kg_server.get(
            "/api/queries/responsibilities",
            {**params, **fmt},
            **{k: v for k, v in how.items() if k == "Accept"},
        )
        assert reply.headers["Content-Type"] == "application/sparql-results+json"
        bindings = json.loads(reply.body)["results"]["bindings"]
        assert [b["label"]["value"] for b in bindings] == labels


def test_unknown_format_is_406(kg_server: Client) -> None:
    reply = kg_server.get("/api/queries/responsibilities", {"format": "turtle"})
    assert reply.status == 406
    assert "csv" in reply.text and "unknown format" in reply.text


def test_answers_are_cached_with_etags(kg_server: Client) -> None:
    first = kg_server.get("/api/queries/stages")
    again = kg_server.get("/api/queries/stages", **{"If-None-Match": first.headers["ETag"]})
    assert first.status == 200 and again.status == 304


# --- errors -----------------------------------------------------------------------------------


def test_wrong_typed_parameter_is_400_naming_parameter_and_type(kg_server: Client) -> None:
    error = get_json(kg_server, "/api/queries/responsibilities", {"role": "not an iri"}, status=400)
    assert error["status"] == 400
    assert "'role'" in error["message"] and "IRI" in error["message"]


def test_unknown_parameter_is_400_listing_the_parameters(kg_server: Client) -> None:
    error = get_json(kg_server, "/api/queries/responsibilities", {"rol": "pkg:CMO"}, status=400)
    assert "'rol'" in error["message"] and "role" in error["message"]


def test_repeated_parameter_is_400(kg_server: Client) -> None:
    error = get_json(
        kg_server, "/api/queries/responsibilities", [("role", "pkg:CMO"), ("role", "pkg:CRO")], 400
    )
    assert "'role'" in error["message"] and "once" in error["message"]


def test_wrong_typed_infer_is_400(kg_server: Client) -> None:
    error = get_json(kg_server, "/api/queries/stages", {"infer": "maybe"}, status=400)
    assert "'infer'" in error["message"]


def test_unknown_query_is_404_with_close_matches(kg_server: Client) -> None:
    error = get_json(kg_server, "/api/queries/responsibilites", status=404)
    assert "did you mean responsibilities" in error["message"]


# --- injection --------------------------------------------------------------------------------

#: Values that would change the query if they were pasted into its text.
ATTACKS = [
    'Quality Control" } UNION { ?s ?p ?o } #',
    "Quality Control' } UNION { ?s ?p ?o } #",
    "Quality Control\n} UNION { ?s ?p ?o }",
    "}",
    "{",
    ">",
    '"',
    "\\",
    "?name",
    "Quality Control> . ?s ?p ?o",
    'x" . FILTER(true) } #',
    "SELECT * WHERE { ?s ?p ?o }",
]


@pytest.mark.parametrize("value", ATTACKS)
def test_string_parameter_values_never_change_the_query(kg_server: Client, value: str) -> None:
    """The value is one literal: a name no resource has, so the answer is empty (not every triple)."""
    for name in ("responsible-role", "resources-by-label"):
        answer = get_json(kg_server, f"/api/queries/{name}", {"name": value})
        assert answer["rows"] == [], (name, value)


@pytest.mark.parametrize(
    "value",
    [
        "pkg:CRO> } UNION { ?s ?p ?o } #",
        f"<{PKG}CRO> . ?s ?p ?o",
        PKG + "CRO>\n} UNION { ?s ?p ?o }",
        'pkg:CRO" }',
        PKG + "CRO{}",
        "pkg:CRO UNION",
        "<>",
        "pkg:CRO#> } } SELECT * WHERE { ?s ?p ?o",
    ],
)
def test_iri_parameter_values_never_change_the_query(kg_server: Client, value: str) -> None:
    reply = kg_server.get("/api/queries/responsibilities", {"role": value}, Accept="application/json")
    assert reply.status in (200, 400), reply.text
    answer = json.loads(reply.body)
    if reply.status == 400:
        assert "'role'" in answer["message"]
    else:
        assert answer["rows"] == []


def test_a_legitimate_value_with_quotes_is_bound_as_a_literal(kg_server: Client) -> None:
    plain = get_json(kg_server, "/api/queries/responsible-role", {"name": "quality control"})
    assert values(plain["rows"], "role") == [PKG + "CMO"]
    quoted = get_json(kg_server, "/api/queries/responsible-role", {"name": 'quality control" || "1" = "1'})
    assert quoted["rows"] == []


# --- OpenAPI ----------------------------------------------------------------------------------


def test_openapi_document_validates_and_has_one_operation_per_query(kg_server: Client) -> None:
    from openapi_spec_validator import validate

    document = get_json(kg_server, "/api/openapi.json")
    validate(document)
    assert document["openapi"].startswith("3.1")
    operations = {op["operationId"]: op for path in document["paths"].values() for op in path.values()}
    for query in CATALOG:
        operation = operations["query_" + query.name.replace("-", "_")]
        assert operation["summary"] == query.summary
        params = {p["name"]: p for p in operation["parameters"]}
        for param in query.params:
            assert params[param.name]["required"] is param.required
            assert params[param.name]["schema"]["default"] == param.default
    role = {p["name"]: p for p in operations["query_responsibilities"]["parameters"]}["role"]
    assert role["schema"]["type"] == "string" and role["in"] == "query"
    paths = {p["name"]: p for p in operations["paths"]["parameters"]}
    assert paths["from"]["required"] and paths["max_depth"]["schema"]["maximum"] == 8
    assert {"neighbours", "paths", "explain", "list_queries"} <= set(operations)


#: What every generated answer is checked for: no 5xx, and status, media type, headers and body all as
#: the OpenAPI document says (so the document is checked against the server, and the server against it).
CONFORMANCE = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)


def _conformance_checks(*leave_out: str) -> list:
    from schemathesis import checks

    return [getattr(checks, name) for name in CONFORMANCE if name not in leave_out]


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(kg_server: Client) -> None:
    """Generated requests for every operation (bounded examples): no answer may be a 5xx, and every
    answer must conform to the OpenAPI document (status documented, media type, headers, body schema)."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_url(f"{kg_server.url}/api/openapi.json")
    checks = _conformance_checks()
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def check(case) -> None:
            response = case.call(base_url=kg_server.url)
            case.validate_response(response, checks=checks)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
            failures.append(f"{operation.label}: {_describe(exc)}")  # every failing operation, at once
    assert not failures, "\n".join(failures)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"


#: Answers generated requests rarely reach: (operation, query parameters, headers, expected status).
#: Each one must conform to the document as well, so the document cannot leave them out or get them wrong.
EDGE_CASES = [
    ("/api/queries", {}, {}, 200),
    ("/api/queries/responsibilities", {"role": "pkg:CMO"}, {}, 200),
    ("/api/queries/responsibilities", {"format": "srj"}, {}, 200),
    ("/api/queries/responsibilities", {"format": "csv"}, {}, 200),
    ("/api/queries/responsibilities", {"format": "xml"}, {}, 200),
    ("/api/queries/responsibilities", {}, {"Accept": "text/tab-separated-values"}, 200),
    ("/api/queries/responsibilities", {}, {"Accept": "image/png"}, 406),
    ("/api/queries/responsibilities", {"format": "turtle"}, {}, 406),
    ("/api/queries/responsibilities", {"role": "not an iri"}, {}, 400),
    ("/api/queries/responsibilities", {"role": "not an iri"}, {"Accept": "text/plain"}, 400),
    ("/api/queries/responsibilities", {"infer": "perhaps"}, {}, 400),
    ("/api/neighbours", {"node": "Regulatory Compliance"}, {}, 400),
    ("/api/neighbours", {"node": "pkg:NoSuchThing"}, {}, 404),
    ("/api/paths", {"from": "CRO", "to": "pkg:NoSuchThing"}, {}, 404),
    ("/api/paths", {"from": "CRO", "to": "CMO", "max_depth": "2"}, {}, 200),
    ("/api/explain", {"s": "CMO", "p": "pkg:activeInStage", "o": "pkg:PhaseIIStage"}, {}, 404),
    ("/api/explain", {"s": "CRO", "p": "pkg:activeInStage", "o": "pkg:PhaseIIStage"}, {}, 200),
]


@pytest.mark.slow
def test_schemathesis_edge_answers_conform_to_the_openapi_document(kg_server: Client) -> None:
    """Conditional, negotiated and error answers, checked against the document with the same checks:
    304 with its ETag, the results formats, 406, 400 as JSON or text, 404, all with their headers."""
    import schemathesis

    schema = schemathesis.openapi.from_url(f"{kg_server.url}/api/openapi.json")
    checks = _conformance_checks()
    failures = []
    for path, query, headers, status in EDGE_CASES:
        case = schema[path]["GET"].Case(query=query, headers=headers)
        response = case.call(base_url=kg_server.url)
        failures += _conformance(case, response, checks, status)
        etag = response.headers.get("etag")  # schemathesis: lower-case names, lists of values
        if path.startswith("/api/queries/") and status == 200:  # the same request, revalidated
            assert etag, f"{path} {query}: a named query's answer has no ETag"
            revalidate = {**headers, "If-None-Match": etag[0]}
            again = schema[path]["GET"].Case(query=query, headers=revalidate)
            failures += _conformance(again, again.call(base_url=kg_server.url), checks, 304)
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_schemathesis_503_answers_conform_to_the_openapi_document(cache_dir) -> None:
    """With no time budget at all, an explanation gets the documented 503 (JSON error, `Retry-After`,
    `no-store`: the prover's zero budget allows no step); a named query gets a 503 too unless a worker
    was free at once (either answer must conform); a path search answers 200, marked incomplete."""
    import schemathesis

    from api_fixtures import ONTOLOGY
    from web_fixtures import start_server, stop_server

    process, client = start_server(ONTOLOGY, cache_dir, KG_QUERY_TIMEOUT="0", KG_MAX_ROWS="10000")
    try:
        schema = schemathesis.openapi.from_url(f"{client.url}/api/openapi.json")
        checks = _conformance_checks("not_a_server_error")  # these 503s are the point
        failures = []
        for path, query, statuses in [
            ("/api/explain", {"s": "CRO", "p": "pkg:activeInStage", "o": "pkg:PhaseIIStage"}, {503}),
            ("/api/queries/responsibilities", {"role": "pkg:CRO"}, {503, 200}),
            ("/api/paths", {"from": "CRO", "to": "CMO"}, {200}),
        ]:
            case = schema[path]["GET"].Case(query=query)
            response = case.call(base_url=client.url)
            failures += _conformance(case, response, checks, *statuses)
            if response.status_code == 503:
                assert int(response.headers["retry-after"][0]) > 0
        assert not failures, "\n".join(failures)
    finally:
        stop_server(process)


def _conformance(case, response, checks, *statuses: int) -> list[str]:
    """Why `response` is not one of `statuses` or does not conform to the document (empty: it does)."""
    label = f"{case.operation.label} {case.query} {dict(case.headers or {})}"
    if response.status_code not in statuses:
        return [f"{label}: status {response.status_code}, expected {statuses}: {response.text[:200]}"]
    try:
        case.validate_response(response, checks=checks)
    except (Exception, BaseExceptionGroup) as exc:
        return [f"{label}: {_describe(exc)}"]
    return []


# --- neighbours -------------------------------------------------------------------------------


def test_neighbours_of_cmo_by_label(kg_server: Client) -> None:
    answer = get_json(kg_server, "/api/neighbours", {"node": "CMO"})
    assert answer["node"]["value"] == PKG + "CMO" and answer["truncated"] is False
    responsibilities = {
        e["object"]["label"]
        for e in answer["edges"]
        if e["direction"] == "out" and e["predicate"]["curie"] == "pkg:hasResponsibility"
    }
    assert sorted(responsibilities) == CMO_RESPONSIBILITIES
    inverse = [e for e in answer["edges"] if e["predicate"]["curie"] == "pkg:isResponsibilityOf"]
    assert inverse and all(e["direction"] == "in" and e["inferred"] for e in inverse)
    asserted = get_json(kg_server, "/api/neighbours", {"node": "CMO", "infer": "false"})
    assert not any(e["inferred"] for e in asserted["edges"])


def test_neighbours_limit_and_unknown_node(kg_server: Client) -> None:
    few = get_json(kg_server, "/api/neighbours", {"node": "pkg:CRO", "limit": "3"})
    assert len(few["edges"]) == 3 and few["truncated"] is True and few["count"] > 3
    error = get_json(kg_server, "/api/neighbours", {"node": "pkg:CROO"}, status=404)
    assert "pkg:CROO" in error["message"] and "pkg:CRO" in error["message"]
    error = get_json(kg_server, "/api/neighbours", status=400)
    assert "'node'" in error["message"]
    for malformed in ("pkg:a b", "<not an iri>", "http://example.org/a b"):
        error = get_json(kg_server, "/api/neighbours", {"node": malformed}, status=400)
        assert "'node'" in error["message"] and "not a valid IRI" in error["message"]


def test_neighbours_of_a_busy_node_stop_at_the_limit_and_say_there_are_more(kg_server: Client, store) -> None:
    everything = core_neighbours(store, "pkg:CRO")
    answer = get_json(kg_server, "/api/neighbours", {"node": "pkg:CRO", "limit": "5"})
    assert len(answer["edges"]) == 5 and answer["truncated"] is True
    assert answer["count"] == len(everything) > 5
    assert answer["edges"] == json.loads(json.dumps([e.to_dict() for e in everything[:5]]))
    error = get_json(kg_server, "/api/neighbours", {"node": "pkg:CRO", "limit": "5001"}, status=400)
    assert "'limit'" in error["message"] and "from 1 to 5000" in error["message"]


# --- paths ------------------------------------------------------------------------------------


def _edges(path: dict) -> list[tuple[str, str, str, str, bool]]:
    return [
        (e["subject"]["curie"], e["predicate"]["curie"], e["object"]["curie"], e["direction"], e["inferred"])
        for e in path["edges"]
    ]


@pytest.mark.parametrize("stage", ["PhaseIStage", "PhaseIIStage", "PhaseIIIStage"])
def test_paths_from_cro_to_each_clinical_stage(kg_server: Client, store, stage: str) -> None:
    answer = get_json(kg_server, "/api/paths", {"from": "CRO", "to": f"pkg:{stage}", "max_depth": "2"})
    assert answer["complete"] is True and answer["to"]["curie"] == f"pkg:{stage}"
    found = [_edges(p) for p in answer["paths"]]
    assert found[0] == [("pkg:CRO", "pkg:activeInStage", f"pkg:{stage}", "forward", True)]
    assert [
        ("pkg:CRO", "pkg:hasResponsibility", "pkg:ClinicalTrials", "forward", False),
        ("pkg:ClinicalTrials", "pkg:performedInStage", f"pkg:{stage}", "forward", False),
    ] in found
    assert [p["length"] for p in answer["paths"]] == sorted(p["length"] for p in answer["paths"])
    expected = core_paths(store, "CRO", f"pkg:{stage}", max_depth=2, timeout_s=20).to_dict()
    assert answer["paths"] == expected["paths"]


@pytest.mark.parametrize("local", [*MANUFACTURING, "QualityControl", "RegulatoryComplianceResponsibility"])
def test_paths_from_cmo_to_its_manufacturing_responsibilities(kg_server: Client, local: str) -> None:
    answer = get_json(kg_server, "/api/paths", {"from": "pkg:CMO", "to": f"pkg:{local}", "max_depth": "1"})
    assert [_edges(p) for p in answer["paths"]] == [
        [("pkg:CMO", "pkg:hasResponsibility", f"pkg:{local}", "forward", False)]
    ]
    assert [n["curie"] for n in answer["paths"][0]["nodes"]] == ["pkg:CMO", f"pkg:{local}"]


def test_paths_between_the_two_roles_show_the_collaboration(kg_server: Client) -> None:
    answer = get_json(kg_server, "/api/paths", {"from": "pkg:CMO", "to": "pkg:CRO", "max_depth": "2"})
    found = [_edges(p) for p in answer["paths"]]
    assert [("pkg:CMO", "pkg:collaboratesWith", "pkg:CRO", "forward", False)] in found
    collaboration = [
        ("pkg:CmoCroCollaboration", "pkg:hasParticipant", "pkg:CMO", "backward", False),
        ("pkg:CmoCroCollaboration", "pkg:hasParticipant", "pkg:CRO", "forward", False),
    ]
    assert collaboration in found
    hand_over = get_json(
        kg_server, "/api/paths", {"from": "pkg:CRO", "to": "pkg:CMO", "max_depth": "1", "directed": "true"}
    )
    # two predicates between the same two nodes are two paths; the CRO hands over to the CMO (inferred)
    assert [_edges(p) for p in hand_over["paths"]] == [
        [("pkg:CRO", "pkg:collaboratesWith", "pkg:CMO", "forward", True)],
        [("pkg:CRO", "pkg:handsOverTo", "pkg:CMO", "forward", True)],
    ]


def test_parallel_edges_are_separate_paths_as_in_the_cli(kg_server: Client, cache_dir) -> None:
    answer = get_json(kg_server, "/api/paths", {"from": "CRO", "to": "CMO", "max_depth": "1"})
    assert [_edges(p) for p in answer["paths"]] == [
        [("pkg:CMO", "pkg:collaboratesWith", "pkg:CRO", "backward", False)],
        [("pkg:CRO", "pkg:handsOverTo", "pkg:CMO", "forward", True)],
    ]
    cli_json = json.loads(_kg(cache_dir, "paths", "CRO", "CMO", "--max-depth", "1", "--json"))
    assert cli_json["paths"] == answer["paths"]
    assert get_json(kg_server, "/api/paths", {"from": "CRO", "to": "CMO", "limit": "1"})["paths"] == [
        answer["paths"][0]
    ]


def _kg(cache_dir, *args: str) -> str:
    """`kg --cache-dir CACHE ARGS…` in this process, over the build the server uses."""
    from click.testing import CliRunner

    from kg.cli import cli

    done = CliRunner().invoke(cli, ["--cache-dir", str(cache_dir), *args])
    assert done.exit_code == 0, done.output
    return done.output


def test_depth_cap_and_limits_are_clear(kg_server: Client) -> None:
    for depth in ("0", "9", "-1", "two", ""):
        error = get_json(
            kg_server, "/api/paths", {"from": "CRO", "to": "CMO", "max_depth": depth}, status=400
        )
        assert "'max_depth'" in error["message"] and "from 1 to 8" in error["message"]
    error = get_json(kg_server, "/api/paths", {"from": "CRO", "to": "CMO", "limit": "1000"}, status=400)
    assert "'limit'" in error["message"]
    short = get_json(kg_server, "/api/paths", {"from": "CRO", "to": "pkg:PostMarketStage", "max_depth": "1"})
    assert short["paths"] == [] and short["complete"] is True
    one = get_json(kg_server, "/api/paths", {"from": "CRO", "to": "CMO", "limit": "1"})
    assert len(one["paths"]) == 1 and one["stopped"] == "limit of 1 paths reached"


def test_paths_unknown_node_is_404_with_close_matches(kg_server: Client) -> None:
    error = get_json(kg_server, "/api/paths", {"from": "Quality Contrl", "to": "CMO"}, status=404)
    assert "Quality Contrl" in error["message"] and "pkg:QualityControl" in error["message"]
    error = get_json(kg_server, "/api/paths", {"from": "CRO"}, status=400)
    assert "'to'" in error["message"]


# --- explanations -----------------------------------------------------------------------------


def _rules(proof: dict) -> set[str]:
    found = {proof["rule"]} if proof.get("rule") else set()
    for premise in proof.get("premises", []):
        found |= _rules(premise)
    return found


def _down_to_asserted(proof: dict) -> None:
    """Every leaf is asserted in a named graph; every inner node names a rule and has premises."""
    if proof["status"] == "asserted":
        assert proof["graphs"], proof
        return
    assert proof["rule"] and proof["premises"], proof
    for premise in proof["premises"]:
        _down_to_asserted(premise)


#: One inferred triple per kind of axiom the ontology uses: (s, p, o, the rule at the top, rules below).
AXIOMS = {
    "inverse": ("pkg:DataManagement", "pkg:isResponsibilityOf", "pkg:CRO", "prp-inv1", set()),
    "inverse, other side": (
        "pkg:PostMarketStage",
        "pkg:follows",
        "pkg:DrugDiscoveryStage",
        "prp-inv2",
        {"prp-trp"},
    ),
    "symmetric": ("pkg:CRO", "pkg:collaboratesWith", "pkg:CMO", "prp-symp", set()),
    "transitive": ("pkg:PreclinicalStage", "pkg:precedes", "pkg:PostMarketStage", "prp-trp", {"prp-spo1"}),
    "subPropertyOf": ("pkg:RegulatoryReviewStage", "pkg:precedes", "pkg:PostMarketStage", "prp-spo1", set()),
    "property chain": ("pkg:CRO", "pkg:activeInStage", "pkg:PhaseIIStage", "prp-spo2", set()),
    "hasValue, role from class": (
        "pkg:ExampleManufacturingCompany",
        "pkg:playsRole",
        "pkg:CMO",
        "cls-hv1",
        set(),
    ),
    "hasValue, class from role": (
        "pkg:ExampleResearchCompany",
        "rdf:type",
        "pkg:ContractResearchOrganisation",
        "cax-eqc2",
        {"cls-hv2"},
    ),
    "subClassOf": ("pkg:CRO", "rdf:type", "org:Role", "cax-sco", set()),
    "intersection": (
        "pkg:ExampleCdmoCompany",
        "rdf:type",
        "pkg:ContractDevelopmentAndManufacturingOrganisation",
        "cax-eqc2",
        {"cls-int1", "cls-hv2"},
    ),
    "domain along subClassOf": ("pkg:playsRole", "rdfs:domain", "schema:Organization", "scm-dom1", set()),
    "domain along subPropertyOf": ("pkg:submittedTo", "rdfs:domain", "pkg:Responsibility", "scm-dom2", set()),
    "range along subClassOf": ("pkg:hasStep", "rdfs:range", "prov:Activity", "scm-rng1", set()),
    "range along subPropertyOf": (
        "pkg:submittedTo",
        "rdfs:range",
        "pkg:RegulatoryAuthority",
        "scm-rng2",
        set(),
    ),
}


@pytest.mark.parametrize("axiom", list(AXIOMS))
def test_explain_each_axiom_type_down_to_asserted_premises(kg_server: Client, store, axiom: str) -> None:
    s, p, o, rule, below = AXIOMS[axiom]
    answer = get_json(kg_server, "/api/explain", {"s": s, "p": p, "o": o})
    proof = answer["proof"]
    assert answer["asserted"] is False and proof["status"] == "inferred"
    assert proof["rule"] == rule
    assert below <= _rules(proof)
    _down_to_asserted(proof)
    assert answer["text"] == explain(store, s, p, o).render_text(ask="max={n}")


def test_explain_property_chain_shows_its_premises(kg_server: Client) -> None:
    proof = get_json(kg_server, "/api/explain", {"s": "CRO", "p": "pkg:activeInStage", "o": "Phase II"})[
        "proof"
    ]
    premises = [
        (x["subject"]["value"], x["predicate"]["curie"], x["object"]["value"]) for x in proof["premises"]
    ]
    assert (PKG + "CRO", "pkg:hasResponsibility", PKG + "ClinicalTrials") in premises
    assert (PKG + "ClinicalTrials", "pkg:performedInStage", PKG + "PhaseIIStage") in premises


PHASE_III = {"s": "CRO", "p": "pkg:activeInStage", "o": "pkg:PhaseIIIStage"}


def test_explain_returns_every_derivation_and_at_most_max(kg_server: Client) -> None:
    answer = get_json(kg_server, "/api/explain", PHASE_III)
    assert answer["max"] == 10 and answer["more"] == 0 and answer["count"] == len(answer["derivations"])
    via = [
        next(
            x["object"]["curie"] for x in d["premises"] if x["predicate"]["curie"] == "pkg:hasResponsibility"
        )
        for d in answer["derivations"]
    ]
    assert via[:2] == ["pkg:ClinicalTrials", "pkg:DataManagement"]  # both responsibilities, in this order
    assert answer["proof"] == answer["derivations"][0]
    for derivation in answer["derivations"]:
        _down_to_asserted(derivation)
    one = get_json(kg_server, "/api/explain", {**PHASE_III, "max": "1"})
    assert one["derivations"] == answer["derivations"][:1] and one["count"] == answer["count"]
    assert one["more"] == answer["count"] - 1 >= 1
    count = answer["count"]
    assert one["text"].splitlines()[-1].endswith(f"({count} in all): max={count} shows them all")
    for wrong in ("0", "101", "all"):
        error = get_json(kg_server, "/api/explain", {**PHASE_III, "max": wrong}, status=400)
        assert "'max'" in error["message"] and "from 1 to 100" in error["message"]


def test_openapi_documents_max_and_every_field_of_an_explanation(kg_server: Client) -> None:
    document = get_json(kg_server, "/api/openapi.json")
    [param] = [p for p in document["paths"]["/api/explain"]["get"]["parameters"] if p["name"] == "max"]
    assert param["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}
    schema = document["components"]["schemas"]["Explanation"]
    answer = get_json(kg_server, "/api/explain", PHASE_III)
    assert set(schema["required"]) == set(schema["properties"]) == set(answer)
    assert schema["properties"]["derivations"]["items"] == {"$ref": "#/components/schemas/Proof"}


def test_explain_gives_the_cli_derivations_in_the_same_order(kg_server: Client, cache_dir) -> None:
    for limit in ("1", "10"):
        answer = get_json(kg_server, "/api/explain", {**PHASE_III, "max": limit})
        printed = json.loads(
            _kg(
                cache_dir,
                "explain",
                "CRO",
                "pkg:activeInStage",
                "pkg:PhaseIIIStage",
                "--max",
                limit,
                "--json",
            )
        )
        assert _stable(printed) == _stable({k: v for k, v in answer.items() if k not in ("text", "max")})


def _stable(data: Any) -> Any:
    """JSON without blank node identifiers, which each load of the store (each process) draws afresh."""
    if isinstance(data, list):
        return [_stable(item) for item in data]
    if isinstance(data, dict):
        if data.get("type") == "bnode":
            return {k: v for k, v in data.items() if k != "value"}
        return {k: _stable(v) for k, v in data.items()}
    return data


def test_a_predicate_reads_the_same_in_explain_paths_and_neighbours(kg_server: Client) -> None:
    explained = get_json(kg_server, "/api/explain", PHASE_III)["proof"]
    path = get_json(kg_server, "/api/paths", {"from": "CRO", "to": "pkg:PhaseIIIStage", "max_depth": "1"})
    near = get_json(kg_server, "/api/neighbours", {"node": "CRO"})["edges"]
    in_paths = path["paths"][0]["edges"][0]["predicate"]
    in_neighbours = next(e["predicate"] for e in near if e["predicate"]["curie"] == "pkg:activeInStage")
    assert (
        explained["predicate"]
        == in_paths
        == in_neighbours
        == {
            "type": "uri",
            "value": PKG + "activeInStage",
            "curie": "pkg:activeInStage",
            "label": "active in stage",
        }
    )
    chain = explained["premises"][0]  # pkg:activeInStage owl:propertyChainAxiom (…): its subject too
    assert chain["subject"] == in_paths and chain["predicate"]["curie"] == "owl:propertyChainAxiom"


def test_explain_asserted_triple_quotes_its_source(kg_server: Client) -> None:
    answer = get_json(
        kg_server, "/api/explain", {"s": "pkg:CMO", "p": "pkg:hasResponsibility", "o": "pkg:QualityControl"}
    )
    assert answer["asserted"] is True
    assert answer["proof"]["graphs"] == ["https://w3id.org/pharma-kg/graph/article"]
    source = "https://w3id.org/pharma-kg/source/article#cmo"
    assert answer["proof"]["sources"] == [source]
    assert answer["passages"][source]["label"] == "CMO: The Production Specialists"
    assert "Quality Control" in answer["passages"][source]["quotation"]


def test_explain_not_entailed_is_404_with_reason(kg_server: Client) -> None:
    error = get_json(
        kg_server, "/api/explain", {"s": "pkg:CMO", "p": "pkg:activeInStage", "o": "pkg:PhaseIIStage"}, 404
    )
    assert "neither asserted nor inferred" in error["message"]
    error = get_json(kg_server, "/api/explain", {"s": "pkg:CMO", "p": "pkg:nope", "o": "pkg:CRO"}, status=404)
    assert "pkg:nope" in error["message"]
    error = get_json(kg_server, "/api/explain", {"s": "pkg:CMO", "p": "pkg:hasResponsibility"}, status=400)
    assert "'o'" in error["message"]


def test_api_errors_are_json_for_curl_like_clients(kg_server: Client) -> None:
    reply = kg_server.get("/api/paths", {"from": "pkg:a b", "to": "CMO"}, Accept="*/*")
    assert reply.status == 400
    assert reply.headers["Content-Type"].startswith("application/json")
    body = json.loads(reply.text)
    assert body["status"] == 400 and "not a valid IRI" in body["message"] and "'from'" in body["message"]
    ambiguous = kg_server.get("/api/neighbours", {"node": "Expertise"}, Accept="*/*")
    assert ambiguous.status == 400 and "names 2 resources" in json.loads(ambiguous.text)["message"]


def test_explain_a_literal_object(kg_server: Client) -> None:
    params = {
        "s": "pkg:QualityControl",
        "p": "skos:prefLabel",
        "o": '"Quality Control"@en',
        "literal": "true",
    }
    answer = get_json(kg_server, "/api/explain", params)
    assert answer["asserted"] is True and "asserted in article" in answer["text"]
    plain = get_json(kg_server, "/api/explain", {**params, "o": "Quality Control"}, status=404)
    assert "neither asserted nor inferred" in plain["message"]  # a plain string is not the @en label
    broken = get_json(kg_server, "/api/explain", {**params, "o": '"unclosed@en'}, status=400)
    assert "parameter 'o'" in broken["message"]


# --- the time budget of the walks -------------------------------------------------------------


@pytest.fixture(scope="module")
def no_time_server(cache_dir):
    """The domain graph served with a time budget of 0 s: every budgeted walk runs out at once."""
    process, client = start_server(ONTOLOGY, cache_dir, KG_QUERY_TIMEOUT="0", KG_MAX_ROWS="10000")
    try:
        yield client
    finally:
        stop_server(process)


def test_explain_out_of_time_is_503_with_retry_after_and_not_cached(no_time_server: Client) -> None:
    params = {"s": "CRO", "p": "pkg:activeInStage", "o": "pkg:PhaseIIStage"}
    reply = no_time_server.get("/api/explain", params, Accept="application/json")
    assert reply.status == 503 and int(reply.headers["Retry-After"]) > 0
    assert reply.headers["Cache-Control"] == "no-store"
    assert "time budget" in json.loads(reply.body)["message"]
    asserted = {"s": "pkg:CMO", "p": "pkg:hasResponsibility", "o": "pkg:QualityControl"}
    assert get_json(no_time_server, "/api/explain", asserted)["asserted"] is True  # no step to time


def test_paths_cut_by_the_budget_say_so_and_are_not_cached(no_time_server: Client, kg_server: Client) -> None:
    params = {"from": "CRO", "to": "pkg:PhaseIIStage"}
    for _ in range(2):  # the second time too: nothing kept or replayed the first answer
        cut = no_time_server.get("/api/paths", params, Accept="application/json")
        body = json.loads(cut.body)
        assert cut.status == 200 and body["complete"] is False and "time budget" in body["stopped"]
        assert cut.headers["Cache-Control"] == "no-store" and "X-KG-Cache" not in cut.headers
    whole = kg_server.get("/api/paths", params, Accept="application/json")
    assert json.loads(whole.body)["complete"] is True and "max-age" in whole.headers["Cache-Control"]

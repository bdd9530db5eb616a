"""The named queries in queries/*.rq answer the competency questions as the article says.

The `run_named` fixture runs them as users do: the built, reasoned dataset (conftest's `store`), the
catalog's typed parameter binding (SEP-0007 substitution) and the safe SPARQL runner.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import rdflib

from kg import sparql
from kg.catalog import Catalog
from kg.store import DatasetSpec

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology"
QUERIES = ROOT / "queries"
GRAPH = "https://w3id.org/pharma-kg/graph/"
PKG = "https://w3id.org/pharma-kg/id/"
PREFIXES = {
    "pkg": PKG,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "schema": "https://schema.org/",
}
PARAM = re.compile(
    r"^#\+ param: (?P<name>\w+): (?P<type>iri|string|integer|boolean)"
    r"(?: = (?P<default>.+?))? -- (?P<description>.+)$"
)
Row = dict[str, str]


def _headers(text: str) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for line in text.splitlines():
        match = re.match(r"^#\+ (\w+): (.*)$", line)
        if match:
            headers.setdefault(match[1], []).append(match[2])
    return headers


def _params(text: str) -> dict[str, tuple[str, str | None]]:
    params = {}
    for line in text.splitlines():
        match = PARAM.match(line)
        if match:
            params[match["name"]] = (match["type"], match["default"])
    return params


@pytest.fixture(scope="module")
def run_named(store) -> Callable[..., list[Row]]:
    """Run queries/<name>.rq through the product: the catalog binds typed parameters, sparql.run evaluates."""
    catalog = Catalog(QUERIES)

    def run(name: str, /, **params: object) -> list[Row]:
        named = catalog.get(name)
        values = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()}
        outcome = sparql.run(store, named.text, DatasetSpec(), named.bind(values))
        if outcome.form == "ASK":
            return [{"result": str(outcome.boolean).lower()}]
        names = outcome.variables
        return [{n: row[n].value for n in names if row[n] is not None} for row in outcome.rows]

    return run


def col(rows: list[Row], name: str) -> list[str | None]:
    return [row.get(name) for row in rows]


def pkg(local: str) -> str:
    return PKG + local


# ---------------------------------------------------------------------------------------------
# Catalogue
# ---------------------------------------------------------------------------------------------


def test_every_query_has_summary_and_question_and_all_questions_covered() -> None:
    covered = set()
    for path in sorted(QUERIES.glob("*.rq")):
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", path.stem), path.name
        text = path.read_text(encoding="utf-8")
        headers = _headers(text)
        assert headers.get("summary") and headers["summary"][0].strip(), path.name
        questions = headers.get("question", [])
        assert questions, path.name
        covered.update(int(q) for q in questions)
        for line in text.splitlines():
            if line.startswith("#+ param:"):
                assert PARAM.match(line), f"{path.name}: malformed {line!r}"
        for param in _params(text):
            assert f"?{param}" in text, f"{path.name}: parameter {param} unused"
    assert covered == set(range(1, 19))


def test_every_query_runs_with_defaults(run_named: Callable[..., list[Row]]) -> None:
    for path in sorted(QUERIES.glob("*.rq")):
        assert run_named(path.stem), f"{path.stem} returned nothing with its defaults"


# ---------------------------------------------------------------------------------------------
# One test per query
# ---------------------------------------------------------------------------------------------


def test_responsibilities_of_cro(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("responsibilities", role="pkg:CRO")
    assert col(rows, "label") == [
        "Data Management",
        "Drug Discovery",
        "Phase I, II, and III Clinical Trials",
        "Preclinical Studies",
        "Regulatory Submissions",
    ]
    assert rows[0]["description"] == "Collecting, analyzing, and reporting data from clinical trials."


def test_responsibilities_of_cmo(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("responsibilities", role="pkg:CMO")
    assert {row["label"]: row["description"] for row in rows} == {
        "Drug Substance Production": (
            "Manufacturing the active pharmaceutical ingredient (API) in bulk quantities."
        ),
        "Finished Dosage Forms": (
            "Manufacturing the final product, such as tablets, capsules, or injectables."
        ),
        "Intermediates Production": ("Producing the chemical intermediates required for the API synthesis."),
        "Quality Control": "Ensuring the quality of the products meets regulatory standards.",
        "Regulatory Compliance": (
            "Adhering to the guidelines and regulations set by regulatory authorities."
        ),
    }


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("Quality Control", "CMO"),
        ("quality control", "CMO"),
        ("Data Management", "CRO"),
        ("Regulatory Compliance", "CMO"),
        ("Phase I, II, and III Clinical Trials", "CRO"),
    ],
)
def test_responsible_role(run_named: Callable[..., list[Row]], name: str, role: str) -> None:
    rows = run_named("responsible-role", name=name)
    assert col(rows, "role") == [pkg(role)]
    assert col(rows, "label") == [role]


def test_responsible_role_unknown_name_gives_nothing(run_named: Callable[..., list[Row]]) -> None:
    assert run_named("responsible-role", name="Expertise") == []


def test_responsibilities_by_kind(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("responsibilities-by-kind")
    assert [(row["kindLabel"], row["label"]) for row in rows] == [
        ("Production responsibility", "Drug Substance Production"),
        ("Production responsibility", "Finished Dosage Forms"),
        ("Production responsibility", "Intermediates Production"),
        ("Production responsibility", "Quality Control"),
        ("Production responsibility", "Regulatory Compliance"),
        ("Research responsibility", "Data Management"),
        ("Research responsibility", "Drug Discovery"),
        ("Research responsibility", "Phase I, II, and III Clinical Trials"),
        ("Research responsibility", "Preclinical Studies"),
        ("Research responsibility", "Regulatory Submissions"),
    ]


def test_products(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("products")
    assert [(row["label"], row["productLabel"], row.get("kindLabel")) for row in rows] == [
        ("Drug Substance Production", "active pharmaceutical ingredient (API)", None),
        ("Finished Dosage Forms", "finished dosage form", "capsule"),
        ("Finished Dosage Forms", "finished dosage form", "injectable"),
        ("Finished Dosage Forms", "finished dosage form", "tablet"),
        ("Intermediates Production", "chemical intermediate", None),
    ]


STAGES = [
    "Drug Discovery stage",
    "Preclinical stage",
    "Phase I",
    "Phase II",
    "Phase III",
    "Regulatory Submission and Review",
    "Post-market Safety Monitoring",
]


def test_stages_in_order(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("stages")
    assert col(rows, "label") == STAGES
    assert col(rows, "order") == [str(n) for n in range(1, 8)]
    assert col(rows, "next")[2] == pkg("PhaseIIStage")
    assert "next" not in rows[-1]


def test_stages_before_phase_ii(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("stages-before", stage="pkg:PhaseIIStage")
    assert col(rows, "label") == STAGES[:3]


def test_stages_after_phase_ii(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("stages-after", stage="pkg:PhaseIIStage")
    assert col(rows, "label") == STAGES[4:]


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("pkg:PhaseIStage", "pkg:PhaseIIIStage", "true"),
        ("pkg:DrugDiscoveryStage", "pkg:PostMarketStage", "true"),
        ("pkg:PhaseIIIStage", "pkg:PhaseIStage", "false"),
        ("pkg:PhaseIIStage", "pkg:PhaseIIStage", "false"),
    ],
)
def test_stage_is_before(run_named: Callable[..., list[Row]], first: str, second: str, expected: str) -> None:
    rows = run_named("stage-is-before", first=first, second=second)
    assert col(rows, "isBefore") == [expected]


def test_stages_cro_is_active_in(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("role-stages", role="pkg:CRO")
    assert col(rows, "label") == STAGES[:6]


def test_cmo_has_no_stage_from_the_sources(run_named: Callable[..., list[Row]]) -> None:
    assert run_named("role-stages", role="pkg:CMO") == []


@pytest.mark.parametrize(
    ("stage", "roles"),
    [("pkg:PhaseIIStage", ["CRO"]), ("pkg:PostMarketStage", [])],
)
def test_roles_active_in_stage(run_named: Callable[..., list[Row]], stage: str, roles: list[str]) -> None:
    assert col(run_named("stage-roles", stage=stage), "label") == roles


def test_responsibilities_in_phase_ii(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("stage-responsibilities", stage="pkg:PhaseIIStage")
    assert [(row["label"], row["roleLabel"]) for row in rows] == [
        ("Data Management", "CRO"),
        ("Phase I, II, and III Clinical Trials", "CRO"),
    ]


def test_responsibilities_in_review_stage(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("stage-responsibilities", stage="pkg:RegulatoryReviewStage")
    assert col(rows, "label") == ["Regulatory Submissions"]


def test_collaboration_hand_over(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("collaboration")
    assert len(rows) == 1
    row = rows[0]
    assert (row["fromLabel"], row["itemLabel"], row["toLabel"]) == (
        "CRO",
        "promising drug candidate",
        "CMO",
    )
    assert row["description"] == (
        "While CMOs and CROs have distinct roles, they often collaborate to ensure the "
        "successful development of a drug."
    )
    assert row["handOverDescription"] == (
        "A CRO may identify a promising drug candidate and then work with a CMO to produce it."
    )


def test_collaboration_benefits(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("collaboration-benefits")
    assert col(rows, "label") == ["Cost Savings", "Expertise", "Reduced Time to Market"]
    assert rows[0]["explanation"] == (
        "Collaborating with a CRO can help a company save on research and development costs."
    )
    assert col(rows, "benefit")[1] == pkg("ExpertiseBenefit")


CRITERIA = ["Experience", "Expertise", "Quality", "Regulatory Compliance"]


@pytest.mark.parametrize("role", ["pkg:CMO", "pkg:CRO"])
def test_selection_criteria(run_named: Callable[..., list[Row]], role: str) -> None:
    rows = run_named("selection-criteria", role=role)
    assert col(rows, "label") == CRITERIA
    assert col(rows, "criterion")[1] == pkg("ExpertiseCriterion")
    assert rows[2]["explanation"] == "Choose a company that adheres to the highest quality standards."


def test_shared_selection_criteria(run_named: Callable[..., list[Row]]) -> None:
    assert col(run_named("shared-selection-criteria"), "label") == CRITERIA


def test_homonyms(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("homonyms")
    assert [(row["label"], row["resource"], row["kindLabel"]) for row in rows] == [
        ("Expertise", pkg("ExpertiseBenefit"), "Collaboration benefit"),
        ("Expertise", pkg("ExpertiseCriterion"), "Selection criterion"),
        ("Regulatory Compliance", pkg("RegulatoryComplianceResponsibility"), "Production responsibility"),
        ("Regulatory Compliance", pkg("RegulatoryComplianceCriterion"), "Selection criterion"),
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "regulatory compliance",
            [
                ("RegulatoryComplianceResponsibility", "Production responsibility"),
                ("RegulatoryComplianceCriterion", "Selection criterion"),
            ],
        ),
        (
            "Expertise",
            [("ExpertiseBenefit", "Collaboration benefit"), ("ExpertiseCriterion", "Selection criterion")],
        ),
        ("API", [("ActivePharmaceuticalIngredient", "Product")]),
    ],
)
def test_resources_by_label(
    run_named: Callable[..., list[Row]], name: str, expected: list[tuple[str, str]]
) -> None:
    rows = run_named("resources-by-label", name=name)
    assert [(row["resource"], row["kindLabel"]) for row in rows] == [
        (pkg(local), kind) for local, kind in expected
    ]


def test_regulatory_responsibilities(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("regulatory-responsibilities")
    assert [(row["label"], row["roleLabel"], row["relation"]) for row in rows] == [
        ("Regulatory Compliance", "CMO", pkg("meetsRegulationsOf")),
        ("Regulatory Submissions", "CRO", pkg("submittedTo")),
    ]
    assert set(col(rows, "authorityLabel")) == {"regulatory authorities"}


def test_describe_quality_control(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("describe-resource", resource="pkg:QualityControl")
    facts = {(row["direction"], row["property"], row["value"]) for row in rows}
    skos = PREFIXES["skos"]
    assert {
        ("out", skos + "prefLabel", "Quality Control"),
        ("out", skos + "definition", "Ensuring the quality of the products meets regulatory standards."),
        ("out", str(rdflib.RDF.type), pkg("ProductionResponsibility")),
        ("out", pkg("isResponsibilityOf"), pkg("CMO")),
        ("out", PREFIXES["dcterms"] + "source", "https://w3id.org/pharma-kg/source/article#cmo"),
        ("in", pkg("hasResponsibility"), pkg("CMO")),
    } <= facts
    source = next(row for row in rows if row["property"] == PREFIXES["dcterms"] + "source")
    assert source["valueLabel"] == "CMO: The Production Specialists"
    assert not any(row["property"] == str(rdflib.OWL.sameAs) for row in rows)
    assert not any(row["value"] == str(rdflib.OWL.Thing) for row in rows)


def test_statement_provenance_of_clinical_trials(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("statement-provenance", resource="pkg:ClinicalTrials")
    by_graph: dict[str, set[tuple[str, str, str]]] = {}
    for row in rows:
        by_graph.setdefault(row["graph"], set()).add((row["subject"], row["property"], row["value"]))
    article, domain = by_graph[GRAPH + "article"], by_graph[GRAPH + "domain-knowledge"]
    assert (pkg("CRO"), pkg("hasResponsibility"), pkg("ClinicalTrials")) in article
    assert domain == {
        (pkg("ClinicalTrials"), pkg("performedInStage"), pkg(stage))
        for stage in ("PhaseIStage", "PhaseIIStage", "PhaseIIIStage")
    }
    assert not any(p == pkg("performedInStage") for _, p, _ in article)
    assert set(by_graph) == {GRAPH + "article", GRAPH + "domain-knowledge"}
    provenance = {row["graph"]: row["provenance"] for row in rows}
    assert provenance[GRAPH + "domain-knowledge"] == "Domain knowledge beyond the article"


def test_domain_knowledge_statements(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("domain-knowledge-statements")
    placements = {
        (row["subjectLabel"], row["valueLabel"]) for row in rows if row["property"] == pkg("performedInStage")
    }
    assert placements == {
        ("Drug Discovery", "Drug Discovery stage"),
        ("Preclinical Studies", "Preclinical stage"),
        ("Regulatory Submissions", "Regulatory Submission and Review"),
        *{
            (responsibility, phase)
            for responsibility in ("Phase I, II, and III Clinical Trials", "Data Management")
            for phase in ("Phase I", "Phase II", "Phase III")
        },
    }
    order = [row for row in rows if row["property"] == pkg("immediatelyPrecedes")]
    assert len(order) == 6
    assert not any(row["property"] == pkg("hasResponsibility") for row in rows)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            "pkg:CMO",
            [("Example CDMO Company", "true"), ("Example Manufacturing Company", "false")],
        ),
        (
            "pkg:CRO",
            [("Example CDMO Company", "true"), ("Example Research Company", "true")],
        ),
    ],
)
def test_role_organisations(
    run_named: Callable[..., list[Row]], role: str, expected: list[tuple[str, str]]
) -> None:
    rows = run_named("role-organisations", role=role)
    assert [(row["label"], row["stated"]) for row in rows] == expected


def test_role_stage_path(run_named: Callable[..., list[Row]]) -> None:
    rows = run_named("role-stage-path", role="pkg:CRO", stage="pkg:PhaseIIIStage")
    assert [
        (row["roleLabel"], row["firstEdge"], row["responsibilityLabel"], row["secondEdge"], row["stageLabel"])
        for row in rows
    ] == [
        ("CRO", pkg("hasResponsibility"), "Data Management", pkg("performedInStage"), "Phase III"),
        (
            "CRO",
            pkg("hasResponsibility"),
            "Phase I, II, and III Clinical Trials",
            pkg("performedInStage"),
            "Phase III",
        ),
    ]


def test_role_stage_path_none_for_cmo(run_named: Callable[..., list[Row]]) -> None:
    assert run_named("role-stage-path", role="pkg:CMO", stage="pkg:PhaseIIIStage") == []


def test_graph_summary(run_named: Callable[..., list[Row]]) -> None:
    counts = {row["label"]: int(row["count"]) for row in run_named("graph-summary")}
    assert counts == {
        "Collaboration": 1,
        "Collaboration benefit": 3,
        "Contract development and manufacturing organisation (CDMO)": 1,
        "Contract manufacturing organisation": 2,
        "Contract research organisation": 2,
        "Development stage": 7,
        "Drug candidate": 1,
        "Hand-over": 1,
        "Organisation": 3,
        "Product": 6,
        "Production responsibility": 5,
        "Regulatory authority": 1,
        "Research responsibility": 5,
        "Responsibility": 10,
        "Role": 2,
        "Selection criterion": 4,
        "Source passage": 5,
    }


def test_iri_parameters_accept_full_iris_curies_and_bare_local_names(
    run_named: Callable[..., list[Row]],
) -> None:
    by_curie = run_named("responsibilities", role="pkg:CMO")
    assert run_named("responsibilities", role="CMO") == by_curie
    assert run_named("responsibilities", role=f"<{PKG}CMO>") == by_curie
    assert len(by_curie) == 5

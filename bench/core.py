"""The core benchmark: build from scratch, cold start from the cache, and per-named-query latency.

Each named query runs through the product's path (`kg.sparql.run` + `kg.formats` JSON writer, fully
consumed) and, as the reference, through a bare `pyoxigraph.Store` bulk-loaded from the same
`dataset.nq` with the same text and Oxigraph's own JSON serializer. The difference is what kg adds:
the safety lexer, dataset selection and a Python results writer.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg import formats
from kg.build import Snapshot, build
from kg.catalog import default_catalog
from kg.errors import KGError
from kg.sparql import Outcome, run
from kg.store import OxigraphStore
from kg.terms import OxTerm

from .bounded import Samples, measure

log = logging.getLogger(__name__)

#: A query every engine answers the same way fast; used for the first query and as an HTTP baseline.
PROBE = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10"
JSON = formats.lookup("json")
TURTLE = formats.lookup("turtle")


@dataclass(frozen=True)
class Query:
    """A named query ready to run: its text and its parameters bound to their defaults."""

    name: str
    text: str
    substitutions: dict[str, OxTerm] = field(default_factory=dict)


def named_queries() -> tuple[list[Query], list[str]]:
    """Every query of `queries/` bound with its defaults, and the names of those that need values."""
    ready, skipped = [], []
    for named in default_catalog():
        try:
            ready.append(Query(named.name, named.text, named.bind({})))
        except KGError:
            skipped.append(named.name)
    return ready, skipped


@dataclass
class Built:
    """A graph built from scratch for the benchmark, with what it cost."""

    label: str
    ontology: Path | None
    cache: Path
    snapshot: Snapshot
    wall_seconds: float

    @property
    def triples(self) -> tuple[int, int]:
        """(asserted, inferred) triple counts from the manifest."""
        graphs = self.snapshot.manifest["graphs"]
        inferred = graphs[self.snapshot.manifest["inferred_graph"]]
        return sum(graphs.values()) - inferred, inferred


def build_fresh(label: str, ontology: Path | None, cache: Path) -> Built:
    """Build with no cache to reuse (`force`): parse, SHACL, owlrl, write N-Quads."""
    log.info("building %s from scratch (SHACL + OWL 2 RL)…", label)
    started = time.perf_counter()
    snapshot = build(ontology, cache=cache, force=True)
    built = Built(label, ontology, cache, snapshot, time.perf_counter() - started)
    log.info(
        "built %s in %.1fs: %d asserted + %d inferred triples", label, built.wall_seconds, *built.triples
    )
    return built


def cold_start(built: Built) -> dict[str, float]:
    """Time a fresh interpreter: imports, cache lookup, load into Oxigraph, first query (both engines)."""
    args = [sys.executable, "-m", "bench.coldstart", str(built.cache)]
    if built.ontology is not None:
        args.append(str(built.ontology))
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"cold start child failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout) | {"process": wall}


# --- one query, two engines --------------------------------------------------------------------


def kg_answer(store: OxigraphStore, query: Query) -> bytes:
    """What `kg query --format json` does: the safe runner, then our streaming results writer."""
    return serialize(run(store, query.text, substitutions=query.substitutions))


def serialize(outcome: Outcome) -> bytes:
    if outcome.form == "ASK":
        return formats.write_boolean(JSON, bool(outcome.boolean))
    if outcome.triples is not None:
        return formats.write_graph(TURTLE, outcome.triples) or b""
    return b"".join(formats.write_rows(JSON, outcome.variables, outcome.rows or iter(())))


def bare_store(nquads: Path) -> ox.Store:
    """The reference: Oxigraph alone, in memory, with the very file kg loads."""
    store = ox.Store()
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    return store


def oxigraph_answer(store: ox.Store, query: Query) -> bytes:
    """The same query on bare Oxigraph (default graph = union of all graphs), its own serializers."""
    result = store.query(
        query.text,
        use_default_graph_as_union=True,
        substitutions={ox.Variable(k): v for k, v in query.substitutions.items()},
    )
    if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
        return result.serialize(format=ox.QueryResultsFormat.JSON)
    return ox.serialize(result, format=ox.RdfFormat.TURTLE)


def count_answer(payload: bytes) -> int:
    """Rows of a SPARQL JSON answer (1 for ASK), or triples of a Turtle one: to check both agree."""
    if payload.startswith(b"{"):
        data = json.loads(payload)
        return 1 if "boolean" in data else len(data["results"]["bindings"])
    return sum(1 for _ in ox.parse(payload, format=ox.RdfFormat.TURTLE))


@dataclass
class QueryTiming:
    name: str
    kg: Samples
    oxigraph: Samples


def time_queries(
    built: Built, queries: list[Query], repeat: int, budget: float
) -> tuple[list[QueryTiming], dict[str, float]]:
    """Per-query samples on both engines, and how long each engine took to load the snapshot."""
    started = time.perf_counter()
    ours = OxigraphStore(built.snapshot)
    loaded = time.perf_counter()
    reference = bare_store(built.snapshot.nquads)
    load_times = {"kg": loaded - started, "oxigraph": time.perf_counter() - loaded}
    timings = []
    for query in queries:
        log.info("  %s: %s", built.label, query.name)
        timings.append(
            QueryTiming(
                query.name,
                _measure(lambda q=query: kg_answer(ours, q), repeat, budget),
                _measure(lambda q=query: oxigraph_answer(reference, q), repeat, budget),
            )
        )
    return timings, load_times


def _measure(answer: Callable[[], bytes], repeat: int, budget: float) -> Samples:
    return measure(answer, repeat, budget, count=count_answer)

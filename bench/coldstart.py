"""Run in a fresh interpreter by `bench.core.cold_start`: what a second `kg` start costs, step by step.

Usage: `python -m bench.coldstart CACHE [ONTOLOGY]`; prints one JSON object of seconds. The build
must already be in CACHE, so `build()` only hashes the inputs and reads the manifest.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> dict[str, float]:
    started = time.perf_counter()
    from kg.build import build
    from kg.store import OxigraphStore

    from .core import PROBE, Query, bare_store, kg_answer, oxigraph_answer

    imported = time.perf_counter()
    cache, ontology = Path(argv[0]), Path(argv[1]) if len(argv) > 1 else None
    snapshot = build(ontology, cache=cache)
    if not snapshot.cached:
        raise SystemExit("cold start expects a cached build; this one was built now")
    found = time.perf_counter()
    store = OxigraphStore(snapshot)
    loaded = time.perf_counter()
    kg_answer(store, Query("probe", PROBE))
    answered = time.perf_counter()
    reference = bare_store(snapshot.nquads)
    ox_loaded = time.perf_counter()
    oxigraph_answer(reference, Query("probe", PROBE))
    ox_answered = time.perf_counter()
    return {
        "import": imported - started,
        "cache_lookup": found - imported,
        "load": loaded - found,
        "first_query": answered - loaded,
        "oxigraph_load": ox_loaded - answered,
        "oxigraph_first_query": ox_answered - ox_loaded,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))

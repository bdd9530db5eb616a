"""Time `kg.shapecheck.check` on `bench.userdata` data next to the packaged ontology, as the build loads it.

`python -m bench.shapes [TRIPLES ...] [--seed N] [--queries]`: for each size, generate the user data into
a temporary folder (`write_userdata`), load it with `sources.discover` + `loader.load_file` into an
in-memory Store, then time `shapecheck.check` (and, with `--queries`, each compiled query on its own,
slowest first). Prints one line per size: triples loaded, load seconds, check seconds, violations.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from bench.userdata import write_userdata
from kg import shapecheck
from kg.loader import load_file
from kg.sources import discover, shapes_path


def load(folder: Path, triples: int, seed: int) -> tuple[ox.Store, dict[str, Path], int, float]:
    """(store, graph → file, triples in the store, load seconds) for freshly generated data."""
    write_userdata(folder, triples, seed)
    sources = discover(None, (folder,))
    store = ox.Store()
    started = time.perf_counter()
    loaded = sum(load_file(store, source) for source in sources)
    return store, {s.graph: s.path for s in sources}, loaded, time.perf_counter() - started


def per_query(store: ox.Store, files: dict[str, Path]) -> list[tuple[float, str]]:
    """Each fill of the scratch graph and each query of `check`'s plan, timed alone, slowest first."""
    graphs: list = [ox.NamedNode(g) for g in files]
    scratch = ox.NamedNode("urn:bench:shapes:scratch")
    timed = []
    started = time.perf_counter()
    plan = shapecheck.compile_plan(shapes_path(), shapecheck.Schema(store, graphs), scratch, graphs)
    timed.append((time.perf_counter() - started, "compile"))
    try:
        for fill in plan.fills:
            started = time.perf_counter()
            store.update(fill)
            timed.append((time.perf_counter() - started, "fill " + fill.split("WHERE")[0][-120:]))
        for query in plan.queries:
            started = time.perf_counter()
            list(store.query(query.sparql, default_graph=graphs, named_graphs=[scratch]))  # type: ignore[arg-type]
            timed.append((time.perf_counter() - started, f"{query.shape} {query.component} {query.path}"))
    finally:
        store.remove_graph(scratch)
    return sorted(timed, key=lambda t: -t[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("triples", nargs="*", type=int, default=[100_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--queries", action="store_true", help="also time each compiled query alone")
    args = parser.parse_args()
    for triples in args.triples:
        with tempfile.TemporaryDirectory(prefix="bench-shapes-") as tmp:
            store, files, loaded, load_s = load(Path(tmp), triples, args.seed)
            started = time.perf_counter()
            violations = shapecheck.check(store, files, shapes_path())
            check_s = time.perf_counter() - started
            left = len(store) - loaded
            print(
                f"{triples:>9,} requested  {loaded:>9,} loaded  load {load_s:6.2f} s  "
                f"check {check_s:6.2f} s  {len(violations)} violation(s)  {left} quad(s) left over"
            )
            if args.queries:
                timed = per_query(store, files)
                print(f"  {sum(t for t, _ in timed):6.2f} s  in all")
                for seconds, what in timed[:20]:
                    print(f"  {seconds:6.2f} s  {what}")


if __name__ == "__main__":
    main()

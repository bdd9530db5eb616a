"""Three OWL 2 RL reasoners on the same data: owlrl (`reason.closure`), ours (`entail.infer`), `reasonable`.

Each is timed on the domain graphs (ontology/*.ttl but shapes and provenance) plus user-data files, and
its answer, after the noise rule and "minus asserted", is compared with owlrl's (the reference).
`reasonable` (a Rust OWL 2 RL reasoner) takes the rdflib union and returns the whole closure as rdflib
triples; it reports no inconsistencies, so it is only compared on consistent data.

    python -m bench.reasoners 1000 10000            # sizes in asserted user triples
    python -m bench.reasoners --no-owlrl 100000     # owlrl takes ~1 ms per triple: skip it for big sizes
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib

from bench.userdata import write_userdata
from kg import entail, reason
from kg.errors import InconsistentGraph
from kg.namespaces import PROVENANCE_GRAPH
from kg.sources import discover
from kg.terms import to_ox

Triples = set[tuple[str, str, str]]


@dataclass
class Result:
    """One reasoner on one data set: time, inferred count, agreement with owlrl (None: no reference)."""

    reasoner: str
    asserted: int
    seconds: float
    inferred: int
    agrees: bool | None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.asserted / self.seconds if self.seconds else 0.0


def _key(s: object, p: object, o: object) -> tuple[str, str, str]:
    return (str(s), str(p), str(o))


def _files(paths: Sequence[Path]) -> dict[str, Path]:
    """Graph IRI -> file: the domain sources (as build.py forms the asserted union) and the given files."""
    out = {s.graph: s.path for s in discover() if s.graph != PROVENANCE_GRAPH}
    out |= {f"urn:bench:user:{p.stem}": p for p in paths}
    return out


def _rdflib(files: dict[str, Path]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in files.values():
        graph.parse(path, format="nt" if path.suffix == ".nt" else "turtle")
    return graph


def run_owlrl(files: dict[str, Path]) -> tuple[float, Triples]:
    graph = _rdflib(files)
    started = time.perf_counter()
    inferred = reason.closure(graph)
    seconds = time.perf_counter() - started
    return seconds, {_key(*(to_ox(t) for t in triple)) for triple in inferred}


def run_entail(files: dict[str, Path]) -> tuple[float, Triples, entail.InferenceStats]:
    store = ox.Store()
    for graph, path in files.items():
        fmt = ox.RdfFormat.N_TRIPLES if path.suffix == ".nt" else ox.RdfFormat.TURTLE
        store.bulk_load(path=str(path), format=fmt, to_graph=ox.NamedNode(graph))
    target = "urn:bench:inferred"
    started = time.perf_counter()
    stats = entail.infer(store, list(files), target)
    seconds = time.perf_counter() - started
    got = {
        _key(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(target))
    }
    return seconds, got, stats


def run_reasonable(files: dict[str, Path]) -> tuple[float, Triples]:
    """`reasonable.PyReasoner` on the rdflib union; its closure through the noise rule, minus asserted."""
    import reasonable

    graph = _rdflib(files)
    reasoner = reasonable.PyReasoner()
    started = time.perf_counter()
    reasoner.from_graph(graph)
    closure = reasoner.reason()
    seconds = time.perf_counter() - started
    out: Triples = set()
    for s, p, o in closure:  # rdflib terms
        if (s, p, o) in graph or reason.is_noise(s, p, o):
            continue
        out.add(_key(to_ox(s), to_ox(p), to_ox(o)))
    return seconds, out


def compare(paths: Sequence[Path], asserted: int, *, owlrl: bool = True) -> list[Result]:
    """Time the three reasoners on the domain graphs plus `paths`; agreement is against owlrl's answer."""
    files = _files(paths)
    results: list[Result] = []
    reference: Triples | None = None
    if owlrl:
        try:
            seconds, reference = run_owlrl(files)
            results.append(Result("owlrl", asserted, seconds, len(reference), True))
        except InconsistentGraph as exc:
            results.append(Result("owlrl", asserted, 0.0, 0, None, f"inconsistent: {exc.message[:60]}"))
    attempts: list[tuple[str, Callable[[], tuple[float, Triples, str]]]] = [
        ("entail", lambda: _with_note(run_entail(files))),
        ("reasonable", lambda: (*run_reasonable(files), "")),
    ]
    for name, attempt in attempts:
        try:
            seconds, got, note = attempt()
        except InconsistentGraph as exc:
            results.append(Result(name, asserted, 0.0, 0, None, f"inconsistent: {exc.message[:60]}"))
            continue
        except Exception as exc:  # a third-party reasoner failing is a result, not a crash of the bench
            results.append(Result(name, asserted, 0.0, 0, None, f"failed: {type(exc).__name__}: {exc}"[:80]))
            continue
        agrees = None if reference is None else got == reference
        if reference is not None and not agrees:
            note = (note + f" missing {len(reference - got)}, extra {len(got - reference)}").strip()
        results.append(Result(name, asserted, seconds, len(got), agrees, note))
    return results


def _with_note(answer: tuple[float, Triples, entail.InferenceStats]) -> tuple[float, Triples, str]:
    seconds, got, stats = answer
    note = f"{stats.rounds} rounds" + (f"; owlrl fallback: {stats.fallback}" if stats.fallback else "")
    return seconds, got, note


def table(results: Sequence[Result]) -> str:
    lines = [
        f"{'size':>9} {'reasoner':<11} {'seconds':>9} {'triples/s':>10} {'inferred':>9} {'agrees':>7}  note"
    ]
    for r in results:
        agrees = "-" if r.agrees is None else ("yes" if r.agrees else "NO")
        timing = f"{r.seconds:>9.2f} {r.rate:>10.0f}"
        lines.append(f"{r.asserted:>9} {r.reasoner:<11} {timing} {r.inferred:>9} {agrees:>7}  {r.note}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000], help="asserted user triples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fmt", choices=("ttl", "nt"), default="nt")
    parser.add_argument("--no-owlrl", action="store_true", help="skip the (slow) reference")
    args = parser.parse_args(argv)
    results: list[Result] = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="kg-reasoners-") as folder:
            paths = write_userdata(Path(folder), size, args.seed, fmt=args.fmt)
            results += compare(paths, size, owlrl=not args.no_owlrl)
        print(table(results), flush=True)


if __name__ == "__main__":
    main()

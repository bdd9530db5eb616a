"""`python -m bench` (`make bench`): build, cold start and query latency tables, then the HTTP tables.

`python -m bench --scale 10000,100000,1000000` (`make bench-scale`) runs the scale benchmark instead
(bench/scale.py): seeded user data at each size, built, reasoned, served and queried against its peers.

Everything runs in a temporary folder that is removed at the end; every server started is stopped,
even when a step fails. Progress goes to stderr through logging; the tables go to stdout.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kg.table import render

from . import scale, synthetic
from .bounded import Samples
from .core import Built, QueryTiming, build_fresh, cold_start, named_queries, time_queries
from .endpoints import OURS, HttpRun, http_queries, run_http
from .scale import PARTS, parse_sizes
from .scale import Options as ScaleOptions
from .stats import ms, percentile, ratio

log = logging.getLogger("bench")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--triples",
        type=int,
        default=synthetic.DEFAULT_TRIPLES,
        help="synthetic graph size in asserted triples (0 skips it; default %(default)s)",
    )
    parser.add_argument(
        "--repeat", type=int, default=20, help="timed runs per query and engine (%(default)s)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic graph (%(default)s)")
    parser.add_argument(
        "--budget", type=float, default=10.0, help="seconds allowed per query and engine (%(default)s)"
    )
    parser.add_argument(
        "--http", action=argparse.BooleanOptionalAction, default=True, help="run the HTTP part"
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load per query and server")
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP connections (%(default)s)")
    parser.add_argument(
        "--http-queries", type=int, default=3, help="named queries in the HTTP part, besides the probe"
    )
    parser.add_argument(
        "--http-graph",
        choices=("domain", "synthetic"),
        default="domain",
        help="data the HTTP servers serve (%(default)s; rdflib-endpoint is very slow on the synthetic one)",
    )
    scale = parser.add_argument_group("scale benchmark (bench/scale.py)")
    scale.add_argument(
        "--scale",
        metavar="SIZES",
        help="comma-separated user-data sizes in triples (10000,100k,1M): run the scale benchmark instead",
    )
    scale.add_argument(
        "--scale-parts",
        default=",".join(PARTS),
        help="parts of the scale benchmark to run (%(default)s); --no-http drops http",
    )
    scale.add_argument(
        "--scale-repeat", type=int, default=5, help="timed runs per named query at scale (%(default)s)"
    )
    scale.add_argument(
        "--owlrl-max",
        type=int,
        default=20_000,
        help="largest size owlrl is timed at in the reasoning table (%(default)s; it is ~1 s per 1k triples)",
    )
    scale.add_argument(
        "--roundtrip-requests", type=int, default=300, help="requests timed in the round-trip part"
    )
    return parser.parse_args(argv)


def scale_options(args: argparse.Namespace, argv: list[str]) -> ScaleOptions:
    """The scale benchmark's options from the command line (the command is printed with each table)."""
    parts = tuple(p.strip() for p in args.scale_parts.split(",") if p.strip())
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise SystemExit(f"unknown --scale-parts: {', '.join(unknown)} (known: {', '.join(PARTS)})")
    if not args.http:
        parts = tuple(p for p in parts if p != "http")
    return ScaleOptions(
        sizes=parse_sizes(args.scale),
        seed=args.seed,
        parts=parts,
        repeat=args.scale_repeat,
        budget=args.budget,
        owlrl_max=args.owlrl_max,
        clients=args.clients,
        duration=args.duration,
        roundtrip_requests=args.roundtrip_requests,
        command=" ".join([".venv/bin/python -m bench", *argv]),
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[bench] %(message)s", stream=sys.stderr)
    if args.scale:
        return scale.main(scale_options(args, argv))
    started = time.perf_counter()
    queries, needs_values = named_queries()
    if needs_values:
        log.info("skipping queries with required parameters: %s", ", ".join(needs_values))
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        work = Path(tmp)
        graphs = [build_fresh("domain", None, work / "cache-domain")]
        if args.triples > 0:
            folder = work / "synthetic"
            written = synthetic.generate(folder, args.triples, args.seed)
            log.info("synthetic graph: %d triples (seed %d) in %s", written, args.seed, folder)
            graphs.append(build_fresh(f"synthetic-{args.triples // 1000}k", folder, work / "cache-synthetic"))
        print_graphs(graphs, [cold_start(g) for g in graphs])
        for built in graphs:
            timings, loads = time_queries(built, queries, args.repeat, args.budget)
            print_queries(built, timings, loads, args.repeat)
        if args.http:
            served = graphs[-1] if args.http_graph == "synthetic" and len(graphs) > 1 else graphs[0]
            chosen = http_queries(queries, args.http_queries)
            run = run_http(served, chosen, args.clients, args.duration, work)
            print_http(served, run, args)
    log.info("done in %.0fs", time.perf_counter() - started)
    return 0


def print_graphs(graphs: list[Built], starts: list[dict[str, float]]) -> None:
    headers = [
        "graph", "asserted", "inferred", "build s", "cold start s", "import s", "load ms",
        "1st query ms", "ox load ms", "ox 1st query ms",
    ]  # fmt: skip
    rows = []
    for built, start in zip(graphs, starts, strict=True):
        asserted, inferred = built.triples
        rows.append([
            built.label, f"{asserted:,}", f"{inferred:,}", f"{built.wall_seconds:.1f}",
            f"{start['process']:.2f}", f"{start['import']:.2f}", ms(start["load"]), ms(start["first_query"]),
            ms(start["oxigraph_load"]), ms(start["oxigraph_first_query"]),
        ])  # fmt: skip
    _table("Build (from scratch) and cold start (fresh process, cached build)", headers, rows)


def _cells(samples: Samples) -> list[str]:
    if samples.error:
        return ["error", "-"]
    if not samples.seconds:
        return ["timeout", "-"]
    cut = f" ({len(samples.seconds)} runs, budget)" if samples.timed_out else ""
    return [ms(statistics.median(samples.seconds)) + cut, ms(percentile(samples.seconds, 95))]


def _median(samples: Samples) -> float:
    return statistics.median(samples.seconds) if samples.seconds else float("nan")


def print_queries(built: Built, timings: list[QueryTiming], loads: dict[str, float], repeat: int) -> None:
    headers = [
        "query",
        "rows",
        "kg median ms",
        "kg p95 ms",
        "oxigraph median ms",
        "oxigraph p95 ms",
        "kg/oxigraph",
    ]
    rows, notes = [], []
    for t in timings:
        shown = "?" if t.kg.rows is None else f"{t.kg.rows:,}"
        if t.kg.rows is not None and t.oxigraph.rows is not None and t.kg.rows != t.oxigraph.rows:
            shown += f" (ox {t.oxigraph.rows:,})"
        rows.append(
            [t.name, shown, *_cells(t.kg), *_cells(t.oxigraph), ratio(_median(t.kg), _median(t.oxigraph))]
        )
        notes += [
            f"{t.name} ({engine}): {s.error}" for engine, s in (("kg", t.kg), ("ox", t.oxigraph)) if s.error
        ]
    title = (
        f"Named queries on {built.label}: {repeat} runs each after one warm-up, answer fully serialised to "
        f"SPARQL JSON (load: kg {loads['kg']:.2f}s, oxigraph {loads['oxigraph']:.2f}s)"
    )
    _table(title, headers, rows, notes)


def print_http(built: Built, run: HttpRun, args: argparse.Namespace) -> None:
    servers = [s for s in run.results]
    peers = [s for s in ("oxigraph", "rdflib-endpoint") if s in run.results]
    headers = ["query", *[f"{s} req/s" for s in servers], *[f"{OURS}/{p}" for p in peers]]
    rows = []
    for query in run.queries:
        cells = []
        for server in servers:
            found = run.results[server][query]
            errors = f" ({found.failures} failed)" if found.failures else ""
            cells.append(f"{found.rate:,.0f}{errors}")
        ratios = [ratio(run.rate(OURS, query), run.rate(p, query)) for p in peers]
        rows.append([query, *cells, *ratios])
    notes = [f"{server} not measured: {why}" for server, why in run.skipped.items()]
    notes += [
        f"{server} / {query}: first failure: {found.first_failure}"
        for server, by_query in run.results.items()
        for query, found in by_query.items()
        if found.first_failure
    ]
    title = (
        f"HTTP throughput on {built.label} ({built.triples[0] + built.triples[1]:,} triples): GET ?query=, "
        f"Accept SPARQL JSON, {args.clients} keep-alive clients, {args.duration:.0f}s per query, loopback, "
        f"{os.cpu_count()} cores shared with the client"
    )
    _table(title, headers, rows, notes)
    latency = [[q, *[_p50_p99(run.results[s][q]) for s in servers]] for q in run.queries]
    _table("HTTP latency, p50 / p99 ms", ["query", *servers], latency)


def _p50_p99(found) -> str:
    return f"{ms(found.p(50))} / {ms(found.p(99))}"


def _table(title: str, headers: list[str], rows: list[list[str]], notes: list[str] | None = None) -> None:
    print(f"\n{title}\n")
    print(render(headers, rows, max_width=48))
    for note in notes or []:
        print(f"  note: {note}")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())

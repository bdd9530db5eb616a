"""`python -m bench --scale 10000,100000,1000000`: kg at the sizes users load, against its floor peers.

For each size, seeded user data (`bench.userdata.write_userdata`, or the synthetic generator's files
while that module is absent) is built as `kg --data …` on top of the packaged ontology, into an empty
cache, and measured against what the same work costs without kg:

- **build**: wall seconds and peak RSS of the whole build in a child process (stage timings from the
  manifest when it records them, else from timers wrapped around the current pipeline's stages), next to
  a bare `pyoxigraph.Store().bulk_load` of the same files;
- **reason**: triples/s of owlrl (only up to `--owlrl-max`), kg's new reasoner (`kg.entail`, when it
  exists) and the `reasonable` package, each in a forked child killed at its budget;
- **coldstart**: `kg serve` from the built cache to a 200 on `/healthz`, and the RSS/PSS of each of its
  processes (server, zygote, query workers);
- **queries** / **export**: every named query through kg's path vs bare pyoxigraph (bench.core), and
  `kg export` vs `Store.dump`, in N-Quads and Turtle;
- **http**: uncached cheap SELECTs (a constant changes on every request, so neither the replay layer
  nor the response cache can answer) against `kg serve` and `bench/minimal_app.py`;
- **roundtrip**: where an uncached query's time goes between the Flask handler and the query worker.

Every table is printed with the command that produced it. Servers run in their own process groups on
free loopback ports and are stopped when their turn ends, also on error or Ctrl-C; children that build
or load are killed at their timeout. `python -m bench.scale --child …` is the child side.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib
import importlib.util
import itertools
import json
import logging
import math
import os
import pickle
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.table import render

from .load import LoadResult, hammer_with, sparql_get
from .stats import ms

log = logging.getLogger("bench.scale")

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PARTS = ("build", "reason", "coldstart", "queries", "export", "http", "roundtrip")
MIB = 1024 * 1024
GIB = 1024 * MIB
#: The cheap SELECT of the uncached HTTP part; `{n}` changes on every request (cache-defeating).
VARYING = "SELECT ?s ?p ?o ({n} AS ?n) WHERE {{ ?s ?p ?o }} LIMIT 10"

# Targets the tables are read against (issue: pipeline for scale).
BUILD_SECONDS_1M = 180.0
BUILD_RSS_1M = 4 * GIB
REASON_SPEEDUP_10K = 50.0
COLDSTART_SECONDS_1M = 2.0
WORKER_RSS_1M = 300 * MIB
QUERY_RATIO = 1.5
EXPORT_RATIO = 0.5
HTTP_RATIO = 0.8
P99_OVER_P50 = 3.0


@dataclass
class Options:
    """What to measure; `command` is printed above every table so a reader can re-run it."""

    sizes: list[int]
    seed: int = 0
    parts: tuple[str, ...] = PARTS
    repeat: int = 5
    budget: float = 10.0
    owlrl_max: int = 20_000
    reason_budget: float = 600.0
    build_timeout: float = 3600.0
    clients: int = 16
    duration: float = 5.0
    roundtrip_requests: int = 300
    command: str = "python -m bench --scale"


@dataclass
class Table:
    """One printed table: rows are strings already formatted for a terminal."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class ChildFailed(RuntimeError):
    """A measuring child process failed or ran past its timeout; its part of the table says so."""


# --- data -------------------------------------------------------------------------------------------


def write_data(folder: Path, triples: int, seed: int) -> list[Path]:
    """Seeded user data: `bench.userdata.write_userdata` when it exists, else the synthetic generator's
    `synthetic-*.ttl` files alone (the packaged ontology is what `kg --data` adds them to)."""
    folder.mkdir(parents=True, exist_ok=True)
    if importlib.util.find_spec("bench.userdata") is not None:
        userdata = importlib.import_module("bench.userdata")
        return sorted(userdata.write_userdata(folder, triples, seed))
    from . import synthetic

    gen = synthetic.Generator(folder, seed)
    for b in itertools.count():
        if gen.triples >= triples:
            break
        gen.block(b)
    for name, out in gen.files.items():
        out.write(f"Synthetic {name} user data for bench.scale (seed {seed}, {triples} triples requested)")
    return sorted(out.path for out in gen.files.values())


def data_args(folder: Path, files: list[Path]) -> tuple[Path, ...]:
    """What `--data` gets: the folder when kg accepts one (the new loader), else its files."""
    from kg.errors import SourceError
    from kg.sources import discover

    try:
        discover(None, (folder,))
    except SourceError:
        return tuple(files)
    return (folder,)


# --- children ---------------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


def _stop_group(proc: subprocess.Popen) -> None:
    from .servers import _stop

    _stop(proc)


def run_child(args: list[str], timeout: float, log_path: Path) -> dict[str, Any]:
    """Run `python -m bench.scale --child ARGS` in its own process group; its JSON answer.

    The group is killed at the timeout (and on any error), so nothing it started outlives it.
    """
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.scale", "--child", *args],
            stdout=subprocess.PIPE,
            stderr=log_file,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            env=_env(),
            start_new_session=True,
        )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ChildFailed(f"over its {timeout:.0f} s timeout (log: {log_path})") from None
    finally:
        _stop_group(proc)
    if proc.returncode != 0:
        tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
        raise ChildFailed(f"exit code {proc.returncode}: {' | '.join(tail)}")
    return json.loads(out)


def _peak_rss() -> int:
    """Bytes: the larger of this process's peak and its largest waited-for child's (Linux: KiB units)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) * 1024


class _StageTimer:
    """Exclusive seconds per stage, from wrappers around the current pipeline's functions (a stage
    called inside another is subtracted from it). Only used when the manifest records no stages."""

    # (module, attribute) → stage; attributes that do not exist are skipped
    TARGETS = (
        ("kg.build", "parse_turtle", "parse"),
        ("kg.build", "_validate", "shacl"),
        ("kg.reason", "closure", "reason"),
        ("kg.build", "_write_snapshot", "write"),
    )

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._stack: list[float] = []

    def install(self) -> None:
        for module_name, attribute, stage in self.TARGETS:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            original = getattr(module, attribute, None)
            if callable(original):
                setattr(module, attribute, self._wrap(original, stage))

    def _wrap(self, function: Callable[..., Any], stage: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            self._stack.append(0.0)
            try:
                return function(*args, **kwargs)
            finally:
                inner = self._stack.pop()
                elapsed = time.perf_counter() - started
                self.seconds[stage] = self.seconds.get(stage, 0.0) + elapsed - inner
                if self._stack:
                    self._stack[-1] += elapsed

        return timed


def manifest_stages(manifest: dict[str, Any]) -> dict[str, float] | None:
    """Stage timings when the build records them (`stages`, `timings` or `stage_seconds`)."""
    for name in ("stages", "timings", "stage_seconds"):
        found = manifest.get(name)
        if isinstance(found, dict) and found:
            flat = {}
            for stage, value in found.items():
                if isinstance(value, dict):  # {"seconds": …, …}
                    value = value.get("seconds")
                if isinstance(value, int | float) and not isinstance(value, bool):
                    flat[str(stage)] = float(value)
            return flat or None
    return None


def child_build(cache: str, *data: str) -> dict[str, Any]:
    """The whole build (`kg --data …` over the packaged ontology) into an empty cache."""
    started = time.perf_counter()
    timer = _StageTimer()
    timer.install()
    from kg.build import build

    imported = time.perf_counter()
    snapshot = build(None, tuple(Path(d) for d in data), cache=Path(cache), force=True)
    done = time.perf_counter()
    graphs = snapshot.manifest["graphs"]
    inferred = graphs[snapshot.manifest["inferred_graph"]]
    return {
        "import_seconds": imported - started,
        "build_seconds": done - imported,
        "peak_rss": _peak_rss(),
        "asserted": sum(graphs.values()) - inferred,
        "inferred": inferred,
        "manifest_stages": manifest_stages(snapshot.manifest),
        "timed_stages": timer.seconds,
        "folder": str(snapshot.folder),
    }


def child_floor(*files: str) -> dict[str, Any]:
    """The floor of a build: Oxigraph alone bulk-loading the same Turtle files, one graph each."""
    import pyoxigraph as ox

    started = time.perf_counter()
    store = ox.Store()
    for path in files:
        graph = ox.NamedNode(Path(path).absolute().as_uri())
        store.bulk_load(path=path, format=ox.RdfFormat.TURTLE, to_graph=graph)
    return {"seconds": time.perf_counter() - started, "peak_rss": _peak_rss(), "quads": len(store)}


def child_import() -> dict[str, Any]:
    """What a fresh query-worker interpreter pays before it can load data: importing kg.worker."""
    started = time.perf_counter()
    importlib.import_module("kg.worker")
    heavy = [m for m in ("rdflib", "owlrl", "pyshacl", "flask", "granian") if m in sys.modules]
    return {"seconds": time.perf_counter() - started, "heavy": heavy, "modules": len(sys.modules)}


CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {
    "build": child_build,
    "floor": child_floor,
    "import": child_import,
}


# --- 1. build ---------------------------------------------------------------------------------------


@dataclass
class Built:
    size: int
    files: list[Path]
    data: tuple[Path, ...]
    cache: Path
    result: dict[str, Any]
    floor: dict[str, Any] | None
    floor_error: str = ""


def ontology_files() -> list[Path]:
    from kg.sources import SHAPES_FILE, data_dir

    return sorted(p for p in data_dir("ontology").glob("*.ttl") if p.name != SHAPES_FILE)


def measure_build(size: int, files: list[Path], data: tuple[Path, ...], work: Path, opts: Options) -> Built:
    cache = work / f"cache-{size}"
    log.info("%s: building (kg --data, child process)…", _label(size))
    result = run_child(["build", str(cache), *map(str, data)], opts.build_timeout, work / f"build-{size}.log")
    log.info(
        "%s: built in %.1fs, %d asserted + %d inferred", _label(size), result["build_seconds"],
        result["asserted"], result["inferred"],
    )  # fmt: skip
    floor, error = None, ""
    try:
        sources = [*map(str, ontology_files()), *map(str, files)]
        floor = run_child(["floor", *sources], opts.build_timeout, work / f"floor-{size}.log")
    except ChildFailed as exc:
        error = str(exc)
    return Built(size, files, data, cache, result, floor, error)


def build_tables(builds: list[Built], opts: Options) -> list[Table]:
    table = Table(
        "Build: `kg --data <folder>` over the packaged ontology into an empty cache, in a child process, "
        "vs bare pyoxigraph bulk_load of the same Turtle files",
        ["size", "asserted", "inferred", "build s", "peak RSS MiB", "ox load s", "ox RSS MiB", "build/ox",
         "target (1M: ≤180 s, ≤4 GiB)"],
    )  # fmt: skip
    stages = Table("Build stages: seconds per stage", ["size", "source", "stage", "seconds", "share"])
    for b in builds:
        r, f = b.result, b.floor
        seconds, rss = r["build_seconds"], r["peak_rss"]
        table.rows.append([
            _label(b.size), f"{r['asserted']:,}", f"{r['inferred']:,}", f"{seconds:.1f}", _mib(rss),
            f"{f['seconds']:.2f}" if f else "error", _mib(f["peak_rss"]) if f else "-",
            f"{seconds / f['seconds']:.0f}x" if f and f["seconds"] else "-",
            _build_target(b.size, seconds, rss),
        ])  # fmt: skip
        if b.floor_error:
            table.notes.append(f"{_label(b.size)} floor: {b.floor_error}")
        source, found = "manifest", r["manifest_stages"]
        if not found:
            source, found = "timers", dict(r["timed_stages"])
            found["other"] = max(0.0, seconds - sum(found.values()))
        for stage, value in found.items():
            share = f"{value / seconds:.0%}" if seconds else "-"
            stages.rows.append([_label(b.size), source, stage, f"{value:.2f}", share])
    table.notes.append(
        "build s = kg.build.build(None, data, cache, force=True) in a fresh interpreter (imports excluded); "
        "peak RSS = ru_maxrss of that process (or of a child it waited for, whichever is larger)"
    )
    stages.notes.append(
        "source 'manifest' = the build's own record; 'timers' = exclusive time in kg.build.parse_turtle, "
        "_validate (SHACL), kg.reason.closure and _write_snapshot, wrapped in the child"
    )
    return [table, stages]


def _build_target(size: int, seconds: float, rss: int) -> str:
    if size < 1_000_000:
        scaled = seconds * 1_000_000 / size
        return f"1M at this rate: ~{scaled:,.0f} s" if scaled > BUILD_SECONDS_1M else "on track"
    missed = []
    if seconds > BUILD_SECONDS_1M:
        missed.append(f"time {seconds / BUILD_SECONDS_1M:.1f}x over")
    if rss > BUILD_RSS_1M:
        missed.append(f"RSS {rss / BUILD_RSS_1M:.1f}x over")
    return "; ".join(missed) or "met"


# --- 2. reasoning -----------------------------------------------------------------------------------


def _prepare_owlrl(files: list[Path]) -> Callable[[], int]:
    import rdflib

    from kg import reason
    from kg.sources import parse_turtle

    graph = rdflib.Graph()
    for path in files:
        graph += parse_turtle(path)
    return lambda: len(reason.closure(graph))


def _prepare_reasonable(files: list[Path]) -> Callable[[], int]:
    import reasonable

    reasoner = reasonable.PyReasoner()
    for path in files:
        reasoner.load_file(str(path))
    return lambda: len(reasoner.reason())


def _prepare_entail(files: list[Path]) -> Callable[[], int]:
    """kg's compiled OWL 2 RL reasoner (`kg.entail.infer`) on an in-memory store, one graph per file.

    The action answers the inferred count, negated when entail fell back to owlrl (a child can only
    send a number back), so the table can say which path was timed.
    """
    import pyoxigraph as ox

    entail = importlib.import_module("kg.entail")
    store = ox.Store()
    graphs = []
    for path in files:
        graph = path.absolute().as_uri()
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(graph))
        graphs.append(graph)

    def run() -> int:
        stats = entail.infer(store, graphs, "urn:x-bench:inferred")
        return -stats.inferred if getattr(stats, "fallback", None) else stats.inferred

    return run


REASONERS: dict[str, Callable[[list[Path]], Callable[[], int]]] = {
    "owlrl (kg.reason)": _prepare_owlrl,
    "kg.entail (new)": _prepare_entail,
    "reasonable": _prepare_reasonable,
}


def measure_reasoners(built: Built, opts: Options) -> list[tuple[str, float | None, int | None, str]]:
    """(reasoner, seconds, triples out, note) for each reasoner on the asserted input of `built`.

    Input files are parsed before the fork and not timed: only reasoning is.
    """
    from .bounded import measure

    shared = _via_reasoners_module(built, opts)
    if shared is not None:
        return shared
    files = [*ontology_files(), *built.files]
    out: list[tuple[str, float | None, int | None, str]] = []
    for name, prepare in REASONERS.items():
        if name.startswith("owlrl") and built.size > opts.owlrl_max:
            out.append((name, None, None, f"skipped above {opts.owlrl_max:,} triples (--owlrl-max)"))
            continue
        if name.startswith("kg.entail") and importlib.util.find_spec("kg.entail") is None:
            out.append((name, None, None, "kg.entail is not in this checkout yet"))
            continue
        log.info("%s: reasoning with %s…", _label(built.size), name)
        try:
            action = prepare(files)
        except Exception as exc:  # a missing package or an API we did not guess: reported, not fatal
            out.append((name, None, None, f"{type(exc).__name__}: {exc}"))
            continue
        samples = measure(action, 1, opts.reason_budget, count=lambda n: n, warmup=0)
        if samples.seconds:
            fell_back = samples.rows is not None and samples.rows < 0
            note = "fell back to owlrl (see kg.entail)" if fell_back else ""
            rows = abs(samples.rows) if samples.rows is not None else None
            out.append((name, samples.seconds[0], rows, note))
        else:
            why = samples.error or f"over its {opts.reason_budget:.0f} s budget"
            out.append((name, None, None, why))
    return out


def _via_reasoners_module(
    built: Built, opts: Options
) -> list[tuple[str, float | None, int | None, str]] | None:
    """`bench.reasoners.compare` (owlrl, kg.entail, reasonable, with agreement against owlrl) in a forked
    child killed after 3 x `--reason-budget`; None when that module is absent or fails, so the
    harness's own per-reasoner runs are used instead."""
    if importlib.util.find_spec("bench.reasoners") is None:
        return None
    import dataclasses
    import multiprocessing as mp

    asserted = built.result["asserted"]
    with_owlrl = built.size <= opts.owlrl_max
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def child() -> None:
        try:
            module = importlib.import_module("bench.reasoners")
            found = module.compare(built.files, asserted, owlrl=with_owlrl)
            send.send(("ok", [dataclasses.asdict(r) for r in found]))
        except BaseException as exc:
            send.send(("error", f"{type(exc).__name__}: {exc}"))

    log.info("%s: reasoning with bench.reasoners.compare (owlrl: %s)…", _label(built.size), with_owlrl)
    proc = ctx.Process(target=child, daemon=True)
    proc.start()
    send.close()
    try:
        answered = receive.poll(3 * opts.reason_budget)
        kind, value = receive.recv() if answered else ("error", "over its budget")
    except EOFError:
        kind, value = "error", f"child died (exit code {proc.exitcode})"
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        receive.close()
    if kind != "ok":
        log.warning("bench.reasoners failed (%s); timing each reasoner here instead", value)
        return None
    out: list[tuple[str, float | None, int | None, str]] = []
    if not with_owlrl:
        out.append(("owlrl", None, None, f"skipped above {opts.owlrl_max:,} triples (--owlrl-max)"))
    for r in value:
        agrees = {True: "agrees with owlrl", False: "DIFFERS from owlrl", None: ""}[r["agrees"]]
        note = "; ".join(x for x in (agrees if r["reasoner"] != "owlrl" else "", r["note"]) if x)
        seconds = r["seconds"] if r["seconds"] > 0 else None
        out.append((r["reasoner"], seconds, r["inferred"] if seconds else None, note))
    return out


def reason_table(found: dict[int, list[tuple[str, float | None, int | None, str]]], builds: list[Built]):
    table = Table(
        "Reasoning: OWL 2 RL over the asserted triples (ontology + user data), one run each in a forked "
        "child (bench.reasoners.compare when present, else bench.scale's own runs)",
        ["size", "reasoner", "input triples", "triples out", "seconds", "input triples/s", "vs owlrl",
         "target (10k: ≥50x owlrl)"],
    )  # fmt: skip
    for b in builds:
        rows = found.get(b.size)
        if not rows:
            continue
        asserted = b.result["asserted"]
        owl = next((s for n, s, _, _ in rows if n.startswith("owlrl") and s), None)
        for name, seconds, count, note in rows:
            if seconds is None:
                table.rows.append([_label(b.size), name, f"{asserted:,}", "-", "-", "-", "-", note])
                continue
            speed = owl / seconds if owl else math.nan
            target = note or "-"
            if b.size <= 20_000 and not name.startswith("owlrl") and owl:
                target = "met" if speed >= REASON_SPEEDUP_10K else f"missed: {speed:.1f}x of 50x"
                target += f"; {note}" if note else ""
            table.rows.append([
                _label(b.size), name, f"{asserted:,}", f"{count:,}" if count is not None else "-",
                f"{seconds:.2f}", f"{asserted / seconds:,.0f}", "-" if math.isnan(speed) else f"{speed:.1f}x",
                target,
            ])  # fmt: skip
    table.notes.append(
        "triples out: inferred triples after kg's noise rule, minus asserted (bench.reasoners maps "
        "reasonable's closure the same way and checks each answer equals owlrl's); in bench.scale's own "
        "runs reasonable's count is its raw closure (asserted and axioms included)"
    )
    return table


# --- 3. cold start and memory ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthz")
        status = conn.getresponse().status
        conn.close()
        return status == 200
    except OSError:
        return False


@dataclass
class Running:
    """A `kg serve` we started: its process, port and how long it took to answer /healthz."""

    proc: subprocess.Popen
    port: int
    seconds: float


@contextlib.contextmanager
def kg_serve(built: Built, work: Path, timeout: float = 900.0) -> Iterator[Running]:
    """`kg --data … --cache-dir CACHE serve` (KG_CACHE_DIR too), timed from spawn to a 200 on /healthz."""
    kg = BIN / "kg"
    if not kg.exists():
        raise ChildFailed(f"{kg} is not installed (pip install -e .)")
    port = _free_port()
    data = [arg for path in built.data for arg in ("--data", str(path))]
    args = [str(kg), *data, "--cache-dir", str(built.cache), "serve", "--host", "127.0.0.1"]
    log_path = work / f"kg-serve-{built.size}.log"
    with open(log_path, "wb") as log_file:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*args, "--port", str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**_env(), "KG_CACHE_DIR": str(built.cache)},
            start_new_session=True,  # its own group: stopping it reaches granian's and the query workers
        )
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(port):
            if proc.poll() is not None:
                tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
                raise ChildFailed(f"kg serve exited with {proc.returncode}: {' | '.join(tail)}")
            if time.monotonic() > deadline:
                raise ChildFailed(f"kg serve not healthy after {timeout:.0f} s (log: {log_path})")
            time.sleep(0.02)
        yield Running(proc, port, time.perf_counter() - started)
    finally:
        _stop_group(proc)


def rebuilt_by_serve(built: Built) -> bool:
    """Whether `kg serve` built a new snapshot instead of reusing ours (another key: the code or the
    library versions changed between the build and the serve, e.g. a working tree edited mid-run)."""
    return any(p.name != Path(built.result["folder"]).name for p in built.cache.iterdir() if p.is_dir()
               and not p.name.startswith("."))  # fmt: skip


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def _status_kib(text: str, field_name: str) -> int:
    for line in text.splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def process_tree(root: int) -> dict[int, int]:
    """pid → parent pid for `root` and every descendant (/proc/<pid>/task/*/children)."""
    parents, todo = {root: 0}, [root]
    while todo:
        pid = todo.pop()
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            for child in _read(str(task)).split():
                if int(child) not in parents:
                    parents[int(child)] = pid
                    todo.append(int(child))
    return parents


def roles(root: int) -> dict[int, str]:
    """What each process of a `kg serve` tree is, from its command line and parent."""
    parents = process_tree(root)
    cmdlines = {pid: _read(f"/proc/{pid}/cmdline").replace("\0", " ") for pid in parents}
    zygotes = {p for p, c in cmdlines.items() if "zygote_main" in c and "zygote_main" not in cmdlines.get(
        parents[p], "")}  # fmt: skip
    found = {}
    for pid, parent in parents.items():
        if pid == root:
            found[pid] = "main (kg serve)"
        elif pid in zygotes:
            found[pid] = "zygote"
        elif parent in zygotes:
            found[pid] = "query worker"
        elif "worker_main" in cmdlines[pid]:
            found[pid] = "query worker (fresh interpreter)"
        elif parent == root:
            found[pid] = "server process (granian)"
        else:
            found[pid] = "other"
    return found


def memory(root: int) -> dict[str, list[tuple[int, int]]]:
    """role → [(RSS bytes, PSS bytes)] for every process of the tree (PSS splits shared pages)."""
    out: dict[str, list[tuple[int, int]]] = {}
    for pid, role in roles(root).items():
        rss = _status_kib(_read(f"/proc/{pid}/status"), "VmRSS") * 1024
        pss = _status_kib(_read(f"/proc/{pid}/smaps_rollup"), "Pss") * 1024
        if rss:
            out.setdefault(role, []).append((rss, pss))
    return out


def wait_for_workers(root: int, expected: int, timeout: float = 30.0) -> None:
    """Until the query workers the servers start are all forked (healthz needs only one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(1 for r in roles(root).values() if r.startswith("query worker")) >= expected:
            return
        time.sleep(0.1)


def coldstart_tables(starts: dict[int, float], memories: dict[tuple[int, str], dict], errors: list[str]):
    table = Table(
        "Cold start: `kg --data <folder> serve` from the built cache to 200 on /healthz",
        ["size", "seconds", "target (1M: < 2 s)"],
    )
    for size, seconds in starts.items():
        if size >= 1_000_000:
            target = "met" if seconds < COLDSTART_SECONDS_1M else f"missed: {seconds / 2:.1f}x of 2 s"
        else:
            target = "-"
        table.rows.append([_label(size), f"{seconds:.2f}", target])
    table.notes += errors
    table.notes.append(
        "the first 200 may come from one granian process while the other is still loading; includes "
        "interpreter start, the cache check (hashing inputs and dataset), loading, zygote + worker start"
    )
    mem = Table(
        "Memory: per process of kg serve (2 server processes, 2 query workers each)",
        ["size", "when", "role", "count", "RSS MiB (max)", "PSS MiB (max)", "PSS MiB (sum)",
         "target (1M: worker < 300 MiB)"],
    )  # fmt: skip
    for (size, when), by_role in memories.items():
        for role, values in sorted(by_role.items()):
            rss = max(v[0] for v in values)
            target = "-"
            if role.startswith("query worker") and size >= 1_000_000:
                target = "met" if rss < WORKER_RSS_1M else f"missed: {rss / WORKER_RSS_1M:.1f}x"
            mem.rows.append([
                _label(size), when, role, str(len(values)), _mib(rss), _mib(max(v[1] for v in values)),
                _mib(sum(v[1] for v in values)), target,
            ])  # fmt: skip
    mem.notes.append(
        "RSS counts pages shared copy-on-write with the zygote in every worker; PSS divides them among "
        "the sharers, so the PSS sum is the real footprint"
    )
    return [table, mem]


# --- 4. named queries and export ---------------------------------------------------------------------


def snapshot_of(built: Built):
    from kg.build import build

    return build(None, built.data, cache=built.cache)


def measure_queries(built: Built, opts: Options) -> list[tuple[Any, Any]]:
    """(bench.core.QueryTiming, samples on bare Oxigraph opening the snapshot's on-disk store, or None).

    The third engine separates what the storage costs (kg opens the snapshot's on-disk store read-only;
    bench.core's reference is an in-memory store) from what kg's Python path adds.
    """
    import pyoxigraph as ox

    from .bounded import measure
    from .core import Built as CoreBuilt
    from .core import count_answer, named_queries, oxigraph_answer, time_queries

    queries, _ = named_queries()
    snapshot = snapshot_of(built)
    core = CoreBuilt(_label(built.size), None, built.cache, snapshot, built.result["build_seconds"])
    timings, _ = time_queries(core, queries, opts.repeat, opts.budget)
    on_disk = getattr(snapshot, "store", None)
    if not (isinstance(on_disk, Path) and on_disk.is_dir()):
        return [(t, None) for t in timings]
    disk = ox.Store.read_only(str(on_disk))
    out = []
    for timing, query in zip(timings, queries, strict=True):
        log.info("  %s: %s (oxigraph on disk)", _label(built.size), query.name)
        samples = measure(lambda q=query: oxigraph_answer(disk, q), opts.repeat, opts.budget, count_answer)
        out.append((timing, samples))
    return out


def _median_of(samples: Any) -> float:
    return statistics.median(samples.seconds) if samples is not None and samples.seconds else math.nan


def _over(ours: float, theirs: float) -> float:
    return ours / theirs if theirs and not math.isnan(ours + theirs) else math.nan


def query_tables(found: dict[int, list], opts: Options) -> list[Table]:
    summary = Table(
        "Named queries, summary: kg (sparql.run + JSON writer) / bare pyoxigraph, ratio of medians",
        ["size", "queries", "within 1.5x", "median kg/ox", "worst kg/ox", "median kg/ox disk",
         "timeouts/errors"],
    )  # fmt: skip
    tables = []
    for size, measured in found.items():
        table = Table(
            f"Named queries at {_label(size)}: {opts.repeat} runs each after a warm-up, budget "
            f"{opts.budget:g} s per query and engine",
            ["query", "rows", "kg median ms", "ox median ms", "kg/ox", "ox disk median ms", "kg/ox disk",
             "target (kg/ox ≤1.5x)"],
        )  # fmt: skip
        ratios, disk_ratios, failed = [], [], 0
        for t, disk in measured:
            kg_med, ox_med, disk_med = _median_of(t.kg), _median_of(t.oxigraph), _median_of(disk)
            value, on_disk = _over(kg_med, ox_med), _over(kg_med, disk_med)
            if math.isnan(value):
                failed += 1
                verdict = t.kg.error or t.oxigraph.error or "timeout"
            else:
                ratios.append((value, t.name))
                verdict = "met" if value <= QUERY_RATIO else f"missed by {value / QUERY_RATIO:.2f}x"
            if not math.isnan(on_disk):
                disk_ratios.append(on_disk)
            rows = "?" if t.kg.rows is None else f"{t.kg.rows:,}"
            table.rows.append([
                t.name, rows, ms(kg_med), ms(ox_med), _times(value), ms(disk_med), _times(on_disk), verdict,
            ])  # fmt: skip
        tables.append(table)
        worst = max(ratios) if ratios else (math.nan, "-")
        summary.rows.append([
            _label(size), str(len(measured)),
            f"{sum(1 for r, _ in ratios if r <= QUERY_RATIO)}/{len(ratios)}",
            _times(statistics.median(r for r, _ in ratios)) if ratios else "-",
            f"{worst[0]:.2f}x ({worst[1]})" if ratios else "-",
            _times(statistics.median(disk_ratios)) if disk_ratios else "-", str(failed),
        ])  # fmt: skip
    summary.notes.append(
        "ox = bare pyoxigraph, a Store bulk-loaded in memory from the same dataset.nq (bench.core), union "
        "default graph, its own JSON serializer; ox disk = bare pyoxigraph opening the snapshot's on-disk "
        "store read-only (as kg does). kg/ox disk is what kg's Python path adds (guard, dataset "
        "selection, JSON writer); ox disk/ox is what the on-disk store costs"
    )
    return [summary, *tables]


def _times(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}x"


def measure_export(built: Built, work: Path, opts: Options) -> list[tuple[str, float, int, float, int, str]]:
    """(format, kg s, kg bytes, ox s, ox bytes, note): `kg.export.export` vs `Store.dump`."""
    import pyoxigraph as ox

    from kg import export, formats
    from kg.store import OxigraphStore

    from .bounded import measure
    from .core import bare_store

    snapshot = snapshot_of(built)
    ours, bare = OxigraphStore(snapshot), bare_store(snapshot.nquads)
    graphs = [ox.NamedNode(g) for g in ours.graphs()]
    target = work / "export.out"

    def kg_export(name: str) -> int:
        with open(target, "wb") as out:
            export.export(ours, out, formats.lookup(name))
        return target.stat().st_size

    def ox_dump(name: str) -> int:
        with open(target, "wb") as out:
            if name == "nquads":
                bare.dump(out, format=ox.RdfFormat.N_QUADS)
            else:  # a graph format needs one graph: every graph in turn, into the same file
                for graph in graphs:
                    bare.dump(out, format=ox.RdfFormat.TURTLE, from_graph=graph)
        return target.stat().st_size

    rows = []
    repeat = max(1, min(opts.repeat, 3))
    budget = max(opts.budget, 120.0)
    for name in ("nquads", "turtle"):
        log.info("%s: export %s", _label(built.size), name)
        mine = measure(lambda n=name: kg_export(n), repeat, budget, count=lambda n: n, warmup=0)
        theirs = measure(lambda n=name: ox_dump(n), repeat, budget, count=lambda n: n, warmup=0)
        note = "; ".join(e for e in (mine.error, theirs.error) if e)
        rows.append((
            name, _median_or_nan(mine.seconds), mine.rows or 0, _median_or_nan(theirs.seconds),
            theirs.rows or 0, note,
        ))  # fmt: skip
    target.unlink(missing_ok=True)
    return rows


def export_table(found: dict[int, list], opts: Options) -> Table:
    table = Table(
        "Export: `kg export` (kg.export.export, VoID description included) vs pyoxigraph Store.dump, "
        "whole dataset to a file, median of up to 3 runs",
        ["size", "format", "kg s", "kg MB", "ox s", "ox MB", "kg speed / ox", "target (≥0.5x)"],
    )
    for size, rows in found.items():
        for name, kg_s, kg_b, ox_s, ox_b, note in rows:
            speed = ox_s / kg_s if kg_s and not math.isnan(kg_s + ox_s) else math.nan
            verdict = note or ("met" if speed >= EXPORT_RATIO else f"missed: {speed:.2f}x of 0.5x")
            table.rows.append([
                _label(size), name, _seconds(kg_s), f"{kg_b / 1e6:.1f}", _seconds(ox_s), f"{ox_b / 1e6:.1f}",
                "-" if math.isnan(speed) else f"{speed:.2f}x", verdict,
            ])  # fmt: skip
    table.notes.append(
        "Turtle: kg writes distinct triples grouped by subject with prefixes; Store.dump writes each graph "
        "in turn (a triple in two graphs twice), so its file may be larger"
    )
    return table


# --- 5. uncached HTTP ---------------------------------------------------------------------------------


def hammer_varying(port: int, clients: int, duration: float, path: str = "/sparql",
                   timeout: float = 15.0) -> LoadResult:  # fmt: skip
    """`clients` connections for `duration` seconds, every request a different (uncacheable) query."""
    lock, counter = threading.Lock(), itertools.count(1)

    def next_request() -> bytes:
        with lock:
            n = next(counter)
        return sparql_get(port, VARYING.format(n=n), path=path)

    return hammer_with(port, next_request, clients, duration, timeout)


def load_server(port: int, opts: Options) -> dict[str, LoadResult]:
    """A warm-up, then 1 client (the unloaded latency) and `clients` clients."""
    hammer_varying(port, 1, 0.5)
    return {
        "1": hammer_varying(port, 1, min(2.0, opts.duration)),
        str(opts.clients): hammer_varying(port, opts.clients, opts.duration),
    }


def minimal_server(nquads: Path, work: Path):
    """bench/minimal_app.py under granian, same settings as kg's server; stopped with its group."""
    from .servers import _serving

    port = _free_port()
    args = [sys.executable, "-m", "bench.minimal_app", "--nquads", str(nquads), "--port", str(port)]
    return _serving("minimal", args, port, work, env={"PYTHONPATH": _env()["PYTHONPATH"]}, ready=600.0)


def http_table(found: dict[int, dict[str, dict[str, LoadResult]]], errors: list[str], opts: Options):
    table = Table(
        f"Uncached HTTP: GET /sparql?query={VARYING.format(n='<n>')} (n changes every request), "
        f"Accept SPARQL JSON, {opts.duration:g}s per row, loopback, {os.cpu_count()} cores shared with "
        "the client",
        ["size", "server", "clients", "req/s", "p50 ms", "p99 ms", "p99/p50", "failed", "kg/minimal",
         "target (≥0.8x, p99 ≤ 3x p50)"],
    )  # fmt: skip
    for size, servers in found.items():
        for server, by_clients in servers.items():
            for clients, result in by_clients.items():
                p50, p99 = result.p(50), result.p(99)
                spread = p99 / p50 if p50 and not math.isnan(p50) else math.nan
                ratio, target = "-", "-"
                peer = found[size].get("minimal", {}).get(clients)
                if server == "kg" and peer is not None and peer.rate:
                    value = result.rate / peer.rate
                    ratio = f"{value:.2f}x"
                    if clients != "1":
                        missed = []
                        if value < HTTP_RATIO:
                            missed.append(f"rate {value:.2f}x of 0.8x")
                        if spread > P99_OVER_P50:
                            missed.append(f"p99 {spread:.1f}x p50")
                        target = "missed: " + ", ".join(missed) if missed else "met"
                table.rows.append([
                    _label(size), server, clients, f"{result.rate:,.0f}", ms(p50), ms(p99),
                    "-" if math.isnan(spread) else f"{spread:.1f}", str(result.failures), ratio, target,
                ])  # fmt: skip
                if result.first_failure:
                    table.notes.append(f"{_label(size)} {server}: first failure: {result.first_failure}")
    table.notes += errors
    table.notes.append(
        "kg = `kg serve` with its defaults (response cache and replay on: the changing constant defeats "
        "both); minimal = bench/minimal_app.py (Flask + in-memory pyoxigraph, no guard, budget or workers)"
    )
    return table


# --- 6. worker round trip -----------------------------------------------------------------------------


def measure_roundtrip(built: Built, work: Path, opts: Options) -> dict[str, Any]:
    """Medians (seconds) of each step of an uncached /sparql request, in this process.

    `create_app` runs here with the response cache off; the executor's `run` and the handler's guard
    are wrapped with timers (instance and module attributes, nothing in src/ changes); the worker's
    own work is `kg.worker._answer` replayed here on the same store with the very jobs sent.
    """
    import kg.web.sparql as web_sparql
    from kg import worker
    from kg.web import create_app

    config = {"KG_CACHE_DIR": built.cache, "KG_DATA": list(built.data), "KG_CACHE_ENTRIES": 0}
    query_log = logging.getLogger("kg.query")  # kept (its cost is part of a request), but into a file
    handler = logging.FileHandler(work / f"roundtrip-{built.size}.log")
    query_log.addHandler(handler)
    query_log.propagate = False
    app = create_app(config)
    state = app.extensions["kg"]
    executor = state.executor
    original_checked = web_sparql.checked
    try:
        deadline = time.monotonic() + 120
        while executor.alive < executor.size and time.monotonic() < deadline:
            time.sleep(0.05)
        spans: dict[str, list[float]] = {"exec": [], "guard": []}
        jobs, answers = [], []
        run = executor.run

        def timed_run(job, budget, arrived=None):
            started = time.perf_counter()
            answer = run(job, budget, arrived)
            spans["exec"].append(time.perf_counter() - started)
            jobs.append(job)
            answers.append(answer)
            return answer

        def timed_checked(text):
            started = time.perf_counter()
            try:
                return original_checked(text)
            finally:
                spans["guard"].append(time.perf_counter() - started)

        executor.run = timed_run  # type: ignore[method-assign]
        web_sparql.checked = timed_checked
        client = app.test_client()
        headers = {"Accept": "application/sparql-results+json"}
        total = []
        warmup = 20
        for i in range(warmup + opts.roundtrip_requests):
            started = time.perf_counter()
            response = client.get("/sparql", query_string={"query": VARYING.format(n=i)}, headers=headers)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise ChildFailed(f"/sparql answered {response.status_code}: {response.data[:200]!r}")
            if i >= warmup:
                total.append(elapsed)
        spans = {k: v[warmup:] for k, v in spans.items()}
        jobs, answers = jobs[warmup:], answers[warmup:]
        answer_s, pickle_s = [], []
        for job, answer in zip(jobs, answers, strict=True):
            started = time.perf_counter()
            worker._answer(state.store, job)
            answer_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            pickle.loads(pickle.dumps(job))
            pickle.loads(pickle.dumps(("ok", answer)))
            pickle_s.append(time.perf_counter() - started)
        fork = _time_fork(executor)
        load_started = time.perf_counter()
        from kg.store import OxigraphStore

        OxigraphStore(state.snapshot)
        load = time.perf_counter() - load_started
    finally:
        web_sparql.checked = original_checked
        executor.close()
        query_log.removeHandler(handler)
        query_log.propagate = True
        handler.close()
    return {
        "total": statistics.median(total),
        "guard": statistics.median(spans["guard"]),
        "exec": statistics.median(spans["exec"]),
        "answer": statistics.median(answer_s),
        "pickle": statistics.median(pickle_s),
        "job_bytes": len(pickle.dumps(jobs[0])),
        "answer_bytes": len(pickle.dumps(("ok", answers[0]))),
        "fork": fork,
        "load": load,
        "requests": len(total),
    }


def _time_fork(executor: Any) -> float:
    """A worker forked by the zygote until it says ready (private executor API: NaN when it changed)."""
    try:
        started = time.perf_counter()
        new = executor._new_worker()
        ready = new.wait_ready(30)
        elapsed = time.perf_counter() - started
        new.kill()
        return elapsed if ready else math.nan
    except Exception as exc:
        log.warning("cannot time a zygote fork: %s", exc)
        return math.nan


def import_costs(work: Path) -> dict[str, Any]:
    """A fresh interpreter importing kg.worker (what a worker pays without a zygote), best of 3."""
    runs = [run_child(["import"], 120, work / "import.log") for _ in range(3)]
    best = min(runs, key=lambda r: r["seconds"])
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return best | {"bare_interpreter": time.perf_counter() - started}


def roundtrip_table(found: dict[int, dict[str, Any]], http_p50: dict[int, float], imports: dict | None):
    table = Table(
        "Worker round trip: one uncached cheap SELECT (LIMIT 10) through create_app's /sparql (Flask test "
        "client, no socket), medians",
        ["size", "step", "ms", "share of handler"],
    )
    for size, r in found.items():
        total = r["total"]
        ipc = r["exec"] - r["answer"]
        over_handler = http_p50.get(size, math.nan) - total
        over_handler = over_handler if math.isnan(over_handler) else max(0.0, over_handler)
        steps = [
            (
                "HTTP (granian, loopback, 1 client) over the handler",
                over_handler,
            ),
            ("handler total (Flask test client)", total),
            ("· Flask, werkzeug, middleware, conneg, query log", total - r["exec"] - r["guard"]),
            ("· guard (kg.sparql.guard, server process)", r["guard"]),
            ("· executor.run (send, wait, receive)", r["exec"]),
            ("· · worker: sparql.run + JSON writer (_answer)", r["answer"]),
            ("· · IPC, scheduling, pickling", ipc),
            (f"· · · pickling job ({r['job_bytes']} B) + answer ({r['answer_bytes']} B)", r["pickle"]),
            ("new worker: zygote fork until ready", r["fork"]),
            ("new worker without zygote: open/load the snapshot", r["load"]),
        ]
        for name, seconds in steps:
            shown = total and not math.isnan(seconds) and name.startswith("·")
            share = f"{seconds / total:.0%}" if shown else ""
            table.rows.append([_label(size), name, ms(seconds), share])
    table.notes.append(
        "the HTTP row is kg's 1-client p50 in the HTTP table minus the handler total here (measured at "
        "different moments, shown as 0 when noise makes it negative)"
    )
    if imports:
        table.notes.append(
            f"a fresh worker interpreter imports kg.worker in {imports['seconds'] * 1000:.0f} ms "
            f"({imports['modules']} modules; heavy ones loaded: {', '.join(imports['heavy']) or 'none'}); "
            f"a bare `python -c pass` takes {imports['bare_interpreter'] * 1000:.0f} ms"
        )
    return table


# --- driver -----------------------------------------------------------------------------------------


def _label(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    return f"{size // 1000}k" if size >= 1000 and size % 1000 == 0 else str(size)


def _mib(value: float) -> str:
    return f"{value / MIB:,.0f}"


def _seconds(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}"


def _median_or_nan(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def run_scale(opts: Options, work: Path, emit: Callable[[Table], None] | None = None) -> list[Table]:
    """Measure every size and return the tables (printed through `emit` as each part completes)."""
    parts = set(opts.parts)
    builds: list[Built] = []
    reasoning: dict[int, list] = {}
    starts: dict[int, float] = {}
    memories: dict[tuple[int, str], dict] = {}
    start_errors: list[str] = []
    queries: dict[int, list] = {}
    exports: dict[int, list] = {}
    loads: dict[int, dict[str, dict[str, LoadResult]]] = {}
    http_errors: list[str] = []
    trips: dict[int, dict[str, Any]] = {}
    for size in opts.sizes:
        folder = work / f"data-{size}"
        files = write_data(folder, size, opts.seed)
        data = data_args(folder, files)
        log.info("%s: %d data files in %s (seed %d)", _label(size), len(files), folder, opts.seed)
        built = measure_build(size, files, data, work, opts)
        builds.append(built)
        if "reason" in parts:
            reasoning[size] = measure_reasoners(built, opts)
        if parts & {"coldstart", "http"}:
            try:
                with kg_serve(built, work) as running:
                    starts[size] = running.seconds
                    log.info("%s: kg serve healthy after %.2fs", _label(size), running.seconds)
                    if rebuilt_by_serve(built):
                        start_errors.append(
                            f"{_label(size)}: kg serve did not find the build in the cache and built "
                            "again (a different key: code or versions changed since the build), so its "
                            "cold start includes a build"
                        )
                    wait_for_workers(running.proc.pid, 4)
                    memories[(size, "started")] = memory(running.proc.pid)
                    if "http" in parts:
                        loads.setdefault(size, {})["kg"] = load_server(running.port, opts)
                        memories[(size, "after load")] = memory(running.proc.pid)
            except ChildFailed as exc:
                start_errors.append(f"{_label(size)}: {exc}")
        if "http" in parts:
            try:
                with minimal_server(snapshot_of(built).nquads, work) as (port, _):
                    loads.setdefault(size, {})["minimal"] = load_server(port, opts)
            except Exception as exc:  # ServerUnavailable or a load failure: reported in the table
                http_errors.append(f"{_label(size)} minimal: {exc}")
        if "queries" in parts:
            queries[size] = measure_queries(built, opts)
        if "export" in parts:
            exports[size] = measure_export(built, work, opts)
        if "roundtrip" in parts:
            trips[size] = measure_roundtrip(built, work, opts)
        shutil.rmtree(built.cache, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
    tables = build_tables(builds, opts)
    if reasoning:
        tables.append(reason_table(reasoning, builds))
    if "coldstart" in parts:
        tables += coldstart_tables(starts, memories, start_errors)
    if loads or http_errors:
        tables.append(http_table(loads, http_errors, opts))
    if queries:
        tables += query_tables(queries, opts)
    if exports:
        tables.append(export_table(exports, opts))
    if trips:
        p50 = {s: r["kg"]["1"].p(50) for s, r in loads.items() if "kg" in r and "1" in r["kg"]}
        imports = None
        try:
            imports = import_costs(work)
        except ChildFailed as exc:
            log.warning("import timing failed: %s", exc)
        tables.append(roundtrip_table(trips, p50, imports))
    for table in tables:
        if emit is not None:
            emit(table)
    return tables


def print_table(table: Table, command: str) -> None:
    print(f"\n$ {command}\n{table.title}\n")
    print(render(table.headers, table.rows, max_width=64))
    for note in table.notes:
        print(f"  note: {note}")
    sys.stdout.flush()


def parse_sizes(text: str) -> list[int]:
    """`10000,100000,1M` → [10000, 100000, 1000000] (k and M suffixes allowed)."""
    sizes = []
    for item in text.split(","):
        item = item.strip().lower().replace("_", "")
        factor = 1_000_000 if item.endswith("m") else 1000 if item.endswith("k") else 1
        sizes.append(int(float(item.rstrip("km")) * factor))
    if not sizes or min(sizes) <= 0:
        raise ValueError(f"sizes must be positive: {text!r}")
    return sizes


def main(opts: Options) -> int:
    """Run the scale benchmark in a temporary folder removed at the end; tables to stdout."""
    import tempfile

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kg-scale-") as tmp:
        run_scale(opts, Path(tmp), emit=lambda t: print_table(t, opts.command))
    log.info("scale benchmark done in %.0fs", time.perf_counter() - started)
    return 0


def _child_main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    print(json.dumps(CHILDREN[argv[0]](*argv[1:])))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child_main(sys.argv[2:])
    else:
        sys.exit("use `python -m bench --scale SIZES`")

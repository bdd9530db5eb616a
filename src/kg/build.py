"""sources → SHACL validation → OWL 2 RL closure → a cached snapshot (asserted graphs + inferred graph).

Every stage runs on Oxigraph, so the cost grows with the data at Oxigraph's speed, not rdflib's:

1. **parse**: every source file is streamed into an in-memory Oxigraph store, one named graph per file
   (`loader.load_file`: Turtle, N-Triples, N-Quads, TriG, RDF/XML, gzipped or not);
2. **validate**: the SHACL shapes, compiled to SPARQL, run on that store (`shapecheck.check`);
3. **reason**: the vocabulary is closed by owlrl and compiled into one rule per axiom, run on the store
   to a fixpoint (`entail.infer`); the result is identical to owlrl's closure (tests/test_entail.py);
4. **store**: the quads are written as `dataset.nq`, bulk-loaded into an on-disk Oxigraph store that
   every reader opens read-only, and described by `manifest.json`.

A snapshot is a folder `<cache>/<key>/`. The key hashes every input file, the shapes, the library
versions and the build format, so a second start with the same inputs opens the store instead of
building again. Snapshots are written into a temporary folder and renamed into place, so a failed or
interrupted build (a syntax error, a full disk, a kill) never leaves half a cache and never touches an
earlier build.

A cache can still be damaged afterwards (a full disk, a crash before the data reached the disk, a hand
edit). So the manifest records the size and sha256 of `dataset.nq`, the size of every file of the
store and the triple count of every graph, and reuse is verified (snapshot.py). A damaged snapshot is
rebuilt into the same key (one warning line says why); when its folder cannot be written,
`CacheDamaged` says to delete it.

On a terminal, each stage shows its progress (`progress.Progress`); elsewhere nothing extra is printed.
The seconds of each stage are kept in the manifest (`stages`).
"""

from __future__ import annotations

import errno
import gc
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from .errors import ValidationFailed
from .namespaces import INFERRED_GRAPH, PROVENANCE_GRAPH
from .progress import Progress
from .snapshot import (
    BUILD_FORMAT,
    DATASET,
    MANIFEST,
    STORE,
    CacheDamaged,
    Snapshot,
    damaged,
    file_sha256,
    open_read_only,
    read_verified,
    store_files,
    verify,
)
from .sources import Source, discover, shapes_path

if TYPE_CHECKING:
    from .entail import InferenceStats

__all__ = ["CacheDamaged", "Snapshot", "build", "check", "open_read_only", "verify"]

log = logging.getLogger(__name__)


LIBRARIES = ("pharma-kg", "rdflib", "owlrl", "pyoxigraph")


def cache_root() -> Path:
    """`$KG_CACHE_DIR`, else `$XDG_CACHE_HOME/pharma-kg`, else `~/.cache/pharma-kg`."""
    if env := os.environ.get("KG_CACHE_DIR"):
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg) / "pharma-kg"


def library_versions() -> dict[str, str]:
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = version(name)
        except Exception:  # not installed as a distribution (e.g. running from a checkout)
            found[name] = "unknown"
    return found


def build_key(sources: list[Source], shapes: Path) -> str:
    digest = hashlib.sha256(f"format={BUILD_FORMAT}".encode())
    for source in sources:
        digest.update(f"{source.graph}={source.digest}".encode())
    digest.update(hashlib.sha256(shapes.read_bytes()).digest())
    digest.update(json.dumps(library_versions(), sort_keys=True).encode())
    return digest.hexdigest()[:24]


def build(
    ontology: Path | None = None,
    extra: tuple[Path, ...] = (),
    cache: Path | None = None,
    force: bool = False,
    progress: Progress | None = None,
    thorough: bool = False,
) -> Snapshot:
    """Return the snapshot for these inputs, building it only when the cache holds no intact copy.

    A cached copy is checked cheaply (manifest, file sizes); `thorough` also hashes dataset.nq."""
    progress = progress or Progress()
    sources = discover(ontology, extra)
    shapes = shapes_path(ontology)
    key = build_key(sources, shapes)
    folder = (cache or cache_root()) / key
    damage = None
    if not force and os.path.lexists(folder):
        manifest, damage = read_verified(folder, key, thorough)
        if manifest is not None:
            log.info("using cached build %s", folder)
            return Snapshot(folder, manifest, cached=True)
        log.warning("build cache %s is damaged (%s); rebuilding it", folder, damage)
    return _build_into(folder, key, sources, shapes, progress, damage)


def check(
    ontology: Path | None = None, extra: tuple[Path, ...] = (), progress: Progress | None = None
) -> list[str]:
    """Parse and validate without reasoning or caching; return the input files checked."""
    progress = progress or Progress()
    sources = discover(ontology, extra)
    work = ox.Store()
    _parse(work, sources, progress)
    _validate(work, sources, shapes_path(ontology), progress)
    return [str(s.path) for s in sources]


# --- the stages ---------------------------------------------------------------------------------------


def _parse(work: ox.Store, sources: list[Source], progress: Progress) -> int:
    from . import loader  # the stages import what they use: reusing a cached build needs none of it

    total = 0
    with progress.stage("parse"):
        for number, source in enumerate(sources, 1):
            name = f"{source.path.name} ({number}/{len(sources)})"

            def show(read: int, name: str = name, size: int = source.path.stat().st_size) -> None:
                progress.update(f"{name}: {read / max(size, 1):.0%} of {size / 1e6:,.1f} MB")

            total += loader.load_file(work, source, on_progress=show)
        progress.done(f"{len(sources)} file(s), {total:,} triples")
    return total


def _validate(work: ox.Store, sources: list[Source], shapes: Path, progress: Progress) -> None:
    from . import shapecheck

    with progress.stage("validate", "SHACL shapes as SPARQL"):
        violations = shapecheck.check(work, {s.graph: s.path for s in sources}, shapes)
        if violations:
            lines = "\n  ".join(str(v) for v in violations)
            raise ValidationFailed(f"{len(violations)} SHACL violation(s):\n  {lines}")
        progress.done("no violations")


def _reason(work: ox.Store, sources: list[Source], progress: Progress) -> InferenceStats:
    from . import entail  # owlrl and rdflib, for the vocabulary's closure

    asserted = [s.graph for s in sources if s.graph != PROVENANCE_GRAPH]  # records describe triples
    with progress.stage("reason", "closing the vocabulary"):

        def show(round_number: int, new: int) -> None:
            progress.update(f"round {round_number}: {new:,} new triples")

        stats = entail.infer(work, asserted, INFERRED_GRAPH, on_round=show)
        how = f" (owlrl: {stats.fallback})" if stats.fallback else ""
        progress.done(f"{stats.inferred:,} inferred triples in {stats.rounds} round(s){how}")
    return stats


def _build_into(
    folder: Path,
    key: str,
    sources: list[Source],
    shapes: Path,
    progress: Progress,
    damage: str | None = None,
) -> Snapshot:
    started = time.perf_counter()
    work = ox.Store()
    _parse(work, sources, progress)
    _validate(work, sources, shapes, progress)
    stats = _reason(work, sources, progress)
    manifest: dict[str, Any] = {
        "key": key,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "inputs": [{"path": s.path.name, "graph": s.graph, "sha256": s.digest} for s in sources],
        "shapes": {"path": shapes.name, "sha256": hashlib.sha256(shapes.read_bytes()).hexdigest()},
        "asserted_graphs": [s.graph for s in sources],
        "inferred_graph": INFERRED_GRAPH,
        "reasoner": "owlrl" if stats.fallback else "compiled OWL 2 RL rules (entail.py)",
        "versions": library_versions(),
        "build_format": BUILD_FORMAT,
    }
    try:
        with progress.stage("store", f"writing {folder}"):
            manifest["stages"] = dict(progress.timings)  # parse, validate, reason; store is added on write
            _write_snapshot(folder, manifest, work, [*manifest["asserted_graphs"], INFERRED_GRAPH], started)
            progress.done(f"{sum(manifest['graphs'].values()):,} quads in {folder}")
    except OSError as exc:
        if damage is not None:
            raise damaged(folder, damage, f"cannot be rebuilt there ({exc.strerror or exc})") from None
        if exc.filename is None or exc.errno is None:  # the user needs to know which folder, and why
            raise _in_folder(exc, folder) from exc
        raise
    finally:
        del work
    log.info("built %s in %.2fs (%d inferred triples)", folder, manifest["build_seconds"], stats.inferred)
    return Snapshot(folder, manifest, damage=damage)


def _in_folder(exc: OSError, folder: Path) -> OSError:
    """An OSError naming `folder` with errno and reason: a failed write() names no file, and
    pyoxigraph's errors carry only a message ("No space left on device (os error 28)")."""
    code, reason = exc.errno, exc.strerror
    if code is None:
        found = re.search(r"os error (\d+)", str(exc))
        code = int(found[1]) if found else (errno.ENOSPC if "No space left on device" in str(exc) else None)
        reason = os.strerror(code) if code is not None else str(exc)
    return OSError(code, reason, str(folder))


# --- writing the snapshot -----------------------------------------------------------------------------


def _write_snapshot(folder: Path, manifest: dict, work: ox.Store, graphs: list[str], started: float) -> None:
    """Write dataset.nq, store/ and manifest.json into a staging folder, then rename it to `folder`.

    The manifest is completed here from what was written: per-graph counts, sizes and sha256.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    writing = time.perf_counter()
    try:
        counts = _graph_counts(work, graphs)
        work.dump(output=str(staging / DATASET), format=ox.RdfFormat.N_QUADS)
        for entry in manifest["inputs"]:
            entry["triples"] = counts[entry["graph"]]
        manifest["graphs"] = counts
        manifest["dataset"] = {
            "path": DATASET,
            "bytes": (staging / DATASET).stat().st_size,
            "sha256": file_sha256(staging / DATASET),
        }
        manifest["store"] = {"path": STORE, "files": _write_store(staging / STORE, work)}
        manifest["build_seconds"] = round(time.perf_counter() - started, 3)
        manifest.setdefault("stages", {})["store"] = round(time.perf_counter() - writing, 3)
        _write_manifest(staging / MANIFEST, manifest)
        _install(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _graph_counts(work: ox.Store, graphs: list[str]) -> dict[str, int]:
    """Quads per graph, in `graphs` order (0 for an empty one); the store must hold no other quads."""
    found: dict[str, int] = {}
    rows = work.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert isinstance(rows, ox.QuerySolutions)
    for row in rows:
        found[row["g"].value] = int(row["n"].value)
    strays = sorted(set(found) - set(graphs))
    if strays or len(work) != sum(found.values()):
        raise RuntimeError(f"the build left quads outside its graphs: {strays or 'the default graph'}")
    return {graph: found.get(graph, 0) for graph in graphs}


def _write_store(folder: Path, work: ox.Store) -> dict[str, int]:
    """Copy the working store into a new on-disk Oxigraph store, compacted and closed before it is listed.

    Straight from memory (bulk_extend): measured at 1M triples, faster than bulk-loading dataset.nq
    back. Readers open the store read-only, which is undefined while a writer holds it: the writer is
    dropped before the snapshot is renamed into place.
    """
    store = ox.Store(str(folder))
    try:
        store.bulk_extend(work.quads_for_pattern(None, None, None, None))
        store.flush()
        store.optimize()
    finally:
        del store
        gc.collect()
    return store_files(folder)


def _write_manifest(path: Path, manifest: dict) -> None:
    path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _install(staging: Path, folder: Path) -> None:
    """Rename the staged snapshot to `folder`; an old (damaged or forced-over) one is moved aside first.

    `os.replace` cannot replace a non-empty folder, and deleting the old one first would leave a
    longer window in which a reader finds no snapshot at all.
    """
    if not os.path.lexists(folder):
        os.replace(staging, folder)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}-old-", dir=folder.parent))
    try:
        os.replace(folder, aside / folder.name)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(aside, ignore_errors=True)

"""sources → SHACL validation → OWL 2 RL closure → a cached snapshot (asserted graphs + inferred graph).

A snapshot is a folder `<cache>/<key>/` holding `dataset.nq` and `manifest.json`. The key hashes every
input file, the shapes, the library versions and the noise rule, so a second start with the same
inputs loads the N-Quads straight into Oxigraph instead of reasoning again. Snapshots are written into
a temporary folder and renamed into place, so a failed or interrupted build never leaves half a cache.

A cache can still be damaged afterwards (a full disk, a crash before the data reached the disk, a hand
edit). So the manifest records the size and sha256 of `dataset.nq` and the triple count of every graph
as written, and reuse is verified: the manifest must parse and have every field with the right type,
and `dataset.nq` must have that size and hash. A damaged snapshot is rebuilt into the same key (one
warning line says why); when its folder cannot be written, `CacheDamaged` says to delete it. `load`
counts each graph once more in Oxigraph, against the manifest, in case the file changed after it was
verified; `verify` re-checks a snapshot cheaply for long-running holders of one.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from importlib.metadata import version
from pathlib import Path

import pyoxigraph as ox
import rdflib

from . import reason
from .errors import ValidationFailed
from .namespaces import INFERRED_GRAPH, PROVENANCE_GRAPH
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
from .sources import Source, discover, parse_turtle, shapes_path
from .terms import quads
from .validate import validate

__all__ = ["CacheDamaged", "Snapshot", "build", "check", "open_read_only", "verify"]

log = logging.getLogger(__name__)


LIBRARIES = ("pharma-kg", "rdflib", "owlrl", "pyshacl", "pyoxigraph")


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
) -> Snapshot:
    """Return the snapshot for these inputs, building it only when the cache holds no intact copy."""
    sources = discover(ontology, extra)
    shapes = shapes_path(ontology)
    key = build_key(sources, shapes)
    folder = (cache or cache_root()) / key
    damage = None
    if not force and os.path.lexists(folder):
        manifest, damage = read_verified(folder, key)
        if manifest is not None:
            log.info("using cached build %s", folder)
            return Snapshot(folder, manifest, cached=True)
        log.warning("build cache %s is damaged (%s); rebuilding it", folder, damage)
    return _build_into(folder, key, sources, shapes, damage)


def check(ontology: Path | None = None, extra: tuple[Path, ...] = ()) -> list[str]:
    """Parse and validate without reasoning or caching; return the input files checked."""
    sources = discover(ontology, extra)
    parts = {s.path: parse_turtle(s.path) for s in sources}
    _validate(parts, shapes_path(ontology))
    return [str(s.path) for s in sources]


def _validate(parts: dict[Path, rdflib.Graph], shapes: Path) -> None:
    violations = validate(parts, parse_turtle(shapes))
    if violations:
        lines = "\n  ".join(str(v) for v in violations)
        raise ValidationFailed(f"{len(violations)} SHACL violation(s):\n  {lines}")


# --- building ----------------------------------------------------------------------------------------


def _build_into(
    folder: Path, key: str, sources: list[Source], shapes: Path, damage: str | None = None
) -> Snapshot:
    started = time.perf_counter()
    parts = {s.path: parse_turtle(s.path) for s in sources}
    _validate(parts, shapes)
    asserted = rdflib.Graph()
    for source in sources:
        if source.graph != PROVENANCE_GRAPH:  # statement records describe triples; nothing to infer
            asserted += parts[source.path]
    inferred = reason.closure(asserted)
    graphs = {s.graph: parts[s.path] for s in sources} | {INFERRED_GRAPH: inferred}
    manifest = {
        "key": key,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "inputs": [{"path": s.path.name, "graph": s.graph, "sha256": s.digest} for s in sources],
        "shapes": {"path": shapes.name, "sha256": hashlib.sha256(shapes.read_bytes()).hexdigest()},
        "asserted_graphs": [s.graph for s in sources],
        "inferred_graph": INFERRED_GRAPH,
        "versions": library_versions(),
        "build_format": BUILD_FORMAT,
    }
    try:
        _write_snapshot(folder, manifest, graphs, started)
    except OSError as exc:
        if damage is not None:
            raise damaged(folder, damage, f"cannot be rebuilt there ({exc.strerror or exc})") from None
        if exc.filename is None:  # a failed write() names no file; the user needs to know which
            raise OSError(exc.errno, exc.strerror, str(folder)) from exc
        raise
    log.info("built %s in %.2fs (%d inferred triples)", folder, manifest["build_seconds"], len(inferred))
    return Snapshot(folder, manifest, damage=damage)


def _write_snapshot(folder: Path, manifest: dict, graphs: dict[str, rdflib.Graph], started: float) -> None:
    """Write dataset.nq and manifest.json into a staging folder, then rename it to `folder`.

    The manifest is completed here from what was written: per-graph counts, size and sha256.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        counts = _write_dataset(staging / DATASET, graphs)
        for entry in manifest["inputs"]:
            entry["triples"] = counts[entry["graph"]]
        manifest["graphs"] = counts
        manifest["dataset"] = {
            "path": DATASET,
            "bytes": (staging / DATASET).stat().st_size,
            "sha256": file_sha256(staging / DATASET),
        }
        manifest["store"] = {"path": STORE, "files": _write_store(staging / STORE, staging / DATASET)}
        manifest["build_seconds"] = round(time.perf_counter() - started, 3)
        _write_manifest(staging / MANIFEST, manifest)
        _install(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_dataset(path: Path, graphs: dict[str, rdflib.Graph]) -> dict[str, int]:
    """Write every graph's quads once each; return the count per graph, which Oxigraph will load."""
    counts = {}
    with open(path, "wb") as out:
        for name, graph in graphs.items():
            seen: set[ox.Quad] = set()
            ox.serialize(_distinct(quads(graph, name), seen), out, ox.RdfFormat.N_QUADS)
            counts[name] = len(seen)
    return counts


def _write_store(folder: Path, nquads: Path) -> dict[str, int]:
    """Bulk-load the N-Quads into a new on-disk Oxigraph store, closed before it is listed.

    Readers open it read-only, which is undefined while a writer holds it: the writer is dropped (and
    its files flushed and compacted) before the snapshot is renamed into place.
    """
    store = ox.Store(str(folder))
    try:
        store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        store.flush()
        store.optimize()
    finally:
        del store
        gc.collect()
    return store_files(folder)


def _distinct(items: Iterable[ox.Quad], seen: set[ox.Quad]) -> Iterator[ox.Quad]:
    """Two rdflib terms can become one Oxigraph term ("a" and "a"^^xsd:string); write it once."""
    for item in items:
        if item not in seen:
            seen.add(item)
            yield item


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

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

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib

from . import reason
from .errors import KGError, ValidationFailed
from .namespaces import INFERRED_GRAPH
from .sources import Source, discover, parse_turtle, shapes_path
from .terms import quads
from .validate import validate

log = logging.getLogger(__name__)

BUILD_FORMAT = 2  # bump when the snapshot layout or the noise rule changes (2: dataset size + sha256)
LIBRARIES = ("pharma-kg", "rdflib", "owlrl", "pyshacl", "pyoxigraph")
DATASET, MANIFEST = "dataset.nq", "manifest.json"
CHUNK = 1 << 20  # hash in 1 MiB reads: constant memory at any dataset size

# What every reader of a manifest relies on: field → accepted type(s). `bool` is excluded separately.
FIELDS: dict[str, type | tuple[type, ...]] = {
    "key": str,
    "built_at": str,
    "inputs": list,
    "shapes": dict,
    "graphs": dict,
    "asserted_graphs": list,
    "inferred_graph": str,
    "versions": dict,
    "build_format": int,
    "build_seconds": (int, float),
    "dataset": dict,
}
INPUT_FIELDS = ("path", "graph", "sha256")


class CacheDamaged(KGError):
    """A cached snapshot does not match its manifest and could not be replaced by a good build."""


@dataclass(frozen=True)
class Snapshot:
    """A built dataset on disk; `damage` says why a damaged cached copy was just rebuilt."""

    folder: Path
    manifest: dict
    cached: bool = False
    damage: str | None = None

    @property
    def nquads(self) -> Path:
        return self.folder / DATASET

    @property
    def key(self) -> str:
        return self.manifest["key"]


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
        manifest, damage = _read_verified(folder, key)
        if manifest is not None:
            log.info("using cached build %s", folder)
            return Snapshot(folder, manifest, cached=True)
        log.warning("build cache %s is damaged (%s); rebuilding it", folder, damage)
    return _build_into(folder, key, sources, shapes, damage)


def verify(snapshot: Snapshot) -> str | None:
    """Why the snapshot's files no longer match the manifest it holds, or None: size + sha256, no parse.

    For holders of a snapshot that outlive one build (the query workers). A rebuild of the same key by
    another process also counts as a mismatch: its bytes differ (blank-node labels, order).
    """
    return _manifest_problem(snapshot.manifest, snapshot.folder.name) or _dataset_problem(
        snapshot.folder, snapshot.manifest
    )


def load(snapshot: Snapshot) -> tuple[ox.Store, dict[str | None, int]]:
    """An Oxigraph store holding the snapshot, and its quad count per graph (None: all graphs).

    The counts are checked against the manifest: the files were verified before, so a difference means
    they changed since. One pass per graph, kept by the store so `count()` never walks them again.
    """
    store = ox.Store()
    problem = _manifest_problem(snapshot.manifest, snapshot.folder.name)
    if problem is None:
        problem = _bulk_load(store, snapshot.nquads) or _count_problem(store, snapshot.manifest["graphs"])
    if problem is not None:
        raise _damaged(snapshot.folder, problem, "it changed after it was verified")
    counts: dict[str | None, int] = dict(snapshot.manifest["graphs"])
    counts[None] = sum(counts.values())
    return store, counts


def _bulk_load(store: ox.Store, path: Path) -> str | None:
    """Load the N-Quads; a failure is a damaged file, reported as the reason."""
    try:
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    except FileNotFoundError:
        return f"{DATASET} is missing"
    except SyntaxError as exc:
        return f"{DATASET} does not parse: {exc.msg}"
    except OSError as exc:
        return f"{DATASET} is unreadable: {exc.strerror or exc}"
    return None


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


def _damaged(folder: Path, problem: str, outcome: str) -> CacheDamaged:
    return CacheDamaged(
        f"build cache {folder} is damaged ({problem}) and {outcome}; "
        "delete that folder or run `kg build --force`"
    )


# --- verifying a cached snapshot ---------------------------------------------------------------------


def _read_verified(folder: Path, key: str) -> tuple[dict | None, str | None]:
    """The cached manifest if the snapshot is intact, else None and the first problem found."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"{MANIFEST} is missing"
    except NotADirectoryError:
        return None, f"{folder.name} is not a folder"
    except json.JSONDecodeError as exc:
        return None, f"{MANIFEST} is not valid JSON: {exc}"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{MANIFEST} is unreadable: {getattr(exc, 'strerror', None) or exc}"
    problem = _manifest_problem(manifest, key) or _dataset_problem(folder, manifest)
    return (None, problem) if problem else (manifest, None)


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    """isinstance without letting JSON `true` pass for a number."""
    return isinstance(value, kind) and not isinstance(value, bool)


def _manifest_problem(manifest: Any, key: str) -> str | None:
    """What is missing or mistyped in a manifest, or None; every field a reader indexes is checked."""
    if not isinstance(manifest, dict):
        return f"{MANIFEST} is not a JSON object"
    for field, kind in FIELDS.items():
        if field not in manifest:
            return f"{MANIFEST} has no {field!r}"
        if not _is(manifest[field], kind):
            return f"{MANIFEST} {field!r} has the wrong type"
    if manifest["key"] != key:
        return f"{MANIFEST} is for build {manifest['key']!r}, not {key!r}"
    if manifest["build_format"] != BUILD_FORMAT:
        return f"{MANIFEST} is build format {manifest['build_format']}, not {BUILD_FORMAT}"
    return _dataset_field_problem(manifest["dataset"]) or _graphs_problem(manifest)


def _dataset_field_problem(dataset: dict) -> str | None:
    size, digest = dataset.get("bytes"), dataset.get("sha256")
    if not _is(size, int) or size < 0:
        return f"{MANIFEST} has no byte size for {DATASET}"
    if not isinstance(digest, str) or len(digest) != 64:
        return f"{MANIFEST} has no sha256 for {DATASET}"
    return None


def _graphs_problem(manifest: dict) -> str | None:
    graphs, asserted = manifest["graphs"], manifest["asserted_graphs"]
    if not all(isinstance(g, str) for g in asserted):
        return f"{MANIFEST} 'asserted_graphs' has the wrong type"
    if set(graphs) != {*asserted, manifest["inferred_graph"]}:
        return f"{MANIFEST} 'graphs' does not list the asserted and inferred graphs"
    if not all(_is(n, int) and n >= 0 for n in graphs.values()):
        return f"{MANIFEST} 'graphs' has a count that is not a whole number"
    if not all(
        isinstance(i, dict) and all(isinstance(i.get(f), str) for f in INPUT_FIELDS)
        for i in manifest["inputs"]
    ):
        return f"{MANIFEST} 'inputs' lacks a path, graph or sha256"
    return None


def _dataset_problem(folder: Path, manifest: dict) -> str | None:
    """Does dataset.nq have the size and sha256 the manifest recorded? Size first: it costs nothing."""
    path, expected = folder / DATASET, manifest["dataset"]
    try:
        size = path.stat().st_size
        if size != expected["bytes"]:
            return f"{DATASET} is {size} bytes, the manifest says {expected['bytes']}"
        if file_sha256(path) != expected["sha256"]:
            return f"{DATASET} does not match the sha256 in the manifest"
    except FileNotFoundError:
        return f"{DATASET} is missing"
    except OSError as exc:
        return f"{DATASET} is unreadable: {exc.strerror or exc}"
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as data:
        while chunk := data.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _count_problem(store: ox.Store, expected: dict[str, int]) -> str | None:
    """One pass per graph; `len(store)` (native, fast) then catches quads in graphs the manifest lacks."""
    for graph, says in expected.items():
        has = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
        if has != says:
            return f"graph <{graph}> holds {has} triples, the manifest says {says}"
    extra = len(store) - sum(expected.values())
    if extra:
        others = sorted(g.value for g in store.named_graphs() if g.value not in expected)
        where = ", ".join(f"<{g}>" for g in others) or "the default graph"
        return f"{extra} triple(s) in graphs the manifest does not list: {where}"
    return None


# --- building ----------------------------------------------------------------------------------------


def _build_into(
    folder: Path, key: str, sources: list[Source], shapes: Path, damage: str | None = None
) -> Snapshot:
    started = time.perf_counter()
    parts = {s.path: parse_turtle(s.path) for s in sources}
    _validate(parts, shapes)
    asserted = rdflib.Graph()
    for graph in parts.values():
        asserted += graph
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
            raise _damaged(folder, damage, f"cannot be rebuilt there ({exc.strerror or exc})") from None
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

"""sources → SHACL validation → OWL 2 RL closure → a cached snapshot (asserted graphs + inferred graph).

A snapshot is a folder `<cache>/<key>/` holding `dataset.nq` and `manifest.json`. The key hashes every
input file, the shapes, the library versions and the noise rule, so a second start with the same
inputs loads the N-Quads straight into Oxigraph instead of reasoning again. Snapshots are written into
a temporary folder and renamed into place, so a failed or interrupted build never leaves half a cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pyoxigraph as ox
import rdflib

from . import reason
from .errors import ValidationFailed
from .namespaces import INFERRED_GRAPH
from .sources import Source, discover, parse_turtle, shapes_path
from .terms import quads
from .validate import validate

log = logging.getLogger(__name__)

BUILD_FORMAT = 1  # bump when the snapshot layout or the noise rule changes
LIBRARIES = ("pharma-kg", "rdflib", "owlrl", "pyshacl", "pyoxigraph")


@dataclass(frozen=True)
class Snapshot:
    """A built dataset on disk."""

    folder: Path
    manifest: dict
    cached: bool = False

    @property
    def nquads(self) -> Path:
        return self.folder / "dataset.nq"

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
    """Return the snapshot for these inputs, building it only when the cache does not hold it."""
    sources = discover(ontology, extra)
    shapes = shapes_path(ontology)
    key = build_key(sources, shapes)
    folder = (cache or cache_root()) / key
    if not force and (folder / "manifest.json").is_file():
        log.info("using cached build %s", folder)
        return Snapshot(folder, json.loads((folder / "manifest.json").read_text()), cached=True)
    return _build_into(folder, key, sources, shapes)


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


def _build_into(folder: Path, key: str, sources: list[Source], shapes: Path) -> Snapshot:
    started = time.perf_counter()
    parts = {s.path: parse_turtle(s.path) for s in sources}
    _validate(parts, shapes)
    asserted = rdflib.Graph()
    for graph in parts.values():
        asserted += graph
    inferred = reason.closure(asserted)
    manifest = {
        "key": key,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "inputs": [
            {"path": s.path.name, "graph": s.graph, "sha256": s.digest, "triples": len(parts[s.path])}
            for s in sources
        ],
        "shapes": {"path": shapes.name, "sha256": hashlib.sha256(shapes.read_bytes()).hexdigest()},
        "graphs": {s.graph: len(parts[s.path]) for s in sources} | {INFERRED_GRAPH: len(inferred)},
        "asserted_graphs": [s.graph for s in sources],
        "inferred_graph": INFERRED_GRAPH,
        "versions": library_versions(),
        "build_format": BUILD_FORMAT,
    }
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=folder.parent))
    try:
        with open(staging / "dataset.nq", "wb") as out:
            for source in sources:
                ox.serialize(quads(parts[source.path], source.graph), out, ox.RdfFormat.N_QUADS)
            ox.serialize(quads(inferred, INFERRED_GRAPH), out, ox.RdfFormat.N_QUADS)
        manifest["build_seconds"] = round(time.perf_counter() - started, 3)
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("built %s in %.2fs (%d inferred triples)", folder, manifest["build_seconds"], len(inferred))
    return Snapshot(folder, manifest)

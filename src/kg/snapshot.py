"""A built snapshot on disk, read back and trusted only after checking: the read side of the cache.

A snapshot is a folder `<cache>/<key>/` holding `manifest.json`, `store/` (an Oxigraph on-disk store:
what every reader opens, read-only, so memory per process does not grow with the data and a restart
loads nothing) and `dataset.nq` (the same quads as N-Quads: the portable copy the store is bulk-loaded
from). The manifest records the dataset's byte size and sha256, the byte size of every file of the
store, and the triple count of every graph; `read_verified` checks them all before a cached copy is
reused, and `open_read_only` checks the store's files again when a process opens it.

This module imports only pyoxigraph and the standard library: query workers start from it, and they
must not pay for rdflib, owlrl and pyshacl (build.py, the write side) on every start.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .errors import KGError

BUILD_FORMAT = 3  # bump when the snapshot layout or the noise rule changes (3: the on-disk store)
DATASET, MANIFEST, STORE = "dataset.nq", "manifest.json", "store"
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
    "store": dict,
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
    def store(self) -> Path:
        return self.folder / STORE

    @property
    def key(self) -> str:
        return self.manifest["key"]


def handed_over(folder: Path) -> Snapshot:
    """A snapshot another process just built or verified (`kg serve` hands it to its server
    processes): checked cheaply (manifest, file sizes), without hashing the inputs again."""
    manifest, problem = read_verified(folder, folder.name, thorough=False)
    if manifest is None:
        raise damaged(folder, problem or "unreadable", "cannot be served")
    return Snapshot(folder, manifest, cached=True)


def verify(snapshot: Snapshot) -> str | None:
    """Why the snapshot's files no longer match the manifest it holds, or None: size + sha256, no parse.

    For holders of a snapshot that outlive one build (the query workers). A rebuild of the same key by
    another process also counts as a mismatch: its bytes differ (blank-node labels, order).
    """
    return (
        _manifest_problem(snapshot.manifest, snapshot.folder.name)
        or _store_problem(snapshot.folder, snapshot.manifest)
        or _dataset_problem(snapshot.folder, snapshot.manifest)
    )


def open_read_only(snapshot: Snapshot) -> tuple[ox.Store, dict[str | None, int]]:
    """The snapshot's on-disk store, opened read-only, and its quad count per graph (None: all graphs).

    Opening costs milliseconds at any size, and any number of processes may hold it at once. The
    store's files are checked against the manifest first (names and sizes; RocksDB checksums each block
    as it reads it), so a store damaged after the cache was verified is `CacheDamaged`, not wrong answers.
    """
    problem = _manifest_problem(snapshot.manifest, snapshot.folder.name) or _store_problem(
        snapshot.folder, snapshot.manifest
    )
    if problem is None:
        try:
            store = ox.Store.read_only(str(snapshot.store))
        except OSError as exc:
            problem = f"{STORE}/ cannot be opened: {exc}"
    if problem is not None:
        raise damaged(snapshot.folder, problem, "it changed after it was verified")
    counts: dict[str | None, int] = dict(snapshot.manifest["graphs"])
    counts[None] = sum(counts.values())
    return store, counts


def store_files(folder: Path) -> dict[str, int]:
    """Every file of an on-disk store and its size: what the manifest records and readers check.

    RocksDB's LOG files are left out: they are diagnostics that no read depends on.
    """
    return {
        path.name: path.stat().st_size
        for path in sorted(folder.iterdir())
        if path.is_file() and not path.name.startswith("LOG")
    }


def damaged(folder: Path, problem: str, outcome: str) -> CacheDamaged:
    return CacheDamaged(
        f"build cache {folder} is damaged ({problem}) and {outcome}; "
        "delete that folder or run `kg build --force`"
    )


# --- verifying a cached snapshot ---------------------------------------------------------------------


def read_verified(folder: Path, key: str, thorough: bool = True) -> tuple[dict | None, str | None]:
    """The cached manifest if the snapshot is intact, else None and the first problem found.

    Always: the manifest's fields, the store's files and sizes, dataset.nq's size; `thorough` also
    hashes dataset.nq (see `_dataset_problem`)."""
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
    problem = (
        _manifest_problem(manifest, key)
        or _store_problem(folder, manifest)
        or _dataset_problem(folder, manifest, thorough)
    )
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
    return (
        _dataset_field_problem(manifest["dataset"])
        or _store_field_problem(manifest["store"])
        or _graphs_problem(manifest)
    )


def _dataset_field_problem(dataset: dict) -> str | None:
    size, digest = dataset.get("bytes"), dataset.get("sha256")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return f"{MANIFEST} has no byte size for {DATASET}"
    if not isinstance(digest, str) or len(digest) != 64:
        return f"{MANIFEST} has no sha256 for {DATASET}"
    return None


def _store_field_problem(store: dict) -> str | None:
    files = store.get("files")
    if not isinstance(files, dict) or not files:
        return f"{MANIFEST} lists no files for {STORE}/"
    if not all(isinstance(n, str) and _is(size, int) and size >= 0 for n, size in files.items()):
        return f"{MANIFEST} has a {STORE}/ file size that is not a whole number"
    return None


def _store_problem(folder: Path, manifest: dict) -> str | None:
    """Are the store's files there, with the sizes the manifest recorded, and no others? One listing."""
    expected = manifest["store"]["files"]
    try:
        found = store_files(folder / STORE)
    except FileNotFoundError:
        return f"{STORE}/ is missing"
    except NotADirectoryError:
        return f"{STORE} is not a folder"
    except OSError as exc:
        return f"{STORE}/ is unreadable: {exc.strerror or exc}"
    for name, size in expected.items():
        if name not in found:
            return f"{STORE}/{name} is missing"
        if found[name] != size:
            return f"{STORE}/{name} is {found[name]} bytes, the manifest says {size}"
    extra = sorted(set(found) - set(expected))
    if extra:
        return f"{STORE}/ holds files the manifest does not list: {', '.join(extra[:3])}"
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


def _dataset_problem(folder: Path, manifest: dict, thorough: bool = True) -> str | None:
    """Does dataset.nq have the size (and, when `thorough`, the sha256) the manifest recorded?

    Nothing is served from dataset.nq (readers open the store), so starting a server checks its size
    only: hashing it costs ~1 s per 300 MB on every start. `kg build` and `verify` hash it.
    """
    path, expected = folder / DATASET, manifest["dataset"]
    try:
        size = path.stat().st_size
        if size != expected["bytes"]:
            return f"{DATASET} is {size} bytes, the manifest says {expected['bytes']}"
        if thorough and file_sha256(path) != expected["sha256"]:
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

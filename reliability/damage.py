"""Scenario 4: damage a built cache each way a disk or a hand can, then run `kg build`.

Each damage must be detected — `kg build` exits 0 saying the cache was damaged and rebuilt, or fails
with a one-line error — never a Python traceback, and never wrong data: after the build, the cache
must hold exactly the quads of an undamaged build (what `kg serve` and `kg export` bulk-load), or,
when the build refused, `kg export` must refuse too, in one line.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .report import Row, verdict
from .server import kg_env

SAID = re.compile(r"damag|rebuil|corrupt|mismatch", re.IGNORECASE)
TRACEBACK = "Traceback (most recent call last)"


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def cut_at_line(folder: Path) -> None:
    lines = _lines(folder / "dataset.nq")
    (folder / "dataset.nq").write_bytes(b"".join(lines[: len(lines) // 2]))


def empty(folder: Path) -> None:
    (folder / "dataset.nq").write_bytes(b"")


def append_foreign(folder: Path) -> None:
    graph = json.loads((folder / "manifest.json").read_text())["asserted_graphs"][0]
    with open(folder / "dataset.nq", "ab") as out:
        out.write(f'<http://evil.example/s> <http://evil.example/p> "foreign" <{graph}> .\n'.encode())


def cut_mid_line(folder: Path) -> None:
    data = (folder / "dataset.nq").read_bytes()
    at = len(data) // 2
    while data[at - 1 : at] == b"\n" or data[at : at + 1] == b"\n":
        at += 1
    (folder / "dataset.nq").write_bytes(data[:at])


def change_a_byte(folder: Path) -> None:
    """Same size, different content: only a checksum notices."""
    data = (folder / "dataset.nq").read_bytes()
    at = data.index(b"Company") + 3
    (folder / "dataset.nq").write_bytes(data[:at] + b"q" + data[at + 1 :])


def delete_data(folder: Path) -> None:
    (folder / "dataset.nq").unlink()


def corrupt_manifest(folder: Path) -> None:
    (folder / "manifest.json").write_bytes(b'{"key": "\xff\x00 not json')


def drop_manifest_key(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["graphs"]
    (folder / "manifest.json").write_text(json.dumps(manifest))


DAMAGES: dict[str, Callable[[Path], None]] = {
    "dataset.nq cut at a line boundary": cut_at_line,
    "dataset.nq emptied": empty,
    "a foreign quad appended to dataset.nq": append_foreign,
    "dataset.nq cut mid-line": cut_mid_line,
    "one byte of dataset.nq changed (same size)": change_a_byte,
    "dataset.nq deleted": delete_data,
    "manifest.json corrupted (not JSON)": corrupt_manifest,
    'manifest.json without its "graphs" key': drop_manifest_key,
}


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def traceback(self) -> bool:
        return TRACEBACK in self.out or TRACEBACK in self.err

    @property
    def one_line_error(self) -> bool:
        return self.code != 0 and not self.traceback and len(self.err.strip().splitlines()) == 1


def kg(ontology: Path, cache: Path, *args: str) -> Run:
    command = [sys.executable, "-m", "kg.cli", "--ontology", str(ontology), *args]
    done = subprocess.run(command, env=kg_env(ontology, cache), capture_output=True, text=True, timeout=300)
    return Run(done.returncode, done.stdout, done.stderr)


def cached_quads(cache: Path) -> set[ox.Quad] | None:
    """The quads of the one snapshot in `cache` (as the server would bulk-load them), None if unreadable."""
    folders = [p.parent for p in cache.glob("*/manifest.json")]
    if len(folders) != 1:
        return None
    try:
        return set(ox.parse(path=str(folders[0] / "dataset.nq"), format=ox.RdfFormat.N_QUADS))
    except (OSError, SyntaxError, ValueError):
        return None


@dataclass
class DamageResult:
    damage: str
    build: Run
    exported: Run | None  # `kg export`, run only when the build refused
    quads: set[ox.Quad] | None
    expected: set[ox.Quad]

    @property
    def detection(self) -> str:
        if self.build.traceback:
            return "traceback"
        if self.build.code == 0:
            return "rebuilt" if SAID.search(self.build.out + self.build.err) else "not reported"
        return (
            "refused in one line" if self.build.one_line_error else f"exit {self.build.code}, several lines"
        )

    @property
    def data(self) -> str:
        if self.exported is not None:
            return "kg export: " + ("traceback" if self.exported.traceback else f"exit {self.exported.code}")
        if self.quads is None:
            return "cache unreadable after a successful build"
        if self.quads == self.expected:
            return f"{len(self.quads)} quads as built"
        wrong = len(self.quads ^ self.expected)
        return f"{len(self.quads)} quads, WRONG ({wrong} differ from {len(self.expected)})"

    def problems(self) -> list[str]:
        found = []
        if self.detection not in ("rebuilt", "refused in one line"):
            found.append(f"kg build: {self.detection}")
        refused = self.exported is not None and self.exported.one_line_error and self.build.one_line_error
        if not refused and self.quads != self.expected:
            found.append(f"served data: {self.data}")
        return found

    def said(self) -> str:
        """The line of kg build's output that reports the damage (paths left out), else its last line."""
        lines = (self.build.err + self.build.out).strip().splitlines()
        found = [line for line in lines if SAID.search(line)] or lines[-1:] or [""]
        return re.sub(r"/\S+", "…", found[0]).strip()

    def row(self) -> Row:
        figures = (
            f"kg build exit {self.build.code}, {self.detection}; after: {self.data}; said {self.said()!r}"
        )
        return Row("cache", self.damage, figures, verdict(self.problems()))


def run(ontology: Path, workdir: Path, parallel: int = 2) -> list[DamageResult]:
    """Build once, then for each damage: a copy of that cache, the damage, `kg build`, the quads."""
    pristine = workdir / "cache-pristine"
    built = kg(ontology, pristine, "build")
    expected = cached_quads(pristine)
    if built.code != 0 or not expected:
        raise RuntimeError(f"kg build failed on the undamaged ontology:\n{built.err[-2000:]}")

    def attempt(index: int, name: str) -> DamageResult:
        cache = workdir / f"cache-damage-{index}"
        shutil.copytree(pristine, cache)
        (folder,) = {p.parent for p in cache.glob("*/manifest.json")}
        DAMAGES[name](folder)
        build = kg(ontology, cache, "build")
        exported = None if build.code == 0 else kg(ontology, cache, "export", "--format", "nquads")
        return DamageResult(name, build, exported, cached_quads(cache), expected)

    with ThreadPoolExecutor(parallel) as pool:  # each attempt is two subprocesses on its own copy
        return list(pool.map(attempt, range(len(DAMAGES)), DAMAGES))

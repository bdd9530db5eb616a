"""Find the source files (ontology, data, shapes, queries) and parse them with precise error positions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
import rdflib

from .errors import SourceError
from .namespaces import graph_iri

SHAPES_FILE = "shapes.ttl"


def data_dir(name: str) -> Path:
    """The folder `name` (ontology or queries): inside the installed wheel, else at the source root."""
    packaged = Path(__file__).parent / name
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    raise SourceError(f"cannot find the {name}/ folder next to the kg package or in the source tree")


@dataclass(frozen=True)
class Source:
    """One Turtle file and the named graph its triples are loaded into."""

    path: Path
    graph: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(ontology: Path | None = None, extra: tuple[Path, ...] = ()) -> list[Source]:
    """Every `*.ttl` of the ontology folder (shapes excluded) plus extra data files, sorted by name."""
    folder = ontology or data_dir("ontology")
    files = sorted(p for p in folder.glob("*.ttl") if p.name != SHAPES_FILE)
    if not files:
        raise SourceError(f"{folder}: no *.ttl source files")
    sources = [Source(p, graph_iri(p.stem)) for p in files]
    for path in extra:
        if not path.is_file():
            raise SourceError(f"{path}: no such file")
        sources.append(Source(path, graph_iri("user/" + path.stem)))
    graphs = [s.graph for s in sources]
    clashes = {g for g in graphs if graphs.count(g) > 1}
    if clashes:
        raise SourceError(f"two source files map to the same graph: {', '.join(sorted(clashes))}")
    return sources


def shapes_path(ontology: Path | None = None) -> Path:
    """The SHACL shapes file of an ontology folder; building without shapes is an error."""
    path = (ontology or data_dir("ontology")) / SHAPES_FILE
    if not path.is_file():
        raise SourceError(f"{path}: no SHACL shapes file; every build is validated against one")
    return path


def parse_turtle(path: Path) -> rdflib.Graph:
    """Parse a Turtle file; a syntax error becomes `SourceError` with file:line:col and the reason."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        # pyoxigraph's parser is strict and reports line and column; rdflib's only the line.
        for _ in pyoxigraph.parse(
            data, format=pyoxigraph.RdfFormat.TURTLE, base_iri=path.absolute().as_uri()
        ):
            pass
    except SyntaxError as exc:
        line, col = exc.lineno or 0, exc.offset or 0
        reason = str(exc.msg).split(": ", 1)[-1] if ": " in str(exc.msg) else str(exc.msg)
        raise SourceError(f"{path}:{line}:{col}: malformed Turtle: {reason}") from None
    graph = rdflib.Graph()
    graph.parse(data=data, format="turtle", publicID=path.absolute().as_uri())
    return graph

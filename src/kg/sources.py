"""Find the source files (ontology, data, shapes, queries) and parse them with precise error positions.

User data (`kg --data FILE_OR_DIR`) may be any RDF syntax pyoxigraph parses, optionally gzipped; the
file name says which (`RDF_FORMATS`), because sniffing content is slow on big files and ambiguous
between Turtle, N3 and N-Triples. Loading those files into Oxigraph is `kg.loader`'s job; this module
only names them and their graphs, so the build can hash the inputs before deciding whether to load.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pyoxigraph

if TYPE_CHECKING:
    import rdflib

from .errors import SourceError
from .namespaces import graph_iri

SHAPES_FILE = "shapes.ttl"

#: File extension (lower case) → syntax. `.gz` may follow any of them (`orgs.nt.gz`).
RDF_FORMATS: dict[str, pyoxigraph.RdfFormat] = {
    ".ttl": pyoxigraph.RdfFormat.TURTLE,
    ".nt": pyoxigraph.RdfFormat.N_TRIPLES,
    ".nq": pyoxigraph.RdfFormat.N_QUADS,
    ".trig": pyoxigraph.RdfFormat.TRIG,
    ".rdf": pyoxigraph.RdfFormat.RDF_XML,
    ".owl": pyoxigraph.RdfFormat.RDF_XML,
    ".xml": pyoxigraph.RdfFormat.RDF_XML,
    ".n3": pyoxigraph.RdfFormat.N3,
}
GZIP_SUFFIX = ".gz"

#: Read files in pieces of this size when hashing, so a 1 GB input costs 1 MB of memory.
CHUNK = 1 << 20


def accepted_extensions() -> str:
    """The accepted file name endings, for error messages: `.ttl, .nt, … (each also as .gz)`."""
    return ", ".join(RDF_FORMATS) + f" (each also as {GZIP_SUFFIX})"


def split_name(path: Path) -> tuple[str, pyoxigraph.RdfFormat, bool] | None:
    """`orgs.nt.gz` → ("orgs", N-Triples, gzipped=True); None when the name has no RDF extension.

    The stem drops the syntax extension as well as `.gz`, so `orgs.ttl` and `orgs.ttl.gz` both name
    the graph `user/orgs` (and clash if given together, like any two files with one stem).
    """
    name = path.name
    gzipped = name.lower().endswith(GZIP_SUFFIX)
    if gzipped:
        name = name[: -len(GZIP_SUFFIX)]
    dot = name.rfind(".")
    if dot <= 0:  # no extension, or a dot file such as `.ttl`
        return None
    fmt = RDF_FORMATS.get(name[dot:].lower())
    if fmt is None:
        return None
    return name[:dot], fmt, gzipped


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
    """One RDF file and the named graph its triples are loaded into."""

    path: Path
    graph: str

    @property
    def format(self) -> pyoxigraph.RdfFormat:
        """The syntax, from the file name; the ontology's own files are always Turtle."""
        parts = split_name(self.path)
        return parts[1] if parts else pyoxigraph.RdfFormat.TURTLE

    @property
    def gzipped(self) -> bool:
        parts = split_name(self.path)
        return parts[2] if parts else False

    @cached_property
    def digest(self) -> str:
        """sha256 of the file's bytes (compressed bytes for `.gz`), read in 1 MB chunks.

        Computed once per `Source` and then remembered: the build hashes the inputs for its cache key
        before loading them, and `loader.load_file` checks that the bytes it loaded hash to this same
        value, so a snapshot can never hold other data than its key says. A long-lived holder that
        wants to notice later edits must make a new `Source` (as `discover` does on every call).
        """
        return file_digest(self.path)


def file_digest(path: Path) -> str:
    """sha256 hex digest of a file, in constant memory; an unreadable file is a `SourceError`."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return digest.hexdigest()


def user_graph(stem: str) -> str:
    """The graph of a user data file: `…/graph/user/<stem>`, the stem %-encoded if it needs to be
    (a space or `#` in a file name must not make an invalid or truncated IRI)."""
    return graph_iri("user/" + quote(stem, safe="-._~!$&'()*+,;=@"))


def data_files(path: Path) -> list[Path]:
    """The data files `--data PATH` means: the file itself, or every RDF file under a directory.

    A directory is searched recursively (data dumps are often split into sub-folders), in sorted
    order of the path relative to it. Hidden files and anything under a hidden folder (`.git`,
    `.cache`) are skipped, as are files without an RDF extension (a README beside the data); a
    directory holding no RDF file at all is an error, since it is surely not what the user meant.
    A file given by name must have an RDF extension: its name is how its syntax is known.
    """
    if path.is_dir():
        found = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
            and split_name(p) is not None
        )
        if not found:
            raise SourceError(f"{path}: no RDF files in this directory (accepted: {accepted_extensions()})")
        return found
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    if split_name(path) is None:
        raise SourceError(f"{path}: unknown RDF file extension; accepted: {accepted_extensions()}")
    return [path]


def discover(ontology: Path | None = None, extra: tuple[Path, ...] = ()) -> list[Source]:
    """Every `*.ttl` of the ontology folder (shapes excluded), sorted by name, then the data files.

    `extra` holds what `--data` was given: files or directories (see `data_files`). Each data file
    gets its own graph `…/graph/user/<stem>`; two inputs mapping to one graph are an error.
    """
    folder = ontology or data_dir("ontology")
    files = sorted(p for p in folder.glob("*.ttl") if p.name != SHAPES_FILE)
    if not files:
        raise SourceError(f"{folder}: no *.ttl source files")
    sources = [Source(p, graph_iri(p.stem)) for p in files]
    for given in extra:
        for path in data_files(given):
            parts = split_name(path)
            assert parts is not None  # data_files only returns RDF file names
            sources.append(Source(path, user_graph(parts[0])))
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
    """Parse a Turtle file into rdflib (for the T-Box and shapes, which rdflib-based code still needs);
    a syntax error becomes `SourceError` with file:line:col and the reason."""
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
    import rdflib  # only the T-Box and tests need rdflib graphs; reusing a build does not

    graph = rdflib.Graph()
    graph.parse(data=data, format="turtle", publicID=path.absolute().as_uri())
    return graph

"""The named queries of `queries/*.rq`: their metadata headers and their typed parameters.

A header is a block of `#+ key: value` comment lines at the top of the file (the idea comes from grlc):

    #+ summary: Responsibilities of a role, with their descriptions.
    #+ question: 1
    #+ param: role: iri = pkg:CRO -- The role whose responsibilities are listed.

A parameter `name` is the SPARQL variable `?name`. Values are turned into RDF terms of the declared
type and bound with Oxigraph's substitution (SEP-0007), never pasted into the query text, so quotes,
braces or `>` in a value can never change the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from .errors import ParameterError, SourceError, UnknownQuery
from .namespaces import PKG, expand_curie
from .sources import data_dir
from .sparql import lex

XSD = "http://www.w3.org/2001/XMLSchema#"
TYPES = ("iri", "string", "integer", "boolean")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_]\w*)\s*:\s*(?P<type>\w+)\s*(?:=\s*(?P<default>.*?))?\s*(?:--\s*(?P<doc>.*))?$"
)


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None = None
    description: str = ""

    @property
    def required(self) -> bool:
        return self.default is None

    def term(self, value: str) -> ox.NamedNode | ox.Literal:
        """The RDF term for a user-given value, or `ParameterError` naming the parameter and type."""
        try:
            return _convert(self.type, value.strip() if self.type != "string" else value)
        except ValueError as exc:
            raise ParameterError(f"parameter {self.name!r} must be {_article(self.type)}: {exc}") from None


_TYPE_WORDS = {
    "iri": "an IRI, a CURIE or a pkg: local name",
    "integer": "an integer",
    "boolean": "true or false",
}


def _article(kind: str) -> str:
    return _TYPE_WORDS.get(kind, "a string")


def _convert(kind: str, value: str) -> ox.NamedNode | ox.Literal:
    if kind == "string":
        return ox.Literal(value)
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", value):
            raise ValueError(f"{value!r} is not an integer")
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
    if kind == "boolean":
        if value.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"{value!r} is not a boolean")
        return ox.Literal(str(value.lower() in ("true", "1")).lower(), datatype=ox.NamedNode(XSD + "boolean"))
    iri = value[1:-1] if value.startswith("<") and value.endswith(">") else expand_curie(value) or value
    if re.fullmatch(r"[A-Za-z0-9_-]+", iri):  # a bare local name of our namespace, as the CLI accepts
        iri = PKG + iri
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", iri):
        raise ValueError(f"{value!r} is neither a CURIE with a known prefix nor an absolute IRI")
    return ox.NamedNode(iri)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    summary: str
    text: str
    params: tuple[Param, ...] = ()
    questions: tuple[int, ...] = ()
    meta: dict[str, str] = field(default_factory=dict)

    def bind(self, values: dict[str, str]) -> dict[str, ox.NamedNode | ox.Literal]:
        """Typed terms for every parameter (defaults filled in); unknown or missing ones are errors."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(known))
        if unknown:
            listed = ", ".join(f"{p.name} ({p.type})" for p in self.params) or "none"
            raise ParameterError(f"query {self.name!r} has no parameter {unknown[0]!r}; parameters: {listed}")
        bound = {}
        for param in self.params:
            value = values.get(param.name, param.default)
            if value is None:
                raise ParameterError(f"query {self.name!r} needs parameter {param.name!r} ({param.type})")
            bound[param.name] = param.term(value)
        return bound


def parse_query_file(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    params: list[Param] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#+"):
            if line.strip() and not line.startswith("#"):
                break
            continue
        key, sep, value = line[2:].strip().partition(":")
        if not sep:
            raise SourceError(f"{path}:{number}: header line needs 'key: value'")
        if key.strip() == "param":
            params.append(_parse_param(path, number, value.strip()))
        else:
            meta[key.strip()] = value.strip()
    if "summary" not in meta:
        raise SourceError(f"{path}: missing '#+ summary:' header")
    questions = tuple(int(q) for q in re.findall(r"\d+", meta.get("question", "")))
    projected = select_projection(text)
    for param in params:
        if projected is not None and param.name not in projected:
            raise SourceError(
                f"{path}: parameter ?{param.name} must be in the SELECT projection (or use SELECT *): "
                "SPARQL substitution (SEP-0007) binds only projected variables"
            )
    return NamedQuery(path.stem, meta["summary"], text, tuple(params), questions, meta)


def select_projection(text: str) -> set[str] | None:
    """Variables a SELECT projects; None for `SELECT *` and for other query forms."""
    tokens = list(lex(text))
    words = [v.upper() for k, v in tokens]
    if "SELECT" not in words:
        return None
    projected: set[str] = set()
    depth, last = 0, ""
    for kind, value in tokens[words.index("SELECT") + 1 :]:
        if value == "*" and depth == 0:
            return None
        if value in ("{",) or (kind == "word" and value.upper() in ("WHERE", "FROM")):
            break
        depth += {"(": 1, ")": -1}.get(value, 0)
        if kind == "var" and (depth == 0 or last == "AS"):
            projected.add(value[1:])
        last = value.upper()
    return projected


def _parse_param(path: Path, number: int, spec: str) -> Param:
    match = _PARAM.match(spec)
    if not match or match["type"] not in TYPES:
        raise SourceError(
            f"{path}:{number}: bad param header {spec!r}; expected "
            f"'name: type [= default] -- description' with type one of {', '.join(TYPES)}"
        )
    param = Param(match["name"], match["type"], match["default"], match["doc"] or "")
    if param.default is not None:
        param.term(param.default)  # a default of the wrong type is the query author's error
    return param


class Catalog:
    """All named queries of a folder, by name."""

    def __init__(self, folder: Path | None = None) -> None:
        folder = folder or data_dir("queries")
        self.queries = {q.name: q for q in map(parse_query_file, sorted(folder.glob("*.rq")))}

    def __iter__(self):
        return iter(self.queries.values())

    def __len__(self) -> int:
        return len(self.queries)

    def get(self, name: str) -> NamedQuery:
        try:
            return self.queries[name]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(name, self.queries, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else "; `kg queries` lists them"
            raise UnknownQuery(f"no named query {name!r}{hint}") from None


@cache
def default_catalog() -> Catalog:
    return Catalog()

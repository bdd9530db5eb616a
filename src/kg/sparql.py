"""Run SPARQL read-only and safely: refuse updates and anything that would reach the network or disk.

`inspect` is the guard. It tokenises the query exactly as the SPARQL 1.1 grammar (and Oxigraph, which
evaluates it) does — comments end at CR or LF; strings, IRIs, prefixed names (with their `\\#`-style
escapes), variables and language tags are whole tokens — and then looks at the keywords: the query form,
`SERVICE`, `FROM`/`FROM NAMED`, update operations. Every alternative of the token pattern is possessive
or atomic, so one pass is linear in the text whatever it holds, and an unterminated string is an error
at once (never a rescan). The same pass enforces the size, nesting and operator limits that keep a query
from crashing Oxigraph's recursive parser, and notes the functions whose answers change on every run.

The guard is the first wall. The query workers are the second: they cannot open network connections
unless an operator allows SERVICE hosts (see `egress.py`), so a guard bug is a refused query, not SSRF.
`FROM <g>` is allowed only for graphs the store has; it selects that graph and never fetches anything.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pyoxigraph as ox

from .errors import ForbiddenQuery, QueryError, UnknownGraph
from .store import DatasetSpec, Store
from .terms import OxTerm

# SPARQL 1.1 §19.8 character classes.
_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_CHARS_U = _BASE + "_"
_CHARS = _CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR = r"""\\[tbnrf"'\\]|""" + _UCHAR
# A dot may sit inside a name but never end it: a run of dots counts only when a name character follows.
_PREFIX = rf"[{_BASE}](?:[{_CHARS}]|\.++(?=[{_CHARS}]))*+"
_LOCAL = rf"(?:[{_CHARS_U}:0-9]|{_PLX})(?:[{_CHARS}:]|{_PLX}|\.++(?=[{_CHARS}:%\\]))*+"

_TOKEN = re.compile(
    rf"""
    (?P<ws>[\x20\t\r\n]++)
  | (?P<comment>\#[^\r\n]*+)
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*+>)
  | (?P<string>'''(?>(?>''|')?+(?>[^'\\]|{_ECHAR}))*+'''
              |\"\"\"(?>(?>""|")?+(?>[^"\\]|{_ECHAR}))*+\"\"\"
              |'(?>[^'\\\r\n]|{_ECHAR})*+'|"(?>[^"\\\r\n]|{_ECHAR})*+")
  | (?P<badstring>['"])
  | (?P<var>[?$][{_CHARS_U}0-9][{_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*+)
  | (?P<bnode>_:[{_CHARS_U}0-9](?:[{_CHARS}]|\.++(?=[{_CHARS}]))*+)
  | (?P<pname>(?:{_PREFIX})?+:(?:{_LOCAL})?+)
  | (?P<langtag>@[A-Za-z]++(?:-[A-Za-z0-9]++)*+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*+)
  | (?P<number>[0-9]++(?:\.[0-9]++)?+(?:[eE][+-]?+[0-9]++)?+)
  | (?P<punct>[.,;]++)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
READ_ONLY = "SPARQL Update is not allowed: this endpoint is read-only"
_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
_UPDATES = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
#: Functions whose value changes from one evaluation to the next: such answers are never cached.
_VOLATILE = {"RAND", "NOW", "UUID", "STRUUID", "BNODE"}
#: Tokens that build the binary trees Oxigraph parses and evaluates recursively.
_CHAINING = {"UNION", "MINUS", "OPTIONAL", "|", "/", "&", "+", "-", "*", "=", "<", ">", "!"}
_OPEN, _CLOSE = "{([", "})]"


@dataclass(frozen=True)
class Limits:
    """What a query text may hold before Oxigraph sees it (its parser recurses: ~3,000 nested groups
    or ~10,000 chained operators overflow its stack and kill the process)."""

    max_chars: int = 256 * 1024
    max_depth: int = 128
    max_operators: int = 2000


@dataclass
class QueryShape:
    """What the guard learnt about a query; it travels with the query to the worker."""

    form: str
    from_graphs: list[str] = field(default_factory=list)
    from_named: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    deterministic: bool = True
    #: graphs named by FROM under another reading of codepoint escapes: refused unless ours, never used
    mentioned_graphs: list[str] = field(default_factory=list)
    #: the query with its constants blanked and its variables renamed in order of appearance: queries
    #: that differ only there share it (the pool remembers which of them ran long)
    fingerprint: str = ""


def lex(text: str, strict: bool = True) -> Iterator[tuple[str, str]]:
    """The significant tokens of `text` as (kind, text). Strict: an unterminated string is a
    `QueryError`; tolerant: its quote is just another character."""
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind == "badstring":
            if strict:
                line = text.count("\n", 0, match.start()) + 1
                raise QueryError(f"malformed SPARQL: unterminated or invalid string literal at line {line}")
            kind = "other"
        if kind not in ("ws", "comment"):
            yield kind, match.group()


_ESCAPE = re.compile(r"\\[uU]")
#: Two readings of codepoint escapes: the spec's (\uXXXX, \UXXXXXXXX) and rdflib's (\u or \U, then
#: 8 hex digits if there are 8, else 4). Oxigraph reads them only inside strings and IRIs.
_UNESCAPINGS = (
    re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})"),
    re.compile(r"\\[uU]([0-9A-Fa-f]{8}|[0-9A-Fa-f]{4})"),
)


def inspect(
    text: str, allowed_service_hosts: frozenset[str] = frozenset(), limits: Limits = Limits()
) -> QueryShape:
    """Find the form and dataset clauses; raise `ForbiddenQuery` for updates, LOAD and SERVICE, and
    `QueryError` for malformed text or a query beyond `limits`.

    A query holding codepoint escapes is scanned again under each other reading of them (tolerantly),
    so that no SPARQL engine can find a SERVICE, an update or a FROM the guard did not see.
    """
    if len(text) > limits.max_chars:
        raise QueryError(
            f"the query is {len(text):,} characters long; this server accepts at most {limits.max_chars:,}"
        )
    shape = _scan(text, allowed_service_hosts, limits, strict=True)
    if _ESCAPE.search(text):
        for pattern in _UNESCAPINGS:
            variant = pattern.sub(lambda m: _codepoint(m[1] or m[2]), text)
            other = _scan(variant, allowed_service_hosts, limits, strict=False)
            shape.mentioned_graphs += other.from_graphs + other.from_named
    return shape


def _codepoint(digits: str) -> str:
    value = int(digits, 16)
    return chr(value) if value <= 0x10FFFF else "\ufffd"


def _scan(text: str, allowed: frozenset[str], limits: Limits, strict: bool) -> QueryShape:
    tokens = list(lex(text, strict))
    form = None
    shape = QueryShape(form="")
    depth = operators = 0
    for i, (kind, value) in enumerate(tokens):
        if kind == "other":
            if value in _OPEN:
                depth += 1
                if depth > limits.max_depth and strict:
                    raise QueryError(f"the query nests deeper than {limits.max_depth} levels")
            elif value in _CLOSE:
                depth -= 1
            elif value in _CHAINING:
                operators += 1
            elif value == "\\" and strict:
                raise QueryError(
                    "malformed SPARQL: a backslash outside a string, IRI or prefixed name "
                    "(\\u escapes are allowed only inside strings and IRIs)"
                )
        if kind not in ("word", "pname"):
            continue
        # Oxigraph matches keywords without word boundaries: `trueSERVICE<…>` is `true SERVICE <…>`,
        # `SERVICESILENT<…>` is `SERVICE SILENT <…>`, and `SERVICE:x` is `SERVICE :x`. So a keyword
        # counts wherever it occurs in a bare word or a prefix. (A language tag is only ever that:
        # `@` has no other use in SPARQL.)
        word = (value.partition(":")[0] if kind == "pname" else value).upper()
        if kind == "word" and word in _CHAINING:
            operators += 1
        if kind == "word" and word in _VOLATILE:
            shape.deterministic = False
        if form is None and word.startswith(tuple(_UPDATES)):
            raise ForbiddenQuery(f"{READ_ONLY} ({value})")
        if form is None and kind == "word" and word.startswith(tuple(_FORMS)):
            form = next(f for f in _FORMS if word.startswith(f))
        if "SERVICE" in word:
            target = _next_iri(tokens, i) if kind == "word" else None
            if not _allowed_service(target, allowed):
                shown = f"<{target}>" if target else "an endpoint that is not a full IRI"
                raise ForbiddenQuery(
                    f"SERVICE {shown} is not allowed: federated queries would make this server "
                    "open outbound connections (an operator can allow hosts)"
                )
            shape.services.append(target or "")
        if "FROM" in word:
            named = "FROMNAMED" in word or (i + 1 < len(tokens) and tokens[i + 1][1].upper() == "NAMED")
            target = _next_iri(tokens, i) if kind == "word" else None
            if target is None:
                if strict:
                    raise QueryError("FROM must be followed by an IRI")
                raise ForbiddenQuery("FROM must name a graph of this dataset by its full IRI")
            (shape.from_named if named else shape.from_graphs).append(target)
    if not strict:
        return shape
    shape.fingerprint = fingerprint(tokens)
    if operators > limits.max_operators:
        raise QueryError(
            f"the query chains {operators:,} operators (UNION, OPTIONAL, paths, arithmetic); "
            f"this server accepts at most {limits.max_operators:,}"
        )
    if form is None:
        raise QueryError(_missing_form(text))
    shape.form = form
    return shape


def _missing_form(text: str) -> str:
    """Where the query form should be: the first token after the PREFIX and BASE declarations."""
    skip = 0
    for match in _TOKEN.finditer(text):
        if match.lastgroup in ("ws", "comment"):
            continue
        if skip:
            skip -= 1
            continue
        word = match.group().upper()
        if match.lastgroup == "word" and word in ("PREFIX", "BASE"):
            skip = 2 if word == "PREFIX" else 1
            continue
        start = match.start()
        line, column = text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start)
        return (
            f"malformed SPARQL at {line}:{column}: expected SELECT, ASK, CONSTRUCT or DESCRIBE, "
            f"found {match.group()[:40]!r}"
        )
    return "malformed SPARQL: the query is empty (no SELECT, ASK, CONSTRUCT or DESCRIBE)"


def fingerprint(tokens: list[tuple[str, str]]) -> str:
    """A digest of the query's structure: strings, numbers and language tags blanked, variables named
    by first appearance (`?x`, `?y` → `?0`, `?1`), keywords upper-cased; IRIs and names kept."""
    names: dict[str, str] = {}
    parts = []
    for kind, value in tokens:
        if kind in ("string", "number", "langtag"):
            parts.append(kind)
        elif kind == "var":
            parts.append(names.setdefault(value[1:], f"?{len(names)}"))
        else:
            parts.append(value.upper() if kind == "word" else value)
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=16).hexdigest()


def _next_iri(tokens: list[tuple[str, str]], i: int) -> str | None:
    """The full IRI after a keyword (SERVICE [SILENT] <iri>, FROM [NAMED] <iri>), escapes decoded."""
    for kind, value in tokens[i + 1 : i + 3]:
        if kind == "iri":
            return _unescape(value[1:-1])
        if kind != "word":
            return None
    return None


def _unescape(iri: str) -> str:
    return re.sub(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})", lambda m: chr(int(m[1] or m[2], 16)), iri)


def _allowed_service(target: str | None, allowed: frozenset[str]) -> bool:
    """Only an absolute http(s) IRI whose host an operator listed (a relative IRI could be resolved
    against any BASE, so it is never allowed)."""
    if not target or not allowed:
        return False
    try:
        parts = urlsplit(target)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and host is not None and host.lower() in allowed


@dataclass
class Outcome:
    """A query's answer: `rows` for SELECT, `boolean` for ASK, `triples` for CONSTRUCT/DESCRIBE.

    `rows` and `triples` are lazy and capped at `cap` items; `truncated()` tells, after iterating,
    whether the cap cut the answer.
    """

    form: str
    variables: list[str] = field(default_factory=list)
    rows: Iterator[ox.QuerySolution] | None = None
    boolean: bool | None = None
    triples: Iterator[ox.Triple] | None = None
    _cut: list[bool] = field(default_factory=lambda: [False])

    def truncated(self) -> bool:
        return self._cut[0]


def _capped(items, cap: int | None, cut: list[bool]):
    if cap is None:
        yield from items
        return
    yield from itertools.islice(items, cap)
    if next(items, None) is not None:
        cut[0] = True


def run(
    store: Store,
    text: str,
    spec: DatasetSpec = DatasetSpec(),
    substitutions: Mapping[str, OxTerm] | None = None,
    cap: int | None = None,
    allowed_service_hosts: frozenset[str] = frozenset(),
    shape: QueryShape | None = None,
) -> Outcome:
    """Check `text` with `guard` (unless the caller passes the `shape` it already found), choose its dataset,
    evaluate it on `store` and return a lazy `Outcome`."""
    if shape is None:
        shape = guard(text, store.graphs(), allowed_service_hosts)
    if spec.default_graphs is None and spec.named_graphs is None and (shape.from_graphs or shape.from_named):
        spec = DatasetSpec(
            infer=spec.infer,
            default_graphs=tuple(shape.from_graphs),
            named_graphs=tuple(shape.from_named),
        )
    result = store.query(text, spec, substitutions)
    outcome = Outcome(form=shape.form)
    if isinstance(result, ox.QueryBoolean):
        outcome.form = "ASK"
        outcome.boolean = bool(result)
    elif isinstance(result, ox.QuerySolutions):
        outcome.form = "SELECT"
        outcome.variables = [v.value for v in result.variables]
        outcome.rows = _capped(iter(result), cap, outcome._cut)
    else:
        outcome.triples = _capped(iter(result), cap, outcome._cut)
    return outcome


def guard(
    text: str,
    known_graphs: Iterable[str],
    allowed_service_hosts: frozenset[str] = frozenset(),
    limits: Limits = Limits(),
) -> QueryShape:
    """The whole check a query passes before any evaluation: `inspect`, then every graph it names
    (under any reading) must be one of `known_graphs`."""
    shape = inspect(text, allowed_service_hosts, limits)
    _refuse_unknown(known_graphs, shape.from_graphs + shape.from_named + shape.mentioned_graphs)
    return shape


def _refuse_unknown(known_graphs: Iterable[str], graphs: list[str]) -> None:
    known = set(known_graphs)
    for graph in graphs:
        if graph not in known:
            raise UnknownGraph(graph, known)

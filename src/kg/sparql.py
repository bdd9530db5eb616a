"""Run SPARQL read-only and safely: refuse updates and anything that would reach the network or disk.

`inspect` is a small lexer, not a parser: it skips comments, strings and IRIs, then looks at the
keywords. That is enough to find the query form, `SERVICE`, `LOAD`, update operations and the
`FROM`/`FROM NAMED` IRIs, at a fraction of the cost of a full parse (Oxigraph parses the query anyway).
`FROM <g>` is allowed only for graphs the store has; it selects that graph and never fetches anything.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pyoxigraph as ox

from .errors import ForbiddenQuery, QueryError
from .store import DatasetSpec, Store
from .terms import OxTerm

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w]+)
  | (?P<word>[A-Za-z_][\w.-]*(?::[\w.%-]*)?|:[\w.%-]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
READ_ONLY = "SPARQL Update is not allowed: this endpoint is read-only"
_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
_UPDATES = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}


@dataclass
class QueryShape:
    """What the lexer learnt about a query."""

    form: str
    from_graphs: list[str] = field(default_factory=list)
    from_named: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)


def lex(text: str) -> Iterator[tuple[str, str]]:
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("ws", "comment"):
            yield kind, match.group()


def inspect(text: str, allowed_service_hosts: frozenset[str] = frozenset()) -> QueryShape:
    """Find the form and dataset clauses; raise `ForbiddenQuery` for updates, LOAD and SERVICE."""
    tokens = list(lex(text))
    form = None
    shape = QueryShape(form="")
    for i, (kind, value) in enumerate(tokens):
        if kind != "word":
            continue
        word = value.upper()
        if form is None and word in _UPDATES:
            raise ForbiddenQuery(f"{READ_ONLY} ({word})")
        if form is None and word in _FORMS:
            form = word
        elif word == "SERVICE":
            target = _next_iri(tokens, i)
            host = urlsplit(target).hostname if target else None
            if host is None or host not in allowed_service_hosts:
                shown = f"<{target}>" if target else "a variable endpoint"
                raise ForbiddenQuery(
                    f"SERVICE {shown} is not allowed: federated queries would make this server "
                    "open outbound connections (an operator can allow hosts)"
                )
            shape.services.append(target)
        elif word == "FROM":
            named = i + 1 < len(tokens) and tokens[i + 1][1].upper() == "NAMED"
            target = _next_iri(tokens, i)
            if target is None:
                raise QueryError("FROM must be followed by an IRI")
            (shape.from_named if named else shape.from_graphs).append(target)
    if form is None:
        raise QueryError("no query form found: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    shape.form = form
    return shape


def _next_iri(tokens: list[tuple[str, str]], i: int) -> str | None:
    for kind, value in tokens[i + 1 : i + 3]:
        if kind == "iri":
            return value[1:-1]
        if kind == "var":
            return None
    return None


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

    @property
    def is_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")

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
) -> Outcome:
    """Check `text`, choose its dataset, evaluate it on `store` and return a lazy `Outcome`."""
    shape = inspect(text, allowed_service_hosts)
    if spec.default_graphs is None and spec.named_graphs is None and (shape.from_graphs or shape.from_named):
        _refuse_unknown(store, shape.from_graphs + shape.from_named)
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


def _refuse_unknown(store: Store, graphs: list[str]) -> None:
    known = set(store.graphs())
    for graph in graphs:
        if graph not in known:
            raise ForbiddenQuery(
                f"FROM <{graph}> is not a graph of this dataset; this server never loads remote or "
                f"local documents. Known graphs: {', '.join(sorted(known))}"
            )

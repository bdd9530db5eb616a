"""The query text a remote SPARQL server gets: what the embedded store does by options, written out.

Oxigraph takes prefixes and variable bindings (SEP-0007) as options; a SPARQL 1.1 server takes only
text. So `prepare`:

- declares the `QUERY_PREFIXES` the query does not declare itself (its own PREFIX wins);
- binds `substitutions` with a VALUES block at the start of the query's outermost group: the
  variables are bound before anything in that group (filters, OPTIONALs, aggregates) sees them, as a
  substitution binds them (a trailing VALUES would come after GROUP BY; for the short form
  `CONSTRUCT WHERE`, whose group is a template, it is the only place, and the same there);
- makes `isBlank`, `isIRI` and `isURI` treat skolem IRIs (the remote's blank nodes) as blank nodes.

The guard has already read the text (sparql.py), and tokens are found with its tokenizer, so strings,
IRIs and comments are never mistaken for keywords.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import QueryError
from .sparql import _TOKEN  # the guard's tokenizer: one reading of the text for both

_OPEN, _CLOSE = "{([", "})]"
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    """(kind, text, start, end) of the significant tokens."""
    out = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("ws", "comment"):
            out.append((kind, match.group(), match.start(), match.end()))
    return out


def prepare(
    text: str, substitutions: Mapping[str, object], prefixes: Mapping[str, str], skolem: str, construct: bool
) -> str:
    """The text to send: declarations, then the query with its edits (see the module docstring)."""
    tokens = _tokens(text)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), never overlapping
    edits += _term_tests(text, tokens, skolem)
    if substitutions:
        edits.append(_values(text, tokens, substitutions, construct))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    declared = {
        tokens[i + 1][1].partition(":")[0]
        for i, (kind, value, _, _) in enumerate(tokens[:-1])
        if kind == "word" and value.upper() == "PREFIX" and tokens[i + 1][0] == "pname"
    }
    head = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in prefixes.items() if p not in declared)
    return head + text


def _term_tests(text: str, tokens: list, skolem: str) -> list[tuple[int, int, str]]:
    """isBlank(E) / isIRI(E) / isURI(E) over a simple argument (one that holds no such test itself)."""
    edits = []
    for i, (kind, value, start, _) in enumerate(tokens[:-1]):
        name = value.upper()
        if kind != "word" or name not in ("ISBLANK", "ISIRI", "ISURI") or tokens[i + 1][1] != "(":
            continue
        close = _closing(tokens, i + 1)
        if close is None:
            continue
        inner = tokens[i + 2 : close]
        if any(k == "word" and v.upper() in ("ISBLANK", "ISIRI", "ISURI") for k, v, _, _ in inner):
            continue
        arg = text[tokens[i + 1][3] : tokens[close][2]]
        skolemized = f'(isIRI({arg}) && STRSTARTS(STR({arg}), "{skolem}"))'
        if name == "ISBLANK":
            new = f"(isBlank({arg}) || {skolemized})"
        else:
            new = f"({value}({arg}) && !{skolemized})"
        edits.append((start, tokens[close][3], new))
    return edits


def _closing(tokens: list, opening: int) -> int | None:
    depth = 0
    for j in range(opening, len(tokens)):
        value = tokens[j][1]
        if tokens[j][0] == "other" and value in _OPEN:
            depth += 1
        elif tokens[j][0] == "other" and value in _CLOSE:
            depth -= 1
            if depth == 0:
                return j
    return None


def _values(
    text: str, tokens: list, substitutions: Mapping[str, object], construct: bool
) -> tuple[int, int, str]:
    """Where the VALUES block goes, and the block."""
    names = list(substitutions)
    row = " ".join(str(substitutions[n]) for n in names)
    block = f" VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }} "
    depth, form, groups, where_short = 0, None, 0, False
    for i, (kind, value, _, end) in enumerate(tokens):
        if kind == "word" and form is None and value.upper() in _FORMS:
            form = value.upper()
            after = tokens[i + 1][1].upper() if i + 1 < len(tokens) else ""
            where_short = form == "CONSTRUCT" and after == "WHERE"
            continue
        if kind != "other":
            continue
        if value in _OPEN:
            if value == "{" and depth == 0 and form is not None:
                groups += 1
                if not where_short and (form != "CONSTRUCT" or groups == 2):
                    return end, end, block
            depth += 1
        elif value in _CLOSE:
            depth -= 1
    if construct and where_short:
        if any(k == "word" and v.upper() == "VALUES" for k, v, _, _ in tokens):
            raise QueryError("parameters cannot be bound in a CONSTRUCT WHERE query that has its own VALUES")
        return len(text), len(text), "\n" + block
    raise QueryError("parameters can only be bound in a query with a WHERE group")

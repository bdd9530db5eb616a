"""Reading a SPARQL 1.1 Protocol request: its parameters, its query and its dataset, strictly.

werkzeug decodes URLs and forms leniently (bad UTF-8 becomes U+FFFD); the protocol wants non-UTF-8
input rejected, so parameters are parsed here from the raw bytes with strict UTF-8.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import Request
from werkzeug.exceptions import UnsupportedMediaType

from ..errors import ForbiddenQuery, QueryError, UnknownGraph
from ..sparql import READ_ONLY

Params = dict[str, list[str]]

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
UPDATE_PARAMS = ("update", "using-graph-uri", "using-named-graph-uri")


def parse_urlencoded(raw: bytes, where: str) -> Params:
    """`a=1&b=2&a=3` → {"a": ["1", "3"], "b": ["2"]}; a name without `=` gets ""; UTF-8 or 400."""
    params: Params = {}
    for part in raw.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        try:
            key = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8")
            text = unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise QueryError(f"the {where} is not valid UTF-8 (percent-encode UTF-8 bytes)") from None
        params.setdefault(key, []).append(text)
    return params


def read_params(request: Request) -> Params:
    """Every protocol parameter of a GET or POST, with a direct POST's body as `query`."""
    params = parse_urlencoded(request.query_string, "query string")
    if request.method != "POST":
        return params
    mimetype = request.mimetype
    if mimetype == FORM:
        for name, values in parse_urlencoded(request.get_data(), "form body").items():
            params.setdefault(name, []).extend(values)
    elif mimetype == DIRECT:
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(f"{DIRECT} must be sent as charset=utf-8, not {charset}")
        try:
            params.setdefault("query", []).append(request.get_data().decode("utf-8"))
        except UnicodeDecodeError:
            raise QueryError("the query body is not valid UTF-8") from None
    elif mimetype == UPDATE:
        raise ForbiddenQuery(READ_ONLY)
    else:
        shown = mimetype or "no Content-Type"
        raise UnsupportedMediaType(f"cannot read a query from {shown}; send {FORM} or {DIRECT}")
    return params


def refuse_updates(params: Params) -> None:
    if any(name in params for name in UPDATE_PARAMS):
        raise ForbiddenQuery(READ_ONLY)


def single_query(params: Params) -> str | None:
    """The one query text, None when absent; 400 for several or an empty one."""
    queries = params.get("query", [])
    if len(queries) > 1:
        raise QueryError(f"{len(queries)} queries given; send exactly one `query` per request")
    if queries and not queries[0].strip():
        raise QueryError("the query is empty")
    return queries[0] if queries else None


def flag(params: Params, name: str, default: bool) -> bool:
    values = params.get(name)
    if not values:
        return default
    value = values[-1].lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise QueryError(f"{name}={values[-1]!r}: expected true or false")


def dataset(params: Params, known: list[str]) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """`default-graph-uri` / `named-graph-uri` (repeatable). Given either, they replace the query's
    FROM clauses and the default dataset entirely, as the protocol says. Unknown graphs are a 403,
    as a FROM of an unknown graph is (`UnknownGraph`)."""
    default = params.get("default-graph-uri", [])
    named = params.get("named-graph-uri", [])
    if not default and not named:
        return None, None
    unknown = [g for g in (*default, *named) if g not in known]
    if unknown:
        raise UnknownGraph(unknown[0], known)
    return tuple(default), tuple(named)

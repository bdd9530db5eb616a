"""Content negotiation: pick a format from `formats.FORMATS` for what the client accepts.

Order of precedence: a `format=` or `output=` parameter (short names like `json`, `csv`, `ttl`, or a media
type), then the Accept header with its q-values, then the default for the answer's kind. A browser
(Accept listing `text/html`, which this endpoint does not serve) gets the default too — JSON for
results, Turtle for graphs — instead of whatever `application/xml;q=0.9` would select.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from flask import Request

from ..errors import UnknownFormat
from ..formats import DATASET, FORMATS, GRAPH, RESULTS, Format, lookup

#: The kinds of format each SPARQL query form can be written in.
KINDS_BY_FORM: dict[str, tuple[str, ...]] = {
    "SELECT": (RESULTS,),
    "ASK": (RESULTS,),
    "CONSTRUCT": (GRAPH, DATASET),
    "DESCRIBE": (GRAPH, DATASET),
}
DEFAULTS = {RESULTS: "json", GRAPH: "turtle", DATASET: "trig"}

#: Short names that mean a different format for graphs (SPARQLWrapper sends `format=xml` for RDF/XML).
_NAME_SYNONYMS: dict[str, dict[str, str]] = {GRAPH: {"xml": "rdfxml", "json": "jsonld"}}

OVERRIDE_PARAMS = ("format", "output")


@cache
def candidates(kinds: tuple[str, ...]) -> list[tuple[str, Format]]:
    """(media type, format) pairs for `kinds`, the kinds' defaults first (they win ties)."""
    pairs = [(f.media_type, f) for f in FORMATS if f.kind in kinds]
    pairs += [(media, f) for f in FORMATS if f.kind in kinds for media in f.also_accepts]
    default_names = {DEFAULTS[k] for k in kinds}
    return sorted(pairs, key=lambda pair: pair[1].name not in default_names)


def override(params: Mapping[str, list[str]]) -> str | None:
    """The format named by parameter: the LAST `format=` value, else the last `output=` value.

    Every route reads it this way, as /sparql always has: a repeated `format=` means its last value,
    `format` beats `output`, an empty value names nothing. `params` are all values of each parameter
    (`protocol.parse_urlencoded`), so no route can take the first value by accident.
    """
    for param in OVERRIDE_PARAMS:
        if values := params.get(param):
            return values[-1] or None
    return None


def choose(request: Request, kinds: tuple[str, ...], name: str | None = None) -> Format:
    """The format to answer with; `UnknownFormat` (406) when the client accepts none of ours.

    `name` is an explicit choice (from `format=`/`output=`); it must be a format of `kinds`.
    """
    if name:
        for kind in kinds:
            if synonym := _NAME_SYNONYMS.get(kind, {}).get(name.lower()):
                return lookup(synonym)
        return lookup(name, kinds)
    accept = request.accept_mimetypes
    if not accept or (accept.quality("text/html") > 0 and accept.best == "text/html"):
        return lookup(DEFAULTS[kinds[0]])
    best, best_q = None, 0.0
    for media_type, fmt in candidates(kinds):
        q = accept.quality(media_type)
        if q > best_q:
            best, best_q = fmt, q
    if best is None:
        supported = ", ".join(f.media_type for f in FORMATS if f.kind in kinds)
        raise UnknownFormat(f"none of the accepted media types can be served here; supported: {supported}")
    return best


def content_type(fmt: Format) -> str:
    """The Content-Type header for a format; text types say they are UTF-8."""
    return f"{fmt.media_type}; charset=utf-8" if fmt.media_type.startswith("text/") else fmt.media_type

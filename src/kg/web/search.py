"""Search (`/search?q=`): resources found by label, alternative label, CURIE or local name.

Matching ignores case and accents (`fold`): "controle" finds "Contrôle". An exact match comes first,
then one that starts with the text, then one that contains it; ties in natural order ("Company 2"
before "Company 10"). Answers are paged (`RESULTS_PER_PAGE`), escaped by the template, and an empty or
missing `q` is the search page itself, not an error.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request, url_for

from ..namespaces import shorten
from ..resolve import LABEL_PREDICATES, RDF_TYPE, label
from ..store import Store
from . import protocol
from .present import Ref, fold, html, natural_key, ref
from .state import state

bp = Blueprint("search", __name__)

#: Results on one page of answers.
RESULTS_PER_PAGE = 50
#: Longest search text read (a longer one is cut).
MAX_QUERY_CHARS = 200


@dataclass(frozen=True)
class Entry:
    """A named node and every text it can be found by (folded)."""

    iri: str
    texts: tuple[str, ...]


@dataclass(frozen=True)
class Hit:
    """One result: the resource, its kinds, and the text that matched (when not its label)."""

    resource: Ref
    kinds: list[Ref]
    matched: str | None


_ENTRIES: weakref.WeakKeyDictionary[Store, list[Entry]] = weakref.WeakKeyDictionary()


def entries(store: Store) -> list[Entry]:
    """Every labelled or typed named node of the asserted graphs with its texts (cached per store)."""
    if (found := _ENTRIES.get(store)) is not None:
        return found
    texts: dict[str, list[str]] = {}
    for predicate in LABEL_PREDICATES:
        for quad in store.quads(None, ox.NamedNode(predicate), None, store.asserted_graphs):
            if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.Literal):
                texts.setdefault(quad.subject.value, []).append(quad.object.value)
    for quad in store.quads(None, RDF_TYPE, None, store.asserted_graphs):
        if isinstance(quad.subject, ox.NamedNode):
            texts.setdefault(quad.subject.value, [])
    built = []
    for iri, labels in texts.items():
        curie = shorten(iri)
        local = iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        built.append(Entry(iri, tuple(dict.fromkeys([*labels, curie, local, iri]))))
    _ENTRIES[store] = built
    return built


def find(store: Store, text: str) -> list[tuple[Entry, str]]:
    """Entries matching `text`, best first, each with the first of its texts that matched."""
    needle = fold(text)
    if not needle:
        return []
    scored = []
    for entry in entries(store):
        best: tuple[int, str] | None = None
        for candidate in entry.texts:
            folded = fold(candidate)
            if needle not in folded:
                continue
            rank = 0 if folded == needle else 1 if folded.startswith(needle) else 2
            if best is None or rank < best[0]:
                best = (rank, candidate)
        if best is not None:
            shown = label(store, ox.NamedNode(entry.iri))
            scored.append(((best[0], natural_key(shown), entry.iri), entry, best[1]))
    scored.sort(key=lambda item: item[0])
    return [(entry, matched) for _, entry, matched in scored]


def kinds(store: Store, node: ox.NamedNode) -> list[Ref]:
    found = {q.object for q in store.quads(node, RDF_TYPE, None, store.asserted_graphs)}
    return sorted(
        (ref(store, k) for k in found if isinstance(k, ox.NamedNode)), key=lambda r: natural_key(r.text)
    )


@bp.get("/search")
def search() -> Response:
    """The search page: a box, and the matches of `q` (with their kinds), `RESULTS_PER_PAGE` at a time."""
    params = protocol.parse_urlencoded(request.query_string, "query string")
    text = (params.get("q") or [""])[-1].strip()[:MAX_QUERY_CHARS]
    given = (params.get("page") or ["1"])[-1]
    number = int(given) if given.isdigit() and int(given) > 0 else 1
    store = state().store
    found = find(store, text)
    pages = max(1, -(-len(found) // RESULTS_PER_PAGE))
    number = min(number, pages)
    start = (number - 1) * RESULTS_PER_PAGE
    hits = []
    for entry, matched in found[start : start + RESULTS_PER_PAGE]:
        node = ox.NamedNode(entry.iri)
        shown = ref(store, node)
        hits.append(Hit(shown, kinds(store, node), None if matched == shown.text else matched))

    def at(n: int) -> str:
        return url_for("search.search", q=text, page=n)

    return html(
        render_template(
            "search.html",
            q=text,
            hits=hits,
            total=len(found),
            first=start + 1,
            number=number,
            pages=pages,
            previous=at(number - 1) if number > 1 else None,
            next=at(number + 1) if number < pages else None,
        )
    )

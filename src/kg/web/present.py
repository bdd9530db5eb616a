"""How every web surface presents things: a term as a linked `Ref`, an IRI as an href, an HTML response
with our Content-Security-Policy, and a named query as it is listed (API and home page alike)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from flask import Response, url_for

from ..catalog import NamedQuery
from ..namespaces import PKG, shorten
from ..resolve import label
from ..store import Store
from ..terms import OxTerm

#: No scripts, no frames, nothing from another host; our own stylesheet only.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
#: Schemes an IRI of the data may link to. Anything else (`javascript:`, `data:`, `vbscript:`, `file:`…)
#: is shown as text: the CSP would block a script link, but a page must not offer one in the first place.
LINKABLE_SCHEMES = frozenset({"http", "https", "mailto", "urn"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


@dataclass(frozen=True)
class Ref:
    """A term as a page shows it: its text, where it links (see `link_target`), its CURIE."""

    text: str
    href: str | None = None
    curie: str | None = None

    @property
    def external(self) -> bool:
        """A link out of this site (our own pages link by path)."""
        return self.href is not None and not self.href.startswith("/")


def ref(store: Store, term: OxTerm) -> Ref:
    """A term as `resolve.label` shows it; an IRI links where `link_target` says, nothing else links."""
    if isinstance(term, ox.NamedNode):
        return Ref(label(store, term), link_target(term.value), shorten(term.value))
    return Ref(label(store, term))


def link_target(iri: str) -> str | None:
    """The href for an IRI: our page for our namespace, `/resource?iri=…` for another IRI of a linkable
    scheme (its page here: links never leave the site), else None (shown as text).

    The one place an IRI from the data or a query answer becomes a link, on every page.
    """
    if (page := page_url(iri)) is not None:
        return page
    scheme = _SCHEME.match(iri)
    if scheme and scheme[1].lower() in LINKABLE_SCHEMES:
        return url_for("pages.by_iri", iri=iri)
    return None


def page_url(iri: str) -> str | None:
    """`/id/<local>` for an IRI of our namespace, else None."""
    if iri.startswith(PKG) and len(iri) > len(PKG):
        return url_for("pages.resource", local=iri[len(PKG) :])
    return None


def html(body: str, status: int = 200) -> Response:
    """An HTML page with our Content-Security-Policy (no scripts, nothing from another host)."""
    response = Response(body, status, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def describe_query(query: NamedQuery) -> dict[str, Any]:
    """A named query as `/api/queries` lists it (and the home page shows it)."""
    return {
        "name": query.name,
        "summary": query.summary,
        "questions": list(query.questions),
        "params": [
            {
                "name": p.name,
                "type": p.type,
                "default": p.default,
                "required": p.required,
                "description": p.description,
            }
            for p in query.params
        ],
        "url": url_for("api.run_query", name=query.name),
    }


def natural_key(text: str) -> tuple:
    """Sort key with numbers by value: "Company 2" before "Company 10", 437 before 4369."""
    parts = re.split(r"(\d+)", text.casefold())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p)


def fold(text: str) -> str:
    """Text compared without case or accents: "Contrôle" matches "controle"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())

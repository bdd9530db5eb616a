"""Per-statement provenance: the source each statement cites, read from its record.

Every statement of the article, domain-knowledge and examples graphs has a record in `graph:provenance`
(ontology/provenance.ttl): a standard RDF reification — an `rdf:Statement` with `rdf:subject`,
`rdf:predicate` and `rdf:object` — citing its source with `dcterms:source`. docs/provenance.md says why
this representation. Which record belongs to which statement is written once, in the named query
`statement-provenance`; this module runs it, so resource pages, `kg describe` and
`kg query --name statement-provenance` name the same sources.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox

from .catalog import default_catalog
from .namespaces import PREFIXES
from .store import DatasetSpec, Store
from .terms import OxTerm

QUERY = "statement-provenance"
#: The reification properties. A record points at the terms of its triple with them; such an edge is
#: the statement's source, shown beside the statement, not a link of the resource.
RECORD_PREDICATES = frozenset(PREFIXES["rdf"] + local for local in ("subject", "predicate", "object"))

Triple = tuple[OxTerm, OxTerm, OxTerm]


@dataclass(frozen=True)
class Source:
    """A source a statement cites: an article section, the article, the FDA page, the examples."""

    iri: str
    label: str

    def to_dict(self) -> dict[str, str]:
        return {"iri": self.iri, "label": self.label}


def statement_sources(store: Store, node: ox.NamedNode) -> dict[Triple, list[Source]]:
    """The sources of every recorded statement having `node` as subject or object, by triple.

    Statements without a record are absent: inferred ones (explain says why they hold), the
    vocabulary's, and bookkeeping (a resource's own `dcterms:source`, the description of a source).
    """
    named = default_catalog().get(QUERY)
    found: dict[Triple, list[Source]] = defaultdict(list)
    rows = store.query(named.text, DatasetSpec(), {"resource": node})
    assert isinstance(rows, ox.QuerySolutions), f"{QUERY} is a SELECT query"
    for row in rows:
        source, label = row["source"], row["sourceLabel"]
        if source is None:
            continue
        triple = (row["subject"], row["property"], row["value"])
        found[triple].append(Source(source.value, label.value if label is not None else source.value))
    return dict(found)


def is_record_link(predicate: ox.NamedNode, direction: str) -> bool:
    """Whether an edge into a node comes from a provenance record (`_:r rdf:subject node`)."""
    return direction == "in" and predicate.value in RECORD_PREDICATES

"""The one table of formats: name, media type, extension, short aliases and writers.

CLI, HTTP and export all look formats up here, and each `Format` carries the writers it has, so a new
format is one entry of `FORMATS`. SELECT/ASK answers use the W3C SPARQL results formats (written here,
streaming row by row); graphs and datasets are written by Oxigraph's serializers.
rdflib's format names (`xml`, `pretty-xml`, `n3`, `json-ld`, `nt`, `nt11`, `ttl`, `nquads`, `trig`) are
accepted too: `xml` and `json` name RDF/XML and JSON-LD where SPARQL results formats do not apply.

`write_pretty` is for whole documents people read (exports): grouped by subject, prefixed, JSON-LD with
an `@context`. `write_graph` streams in the order it is given (query answers, large dumps).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from .errors import UnknownFormat
from .namespaces import PREFIXES

RESULTS, GRAPH, DATASET = "results", "graph", "dataset"

#: Triples, or quads (dataset formats; they also take triples, into the default graph).
Statements = Iterable[ox.Triple] | Iterable[ox.Quad]
#: A SELECT answer, streamed: (variables, solutions) -> chunks of bytes.
RowsWriter = Callable[[list[str], Iterable[Any]], Iterator[bytes]]
#: An ASK answer.
BooleanWriter = Callable[[bool], bytes]
#: Statements written to `out` (anything with `write(bytes)`), or returned as bytes when `out` is None.
GraphWriter = Callable[[Statements, Any], bytes | None]


@dataclass(frozen=True)
class Format:
    """A format and its writers: `rows` and `boolean` for SPARQL results formats; `graph` (streaming,
    in the order given) and `document` (for people: grouped, prefixed) for RDF formats."""

    name: str
    media_type: str
    extension: str
    kind: str  # RESULTS, GRAPH (triples) or DATASET (quads; can also carry triples)
    w3c: str  # local name in the W3C format registry, http://www.w3.org/ns/formats/
    aliases: tuple[str, ...] = ()
    #: other media types clients send for this format (only matched among formats of the same kind)
    also_accepts: tuple[str, ...] = ()
    #: names that mean this format only where SPARQL results formats do not apply (RDF/XML is `xml`
    #: to rdflib and SPARQLWrapper, where `xml` would otherwise be SPARQL XML results)
    graph_names: tuple[str, ...] = ()
    rows: RowsWriter | None = None
    boolean: BooleanWriter | None = None
    graph: GraphWriter | None = None
    document: GraphWriter | None = None
    #: whether documents written in chunks concatenate into one valid document (so a dump can stream)
    concatenable: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.name, self.extension, *self.aliases)))


# --- SPARQL results writers -------------------------------------------------------------------

_SPARQL_RESULTS = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {k: _json_term(getattr(term, k)) for k in ("subject", "predicate", "object")},
    }


def _xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def _csv_field(term) -> str:
    if term is None:
        return ""
    text = term.value if isinstance(term, ox.NamedNode | ox.Literal) else str(term)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _tsv_field(term) -> str:
    return "" if term is None else str(term)  # pyoxigraph's str() is the N-Triples/Turtle form


def _json_rows(variables: list[str], rows: Iterable[Any]) -> Iterator[bytes]:
    yield json.dumps({"head": {"vars": variables}})[:-1].encode() + b',"results":{"bindings":['
    for i, row in enumerate(rows):
        binding = {v: _json_term(row[v]) for v in variables if row[v] is not None}
        yield (b"," if i else b"") + json.dumps(binding, ensure_ascii=False).encode()
    yield b"]}}"


def _xml_rows(variables: list[str], rows: Iterable[Any]) -> Iterator[bytes]:
    head = "".join(f"<variable name={quoteattr(v)}/>" for v in variables)
    yield f"{_SPARQL_RESULTS}<head>{head}</head><results>".encode()
    for row in rows:
        cells = "".join(
            f"<binding name={quoteattr(v)}>{_xml_term(row[v])}</binding>"
            for v in variables
            if row[v] is not None
        )
        yield f"<result>{cells}</result>\n".encode()
    yield b"</results></sparql>\n"


def _csv_rows(variables: list[str], rows: Iterable[Any]) -> Iterator[bytes]:
    yield (",".join(variables) + "\r\n").encode()
    for row in rows:
        yield (",".join(_csv_field(row[v]) for v in variables) + "\r\n").encode()


def _tsv_rows(variables: list[str], rows: Iterable[Any]) -> Iterator[bytes]:
    yield ("\t".join("?" + v for v in variables) + "\n").encode()
    for row in rows:
        yield ("\t".join(_tsv_field(row[v]) for v in variables) + "\n").encode()


def _word(value: bool) -> str:
    return "true" if value else "false"


def _json_boolean(value: bool) -> bytes:
    return json.dumps({"head": {}, "boolean": value}).encode()


def _xml_boolean(value: bool) -> bytes:
    return f"{_SPARQL_RESULTS}<head/><boolean>{_word(value)}</boolean></sparql>\n".encode()


# CSV/TSV are not defined for booleans by the W3C; we write the one column `_askResult`.
def _csv_boolean(value: bool) -> bytes:
    return f"_askResult\n{_word(value)}\n".encode()


def _tsv_boolean(value: bool) -> bytes:
    return f"?_askResult\n{_word(value)}\n".encode()


# --- RDF writers ------------------------------------------------------------------------------


def _oxigraph(rdf: ox.RdfFormat, prefixes: dict[str, str] | None = None) -> GraphWriter:
    """Oxigraph's serializer for `rdf`, statements in the order given (with `prefixes` declared)."""

    def write(statements: Statements, out: Any = None) -> bytes | None:
        return ox.serialize(statements, out, rdf, prefixes=prefixes)

    return write


def _grouped(rdf: ox.RdfFormat) -> GraphWriter:
    """Oxigraph's writer fed sorted statements, so it groups those about one subject (`;` and `,`),
    declaring the prefixes the statements use. Sorting holds them in memory: fine at kg's sizes."""

    def write(statements: Statements, out: Any = None) -> bytes | None:
        items: list[Any] = sorted(statements, key=_order)  # all triples, or all quads
        return ox.serialize(items, out, rdf, prefixes=used_prefixes(items))

    return write


def _json_ld_document(statements: Statements, out: Any = None) -> bytes | None:
    """rdflib's JSON-LD, compacted against the prefixes used as its `@context`, nodes sorted by `@id`
    (Oxigraph's JSON-LD writer has no context)."""
    items = sorted(statements, key=_order)
    body = _json_ld(items, used_prefixes(items))
    if out is None:
        return body
    out.write(body)
    return None


_RDF_TYPE = PREFIXES["rdf"] + "type"
_PLAIN = {PREFIXES["xsd"] + "string", PREFIXES["rdf"] + "langString"}


def _order(statement) -> tuple:
    """Graph (the default graph last), then subject (blank nodes last), rdf:type first, predicate, object."""
    graph = getattr(statement, "graph_name", None)
    s, p = statement.subject, statement.predicate
    return (
        isinstance(graph, ox.DefaultGraph),
        str(graph or ""),
        isinstance(s, ox.BlankNode),
        str(s),
        p.value != _RDF_TYPE,
        str(p),
        str(statement.object),
    )


def used_prefixes(statements: Iterable) -> dict[str, str]:
    """Our prefixes whose namespace some IRI (or datatype) of `statements` falls in."""
    iris = set()
    for st in statements:
        for term in (st.subject, st.predicate, st.object, getattr(st, "graph_name", None)):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal) and term.datatype.value not in _PLAIN:
                iris.add(term.datatype.value)
    return {p: ns for p, ns in PREFIXES.items() if any(iri.startswith(ns) for iri in iris)}


def _json_ld(triples: list, prefixes: dict[str, str]) -> bytes:
    import rdflib  # only exports need it; query workers never import rdflib

    def term(t):
        if isinstance(t, ox.NamedNode):
            return rdflib.URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return rdflib.BNode(t.value)
        if t.language:
            return rdflib.Literal(t.value, lang=t.language)
        if t.datatype.value in _PLAIN:
            return rdflib.Literal(t.value)
        # normalize=False: the lexical form stays as written ("…Z" is not turned into "…+00:00")
        return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value), normalize=False)

    graph = rdflib.Graph()
    for t in triples:
        graph.add((term(t.subject), term(t.predicate), term(t.object)))
    doc = json.loads(graph.serialize(format="json-ld", context=prefixes, auto_compact=True))
    if isinstance(doc, dict) and isinstance(doc.get("@graph"), list):
        doc["@graph"].sort(key=lambda node: (str(node.get("@id", "")).startswith("_:"), node.get("@id", "")))
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


FORMATS: tuple[Format, ...] = (
    Format(
        "json",
        "application/sparql-results+json",
        "srj",
        RESULTS,
        "SPARQL_Results_JSON",
        ("srj", "sparql-json"),
        also_accepts=("application/json",),
        rows=_json_rows,
        boolean=_json_boolean,
    ),
    Format(
        "xml",
        "application/sparql-results+xml",
        "srx",
        RESULTS,
        "SPARQL_Results_XML",
        ("srx", "sparql-xml"),
        also_accepts=("application/xml", "text/xml"),
        rows=_xml_rows,
        boolean=_xml_boolean,
    ),
    Format("csv", "text/csv", "csv", RESULTS, "SPARQL_Results_CSV", rows=_csv_rows, boolean=_csv_boolean),
    Format(
        "tsv",
        "text/tab-separated-values",
        "tsv",
        RESULTS,
        "SPARQL_Results_TSV",
        rows=_tsv_rows,
        boolean=_tsv_boolean,
    ),
    Format(
        "turtle",
        "text/turtle",
        "ttl",
        GRAPH,
        "Turtle",
        ("ttl", "n3"),  # Turtle is Notation3; rdflib writes `n3` much like Turtle
        also_accepts=("application/x-turtle", "text/n3"),
        graph=_oxigraph(ox.RdfFormat.TURTLE, PREFIXES),
        document=_grouped(ox.RdfFormat.TURTLE),
        concatenable=True,
    ),
    Format(
        "ntriples",
        "application/n-triples",
        "nt",
        GRAPH,
        "N-Triples",
        ("nt", "nt11", "n-triples"),
        also_accepts=("text/plain",),
        graph=_oxigraph(ox.RdfFormat.N_TRIPLES),
        document=_oxigraph(ox.RdfFormat.N_TRIPLES),  # a line format: nothing to group, streamed
        concatenable=True,
    ),
    Format(
        "jsonld",
        "application/ld+json",
        "jsonld",
        GRAPH,
        "JSON-LD",
        ("json-ld",),
        also_accepts=("application/json",),
        graph_names=("json",),
        graph=_oxigraph(ox.RdfFormat.JSON_LD),
        document=_json_ld_document,
    ),
    Format(
        "rdfxml",
        "application/rdf+xml",
        "rdf",
        GRAPH,
        "RDF_XML",
        ("rdf", "rdf-xml", "pretty-xml", "owl"),
        also_accepts=("application/xml", "text/xml"),
        graph_names=("xml",),
        graph=_oxigraph(ox.RdfFormat.RDF_XML),
        document=_grouped(ox.RdfFormat.RDF_XML),
    ),
    Format(
        "trig",
        "application/trig",
        "trig",
        DATASET,
        "TriG",
        (),
        also_accepts=("application/x-trig",),
        graph=_oxigraph(ox.RdfFormat.TRIG, PREFIXES),
        document=_grouped(ox.RdfFormat.TRIG),
        concatenable=True,
    ),
    Format(
        "nquads",
        "application/n-quads",
        "nq",
        DATASET,
        "N-Quads",
        ("nq", "n-quads"),
        graph=_oxigraph(ox.RdfFormat.N_QUADS),
        document=_oxigraph(ox.RdfFormat.N_QUADS),  # a line format: nothing to group, streamed
        concatenable=True,
    ),
)
BY_NAME: dict[str, Format] = {n: f for f in FORMATS for n in f.names}
BY_MEDIA_TYPE: dict[str, Format] = {f.media_type: f for f in FORMATS}
BY_GRAPH_NAME: dict[str, Format] = {n: f for f in FORMATS for n in f.graph_names}
ALL_KINDS = (RESULTS, GRAPH, DATASET)


def lookup(name: str, kinds: tuple[str, ...] = ALL_KINDS) -> Format:
    """A format by name, alias, extension or media type; `UnknownFormat` lists what fits `kinds`."""
    key = name.lower()
    found = BY_NAME.get(key) or BY_MEDIA_TYPE.get(key)
    if (found is None or found.kind not in kinds) and RESULTS not in kinds:
        found = BY_GRAPH_NAME.get(key, found)
    if found is None or found.kind not in kinds:
        raise UnknownFormat(f"unknown format {name!r}; supported here: {format_names(kinds, True)}")
    return found


def format_names(kinds: tuple[str, ...] = ALL_KINDS, media_types: bool = False) -> str:
    """Every format of `kinds` with the other names it answers to, for help texts and errors:
    `turtle (ttl, n3), …`, or `turtle (ttl, n3, text/turtle), …` with `media_types`."""
    listed = []
    for f in FORMATS:
        if f.kind not in kinds:
            continue
        media = [f.media_type] if media_types else []
        others = ", ".join([*f.names[1:], *f.graph_names, *media])
        if f.graph_names and RESULTS in kinds:  # here `xml` and `json` name results formats first
            others = ", ".join([*f.names[1:], *media]) + f"; {' and '.join(f.graph_names)} for graphs"
        listed.append(f"{f.name} ({others})" if others else f.name)
    return ", ".join(listed)


# --- writing: the writer the format carries --------------------------------------------------


def write_rows(fmt: Format, variables: list[str], rows: Iterable[Any]) -> Iterator[bytes]:
    """Stream a SELECT answer in a SPARQL results format, a chunk per row."""
    if fmt.rows is None:
        raise UnknownFormat(f"{fmt.name} is not a SPARQL results format")
    return fmt.rows(variables, rows)


def write_boolean(fmt: Format, value: bool) -> bytes:
    """An ASK answer in a SPARQL results format."""
    if fmt.boolean is None:
        raise UnknownFormat(f"{fmt.name} is not a SPARQL results format")
    return fmt.boolean(value)


def write_graph(fmt: Format, statements: Statements, out: Any = None) -> bytes | None:
    """Triples or quads in an RDF format, in the order given (Turtle and TriG with our prefixes)."""
    if fmt.graph is None:
        raise UnknownFormat(f"{fmt.name} is not an RDF graph format")
    return fmt.graph(statements, out)


def write_pretty(fmt: Format, statements: Statements, out: Any) -> None:
    """A document people read: statements grouped by graph and subject (sorted), with the prefixes it
    uses; JSON-LD with an `@context`. N-Triples and N-Quads are line formats: streamed as they come."""
    if fmt.document is None:
        raise UnknownFormat(f"{fmt.name} is not an RDF graph format")
    fmt.document(statements, out)

"""Generated inputs for the fuzz: mutated valid queries, random and non-UTF-8 bytes, huge values.

Everything comes from one seeded `random.Random`, so a run is reproducible: the same seed gives the
same requests in the same order. Markers the fuzz looks for in answers ("Traceback", `File "`) are
never generated, so finding one in a body cannot be an echo of the input.
"""

from __future__ import annotations

import random

from .server import PREFIX

SEEDS = [
    PREFIX + "SELECT ?c ?l WHERE { ?c rdfs:label ?l } LIMIT 5",
    PREFIX + 'SELECT * WHERE { ?c ex:hasPartner ?p . ?p rdfs:label "Company 3"@en }',
    PREFIX + "ASK { ex:c1 ex:hasPartner ex:c2 }",
    PREFIX + "CONSTRUCT { ?a ex:partnerOf ?b } WHERE { ?b ex:hasPartner ?a } LIMIT 7",
    PREFIX + "DESCRIBE ex:c7",
    PREFIX + "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    PREFIX + 'SELECT ?c WHERE { ?c rdfs:label ?l FILTER(REGEX(?l, "^Company 1\\\\d$", "i")) }',
    PREFIX + "SELECT ?x WHERE { ex:c0 ex:hasPartner/ex:hasPartner ?x }",
    PREFIX + "SELECT ?x WHERE { ex:c0 (ex:hasPartner|^ex:partnerOf){1,3} ?x } LIMIT 3",
    PREFIX + 'SELECT ?l WHERE { VALUES ?c { ex:c1 ex:c2 } OPTIONAL { ?c rdfs:label ?l } } # "comment"',
    PREFIX + "SELECT ?s FROM <https://w3id.org/pharma-kg/graph/data> WHERE { ?s a ex:CRO } LIMIT 2",
    PREFIX + "SELECT ?s WHERE { ?s a ex:Company MINUS { ?s ex:hasPartner ex:c1 } } ORDER BY ?s LIMIT 4",
    PREFIX + "SELECT ?t WHERE { BIND(STRLEN('''it's \\\"quoted\\\"''') AS ?t) }",
    PREFIX + "SELECT ?n WHERE { { SELECT (COUNT(?s) AS ?n) WHERE { ?s ?p ?o } } }",
]
#: Runs into the time budget (10^9 rows): the fuzz must see a 503 with Retry-After for it, not a 500.
EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(?c != ?i) }"
KEYWORDS = ["SELECT", "WHERE", "ASK", "CONSTRUCT", "DESCRIBE", "FILTER", "PREFIX", "LIMIT", "GRAPH", "FROM"]
#: Fragments inserted at random places: comment openers, line ends, quotes, escapes, braces, unicode,
#: and the words the guard must never let through (SERVICE, FROM <file:…>, updates).
INSERTS = [
    "#", "# x", "\r", "\n", "\r\n", "\t", " ", "'", '"', "'''", '"""', "\\", "\\'", '\\"', "\\u0041",
    "\\U0001F600", "{", "}", "{{", "}}", "(", ")", "<", ">", "<>", "?", "$", ".", ";", ",", "*", "^^",
    "@en", "é", "ß", "😀", "\u2028", "\u202e", "\ufeff", "\x00", "\x7f", "\ud7ff", "\ufffd", "%", "%00",
    "&", "=", "+", "SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o }", "FROM <file:///etc/passwd>",
    "INSERT DATA { <a:b> <a:b> <a:b> }", "LOAD <http://127.0.0.1:9/>", "#\rSERVICE <http://127.0.0.1:9/>",
    "OPTIONAL {", "UNION", "BIND(", "VALUES ?x {", "FILTER(", "ORDER BY", "LIMIT 1", "OFFSET 99999999999",
    "<http://example.org/c1>", "ex:", "_:b0", "?s ?p ?o .",
]  # fmt: skip
#: Repeated to make huge values; `\'` after an unclosed quote is hard on a backtracking lexer.
HUGE_UNITS = ["a", "x ", "é", "{", "}", "\\'", "'", "# c\n", "?s ?p ?o . ", "😀", "%", "\r\n", "UNION {} "]
NON_UTF8 = [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xa0\xa1", b"\xe2\x82", b"\xf0\x28\x8c\x28", b"\xc0\xaf"]
MEDIA = [
    "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
    "text/tab-separated-values", "text/turtle", "application/n-triples", "application/ld+json",
    "application/rdf+xml", "application/trig", "application/n-quads", "text/html", "application/json",
    "text/plain", "*/*", "text/*", "application/*",
]  # fmt: skip
FORMATS = ["json", "xml", "csv", "tsv", "turtle", "ntriples", "jsonld", "srj", "html", "nquads", "trig"]


def _insert(rng: random.Random, text: str) -> str:
    at = rng.randint(0, len(text))
    return text[:at] + rng.choice(INSERTS) + text[at:]


def _recase(rng: random.Random, text: str) -> str:
    word = rng.choice(KEYWORDS)
    swapped = "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in word)
    return text.replace(word, swapped, 1)


def _truncate(rng: random.Random, text: str) -> str:
    return text[: rng.randint(0, len(text))]


def _delete(rng: random.Random, text: str) -> str:
    at = rng.randint(0, len(text))
    return text[:at] + text[at + rng.randint(1, 12) :]


def _duplicate(rng: random.Random, text: str) -> str:
    at = rng.randint(0, len(text))
    return text[:at] + text[at : at + rng.randint(1, 30)] * rng.randint(2, 5) + text[at:]


def _nest(rng: random.Random) -> str:
    """Deep nesting or many UNIONs: the shapes that crash a recursive parser."""
    depth = rng.choice([10, 100, 500, 2000, 5000])
    if rng.random() < 0.5:
        return "SELECT * WHERE " + "{ " * depth + "?s ?p ?o" + " }" * depth
    return "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * depth) + " }"


MUTATORS = [_insert] * 6 + [_recase, _truncate, _delete, _duplicate]


def query(rng: random.Random, mutations: int | None = None) -> str:
    """A seed query with `mutations` random mutations (default 1-4); now and then a deeply nested one
    or one that runs out of its time budget."""
    roll = rng.random() if mutations is None else 1.0
    if roll < 0.03:
        return _nest(rng)
    if roll < 0.04:
        return EXPENSIVE
    text = rng.choice(SEEDS)
    for _ in range(rng.randint(1, 4) if mutations is None else mutations):
        text = rng.choice(MUTATORS)(rng, text)
    return text


def huge(rng: random.Random) -> str:
    """A value of 2-60 KiB, some over the server's 64 KiB body limit once encoded."""
    unit = rng.choice(HUGE_UNITS)
    size = rng.choice([2, 8, 16, 40, 60]) * 1024
    prefix = rng.choice(["", "SELECT * WHERE { } # x\n'", "ASK { '", PREFIX + "SELECT * { ?s ?p "])
    return prefix + unit * (size // len(unit.encode()))


def random_text(rng: random.Random, size: int = 40) -> str:
    return "".join(chr(rng.choice([rng.randint(32, 126), rng.randint(0, 0x2FFF)])) for _ in range(size))


def random_bytes(rng: random.Random, size: int = 40) -> bytes:
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, size)))


def value(rng: random.Random, typical: list[str]) -> str | bytes:
    """A noisy parameter value: a mutated typical one, random text or bytes, not UTF-8, huge, or odd."""
    roll = rng.random()
    if roll < 0.30:
        return _insert(rng, rng.choice(typical))
    if roll < 0.45:
        return random_text(rng, rng.randint(0, 60))
    if roll < 0.55:
        return random_bytes(rng)
    if roll < 0.70:
        return rng.choice(typical).encode() + rng.choice(NON_UTF8)
    if roll < 0.78:
        return huge(rng)
    return rng.choice(["", " ", "%", "%zz", "%ff", "+", "&", "=", "\x00", "true", "false", "-1", "1e999"])

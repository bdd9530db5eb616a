"""`/api/openapi.json`: an OpenAPI 3.1 document generated from the query headers and the API's limits.

One operation per named query (its parameters typed, with defaults and `required` taken from the
`#+ param:` headers), plus the list of queries and the neighbours / paths / explain walks. Built from the
same catalog and bounds the views use, so the document cannot drift from what the server does.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from .. import __version__
from ..catalog import NamedQuery, Param, default_catalog
from ..formats import FORMATS, RESULTS
from .querying import EXPLAIN_MAX, MAX_DEPTH, NEIGHBOUR_LIMIT, PATH_LIMIT

bp = Blueprint("openapi", __name__)

JSON = "application/json"
_PARAM_SCHEMAS: dict[str, dict[str, Any]] = {
    "iri": {"type": "string", "minLength": 1},
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
}
_PARAM_HINTS = {"iri": " An absolute IRI, `<IRI>`, or a CURIE such as `pkg:CRO`."}
_NAME_SCHEMA = {"type": "string", "minLength": 1}
_NAME_HINT = "An IRI, a CURIE such as `pkg:CRO`, or a label such as `Quality Control`."


@bp.get("/api/openapi.json")
def document() -> Response:
    return jsonify(build())


def build() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    catalog = default_catalog()
    paths: dict[str, Any] = {"/api/queries": {"get": _list_operation()}}
    for query in catalog:
        paths[f"/api/queries/{query.name}"] = {"get": _query_operation(query)}
    paths |= {"/api/neighbours": {"get": _neighbours()}, "/api/paths": {"get": _paths()}}
    paths["/api/explain"] = {"get": _explain()}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pharma-kg API",
            "version": __version__,
            "description": (
                "Named SPARQL queries over the pharma-kg knowledge graph (CMOs, CROs and the stages of "
                "drug development), paths between resources and explanations of inferred triples. "
                "Parameters are bound as typed RDF terms, never pasted into query text."
            ),
        },
        "paths": paths,
        "components": {"schemas": SCHEMAS, "responses": _error_responses()},
    }


# --- operations ---------------------------------------------------------------------------------


def _parameter(
    name: str, schema: dict[str, Any], description: str, required: bool = False, example: str | None = None
) -> dict[str, Any]:
    found = {"name": name, "in": "query", "required": required, "description": description, "schema": schema}
    return found | ({"example": example} if example is not None else {})


def _bounded(name: str, bounds: tuple[int, int, int], description: str) -> dict[str, Any]:
    default, low, high = bounds
    schema = {"type": "integer", "minimum": low, "maximum": high, "default": default}
    return _parameter(name, schema, f"{description} ({low}–{high}, default {default}).")


_INFER = _parameter(
    "infer",
    {"type": "boolean", "default": True},
    "Include triples inferred by the OWL 2 RL reasoner (`false`: asserted triples only).",
)


def _query_parameter(param: Param) -> dict[str, Any]:
    schema = dict(_PARAM_SCHEMAS[param.type])
    if param.default is not None:
        schema["default"] = _typed_default(param.type, param.default)
    description = param.description or f"The {param.type} `{param.name}`."
    return _parameter(param.name, schema, description + _PARAM_HINTS.get(param.type, ""), param.required)


def _typed_default(kind: str, default: str) -> Any:
    if kind == "integer":
        return int(default)
    if kind == "boolean":
        return default.lower() in ("true", "1")
    return default


def _format_names() -> list[str]:
    """`json` is the friendly JSON; every SPARQL results format keeps its name (SPARQL JSON is `srj`)."""
    return ["json", *(f.extension if f.name == "json" else f.name for f in FORMATS if f.kind == RESULTS)]


def _query_operation(query: NamedQuery) -> dict[str, Any]:
    questions = ", ".join(str(q) for q in query.questions)
    results = {
        f.media_type: {"schema": _ref("SparqlResults") if f.media_type == SPARQL_JSON else _STRING}
        for f in FORMATS
        if f.kind == RESULTS
    }
    fmt = _parameter(
        "format",
        {"type": "string", "enum": _format_names()},
        "Answer format; overrides `Accept`. `json` is the friendly JSON below, `srj` SPARQL JSON.",
    )
    return {
        "operationId": "query_" + query.name.replace("-", "_"),
        "tags": ["named queries"],
        "summary": query.summary,
        "description": f"Runs `queries/{query.name}.rq`"
        + (f" (competency questions {questions})." if questions else "."),
        "parameters": [*(_query_parameter(p) for p in query.params), fmt, _INFER],
        "responses": {
            "200": {
                "description": "The answer. Header `X-KG-Truncated: true` when the row cap cut it.",
                "headers": _ANSWER_HEADERS,
                "content": {JSON: {"schema": _ref("QueryResult")}, **results},
            },
            "304": {
                "description": "Not modified (`If-None-Match` matched the ETag); no body.",
                "headers": {"ETag": _ANSWER_HEADERS["ETag"]},
            },
            **_errors("400", "406", "503"),
        },
    }


def _list_operation() -> dict[str, Any]:
    return {
        "operationId": "list_queries",
        "tags": ["named queries"],
        "summary": "Every named query with its summary, questions and parameters.",
        "responses": {"200": _json_response("The named queries.", "QueryList")},
    }


def _neighbours() -> dict[str, Any]:
    return {
        "operationId": "neighbours",
        "tags": ["graph"],
        "summary": "Every edge touching a resource, outgoing first, each marked asserted or inferred.",
        "parameters": [
            _parameter("node", _NAME_SCHEMA, _NAME_HINT, required=True, example="pkg:QualityControl"),
            _INFER,
            _bounded("limit", NEIGHBOUR_LIMIT, "Most edges returned"),
        ],
        "responses": {"200": _json_response("The edges.", "Neighbours"), **_errors("400", "404")},
    }


def _paths() -> dict[str, Any]:
    return {
        "operationId": "paths",
        "tags": ["graph"],
        "summary": "Shortest simple paths between two resources, as nodes and edges with directions.",
        "description": (
            "Walks domain links in either direction (schema and provenance links are not walked), "
            "breadth-first, shortest first, within the server's query time budget; `complete: false` "
            "with `stopped` says why a search ended early. Two predicates between the same two nodes "
            "give two paths; a fact and its `owl:inverseOf` or symmetric copy are one edge."
        ),
        "parameters": [
            _parameter("from", _NAME_SCHEMA, _NAME_HINT, required=True, example="pkg:CRO"),
            _parameter("to", _NAME_SCHEMA, _NAME_HINT, required=True, example="Phase II"),
            _bounded("max_depth", MAX_DEPTH, "Most edges in a path"),
            _bounded("limit", PATH_LIMIT, "Most paths returned"),
            _INFER,
            _parameter("directed", {"type": "boolean", "default": False}, "Follow edges forwards only."),
        ],
        "responses": {"200": _json_response("The paths found.", "Paths"), **_errors("400", "404")},
    }


def _explain() -> dict[str, Any]:
    names = [
        _parameter(n, _NAME_SCHEMA, f"The {role}. {_NAME_HINT}", required=True, example=example)
        for n, role, example in (
            ("s", "subject", "pkg:CRO"),
            ("p", "predicate", "pkg:activeInStage"),
            ("o", "object", "pkg:PhaseIIStage"),
        )
    ]
    literal = (
        'Read `o` as a literal (`"Quality Control"@en`, `"4"^^<xsd:integer>` or plain text), not a name.'
    )
    names.append(_parameter("literal", {"type": "boolean", "default": False}, literal))
    names.append(_bounded("max", EXPLAIN_MAX, "Most derivations shown (as `kg explain --max`)"))
    return {
        "operationId": "explain",
        "tags": ["graph"],
        "summary": "Why a triple holds: where it is asserted, or OWL 2 RL derivations from asserted ones.",
        "description": (
            "Every distinct derivation (a rule applied to premises; two differ in their rule or premises) "
            "is found within the server's query time budget (503 when it runs out); the first `max` are "
            "returned, each down to asserted triples, with `count` (all of them) and `more` (the rest)."
        ),
        "parameters": names,
        "responses": {
            "200": _json_response("The explanation.", "Explanation"),
            **_errors("400"),
            "404": _error_response(_NOT_ENTAILED),
            **_errors("503"),
        },
    }


# --- responses and schemas ----------------------------------------------------------------------


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_response(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(schema)}}}


_NOT_ENTAILED = "A name matches nothing, or the triple is not entailed (the body says why)."
_ERROR_TEXT = {
    "400": "A parameter is missing, unknown or of the wrong type; the message names it and its type.",
    "404": "A name matches nothing in the graph; the message lists close matches.",
    "406": "None of the accepted media types, or not the `format` asked for, can be served.",
    "503": "The query used up its time budget, or no query worker was free (see `Retry-After`).",
}


def _error_response(description: str, retry: bool = False) -> dict[str, Any]:
    """An error: JSON `{status, message}` (the default under /api/), plain text when `Accept` prefers it;
    never stored by caches; a 503 says when to retry."""
    headers: dict[str, Any] = {
        "Cache-Control": {
            "description": "Errors are never stored.",
            "required": True,
            "schema": {"const": "no-store"},
        }
    }
    if retry:
        headers["Retry-After"] = {
            "description": "Seconds to wait before retrying (the server's `KG_RETRY_AFTER`).",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    return {
        "description": description,
        "headers": headers,
        "content": {JSON: {"schema": _ref("Error")}, "text/plain": {"schema": _STRING}},
    }


def _error_responses() -> dict[str, Any]:
    return {f"E{code}": _error_response(text, retry=code == "503") for code, text in _ERROR_TEXT.items()}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes}


_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}
SPARQL_JSON = "application/sparql-results+json"

#: The headers of a named query's answer (the walks' answers carry only `Cache-Control`).
_ANSWER_HEADERS: dict[str, Any] = {
    "ETag": {
        "description": "Strong validator of the answer (query, parameters, format, snapshot).",
        "required": True,
        "schema": {"type": "string", "pattern": '^"[^"]+"$'},
    },
    "Cache-Control": {
        "description": "Answers come from an immutable snapshot: `public, max-age=…`.",
        "required": True,
        "schema": {"type": "string", "pattern": "^public, max-age=[0-9]+$"},
    },
    "X-KG-Truncated": {
        "description": "Present when the row cap cut the answer.",
        "schema": {"const": "true"},
    },
    "X-KG-Row-Cap": {
        "description": "The row cap, when the answer was cut.",
        "schema": {"type": "integer", "minimum": 0},
    },
}

_SPARQL_TERM = {
    "type": "object",
    "required": ["type", "value"],
    "properties": {
        "type": {"enum": ["uri", "bnode", "literal", "triple"]},
        "value": {"type": ["string", "object"]},
        "xml:lang": _STRING,
        "datatype": _STRING,
    },
}

SCHEMAS: dict[str, Any] = {
    "SparqlResults": {
        "description": "SPARQL 1.1 Query Results JSON (`format=srj`): bindings, or a boolean for ASK.",
        "type": "object",
        "required": ["head"],
        "properties": {
            "head": {
                "type": "object",
                "properties": {
                    "vars": {"type": "array", "items": _STRING},
                    "link": {"type": "array", "items": _STRING},
                },
            },
            "results": {
                "type": "object",
                "required": ["bindings"],
                "properties": {
                    "bindings": {
                        "type": "array",
                        "items": {"type": "object", "additionalProperties": _SPARQL_TERM},
                    }
                },
            },
            "boolean": {"type": "boolean"},
        },
    },
    "Error": {
        "type": "object",
        "required": ["status", "message"],
        "properties": {"status": {"type": "integer"}, "message": _STRING},
    },
    "QueryList": {
        "type": "object",
        "required": ["queries"],
        "properties": {"queries": {"type": "array", "items": _ref("QueryInfo")}},
    },
    "QueryInfo": {
        "type": "object",
        "required": ["name", "summary", "questions", "params", "url"],
        "properties": {
            "name": _STRING,
            "summary": _STRING,
            "questions": {"type": "array", "items": {"type": "integer"}},
            "url": _STRING,
            "params": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "type", "default", "required", "description"],
                    "properties": {
                        "name": _STRING,
                        "type": {"enum": ["iri", "string", "integer", "boolean"]},
                        "default": _NULLABLE_STRING,
                        "required": {"type": "boolean"},
                        "description": _STRING,
                    },
                },
            },
        },
    },
    "Cell": {
        "type": "object",
        "required": ["value", "label", "type"],
        "properties": {
            "value": _STRING,
            "label": _STRING,
            "type": {"enum": ["iri", "literal", "bnode"]},
            "curie": _STRING,
            "datatype": _STRING,
            "lang": _STRING,
        },
    },
    "QueryResult": {
        "type": "object",
        "required": ["query", "columns", "rows", "truncated"],
        "properties": {
            "query": _STRING,
            "columns": {"type": "array", "items": _STRING},
            "rows": {"type": "array", "items": {"type": "object", "additionalProperties": _ref("Cell")}},
            "boolean": {"type": "boolean"},
            "truncated": {"type": "boolean"},
        },
    },
    "Term": {
        "type": "object",
        "required": ["type", "value", "label"],
        "properties": {
            "type": {"enum": ["uri", "bnode", "literal"]},
            "value": _STRING,
            "label": _STRING,
            "curie": _STRING,
            "datatype": _STRING,
            "xml:lang": _STRING,
        },
    },
    "Edge": {
        "type": "object",
        "required": ["subject", "predicate", "object", "direction", "inferred"],
        "properties": {
            "subject": _ref("Term"),
            "predicate": _ref("Term"),
            "object": _ref("Term"),
            "direction": {"enum": ["out", "in", "forward", "backward"]},
            "inferred": {"type": "boolean"},
        },
    },
    "Neighbours": {
        "type": "object",
        "required": ["node", "count", "truncated", "edges"],
        "properties": {
            "node": _ref("Term"),
            "count": {"type": "integer"},
            "truncated": {"type": "boolean"},
            "edges": {"type": "array", "items": _ref("Edge")},
        },
    },
    "Path": {
        "type": "object",
        "required": ["length", "nodes", "edges"],
        "properties": {
            "length": {"type": "integer"},
            "nodes": {"type": "array", "items": _ref("Term")},
            "edges": {"type": "array", "items": _ref("Edge")},
        },
    },
    "Paths": {
        "type": "object",
        "required": ["from", "to", "max_depth", "limit", "infer", "directed", "complete", "stopped", "paths"],
        "properties": {
            "from": _ref("Term"),
            "to": _ref("Term"),
            "max_depth": {"type": "integer"},
            "limit": {"type": "integer"},
            "infer": {"type": "boolean"},
            "directed": {"type": "boolean"},
            "complete": {"type": "boolean"},
            "stopped": _NULLABLE_STRING,
            "paths": {"type": "array", "items": _ref("Path")},
        },
    },
    "Proof": {
        "type": "object",
        "required": ["subject", "predicate", "object", "status"],
        "properties": {
            "subject": _ref("Term"),
            "predicate": _ref("Term"),
            "object": _ref("Term"),
            "status": {"enum": ["asserted", "inferred", "intermediate"]},
            "graphs": {"type": "array", "items": _STRING},
            "sources": {"type": "array", "items": _STRING},
            "rule": _NULLABLE_STRING,
            "premises": {"type": "array", "items": _ref("Proof")},
        },
    },
    "Explanation": {
        "type": "object",
        "required": ["asserted", "proof", "derivations", "count", "more", "max", "passages", "text"],
        "properties": {
            "asserted": {"type": "boolean"},
            "proof": {
                **_ref("Proof"),
                "description": "The first derivation (the assertion itself for an asserted triple).",
            },
            "derivations": {
                "type": "array",
                "items": _ref("Proof"),
                "description": "The first `max` distinct derivations (none when no supported rule applies).",
            },
            "count": {"type": "integer", "minimum": 0, "description": "How many derivations there are."},
            "more": {"type": "integer", "minimum": 0, "description": "Derivations beyond those shown."},
            "max": {"type": "integer", "minimum": 1, "description": "The `max` asked for."},
            "passages": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"label": _STRING, "quotation": _NULLABLE_STRING},
                },
            },
            "text": {"type": "string", "description": "The proof tree as indented lines (as `kg explain`)."},
        },
    },
}

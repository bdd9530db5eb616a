"""The few domain errors every layer raises; the CLI and HTTP layers map them to exit and status codes.

Each error carries a message a user can act on. `status` is the HTTP status the web layer answers with.
"""

from __future__ import annotations

from collections.abc import Iterable


class KGError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SourceError(KGError):
    """A source file is missing or is not well-formed Turtle (message carries file:line:col)."""


class ValidationFailed(KGError):
    """The data violates the SHACL shapes; the message lists file, focus node, path and message."""


class InconsistentGraph(KGError):
    """The OWL 2 RL closure found a contradiction (e.g. an individual in two disjoint classes)."""


class QueryError(KGError):
    """Malformed SPARQL, or a query the engine cannot run."""

    status = 400


class ForbiddenQuery(KGError):
    """A query asks for something this server refuses: updates, SERVICE, LOAD, FROM an unknown graph."""

    status = 403


class UnknownGraph(ForbiddenQuery):
    """A query's dataset (FROM, FROM NAMED, default-graph-uri, named-graph-uri) names a graph this
    store does not have: 403 on every query route, since nothing is ever fetched to find it. (The Graph
    Store Protocol's `GET /rdf-graphs?graph=` answers 404 instead, as that protocol requires.)"""

    def __init__(self, graph: str, known: Iterable[str]) -> None:
        listed = ", ".join(f"<{g}>" for g in sorted(known))
        super().__init__(
            f"unknown graph <{graph}>: not a graph of this dataset, and this server never loads remote "
            f"or local documents; it has: {listed}"
        )


class UnknownResource(KGError):
    """A name (IRI, CURIE or label) that matches nothing in the graph."""

    status = 404


class UnknownQuery(KGError):
    """A named query that does not exist."""

    status = 404


class ParameterError(KGError):
    """A named-query parameter is missing, unknown or of the wrong type."""

    status = 400


class UnknownFormat(KGError):
    """A format name or media type we do not serve; the message lists the supported ones."""

    status = 406


class QueryTimeout(KGError):
    """The query used up its time budget and was stopped."""

    status = 503


class StoreUnavailable(KGError):
    """The remote SPARQL store cannot be reached, timed out, or refused our credentials: worth
    retrying later (503 with Retry-After). The message names the store without its credentials."""

    status = 503


class BadStoreAnswer(KGError):
    """The remote SPARQL store answered something the protocol does not allow (HTML, truncated
    results, a server error): a bad gateway (502)."""

    status = 502

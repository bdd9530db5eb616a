"""SHACL validation with pyshacl: the reference that `shapecheck` (what builds use) is tested against.

pyshacl validates in pure Python (529 s for 1M triples measured here), so builds run the shapes as
SPARQL on Oxigraph instead (`shapecheck`); tests/test_shapecheck.py proves both give the same
violations. pyshacl is a test dependency, imported only when this runs.
"""

from __future__ import annotations

from pathlib import Path

import rdflib
from rdflib.namespace import SH

from .namespaces import shorten
from .shapecheck import Violation

__all__ = ["Violation", "validate"]


def validate(parts: dict[Path, rdflib.Graph], shapes: rdflib.Graph) -> list[Violation]:
    """Validate the union of all parts (shapes may span files) and attribute each result to files."""
    import pyshacl  # the test extra: builds do not need it

    union = rdflib.Graph()
    for graph in parts.values():
        union += graph
    conforms, report, _ = pyshacl.validate(
        union, shacl_graph=shapes, inference="rdfs", abort_on_first=False, allow_warnings=True
    )
    if conforms:
        return []
    violations = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        severity = report.value(result, SH.resultSeverity)
        if severity != SH.Violation:
            continue
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage) or "constraint violated"
        files = tuple(str(p) for p, g in parts.items() if (focus, None, None) in g)
        violations.append(
            Violation(
                files=files,
                focus=_show(focus),
                path=_show(path) if path is not None else "(node)",
                message=str(message),
                severity=shorten(str(severity)),
            )
        )
    return sorted(violations, key=str)


def _show(term: rdflib.term.Node | None) -> str:
    if isinstance(term, rdflib.URIRef):
        return shorten(str(term))
    return term.n3() if term is not None else "?"

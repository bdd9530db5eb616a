"""SHACL validation of the asserted data: a violation names file, focus node, path and message."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyshacl
import rdflib
from rdflib.namespace import SH

from .namespaces import shorten


@dataclass(frozen=True)
class Violation:
    files: tuple[str, ...]
    focus: str
    path: str
    message: str
    severity: str

    def __str__(self) -> str:
        where = ", ".join(self.files) or "(no file states this node)"
        return f"{where}: {self.focus} {self.path}: {self.message} [{self.severity}]"


def validate(parts: dict[Path, rdflib.Graph], shapes: rdflib.Graph) -> list[Violation]:
    """Validate the union of all parts (shapes may span files) and attribute each result to files."""
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

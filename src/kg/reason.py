"""OWL 2 RL closure with owlrl, kept apart from the asserted triples, minus documented noise.

The noise rule (what `is_noise` drops from the closure, never from asserted data):
  1. triples with a blank node as subject or object — owlrl's restriction classes, property-chain
     lists and literal proxies; nobody can name them in a query;
  2. reflexive triples (`x owl:sameAs x`, `C rdfs:subClassOf C`, `p owl:equivalentProperty p`, ...);
  3. triples whose subject or object is a term of RDF, RDFS, OWL or XSD themselves (axiomatic triples
     such as `owl:Thing rdf:type owl:Class`, `x rdf:type rdfs:Resource`, `C rdfs:subClassOf owl:Thing`);
  4. triples with a literal subject (owlrl's datatype bookkeeping).
What remains is every entailment about our own terms and individuals, e.g. inverse links, chains,
transitive order, classifications and subclass typing.
"""

from __future__ import annotations

import owlrl
import rdflib
from rdflib.term import BNode, Literal, Node

from .errors import InconsistentGraph
from .namespaces import BUILTIN_NAMESPACES

_ERROR = rdflib.URIRef("http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage")
_ERROR_TEXT = rdflib.URIRef("http://www.daml.org/2002/03/agents/agent-ont#error")
_NOTHING = rdflib.OWL.Nothing


def _builtin(term: Node) -> bool:
    return isinstance(term, rdflib.URIRef) and str(term).startswith(BUILTIN_NAMESPACES)


def is_noise(s: Node, p: Node, o: Node) -> bool:
    """True for closure triples that help nobody (see the module docstring for the rule)."""
    if isinstance(s, BNode | Literal) or isinstance(o, BNode):
        return True
    if s == o:
        return True
    return _builtin(s) or _builtin(o)


def closure(asserted: rdflib.Graph) -> rdflib.Graph:
    """The inferred graph: OWL 2 RL entailments of `asserted` that are new and not noise.

    Raises `InconsistentGraph` when owlrl reports a contradiction or types something `owl:Nothing`.
    """
    expanded = rdflib.Graph()
    for triple in asserted:
        expanded.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(expanded)
    problems = sorted(str(expanded.value(m, _ERROR_TEXT)) for m in expanded.subjects(rdflib.RDF.type, _ERROR))
    problems += [f"{s} is an instance of owl:Nothing" for s in expanded.subjects(rdflib.RDF.type, _NOTHING)]
    if problems:
        raise InconsistentGraph("the OWL 2 RL closure is inconsistent:\n  " + "\n  ".join(problems))
    inferred = rdflib.Graph()
    for s, p, o in expanded:
        if (s, p, o) not in asserted and not is_noise(s, p, o):
            inferred.add((s, p, o))
    return inferred

"""Why a triple holds: where an asserted triple is stated, or every OWL 2 RL derivation of an inferred one.

Backward chaining over the built store (asserted + inferred graphs). For the goal triple each rule
application that concludes it (rules.py) is tried in turn, and every one whose premises all hold is a
derivation: two derivations differ in their rule or their premises. Each premise is proved by its
first derivation, recursively, down to asserted triples, with an in-progress set against cycles and a
depth cap; a sub-proof found once is remembered and reused. The closure keeps no triple about blank
nodes (reason.py's noise rule), so steps through restriction and intersection classes
(`x rdf:type [playsRole value CMO]`) are not stored; the prover re-derives such steps and marks them
`intermediate`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pyoxigraph as ox

from . import proof as shown
from . import rules
from .errors import KGError, QueryTimeout
from .proof import Explanation, Proof
from .resolve import resolve
from .rules import Fact, Facts
from .store import Store
from .terms import Term

__all__ = ["Explanation", "NotEntailed", "Proof", "explain"]


class NotEntailed(KGError):
    """The triple is neither asserted nor entailed by the OWL 2 RL closure."""

    status = 404


class _Prover(Facts):
    """Backward chaining over one store; remembers proofs found and goals that failed for good."""

    def __init__(self, store: Store, max_depth: int, timeout_s: float | None = None) -> None:
        super().__init__(store)
        self.max_depth = max_depth
        self.timeout_s = timeout_s
        self.deadline = None if timeout_s is None else time.monotonic() + timeout_s
        self.proved: dict[Fact, Proof] = {}
        self.failed: set[Fact] = set()
        self.cut = False  # set when a search was pruned by the depth cap or a cycle (so not memoised)

    def check_time(self) -> None:
        """`QueryTimeout` (503, Retry-After) once the budget is used up; a budget of 0 allows no step."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise QueryTimeout(
                f"the explanation used up its time budget of {self.timeout_s:g} s before its derivations "
                "were all found; try again later"
            )

    def derivations(self, goal: Fact) -> list[Proof]:
        """Every derivation of `goal`: its assertion, or each rule application whose premises hold."""
        status = self.status(goal)
        if isinstance(status, Proof):
            return [status]
        if status is None:
            return []
        found = list(self.derive(goal, status, 0, frozenset()))
        if found:
            self.proved.setdefault(goal, found[0])
        return found

    def prove(self, goal: Fact, depth: int, stack: frozenset[Fact]) -> Proof | None:
        """The first derivation of `goal` without the facts in `stack` (those being proved above it)."""
        status = self.status(goal)
        if status is None or isinstance(status, Proof):
            return status
        if goal in self.proved:  # it cites no fact of `stack`: those had no proof when it was found
            return self.proved[goal]
        if goal in self.failed:
            return None
        if depth >= self.max_depth or goal in stack:
            self.cut = True
            return None
        outer_cut, self.cut = self.cut, False
        found = next(self.derive(goal, status, depth, stack), None)
        if found is not None:
            self.proved.setdefault(goal, found)
            self.cut = outer_cut
            return found
        if not self.cut:
            self.failed.add(goal)
        self.cut = outer_cut or self.cut
        return None

    def derive(self, goal: Fact, status: str, depth: int, stack: frozenset[Fact]) -> Iterator[Proof]:
        """Each rule application concluding `goal` whose premises all prove, as a proof node."""
        above = stack | {goal}
        for rule, premises in rules.candidates(self, goal):
            self.check_time()  # before each derivation step: asserted facts cost no step
            proofs = []
            for premise in premises:
                if (proof := self.prove(premise, depth + 1, above)) is None:
                    break
                proofs.append(proof)
            else:
                yield shown.node(self, goal, status, rule, proofs)

    def status(self, goal: Fact) -> Proof | str | None:
        """The proof of an asserted goal; else 'inferred' or 'intermediate'; None when it cannot hold."""
        graphs = self.graphs_of(goal)
        asserted = [g for g in graphs if g in self.store.asserted_graphs]
        if asserted:
            return shown.node(self, goal, "asserted", graphs=asserted)
        if self.store.inferred_graph in graphs:
            return "inferred"
        return "intermediate" if self.may_hold(goal) else None


def _term(store: Store, term: Term | str) -> Term:
    return resolve(store, term) if isinstance(term, str) else term


def explain(
    store: Store,
    s: Term | str,
    p: ox.NamedNode | str,
    o: Term | str,
    max_depth: int = 8,
    timeout_s: float | None = None,
    max_derivations: int = 10,
) -> Explanation:
    """Where the triple is stated, or its derivations down to asserted triples: the first
    `max_derivations` of them, and how many there are in all (every one is found, to count them).

    Names (IRI, CURIE, label) are resolved first. Raises `NotEntailed` when the triple is neither
    asserted nor in the inferred graph (nor an entailment the noise rule dropped that we can derive),
    and `QueryTimeout` when the search outlasts `timeout_s` (None: no budget, as in the CLI) — a search
    cut short is never returned as if it were the answer.
    """
    fact: Fact = (_term(store, s), resolve(store, p) if isinstance(p, str) else p, _term(store, o))
    prover = _Prover(store, max_depth, timeout_s)
    found = prover.derivations(fact)
    if found:
        first = found[0]
    elif prover.graphs_of(fact):  # stored in the inferred graph, but no supported rule derives it
        first = shown.node(prover, fact, "inferred")
    else:
        raise NotEntailed(_not_entailed(prover, fact))
    derivations = found[:max_derivations]
    return Explanation(first, derivations, len(found), shown.passages(prover, [first, *derivations]))


def _not_entailed(prover: _Prover, fact: Fact) -> str:
    text = " ".join(shown.node(prover, fact, "inferred").text)
    if prover.may_hold(fact):
        return (
            f"{text} is not in the graph: the build drops triples about blank nodes and RDF/RDFS/OWL terms "
            f"(see reason.py), and none of the supported rules derives it within depth {prover.max_depth}."
        )
    return f"{text} is neither asserted nor inferred by the OWL 2 RL closure."

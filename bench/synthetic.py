"""A seeded generator of a synthetic, domain-shaped ontology folder for benchmarks.

The folder holds a copy of every `ontology/*.ttl` (vocabulary, shapes and the real domain data, so
named queries' default parameters such as `pkg:CRO` still name something) plus `synthetic-*.ttl`
files that scale the same shapes up: organisations playing the CMO/CRO roles, extra roles with their
responsibilities, stage chains, product trees, collaborations with hand-overs, benefits, criteria.
Everything passes `ontology/shapes.ttl` and gives owlrl real work (inverses, chains, transitive
order, hasValue classification), so `kg.build.build(folder)` treats it exactly like the real data.
The output depends only on the seed, the size and the copied ontology files.
"""

from __future__ import annotations

import itertools
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from kg.sources import data_dir

PKG = "https://w3id.org/pharma-kg/id/"
SOURCE = "<https://w3id.org/pharma-kg/source/synthetic>"
DEFAULT_TRIPLES = 200_000
STAGES_PER_CHAIN = 7
ROLES = ("pkg:CMO", "pkg:CRO")
PREFIXES = """\
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix pkg: <https://w3id.org/pharma-kg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""

# Words the labels are drawn from; a small pool on purpose, so that some labels repeat across kinds
# (the homonym and label-search queries then have something to find).
ADJECTIVES = (
    "Sterile", "Oral", "Biologic", "Generic", "Controlled", "Rapid", "Global", "Clinical", "Stable",
    "Novel", "Pilot", "Commercial", "Aseptic", "Analytical", "Integrated", "Specialty",
)  # fmt: skip
NOUNS = (
    "Synthesis", "Formulation", "Filling", "Packaging", "Testing", "Release", "Screening", "Trials",
    "Monitoring", "Validation", "Scale-up", "Purification", "Assay", "Reporting", "Audit", "Logistics",
)  # fmt: skip
COMPANY = ("Pharma", "Labs", "Biotech", "Sciences", "Therapeutics", "Manufacturing", "Research")


@dataclass
class Turtle:
    """One output file: subjects written one statement per line, with a running triple count."""

    path: Path
    lines: list[str] = field(default_factory=list)
    triples: int = 0

    def subject(self, iri: str, kind: str, statements: list[tuple[str, str]]) -> None:
        body = [("a", kind), *statements]
        self.lines.append(iri)
        self.lines.extend(f"  {p} {o} {';' if i < len(body) - 1 else '.'}" for i, (p, o) in enumerate(body))
        self.lines.append("")
        self.triples += len(body)

    def write(self, header: str) -> None:
        self.path.write_text(f"# {header}\n\n{PREFIXES}\n" + "\n".join(self.lines), encoding="utf-8")


def _text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"@en'


def _described(label: str, definition: str | None = None) -> list[tuple[str, str]]:
    """What every described resource needs (see DescribedResourceShape): label, source, definition."""
    out = [("skos:prefLabel", _text(label)), ("dcterms:source", SOURCE)]
    if definition:
        out.append(("skos:definition", _text(definition)))
    return out


class Generator:
    """Emits blocks (one development programme each) until the synthetic files reach the target size."""

    def __init__(self, folder: Path, seed: int) -> None:
        self.rng = random.Random(seed)
        names = ("organisations", "roles", "stages", "products", "collaborations")
        self.files = {n: Turtle(folder / f"synthetic-{n}.ttl") for n in names}
        self.organisations: list[str] = []

    @property
    def triples(self) -> int:
        return sum(f.triples for f in self.files.values())

    def phrase(self) -> str:
        return f"{self.rng.choice(ADJECTIVES)} {self.rng.choice(NOUNS)}"

    def block(self, b: int) -> None:
        stages = self.stages(b)
        products = self.products(b)
        self.roles(b, stages, products)
        self.organisations_of(b)
        self.collaboration(b)

    def stages(self, b: int) -> list[str]:
        """A chain of stages: owlrl closes `precedes` transitively and adds `follows` inverses."""
        iris = [f"pkg:SynStage{b:05d}_{i}" for i in range(1, STAGES_PER_CHAIN + 1)]
        for i, iri in enumerate(iris):
            extra = [("pkg:stageOrder", str(i + 1))]
            if i + 1 < len(iris):
                extra.append(("pkg:immediatelyPrecedes", iris[i + 1]))
            label = f"Programme {b} stage {i + 1}: {self.phrase()}"
            self.files["stages"].subject(iri, "pkg:DevelopmentStage", _described(label, label) + extra)
        return iris

    def products(self, b: int) -> list[str]:
        """A small product tree whose kinds become `skos:broader` by subproperty inference."""
        root = f"pkg:SynProduct{b:05d}"
        parent = self.rng.choice(("pkg:FinishedDosageForm", "pkg:ActivePharmaceuticalIngredient"))
        out = self.files["products"]
        out.subject(root, "pkg:Product", [*_described(f"{self.phrase()} product"), ("pkg:isKindOf", parent)])
        kinds = [f"{root}_{k}" for k in range(3)]
        for kind in kinds:
            out.subject(kind, "pkg:Product", [*_described(f"{self.phrase()} kind"), ("pkg:isKindOf", root)])
        return [root, *kinds]

    def roles(self, b: int, stages: list[str], products: list[str]) -> None:
        """A new role with eight responsibilities, plus two more for each of CMO and CRO."""
        role = f"pkg:SynRole{b:05d}"
        owners = [role] * 8 + [ROLES[0]] * 2 + [ROLES[1]] * 2
        out = self.files["roles"]
        mine = []
        for r, owner in enumerate(owners):
            iri = f"pkg:SynResponsibility{b:05d}_{r}"
            label = self.phrase()
            extra = [("pkg:performedInStage", s) for s in sorted(set(self.rng.sample(stages, 2)))]
            if owner == ROLES[0] or self.rng.random() < 0.3:
                extra.append(("pkg:produces", self.rng.choice(products)))
            if self.rng.random() < 0.2:
                link = self.rng.choice(("pkg:submittedTo", "pkg:meetsRegulationsOf"))
                extra.append((link, "pkg:RegulatoryAuthorities"))
            out.subject(iri, "pkg:Responsibility", _described(label, f"{label} for programme {b}.") + extra)
            if owner == role:
                mine.append(iri)
            else:  # the real roles gain responsibilities from this file, as domain-knowledge.ttl does
                out.lines.append(f"{owner} pkg:hasResponsibility {iri} .\n")
                out.triples += 1
        described = _described(f"Role {b}: {self.phrase()} provider", f"A provider of {self.phrase()}.")
        out.subject(role, "pkg:Role", described + [("pkg:hasResponsibility", r) for r in mine])
        criterion = f"pkg:SynCriterion{b:05d}"
        out.subject(
            criterion,
            "pkg:SelectionCriterion",
            _described(self.phrase(), "A factor to weigh when choosing a partner.")
            + [("pkg:isSelectionCriterionFor", r) for r in sorted(set(self.rng.sample([*ROLES, role], 2)))],
        )

    def organisations_of(self, b: int) -> None:
        """Twelve organisations: typed by class or by role, some CDMOs, each collaborating with others."""
        out = self.files["organisations"]
        for o in range(12):
            iri = f"pkg:SynOrg{b:05d}_{o}"
            label = f"{self.rng.choice(ADJECTIVES)} {self.rng.choice(COMPANY)} {b}-{o}"
            pick = self.rng.random()
            if pick < 0.2:  # typed by class only: the reasoner adds playsRole (cls-hv1)
                kind, extra = "pkg:ContractManufacturingOrganisation", []
            elif pick < 0.35:  # plays both roles: a CDMO (cls-int2)
                kind, extra = "pkg:Organisation", [("pkg:playsRole", r) for r in ROLES]
            else:
                kind, extra = "pkg:Organisation", [("pkg:playsRole", self.rng.choice(ROLES))]
            partners = self.rng.sample(self.organisations, min(2, len(self.organisations)))
            extra += [("pkg:collaboratesWith", p) for p in sorted(partners)]
            out.subject(iri, kind, _described(label) + extra)
            self.organisations.append(iri)

    def collaboration(self, b: int) -> None:
        """A collaboration with a hand-over of a drug candidate, a benefit and participants."""
        out = self.files["collaborations"]
        collab, hand_over = f"pkg:SynCollaboration{b:05d}", f"pkg:SynHandOver{b:05d}"
        candidate, benefit = f"pkg:SynCandidate{b:05d}", f"pkg:SynBenefit{b:05d}"
        participants = sorted(self.rng.sample(self.organisations[-12:], 3))
        out.subject(
            collab,
            "pkg:Collaboration",
            _described(f"Collaboration {b}", f"Programme {b} partners working together.")
            + [("pkg:hasParticipant", p) for p in participants]
            + [("pkg:hasStep", hand_over), ("pkg:yieldsBenefit", benefit)],
        )
        giver = self.rng.choice(("pkg:CRO", f"pkg:SynRole{b:05d}"))
        out.subject(
            hand_over,
            "pkg:HandOver",
            [
                *_described(f"Hand-over {b}", f"Programme {b} passes its candidate on."),
                ("pkg:handedOverBy", giver),
                ("pkg:handedOverTo", "pkg:CMO"),
                ("pkg:handedOverItem", candidate),
            ],
        )
        out.subject(candidate, "pkg:DrugCandidate", _described(f"Candidate {b}-{self.rng.randrange(10**6)}"))
        out.subject(
            benefit,
            "pkg:CollaborationBenefit",
            _described(f"{self.phrase()} gain", "Work saved by partnering."),
        )


def generate(
    folder: Path, triples: int = DEFAULT_TRIPLES, seed: int = 0, ontology: Path | None = None
) -> int:
    """Write the ontology copy and `synthetic-*.ttl` (about `triples` asserted triples) into `folder`.

    Returns the number of synthetic triples written (the copied files add the domain's own few hundred).
    """
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((ontology or data_dir("ontology")).glob("*.ttl")):
        shutil.copyfile(path, folder / path.name)
    gen = Generator(folder, seed)
    for b in itertools.count():
        if gen.triples >= triples:
            break
        gen.block(b)
    for name, out in gen.files.items():
        out.write(
            f"Synthetic {name} for benchmarks (seed {seed}, {triples} triples requested); not real data."
        )
    return gen.triples

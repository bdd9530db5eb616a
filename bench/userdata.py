"""A seeded generator of *user data* files (what `kg --data my.ttl` loads) for reasoner benchmarks and tests.

Unlike `bench.synthetic` (a whole ontology folder), this writes only the user's own files, next to which
the real `ontology/*.ttl` is loaded. The data uses our vocabulary and passes `ontology/shapes.ttl`, and it
exercises every kind of entailment the vocabulary has, so that a reasoner has real work:

* organisations with one role, with both roles (CDMOs, cls-int1), typed only by a class (cls-hv1), typed
  only as a CDMO (cls-int2 then cls-hv1), or typed by the user's own subclass (cax-sco);
* stage chains (`immediatelyPrecedes` -> `precedes`, transitive, inverse `follows`);
* product trees (`isKindOf` -> `skos:broader`, prp-spo1);
* roles with responsibilities (inverse `isResponsibilityOf`, hasValue classification of responsibilities,
  chains `activeInStage` and `manufactures`);
* collaborations with hand-overs (`performsHandOver` o `handedOverTo` -> `handsOverTo` -> symmetric
  `collaboratesWith`);
* a small user T-Box (`userdata-schema.ttl`): a subclass of pkg:ContractManufacturingOrganisation and a
  subproperty of pkg:collaboratesWith.

Lines are written directly (one triple per line) so a million triples take seconds. The output depends only
on `seed` and `triples`. With `inconsistent=True` one organisation is also typed pkg:Product, which the
vocabulary declares disjoint from pkg:Organisation (cax-adc): a reasoner must report that individual.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

NAMESPACES = {
    "pkg": "https://w3id.org/pharma-kg/id/",
    "ex": "https://example.org/userdata/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
}
SOURCE = "ex:source"
ROLES = ("pkg:CMO", "pkg:CRO")
STAGES_PER_CHAIN = 6
ORGANISATIONS_PER_BLOCK = 10
#: The organisation typed pkg:Product when `inconsistent=True` (block 0, organisation 0).
INCONSISTENT_ORGANISATION = NAMESPACES["ex"] + "Org0_0"

ADJECTIVES = (
    "Sterile",
    "Oral",
    "Biologic",
    "Generic",
    "Rapid",
    "Global",
    "Clinical",
    "Novel",
    "Pilot",
    "Aseptic",
)
NOUNS = (
    "Synthesis",
    "Formulation",
    "Filling",
    "Testing",
    "Release",
    "Screening",
    "Assay",
    "Audit",
    "Scale-up",
)
COMPANY = ("Pharma", "Labs", "Biotech", "Sciences", "Therapeutics")

Triple = tuple[str, str, str]


def _text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"@en'


def _integer(value: int) -> str:
    return f'"{value}"^^<{NAMESPACES["xsd"]}integer>'


def _described(iri: str, kind: str, label: str, definition: str | None = None) -> Iterator[Triple]:
    """Type, English label and source: what DescribedResourceShape and OrganisationShape ask of everything."""
    yield iri, "rdf:type", kind
    yield iri, "skos:prefLabel", _text(label)
    yield iri, "dcterms:source", SOURCE
    if definition:
        yield iri, "skos:definition", _text(definition)


class _Writer:
    """One output file; terms arrive as CURIEs or N-Triples literals and are written as `fmt` lines."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path = path
        self.fmt = fmt
        self.handle = path.open("w", encoding="utf-8")
        self.count = 0
        if fmt == "ttl":
            self.handle.write("".join(f"@prefix {p}: <{ns}> .\n" for p, ns in NAMESPACES.items()) + "\n")

    def _term(self, term: str) -> str:
        if self.fmt == "ttl" or term.startswith('"'):
            return "a" if term == "rdf:type" and self.fmt == "ttl" else term
        prefix, _, local = term.partition(":")
        return f"<{NAMESPACES[prefix]}{local}>"

    def write(self, triples: Iterator[Triple]) -> None:
        term = self._term
        lines = [f"{term(s)} {term(p)} {term(o)} .\n" for s, p, o in triples]
        self.handle.writelines(lines)
        self.count += len(lines)

    def close(self) -> None:
        self.handle.close()


class _Generator:
    """Emits one development programme per block: stages, products, a role, organisations, a collaboration."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.organisations: list[str] = []

    def phrase(self) -> str:
        return f"{self.rng.choice(ADJECTIVES)} {self.rng.choice(NOUNS)}"

    def stages(self, b: int) -> tuple[list[str], list[Triple]]:
        iris = [f"pkg:UserStage{b}_{i}" for i in range(1, STAGES_PER_CHAIN + 1)]
        out: list[Triple] = []
        for i, iri in enumerate(iris):
            out += _described(iri, "pkg:DevelopmentStage", f"Programme {b} stage {i + 1}: {self.phrase()}")
            out.append((iri, "pkg:stageOrder", _integer(i + 1)))
            if i + 1 < len(iris):
                out.append((iri, "pkg:immediatelyPrecedes", iris[i + 1]))
        return iris, out

    def products(self, b: int) -> tuple[list[str], list[Triple]]:
        root = f"pkg:UserProduct{b}"
        parent = self.rng.choice(
            ("pkg:FinishedDosageForm", "pkg:ActivePharmaceuticalIngredient", "pkg:Tablet")
        )
        out = [
            *_described(root, "pkg:Product", f"{self.phrase()} product {b}"),
            (root, "pkg:isKindOf", parent),
        ]
        kinds = [f"{root}_{k}" for k in range(3)]
        for kind in kinds:
            out += _described(kind, "pkg:Product", f"{self.phrase()} kind {kind[-3:]}")
            out.append((kind, "pkg:isKindOf", self.rng.choice([root, *kinds[: kinds.index(kind)]])))
        return [root, *kinds], out

    def role(self, b: int, stages: list[str], products: list[str]) -> tuple[str, list[Triple]]:
        """A new role with four responsibilities, plus one more for each of CMO and CRO."""
        role = f"pkg:UserRole{b}"
        owners = [role] * 4 + list(ROLES)
        out: list[Triple] = []
        for r, owner in enumerate(owners):
            iri = f"pkg:UserResponsibility{b}_{r}"
            label = self.phrase()
            out += _described(iri, "pkg:Responsibility", label, f"{label} in programme {b}.")
            out += [(iri, "pkg:performedInStage", s) for s in sorted(set(self.rng.sample(stages, 2)))]
            if owner == ROLES[0] or self.rng.random() < 0.3:
                out.append((iri, "pkg:produces", self.rng.choice(products)))
            if self.rng.random() < 0.2:
                out.append(
                    (
                        iri,
                        self.rng.choice(("pkg:submittedTo", "pkg:meetsRegulationsOf")),
                        "pkg:RegulatoryAuthorities",
                    )
                )
            out.append((owner, "pkg:hasResponsibility", iri))
        out += _described(
            role, "pkg:Role", f"Role {b}: {self.phrase()} provider", f"A provider of {self.phrase()}."
        )
        return role, out

    def organisations_of(self, b: int, inconsistent: bool) -> list[Triple]:
        out: list[Triple] = []
        for o in range(ORGANISATIONS_PER_BLOCK):
            iri = f"ex:Org{b}_{o}"
            label = f"{self.rng.choice(ADJECTIVES)} {self.rng.choice(COMPANY)} {b}-{o}"
            pick = self.rng.random()
            extra: list[tuple[str, str]] = []
            if pick < 0.15:  # typed by class only: the reasoner adds playsRole (cls-hv1)
                kind = self.rng.choice(
                    ("pkg:ContractManufacturingOrganisation", "pkg:ContractResearchOrganisation")
                )
            elif pick < 0.25:  # typed as a CDMO only: both classes (cls-int2), both roles (cls-hv1)
                kind = "pkg:ContractDevelopmentAndManufacturingOrganisation"
            elif pick < 0.32:  # the user's own subclass (userdata-schema.ttl)
                kind = "ex:SterileManufacturer"
            elif pick < 0.47:  # plays both roles: classified a CDMO (cls-hv2, cls-int1)
                kind, extra = "pkg:Organisation", [("pkg:playsRole", r) for r in ROLES]
            else:
                kind, extra = "pkg:Organisation", [("pkg:playsRole", self.rng.choice(ROLES))]
            out += _described(iri, kind, label)
            out += [(iri, p, v) for p, v in extra]
            for partner in sorted(self.rng.sample(self.organisations, min(2, len(self.organisations)))):
                out.append((iri, self.rng.choice(("pkg:collaboratesWith", "ex:mentors")), partner))
            if inconsistent and b == 0 and o == 0:
                out.append((iri, "rdf:type", "pkg:Product"))  # cax-adc: Organisation and Product are disjoint
            self.organisations.append(iri)
        return out

    def collaboration(self, b: int, role: str) -> list[Triple]:
        collab, hand_over = f"pkg:UserCollaboration{b}", f"pkg:UserHandOver{b}"
        candidate, benefit = f"pkg:UserCandidate{b}", f"pkg:UserBenefit{b}"
        participants = sorted(self.rng.sample(self.organisations[-ORGANISATIONS_PER_BLOCK:], 3))
        giver = self.rng.choice(("pkg:CRO", role))
        out = [
            *_described(
                collab, "pkg:Collaboration", f"Collaboration {b}", f"Programme {b} partners working together."
            ),
            *[(collab, "pkg:hasParticipant", p) for p in participants],
            (collab, "pkg:hasStep", hand_over),
            (collab, "pkg:yieldsBenefit", benefit),
            *_described(
                hand_over, "pkg:HandOver", f"Hand-over {b}", f"Programme {b} passes its candidate on."
            ),
            (hand_over, "pkg:handedOverBy", giver),
            (hand_over, "pkg:handedOverTo", self.rng.choice(ROLES)),
            (hand_over, "pkg:handedOverItem", candidate),
            (role, "pkg:performsHandOver", hand_over),
            *_described(candidate, "pkg:DrugCandidate", f"Candidate {b}-{self.rng.randrange(10**6)}"),
            *_described(
                benefit, "pkg:CollaborationBenefit", f"{self.phrase()} gain", "Work saved by partnering."
            ),
            (benefit, "pkg:broughtBy", self.rng.choice(ROLES)),
        ]
        return out


def _schema() -> list[Triple]:
    """The user's own T-Box: a subclass of an organisation class and a subproperty of collaboratesWith."""
    return [
        ("ex:SterileManufacturer", "rdf:type", "owl:Class"),
        ("ex:SterileManufacturer", "rdfs:subClassOf", "pkg:ContractManufacturingOrganisation"),
        ("ex:SterileManufacturer", "rdfs:label", _text("Sterile manufacturer")),
        ("ex:mentors", "rdf:type", "owl:ObjectProperty"),
        ("ex:mentors", "rdfs:subPropertyOf", "pkg:collaboratesWith"),
        ("ex:mentors", "rdfs:label", _text("mentors")),
        (SOURCE, "rdfs:label", _text("Generated user data (bench/userdata.py); not real organisations")),
    ]


def write_userdata(
    folder: Path, triples: int, seed: int, *, fmt: str = "ttl", inconsistent: bool = False
) -> list[Path]:
    """Write about `triples` asserted triples of user data into `folder`; return the files written.

    `fmt` is "ttl" (Turtle, one triple per line with prefixes) or "nt" (N-Triples).
    """
    if fmt not in ("ttl", "nt"):
        raise ValueError(f"fmt must be 'ttl' or 'nt', not {fmt!r}")
    folder.mkdir(parents=True, exist_ok=True)
    names = ("schema", "stages", "products", "roles", "organisations", "collaborations")
    writers = {n: _Writer(folder / f"userdata-{n}.{fmt}", fmt) for n in names}
    try:
        writers["schema"].write(iter(_schema()))
        gen = _Generator(seed)
        b = 0
        while sum(w.count for w in writers.values()) < triples:
            stages, stage_triples = gen.stages(b)
            products, product_triples = gen.products(b)
            role, role_triples = gen.role(b, stages, products)
            writers["stages"].write(iter(stage_triples))
            writers["products"].write(iter(product_triples))
            writers["roles"].write(iter(role_triples))
            writers["organisations"].write(iter(gen.organisations_of(b, inconsistent)))
            writers["collaborations"].write(iter(gen.collaboration(b, role)))
            b += 1
    finally:
        for writer in writers.values():
            writer.close()
    return [w.path for w in writers.values()]


def main() -> None:
    """`python -m bench.userdata FOLDER TRIPLES [SEED] [ttl|nt]`."""
    import sys

    folder, size = Path(sys.argv[1]), int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    fmt = sys.argv[4] if len(sys.argv) > 4 else "ttl"
    for path in write_userdata(folder, size, seed, fmt=fmt):
        print(path)


if __name__ == "__main__":
    main()

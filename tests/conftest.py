"""Shared fixtures: the built domain graph (cached once per session) and tiny throwaway ontologies."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from kg.store import Store, open_store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

PREFIXES = """\
@prefix ex: <http://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build cache for the whole session, also handed to subprocesses through KG_CACHE_DIR."""
    path = tmp_path_factory.mktemp("kg-cache")
    os.environ["KG_CACHE_DIR"] = str(path)
    return path


@pytest.fixture(scope="session")
def store(cache_dir: Path) -> Store:
    """The packaged domain graph, built (SHACL + OWL 2 RL) once per session."""
    return open_store(cache=cache_dir)


def write_ontology(folder: Path, files: dict[str, str]) -> Path:
    """A throwaway ontology folder; every file gets the common prefixes; shapes.ttl defaults to empty."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"shapes.ttl": "", **files}
    for name, body in files.items():
        (folder / name).write_text(PREFIXES + textwrap.dedent(body), encoding="utf-8")
    return folder

"""`pip install .` gives a working `kg`, with ontology and queries inside the wheel, from any directory."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
    )
    return next(out.glob("pharma_kg-*.whl"))


def test_wheel_carries_ontology_and_queries(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "kg/ontology/vocabulary.ttl" in names
    assert "kg/ontology/shapes.ttl" in names
    assert any(n.startswith("kg/queries/") and n.endswith(".rq") for n in names)
    assert "kg/web/templates/resource.html" in names and "kg/web/static/style.css" in names
    assert any(n.endswith("entry_points.txt") for n in names)


@pytest.mark.slow
def test_installed_kg_runs_outside_the_repository(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip = env_dir / "bin" / "pip"
    subprocess.run([str(pip), "install", "--quiet", str(wheel)], check=True)
    kg = env_dir / "bin" / "kg"
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {
        "PATH": f"{env_dir / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "KG_CACHE_DIR": str(tmp_path / "c"),
    }
    listed = subprocess.run([str(kg), "queries"], cwd=work, env=env, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert "summary" in listed.stdout
    query = (
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> ASK { ?x skos:prefLabel 'Quality Control'@en }"
    )
    answer = subprocess.run([str(kg), "query", query], cwd=work, env=env, capture_output=True, text=True)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == "true"
    # the installed package does not reach back into the source tree
    where = subprocess.run(
        [str(env_dir / "bin" / "python"), "-c", "import kg.sources as s; print(s.data_dir('ontology'))"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(env_dir) in where.stdout and str(ROOT) not in where.stdout

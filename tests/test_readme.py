"""The README's own examples run: every `kg` command of its ```console blocks prints what the README
shows, and every `kg` command of its ```sh blocks exits 0, against a fresh build cache.

Only what changes from run to run is masked: the build key, the build time and the cache folder.
Graph sizes, tables, paths and messages must match, so the README cannot drift from the code.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

#: Files the examples name, as a user would have them.
MY_QUERY = "SELECT ?role ?label WHERE { ?role a pkg:Role ; skos:prefLabel ?label } ORDER BY ?role\n"
MY_ORGANISATIONS = """\
@prefix pkg: <https://w3id.org/pharma-kg/id/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<https://example.org/Acme> pkg:playsRole pkg:CRO ; skos:prefLabel "Acme Research"@en ;
  dcterms:source <https://example.org/crm-export> .
"""
#: Commands that do not end by themselves; `kg serve` is tested as a process in test_cli.py.
LONG_RUNNING = {"serve"}

_VOLATILE = (
    (re.compile(r"\b[0-9a-f]{24}\b"), "<key>"),
    (re.compile(r"built in [0-9.]+ s"), "built in <seconds> s"),
    (re.compile(r": \S+/<key>$", re.MULTILINE), ": <cache>/<key>"),
)


def blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block."""
    return [(m[1], m[2]) for m in re.finditer(r"^```(\w*)\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)]


def console_examples(body: str) -> list[tuple[str, str]]:
    """(command line, output shown) for each `$ ` line of a console block."""
    examples: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            examples.append((line[2:], []))
        elif examples:
            examples[-1][1].append(line)
    return [(command, "\n".join(out).strip("\n")) for command, out in examples]


def sh_commands(body: str) -> list[str]:
    """Each command of an sh block (one may span lines inside quotes), comments dropped."""
    commands, pending = [], ""
    for line in body.splitlines():
        pending += line + "\n"
        try:
            words = shlex.split(pending, comments=True)
        except ValueError:  # an open quote: the command goes on
            continue
        if words:
            commands.append(shlex.join(words))
        pending = ""
    assert not pending.strip(), f"unterminated command in the README: {pending!r}"
    return commands


def normalise(text: str) -> str:
    text = "\n".join(line.rstrip() for line in text.strip("\n").splitlines())
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def examples() -> tuple[list[tuple[str, str]], list[str]]:
    consoles, shs = [], []
    for language, body in blocks(README.read_text(encoding="utf-8")):
        if language == "console":
            consoles += [(c, out) for c, out in console_examples(body) if c.startswith("kg ")]
        elif language == "sh":
            shs += [c for c in sh_commands(body) if c.startswith("kg ")]
    return consoles, shs


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    words = shlex.split(command)
    env = {**os.environ, "KG_CACHE_DIR": str(cwd / "cache"), "COLUMNS": "80"}
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", *words[1:]],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
    )
    assert "Traceback" not in done.stderr, (command, done.stderr)
    return done


def test_the_readme_has_the_examples_this_test_runs():
    consoles, shs = examples()
    subcommands = {shlex.split(c)[1] for c, _ in consoles} | {
        next(w for w in shlex.split(c)[1:] if not w.startswith("-") and not w.endswith((".ttl", ".rq")))
        for c in shs
    }
    assert {"build", "query", "paths", "describe", "explain", "export", "validate", "serve"} <= subcommands
    assert consoles[0][0] == "kg build"  # the tour starts from nothing


@pytest.mark.slow
def test_readme_examples_run_as_shown(tmp_path):
    (tmp_path / "my-query.rq").write_text(MY_QUERY, encoding="utf-8")
    (tmp_path / "my-organisations.ttl").write_text(MY_ORGANISATIONS, encoding="utf-8")
    consoles, shs = examples()
    for command, shown in consoles:
        done = run(command, tmp_path)
        printed = done.stdout + done.stderr
        assert normalise(printed) == normalise(shown), f"README drifted for `{command}`"
        assert (done.returncode != 0) == shown.startswith("error:"), (command, done.returncode)
    skipped = []
    for command in shs:
        if LONG_RUNNING & set(shlex.split(command)):
            skipped.append(command)
            continue
        done = run(command, tmp_path)
        assert done.returncode == 0, f"`{command}` exited {done.returncode}: {done.stderr}"
    assert skipped == ["kg --data my-organisations.ttl serve --port 7878"]

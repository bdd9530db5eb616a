"""`python -m bench.guard`: the query guard's cost on ordinary and hostile texts, against the old lexer.

The old lexer (before the hardening issue) is kept here, verbatim, as the peer: its string alternatives
backtracked, so an unterminated quote followed by escaped quotes made it rescan the rest of the text
at every position (quadratic). Each old-lexer run happens in a child process killed after `--budget`
seconds, so a quadratic input costs the benchmark a bounded wait, reported as "> budget".
"""

from __future__ import annotations

import argparse
import contextlib
import re
import subprocess
import sys
import time

from kg.errors import KGError
from kg.sparql import Limits, inspect
from kg.table import render

OLD_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w]+)
  | (?P<word>[A-Za-z_][\w.-]*(?::[\w.%-]*)?|:[\w.%-]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

UNLIMITED = Limits(max_chars=1 << 30, max_depth=1 << 30, max_operators=1 << 30)


def inputs() -> dict[str, str]:
    """Name → query text: what users send, and what attackers sent in the issue (scaled)."""
    ordinary = "PREFIX pkg: <https://w3id.org/pharma-kg/id/>\nSELECT ?s ?l WHERE { ?s skos:prefLabel ?l }\n"
    return {
        "ordinary query (100 B)": ordinary,
        "ordinary, repeated to 256 KiB": "SELECT * { " + "?s <http://x/p> 'abc' . " * 10_900 + "}",
        "issue: quote + escaped quotes, 32 KiB": "SELECT * WHERE { } # x\n'" + "\\'" * 16_000,
        "same, 256 KiB (the size limit)": "SELECT * WHERE { } # x\n'" + "\\'" * 131_000,
        "unterminated long string, 256 KiB": "SELECT * {} '''" + "\\'''" * 65_000,
        "dots after a prefixed name, 256 KiB": "PREFIX e: <x> SELECT * { ?s ?p e:a" + "." * 262_000 + " }",
    }


def new_guard(text: str) -> float:
    started = time.perf_counter()
    with contextlib.suppress(KGError):
        inspect(text, limits=UNLIMITED)
    return time.perf_counter() - started


def old_guard(text: str, budget: float) -> float | None:
    """Seconds the old lexer took in a child process, or None when it overran `budget`."""
    code = (
        "import sys, time\nfrom bench.guard import OLD_TOKEN\ntext = sys.stdin.read()\n"
        "t = time.perf_counter()\nfor _ in OLD_TOKEN.finditer(text): pass\nprint(time.perf_counter() - t)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            input=text,
            capture_output=True,
            text=True,
            timeout=budget,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    return float(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.guard", description=__doc__)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per old-lexer run (%(default)s)")
    args = parser.parse_args(argv)
    rows = []
    for name, text in inputs().items():
        new = min(new_guard(text) for _ in range(3))
        old = old_guard(text, args.budget)
        shown_old = f"> {args.budget:g} s" if old is None else f"{old * 1000:,.1f}"
        speedup = f"> {args.budget / new:,.0f}x" if old is None else f"{old / new:,.1f}x"
        rows.append([name, f"{len(text):,}", f"{new * 1000:,.2f}", shown_old, speedup])
    print("Query guard: one pass over the text (best of 3), against the pre-hardening lexer\n")
    print(render(["input", "chars", "guard ms", "old lexer ms", "old/new"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

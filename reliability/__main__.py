"""`python -m reliability` (`make reliability`): fuzz, load, SIGKILL and cache damage against `kg serve`.

Everything runs in a temporary folder that is removed at the end, on loopback, and every server is
stopped (its whole process group) even when a step fails. Progress goes to stderr; the table goes to
stdout. The exit status is 1 when a non-timing property fails (a 500, a traceback, a dead server,
wrong data), not when a timing figure misses its target.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from .report import print_table
from .suite import FULL, QUICK, SCENARIOS, Workspace

log = logging.getLogger("reliability")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="reduced scale (about 2 minutes)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every generated input (%(default)s)")
    parser.add_argument(
        "--only", action="append", choices=list(SCENARIOS), help="run only this scenario (repeatable)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[reliability] %(message)s", stream=sys.stderr)
    scale = QUICK if args.quick else FULL
    started = time.monotonic()
    rows, problems = [], []
    with tempfile.TemporaryDirectory(prefix="kg-reliability-") as tmp:
        ws = Workspace.create(Path(tmp))
        for name in args.only or list(SCENARIOS):
            begun = time.monotonic()
            outcome = SCENARIOS[name](ws, scale, args.seed)
            log.info(
                "%s: done in %.0f s, %d failed properties",
                name,
                time.monotonic() - begun,
                len(outcome.problems),
            )
            rows += outcome.rows
            problems += outcome.problems
    title = (
        f"Reliability of kg serve ({'quick' if args.quick else 'full'} scale, seed {args.seed}, "
        f"{os.cpu_count()} cores shared with the clients, {time.monotonic() - started:.0f} s)"
    )
    print_table(title, rows, [f"failed: {p}" for p in problems])
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

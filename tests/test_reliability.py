"""The reliability suite (`reliability/`, `make reliability`) at its quick scale, against the real server.

Only non-timing properties are asserted: no 500 and no traceback under fuzzing and the server alive;
the requests of a killed process fail only with 503 (or, for a killed server process, with the lost
connection nothing else can give) and every other request succeeds; damaged caches are detected and
never served. The throughput ratio and latencies are printed, never asserted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def suite():
    """`reliability.suite`; `reliability/` is a top-level folder, not part of the installed package."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(ROOT))
        from reliability import suite

        yield suite


@pytest.fixture(scope="module")
def workspace(suite, tmp_path_factory: pytest.TempPathFactory):
    return suite.Workspace.create(tmp_path_factory.mktemp("reliability"))


def show(outcome) -> None:
    from reliability.report import print_table

    print_table("reliability (quick)", outcome.rows)


def test_fuzz_gives_no_500_no_traceback_and_the_server_survives(suite, workspace):
    outcome = suite.run_fuzz(workspace, suite.QUICK)
    show(outcome)
    fuzzed = outcome.result
    assert fuzzed.sent == suite.QUICK.fuzz_requests, outcome.problems
    assert fuzzed.total(500) == 0, fuzzed.examples
    assert fuzzed.server_errors == 0, fuzzed.examples  # 502, 503 without Retry-After, …
    assert fuzzed.body_tracebacks == 0, fuzzed.examples
    assert fuzzed.log_tracebacks == 0
    assert fuzzed.alive


def test_expensive_queries_are_refused_with_503_never_500(suite, workspace):
    outcome = suite.run_load(workspace, suite.QUICK)
    show(outcome)
    print(f"cheap throughput beside expensive queries / alone: {outcome.result.ratio:.2f} (target 0.8)")
    assert outcome.problems == []


def test_a_killed_process_costs_only_its_own_requests_and_only_503(suite, workspace):
    outcome = suite.run_kill(workspace, suite.QUICK)
    show(outcome)
    by_kind = {r.kind: r for r in outcome.result}
    worker = by_kind["query worker"]
    assert set(worker.victims) <= {503}, worker
    assert not worker.later, worker  # the victim's in-flight request at most; never the next ones
    assert worker.healthy_after is not None, worker
    server = by_kind["server worker"]
    assert set(server.victims) <= {503, "no answer"}, server  # a dead process cannot send a 503
    assert not server.later, server
    assert server.healthy_after is not None, server
    assert server.orphans == 0, server
    main = by_kind["main process"]
    assert set(main.victims) | set(main.later) <= {503, "no answer"}, main
    assert main.orphans == 0, main
    assert main.restarted, main


def test_every_kind_of_cache_damage_is_detected_and_never_served(suite, workspace):
    outcome = suite.run_cache(workspace, suite.QUICK)
    show(outcome)
    for result in outcome.result:
        assert result.detection in ("rebuilt", "refused in one line"), (result.damage, result.build)
        if result.exported is None:  # rebuilt: the cache holds exactly the undamaged build's quads
            assert result.quads == result.expected, (result.damage, result.data)
        else:  # refused: serving it is refused too, in one line, unless the data is right after all
            assert result.exported.one_line_error or result.quads == result.expected, result.damage
